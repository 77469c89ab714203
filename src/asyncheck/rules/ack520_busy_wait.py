"""ACK520 busy-wait."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.blocking import match_blocking_call
from asyncheck.semantics.concurrency import code_of
from asyncheck.semantics.structure import (
    IN_LOOP_MODULES,
    STATE_METHODS,
    is_sleep,
    reads_written_state,
    suspends,
)
from asyncheck.syntax.walk import walk_body


class BusyWait(Rule):
    """
    ## What it does
    Reports a `while` loop inside `async def` that only sleeps until some state of this
    program changes: its body is a sleep (`await asyncio.sleep(...)`, anyio's and trio's
    `sleep`, `sleep_until` and `lowlevel.checkpoint()`) and, besides, at most checks of the
    state that leave the loop (`if ready: break`, `if done: return result`).  The loop is
    `while <condition>:` polling the condition, or `while True:` polling the checks.

    The state polled must be one the program could signal instead: an attribute that a
    method of the same module changes through `self` (`self.ready = True`,
    `self.tasks.pop(k)`), read from an object of that class (`self.ready`,
    `conn.ready` with `conn: Connection`), a global or nonlocal name changed elsewhere, or
    the state of an asyncio object that can be awaited (`task.done()`, `event.is_set()`,
    `queue.empty()`).  Not reported:
    - a loop that does other awaited work (`await` of anything but the sleep, `async for`,
      `async with`, also in its condition) or other work at all (a call, an assignment):
      it is working between pauses; nor `while True: await asyncio.sleep(3600)`, which
      checks nothing;
    - polling what only polling can tell: the disk, the network or another process (a
      call of the blocking-call tables, `os.path.exists(path)`), an object of a library
      other than asyncio, anyio and trio (a `threading.Event`, a `queue.Queue`, a
      library's client), state nothing in the module changes, or an attribute of an
      object of unknown type;
    - a polling helper whose caller picks the interval (`await asyncio.sleep(interval)`
      with `interval` a parameter).

    ## Why is this bad?
    Polling wakes the task every interval to look at a flag that usually has not changed:
    it wastes CPU (with `sleep(0)` it spins at full speed), and it notices the change up
    to one interval late, which adds that latency to every hand-off.  asyncio has
    primitives that wake the waiter exactly when the state changes.

    There is no automatic fix: the code that changes the state must signal it too.

    ## Example
    ```python
    class Connection:
        async def wait_connected(self):
            while not self.connected:
                await asyncio.sleep(0.1)
    ```

    ## Use instead
    ```python
    class Connection:
        def __init__(self):
            self._connected = asyncio.Event()

        def on_connect(self):
            self._connected.set()

        async def wait_connected(self):
            await self._connected.wait()
    ```
    Use `asyncio.Event` for a flag, `asyncio.Condition` for a state that changes
    several times, `await task` or `asyncio.wait(...)` for a task that ends, and
    `asyncio.timeout()` around the wait for a deadline.
    """

    code = "ACK520"
    name = "busy-wait"
    TRIGGERS = ("async def",)  # reports only inside `async def`
    PEER_CODES = ("ASYNC110",)
    message = (
        "`while {test}:` polls with `{sleep}`: wait for the change instead "
        "(`asyncio.Event`/`asyncio.Condition`, or await the task)"
    )

    VALID = [
        # Other awaited work in the loop: a worker, not a waiter.
        Valid('''\
import asyncio

async def heartbeat(ws, state):
    while state.running:
        await ws.ping()
        await asyncio.sleep(30)
'''),
        # Other work between sleeps: a periodic job.
        Valid('''\
import asyncio

async def flush_periodically(buffer):
    while not buffer.closed:
        await asyncio.sleep(5)
        buffer.flush()
'''),
        # Sleeping forever checks nothing.
        Valid('''\
import asyncio

async def main(server):
    await server.start()
    while True:
        await asyncio.sleep(3600)
'''),
        # The condition itself awaits: polling another service.
        Valid('''\
import asyncio

async def wait_ready(client):
    while not await client.is_ready():
        await asyncio.sleep(1)
'''),
        # A for loop is bounded.
        Valid('''\
import asyncio

async def backoff(attempts):
    for delay in attempts:
        await asyncio.sleep(delay)
'''),
        # Only polling tells when another process writes a file, or when a library's
        # client or another thread changes its state.
        Valid('''\
import asyncio
import os
import threading

async def wait_for_file(path):
    while not os.path.exists(path):
        await asyncio.sleep(0.1)

async def wait_for_thread(done: threading.Event):
    while not done.is_set():
        await asyncio.sleep(0.1)

async def wait_connected(client):
    while not client.is_connected:
        await asyncio.sleep(0.1)
'''),
        # A polling helper whose caller picks the interval.
        Valid('''\
import asyncio

class Job:
    def finish(self):
        self.state = "done"

async def wait_for_state(job, state, interval=0.01):
    while job.state != state:
        await asyncio.sleep(interval)
'''),
        # A sleep of some other library.
        Valid('''\
import mylib

async def wait(state):
    while not state.ready:
        await mylib.sleep(1)
'''),
    ]
    INVALID = [
        Invalid(
            '''\
import asyncio

class Connection:
    def on_connect(self):
        self.connected = True

    async def wait_connected(self):
        while not self.connected:
            await asyncio.sleep(0.1)
''',
            line=8, column=9,
            message_contains="`while not self.connected:` polls with `asyncio.sleep(0.1)`",
        ),
        Invalid(
            '''\
import asyncio

async def wait_done(task):
    while True:
        if task.done():
            return task.result()
        await asyncio.sleep(0)
''',
            line=4,
        ),
        Invalid(
            '''\
import trio

class Pool:
    async def run(self, job):
        self.busy = True
        try:
            await job()
        finally:
            self.busy = False

async def wait_idle(pool: Pool):
    while pool.busy:
        await trio.lowlevel.checkpoint()
''',
            line=12,
        ),
        Invalid(
            '''\
from anyio import sleep

FLAGS = set()

def raise_flag(name):
    FLAGS.add(name)

async def wait_for_flag(name):
    while name not in FLAGS:
        await sleep(0.5)
''',
            line=9,
        ),
    ]

    def visit_While(self, node: cst.While) -> None:
        context = self.context
        if not context.in_async_function or node.orelse is not None:
            return
        if suspends([node.test]):
            return
        sleep: cst.BaseExpression | None = None
        checks: list[cst.BaseExpression] = []
        for statement in _statements(node.body):
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Pass):
                        continue
                    if (isinstance(small, cst.Expr) and isinstance(small.value, cst.Await)
                            and sleep is None and is_sleep(context, small.value.expression)):
                        sleep = small.value.expression
                        continue
                    return
            elif isinstance(statement, cst.If) and _is_exit_check(statement):
                checks.append(statement.test)
            else:
                return
        if sleep is None:
            return
        if _is_true(node.test) and not checks:
            return  # sleeps forever: checks nothing
        tests = [node.test, *checks]
        if not self._polls_own_state(tests) or self._interval_is_parameter(sleep):
            return
        self.report(node, test=code_of(node.test, 40), sleep=code_of(sleep, 40))

    def _polls_own_state(self, tests: list[cst.BaseExpression]) -> bool:
        """Whether the tests read state this code could signal when it changes: state the
        module itself changes (:func:`reads_written_state`), or the state of an asyncio object
        that can be awaited (``task.done()``, ``event.is_set()``).  Not when they ask the
        disk, the network or another process (a call of the blocking-call tables), or read
        an object of a library other than asyncio's, anyio's or trio's (a
        ``threading.Event``, a ``queue.Queue``, a library's client): only polling tells
        when those change."""
        context = self.context
        awaitable_state = False
        for test in tests:
            for inner in (test, *walk_body(test)):
                if isinstance(inner, (cst.Name, cst.Attribute)):
                    known = context.expression_type(inner)
                    if known is not None and not known.startswith(IN_LOOP_MODULES) and (
                            not context.index.is_class(known)):
                        return False
                elif isinstance(inner, cst.Call):
                    if match_blocking_call(context.resolver, context.scope, inner) is not None:
                        return False
                    func = inner.func
                    if isinstance(func, cst.Attribute) and func.attr.value in STATE_METHODS:
                        awaitable_state = True
        return awaitable_state or any(reads_written_state(context, test) for test in tests)

    def _interval_is_parameter(self, sleep: cst.BaseExpression) -> bool:
        """``await asyncio.sleep(interval)`` with ``interval`` a parameter of the function:
        polling is what the function offers, at the pace its caller picks."""
        function = self.context.current_function
        if function is None or not isinstance(sleep, cst.Call) or not sleep.args:
            return False
        delay = sleep.args[0].value
        if not isinstance(delay, cst.Name):
            return False
        params = function.params
        return any(p.name.value == delay.value for p in (
            *params.posonly_params, *params.params, *params.kwonly_params))


def _is_exit_check(node: cst.If) -> bool:
    """``if <test>: break`` (or ``return ...``), without awaits, and no ``else``."""
    if node.orelse is not None or suspends([node.test]):
        return False
    body = _statements(node.body)
    if len(body) != 1:
        return False
    line = body[0]
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return False
    exit_ = line.body[0]
    if isinstance(exit_, cst.Break):
        return True
    return isinstance(exit_, cst.Return) and (exit_.value is None or not suspends([exit_.value]))


def _is_true(test: cst.BaseExpression) -> bool:
    """``while True:`` / ``while 1:``."""
    if isinstance(test, cst.Name):
        return test.value == "True"
    return isinstance(test, cst.Integer) and test.value != "0"


def _statements(body: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    """A block's statements; the small statements of a one-line block as one line."""
    if isinstance(body, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=body.body)]
    assert isinstance(body, cst.IndentedBlock)
    return body.body
