"""ACK102 dangling-task."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from asyncheck.lint import FlowRule, Invalid, Valid
from asyncheck.semantics.coroutines import (
    Use,
    UseKind,
    call_text,
    classify_use,
    in_expected_failure,
)
from asyncheck.semantics.names import dotted_name

#: Calls that schedule a task the event loop only holds weakly.
TASK_FACTORIES = frozenset({
    "asyncio.create_task",
    "asyncio.ensure_future",
    "asyncio.tasks.create_task",
    "asyncio.tasks.ensure_future",
    "asyncio.AbstractEventLoop.create_task",
    "asyncio.events.AbstractEventLoop.create_task",
})

#: Names an event loop object usually goes by, when its type is not known otherwise.
_LOOP_NAMES = frozenset({"loop", "_loop", "event_loop", "_event_loop"})

_LOST = frozenset({UseKind.DROPPED, UseKind.TRUTH, UseKind.INSPECTED})


def _only_callback(use: Use) -> bool:
    return use.kind is UseKind.ATTRIBUTE and use.called and use.attribute == "add_done_callback"


@dataclass(frozen=True)
class _Task:
    call: cst.Call
    factory: str
    statement: cst.CSTNode | None


class DanglingTask(FlowRule[_Task]):
    """
    ## What it does
    Reports a task made by `asyncio.create_task`, `asyncio.ensure_future` or
    `loop.create_task` (a loop from `get_running_loop()`, `get_event_loop()`,
    `new_event_loop()`, or a variable named `loop`) that nothing keeps: the call is a
    statement of its own, its result is assigned to `_`, or it is kept in a local name that
    is used for nothing but `.add_done_callback(...)`.  `TaskGroup.create_task` is fine:
    the group holds its tasks.

    ## Why is this bad?
    The event loop keeps only a weak reference to a task.  A task nobody else references can
    be garbage-collected in the middle of its work, silently: the background job just stops,
    and its exception is never seen.  The asyncio documentation says to keep a reference.

    ## Example
    ```python
    async def handle_order(order):
        asyncio.create_task(send_receipt(order))
        return {"status": "accepted"}
    ```

    ## Use instead
    ```python
    background_tasks = set()

    async def handle_order(order):
        task = asyncio.create_task(send_receipt(order))
        background_tasks.add(task)
        task.add_done_callback(background_tasks.discard)
        return {"status": "accepted"}
    ```
    or run the work inside an `asyncio.TaskGroup`.
    """

    code = "ACK102"
    TRIGGERS = ("create_task", "ensure_future")
    name = "dangling-task"
    message = (
        "the task from `{factory}(...)` {problem}: the event loop keeps only a weak reference, "
        "so it may be garbage-collected mid-flight; keep a reference or use a TaskGroup"
    )

    def visit_Call(self, node: cst.Call) -> None:
        factory = self._task_factory(node)
        if factory is None:
            return
        context = self.context
        use = classify_use(context.stack)
        if in_expected_failure(context.stack):
            return  # made to see it raise, in a test
        if use.kind in _LOST:
            self.report(node, factory=factory, problem="is discarded")
        elif _only_callback(use):
            self.report(node, factory=factory,
                        problem="is only given a done-callback and then dropped")
        elif use.kind is UseKind.BOUND and len(use.names) == 1:
            (name,) = use.names
            if name == "_":
                self.report(node, factory=factory, problem="is assigned to `_`")
            elif context.scope.kind == "function":
                # A module-level name keeps the task alive for the whole program.
                self.defer(context.scope, name, _Task(node, factory, context.current_statement()))

    def names_resolved(self, name: str, records: list[_Task], uses: list[Use]) -> None:
        if not all(use.kind in _LOST or _only_callback(use) for use in uses):
            return
        for record in records:
            self.report(record.call, statement=record.statement, factory=record.factory,
                        problem=f"is kept only in the local `{name}`, which nothing holds on to")

    def _task_factory(self, call: cst.Call) -> str | None:
        context = self.context
        func = call.func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return None
        qualname = context.qualified_name(func)
        if qualname in TASK_FACTORIES:
            return call_text(call)
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "create_task"
            and context.expression_type(func.value) is None
        ):
            owner = dotted_name(func.value)
            if owner is not None and owner.rpartition(".")[2] in _LOOP_NAMES:
                return call_text(call)
        return None

    VALID = [
        # Kept in a set with a discard callback, stored on self, awaited, gathered.
        Valid(
            "import asyncio\n\nbackground = set()\n\n"
            "async def handle_order(order):\n"
            "    task = asyncio.create_task(send_receipt(order))\n"
            "    background.add(task)\n"
            "    task.add_done_callback(background.discard)\n\n"
            "class Worker:\n"
            "    async def start(self):\n"
            "        self._heartbeat = asyncio.create_task(self.beat())\n\n"
            "    async def beat(self):\n        ...\n\n"
            "async def both(a, b):\n"
            "    first = asyncio.ensure_future(a)\n"
            "    second = asyncio.get_running_loop().create_task(b)\n"
            "    await asyncio.gather(first, second)\n\n"
            "async def send_receipt(order):\n    ...\n"
        ),
        # TaskGroup holds its tasks.
        Valid(
            "import asyncio\n\nasync def crawl(urls):\n"
            "    async with asyncio.TaskGroup() as tg:\n"
            "        for url in urls:\n            tg.create_task(fetch(url))\n\n"
            "async def fetch(url):\n    ...\n"
        ),
        # Returned to the caller; a module-level task lives as long as the program.
        Valid(
            "import asyncio\n\ndef start_monitor(loop, probe):\n"
            "    return loop.create_task(probe())\n\n"
            "loop = asyncio.new_event_loop()\n"
            "monitor = loop.create_task(watch())\nloop.run_forever()\n\n"
            "async def watch():\n    ...\n"
        ),
        # A test that expects scheduling itself to fail.
        Valid(
            "import asyncio\nimport unittest\n\n"
            "class TaskTests(unittest.TestCase):\n"
            "    def test_needs_a_loop(self):\n"
            "        coro = asyncio.sleep(0)\n"
            "        self.addCleanup(coro.close)\n"
            "        with self.assertRaisesRegex(RuntimeError, 'no running event loop'):\n"
            "            asyncio.create_task(coro)\n"
        ),
        # Some other object's create_task method is not the event loop's.
        Valid(
            "class Scheduler:\n    def create_task(self, job):\n        return job\n\n"
            "def plan(job):\n    Scheduler().create_task(job)\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import asyncio\n\nasync def handle_order(order):\n"
            "    asyncio.create_task(send_receipt(order))\n"
            "    return {'status': 'accepted'}\n\n"
            "async def send_receipt(order):\n    ...\n",
            line=4, column=5, message_contains="is discarded",
        ),
        Invalid(
            "import asyncio\n\nasync def on_message(msg, log):\n"
            "    loop = asyncio.get_running_loop()\n"
            "    _ = loop.create_task(store(msg))\n"
            "    task = asyncio.ensure_future(store(msg))\n"
            "    task.add_done_callback(log.exception_of)\n\n"
            "async def store(msg):\n    ...\n",
            line=5, count=2,
        ),
        Invalid(
            "import asyncio\n\nclass Client:\n"
            "    def __init__(self, loop):\n        self._loop = loop\n\n"
            "    def reconnect_later(self):\n"
            "        self._loop.create_task(self.reconnect()).add_done_callback(print)\n\n"
            "    async def reconnect(self):\n        ...\n",
            line=8, message_contains="done-callback",
        ),
    ]
