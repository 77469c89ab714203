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
from asyncheck.semantics.event_loop import LOOP_RUN_METHODS, is_event_loop
from asyncheck.semantics.helper_chains import display_name, project_function
from asyncheck.semantics.names import dotted_name
from asyncheck.semantics.spawned_tasks import TASK_FACTORIES, TASK_LOOP_NAMES
from asyncheck.syntax.walk import walk_body

#: ``ensure_future`` under its names: given a task or future, it returns it, no new task.
_ENSURE_FUTURE = frozenset({"asyncio.ensure_future", "asyncio.tasks.ensure_future"})

#: Types of objects that already are tasks or futures.
_FUTURE_TYPES = frozenset({
    "asyncio.Task", "asyncio.tasks.Task", "asyncio.Future", "asyncio.futures.Future",
})

_LOOP_NAMES = TASK_LOOP_NAMES

#: What the text of a module defining a task-returning helper holds.

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
    the group holds its tasks.  `ensure_future(x)` of something that already is a task or
    future makes no new task (`ensure_future(create_task(c))` is judged as the inner task).
    Also a task made and returned by a sync function of the project whose caller drops
    the result (`def spawn(coro): return asyncio.create_task(coro)`, a method alike, also
    through a local the helper only returns); a helper that also keeps the task
    (`self._tasks.add(task)`) is fine.
    Not reported where losing the task cannot matter: in `__del__` (best-effort
    finalisation of an object that is itself going away), and in sync code whose next
    statements run the loop (`loop.run_until_complete(...)`), which runs the task there.

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
    #: ``async def``: a project helper that returns a new task may be called anywhere.
    TRIGGERS = ("create_task", "ensure_future", "async def")
    name = "dangling-task"
    QUIET_IN = frozenset({"test"})  # a lost task fails that test, not a user's service
    PEER_CODES = ("RUF006",)
    message = (
        "the task from `{factory}(...)` {problem}: the event loop keeps only a weak reference, "
        "so it may be garbage-collected mid-flight; keep a reference or use a TaskGroup"
    )

    def visit_Call(self, node: cst.Call) -> None:
        factory = self._task_factory(node)
        made_by = ""
        if factory is None:
            if not _may_lose(classify_use(self.context.stack, len(self.context.stack) - 1)):
                return  # a helper's task used this way is kept: no need to know the helper
            helper = self._task_helper(node)
            if helper is None:
                return
            factory, made_by = helper
        context = self.context
        stack = context.stack
        if not made_by and self._wraps_task(node):
            return  # no new task: what happens to the one passed in is judged where it is made
        position = len(stack) - 1
        if self._wrapped_in_ensure_future(node):
            position -= 2  # `ensure_future(create_task(c))` is the task itself
        use = classify_use(stack, position)
        if in_expected_failure(stack):
            return  # made to see it raise, in a test
        if self._finalising() or self._loop_runs_next():
            return
        if use.kind in _LOST:
            self.report(node, factory=factory, problem="is discarded" + made_by)
        elif _only_callback(use):
            self.report(node, factory=factory,
                        problem="is only given a done-callback and then dropped" + made_by)
        elif use.kind is UseKind.BOUND and len(use.names) == 1:
            (name,) = use.names
            if name == "_":
                self.report(node, factory=factory, problem="is assigned to `_`" + made_by)
            elif context.scope.kind == "function":
                # A module-level name keeps the task alive for the whole program.
                self.defer(context.scope, name, _Task(node, factory, context.current_statement()))

    def _task_helper(self, call: cst.Call) -> tuple[str, str] | None:
        """A sync project function (or method) that makes a task and returns it without
        keeping it: (the call as written, how the message says where the task comes from)."""
        context = self.context
        func = call.func
        if type(func) not in (cst.Name, cst.Attribute):
            return None
        qualname = context.qualified_name(func)
        if qualname is None:
            return None
        index = context.index
        if index.surely_makes_no_task(qualname):
            return None  # bytes show that no function it reaches makes a task: nothing to parse
        facts = project_function(index, qualname)
        if facts is None or facts.is_async or not facts.returns_task:
            return None
        made = facts.returns_task.replace("asyncio.tasks.", "asyncio.")
        if made.endswith("AbstractEventLoop.create_task"):
            made = "loop.create_task"
        helper = display_name(index, facts.qualname)
        return (dotted_name(func) or helper,
                f" (`{helper}` returns the new task of `{made}(...)` and keeps no reference)")

    def _wraps_task(self, call: cst.Call) -> bool:
        """``ensure_future(x)`` of something that already is a task or future: it returns
        ``x`` itself (SPEC).  Known by the argument: a task-making call, an expression of a
        task or future type, or a local name bound only to task-making calls."""
        context = self.context
        if not call.args or call.args[0].keyword is not None or call.args[0].star:
            return False
        if context.qualified_name(call.func) not in _ENSURE_FUTURE:
            return False
        argument = call.args[0].value
        if self._makes_task(argument):
            return True
        if context.expression_type(argument) in _FUTURE_TYPES:
            return True
        if isinstance(argument, cst.Name):
            found = context.scope.binding_scope(argument.value)
            if found is not None:
                bindings = found[1]
                return all(b.kind == "assign" and b.value is not None and self._makes_task(b.value)
                           for b in bindings)
        return False

    def _wrapped_in_ensure_future(self, call: cst.Call) -> bool:
        """Whether ``call`` is the first argument of an ``ensure_future(...)``."""
        stack = self.context.stack
        if len(stack) < 3:
            return False
        arg, outer = stack[-2], stack[-3]
        return (isinstance(arg, cst.Arg) and isinstance(outer, cst.Call) and bool(outer.args)
                and outer.args[0] is arg and arg.keyword is None
                and self.context.qualified_name(outer.func) in _ENSURE_FUTURE)

    def _makes_task(self, expr: cst.BaseExpression) -> bool:
        """A task factory call, or a call handed a task factory to call
        (``context.run(loop.create_task, coro)``)."""
        if not isinstance(expr, cst.Call):
            return False
        if self._task_factory(expr) is not None:
            return True
        if not expr.args or expr.args[0].keyword is not None:
            return False
        first = expr.args[0].value
        if isinstance(first, cst.Attribute) and first.attr.value == "create_task":
            return is_event_loop(self.context, first.value)
        return isinstance(first, (cst.Name, cst.Attribute)) and (
            self.context.qualified_name(first) in TASK_FACTORIES)

    def _finalising(self) -> bool:
        """Spawned from ``__del__``: best-effort finalisation.  The object is being
        collected, so it cannot hold the task; a task lost there leaves what no finaliser
        would have left, and the maintainers' way out is no finaliser at all."""
        function = self.context.current_function
        return function is not None and function.name.value == "__del__"

    def _loop_runs_next(self) -> bool:
        """In sync code, a later statement of the same block runs the loop
        (``loop.run_until_complete(...)``/``run_forever()``): the task, still in the loop's
        ready queue, runs right there, while this code holds the loop."""
        context = self.context
        if context.in_async_function:
            return False
        statement = context.current_statement()
        stack = context.stack
        position = next((i for i in range(len(stack) - 1, 0, -1) if stack[i] is statement), 0)
        block = stack[position - 1] if position else None
        if not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return False
        body = list(block.body)
        for later in body[body.index(statement) + 1:]:  # type: ignore[arg-type]
            for inner in (later, *walk_body(later)):
                if (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute)
                        and inner.func.attr.value in LOOP_RUN_METHODS
                        and is_event_loop(context, inner.func.value)):
                    return True
        return False

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
        # ensure_future() of an existing task returns it: the task is kept in a set.
        Valid(
            "import asyncio\nimport contextvars\n\n_pending = set()\n\n"
            "def submit(coro):\n    loop = asyncio.get_running_loop()\n"
            "    task = contextvars.copy_context().run(loop.create_task, coro)\n"
            "    _pending.add(task)\n"
            "    asyncio.ensure_future(task).add_done_callback(lambda _: _pending.discard(task))\n"
            "    return task\n"
        ),
        Valid(
            "import asyncio\n\ndef on_reply(reply: asyncio.Future, log):\n"
            "    asyncio.ensure_future(reply).add_done_callback(log)\n\n"
            "async def relay(loop, stream):\n"
            "    return asyncio.ensure_future(loop.create_task(stream.read()))\n"
        ),
        # A task stored on the object, or added to a set and returned, is kept.
        Valid(
            "import asyncio\n\nclass Pool:\n    def __init__(self):\n        self._tasks = set()\n\n"
            "    def spawn(self, coro):\n        task = asyncio.ensure_future(coro)\n"
            "        self._tasks.add(task)\n        task.add_done_callback(self._tasks.discard)\n"
            "        return task\n"
        ),
        # Silenced for ruff's same check (RUF006): the maintainers chose fire-and-forget.
        Valid(
            "import asyncio\n\nasync def start(bot):\n"
            "    asyncio.create_task(bot.check_for_update())  # noqa: RUF006 - optional\n"
        ),
        # Best-effort finalisation: the object going away cannot hold the task.
        Valid(
            "import asyncio\n\nclass Channel:\n    def __del__(self):\n"
            "        if not self.closed:\n            asyncio.ensure_future(self.close())\n\n"
            "    async def close(self):\n        ...\n"
        ),
        # Sync code that runs the loop right after: the task runs in that run.
        Valid(
            "import asyncio\n\ndef finish(agen):\n    loop = asyncio.new_event_loop()\n"
            "    try:\n        ...\n    except GeneratorExit:\n"
            "        asyncio.ensure_future(agen.aclose(), loop=loop)\n"
            "        loop.run_until_complete(loop.shutdown_asyncgens())\n"
        ),
        # Helpers that keep the task they return, and callers that keep it.
        Valid(
            "import asyncio\n\nclass Supervisor:\n"
            "    def __init__(self):\n        self._tasks = set()\n\n"
            "    def spawn(self, coro):\n"
            "        task = asyncio.create_task(coro)\n"
            "        self._tasks.add(task)\n"
            "        task.add_done_callback(self._tasks.discard)\n"
            "        return task\n\n"
            "    async def run(self, jobs):\n"
            "        for job in jobs:\n            self.spawn(job())\n\n"
            "def start(coro):\n    return asyncio.create_task(coro)\n\n"
            "async def main(job):\n"
            "    task = start(job())\n"
            "    await task\n"
        ),
    ]
    INVALID = [
        # A helper returning a new task that its caller drops, across files.
        Invalid(
            "from app.tasks import spawn\n\n"
            "async def on_message(bus, msg):\n"
            "    spawn(bus.ack(msg))\n"
            "    await bus.handle(msg)\n",
            filename="app/consumer.py",
            other_files={
                "app/__init__.py": "",
                "app/tasks.py": ("import asyncio, logging\n\n"
                                 "def spawn(coro):\n"
                                 "    task = asyncio.get_running_loop().create_task(coro)\n"
                                 "    task.add_done_callback(logging.debug)\n"
                                 "    return task\n"),
            },
            line=4, column=5,
            message_contains="`spawn(...)` is discarded (`spawn` returns the new task of "
                             "`loop.create_task(...)` and keeps no reference)",
        ),
        Invalid(
            "import asyncio\n\nclass Client:\n"
            "    def __init__(self, loop):\n        self.loop = loop\n\n"
            "    def _spawn(self, coro):\n        return self.loop.create_task(coro)\n\n"
            "    async def reconnect(self):\n        ...\n\n"
            "    def connection_lost(self, exc):\n"
            "        self._spawn(self.reconnect())\n",
            line=14, message_contains="`Client._spawn` returns the new task",
        ),
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
        # Wrapping the new task in ensure_future changes nothing: one task, dropped, once.
        Invalid(
            "import asyncio\n\nasync def notify(hub, event):\n"
            "    asyncio.ensure_future(asyncio.create_task(hub.publish(event)))\n",
            line=4, count=1,
        ),
        # A coroutine held in a name is not a task yet: ensure_future makes one.
        Invalid(
            "import asyncio\n\nasync def notify(hub, event):\n"
            "    pending = hub.publish(event)\n    asyncio.ensure_future(pending)\n",
            line=5,
        ),
        # A noqa for another check is not about this one.
        Invalid(
            "import asyncio\n\nasync def start(bot):\n"
            "    asyncio.create_task(bot.check_for_update())  # noqa: RUF005\n",
            line=4,
        ),
        # Only __del__ itself: a method that closes later is an ordinary spawn.
        Invalid(
            "import asyncio\n\nclass Channel:\n    def close_soon(self):\n"
            "        asyncio.ensure_future(self.close())\n\n"
            "    async def close(self):\n        ...\n",
            line=5,
        ),
        # The loop ran before the spawn, not after it.
        Invalid(
            "import asyncio\n\ndef start(loop, setup, poll):\n"
            "    loop.run_until_complete(setup())\n    loop.create_task(poll())\n",
            line=5,
        ),
    ]


def _may_lose(use: Use) -> bool:
    """Whether a task used this way may be lost (reported at once or, bound to one local
    name, when the function ends): the uses :meth:`DanglingTask.visit_Call` judges."""
    return (use.kind in _LOST or _only_callback(use)
            or (use.kind is UseKind.BOUND and len(use.names) == 1))
