"""ACK401 get-event-loop."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from asyncheck.lint import FileContext, Fix, Invalid, Rule, Valid, module_reference
from asyncheck.semantics.coroutines import UseKind, classify_use
from asyncheck.semantics.event_loop import (
    GET_EVENT_LOOP,
    ends_in_raise,
    falls_back_on_runtime_error,
    version_ceiling,
)
from asyncheck.semantics.names import dotted_name
from asyncheck.syntax.walk import find_all

#: From this version on ``get_event_loop()`` raises ``RuntimeError`` when no loop is set; a
#: branch that only runs before it is the version gate the deprecation asks for.
_RAISES_FROM = (3, 14)
#: What happens to a task that nobody keeps (ACK102 reports it).
_TASK_LOST = frozenset({UseKind.DROPPED, UseKind.TRUTH, UseKind.INSPECTED})


class GetEventLoop(Rule):
    """
    ## What it does
    Reports every call of `asyncio.get_event_loop()`.  Inside an `async def` the message
    points to `asyncio.get_running_loop()`; at module level to `asyncio.run(...)`; in a sync
    function, which may run inside the loop or before it, to both.

    Not reported where the code already handles it: outside a coroutine, inside a `try`
    whose `except RuntimeError` goes on without raising again (a broader handler only when
    it falls back to `new_event_loop()`), or under `contextlib.suppress(RuntimeError)`; in a
    branch that only
    runs before Python 3.14 (`if sys.version_info < (3, 12):`, the `else` of a `>=` test, the
    code after `if sys.version_info >= ...: return`, a module-level flag holding such a
    test); when the loop is then checked with `is_running()` and the code raises without
    one; and in a coroutine where the call only serves `.create_task(...)` of a task that is
    dropped, which ACK102 reports (one cause, one finding).

    ## Why is this bad?
    `get_event_loop()` guesses: it returns the running loop if there is one, otherwise the
    loop set for the thread, and used to create one on the fly.  That creation has been
    deprecated since Python 3.10-3.12 and since 3.14 it raises `RuntimeError` when no loop is
    set, so a script that starts with `loop = asyncio.get_event_loop()` breaks on a newer
    Python or in a thread.  Inside a coroutine the guess is unnecessary: there is always a
    running loop, and `get_running_loop()` says so.

    ## Example
    ```python
    import asyncio

    async def download(url, path):
        loop = asyncio.get_event_loop()
        return await loop.run_in_executor(None, save, url, path)

    loop = asyncio.get_event_loop()
    loop.run_until_complete(main())
    ```

    ## Use instead
    ```python
    import asyncio

    async def download(url, path):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, save, url, path)

    asyncio.run(main())
    ```

    ## Fix
    Inside an `async def`, `asyncio.get_event_loop()` becomes `asyncio.get_running_loop()`
    (keeping an alias such as `aio.`; a bare `get_event_loop()` imported from asyncio becomes
    `asyncio.get_running_loop()`, adding `import asyncio` when missing, unless the name
    `asyncio` means something else there). In sync code and at module level no fix is
    offered: starting the loop with `asyncio.run` means restructuring.
    """

    code = "ACK401"
    name = "get-event-loop"
    message = "`asyncio.get_event_loop()` {where}: use {way_out}"
    fixable = True
    TRIGGERS = ("get_event_loop",)

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._schedules: dict[int, bool] = {}

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        func = node.func
        # Only `x.get_event_loop` or a bare (possibly aliased) name can be it: skip resolving
        # every other method call.
        if isinstance(func, cst.Attribute) and func.attr.value != "get_event_loop":
            return
        if context.qualified_name(func) not in GET_EVENT_LOOP:
            return
        if self._handled(node):
            return
        function = context.current_function
        fix = None
        if context.in_async_function and function is not None:
            where = f"inside `async def {function.name.value}`"
            way_out = "`asyncio.get_running_loop()`"
            fix = self._running_loop_fix(node)
        elif function is not None:
            if self._assumes_running_loop(function):
                return
            # A sync function may run inside the loop (a callback, a constructor called from
            # a coroutine) or before it: both ways out apply.
            where = f"in `def {function.name.value}` is deprecated without a running loop"
            way_out = ("`asyncio.get_running_loop()` when it runs inside the loop, "
                       "`asyncio.run(...)` to start one")
        else:
            where = ("at top level is deprecated (RuntimeError since Python 3.14 when no loop "
                     "is set)")
            way_out = "`asyncio.run(...)` to start the loop"
        self.report(node, where=where, way_out=way_out, fix=fix)

    def _assumes_running_loop(self, function: cst.FunctionDef) -> bool:
        """A sync function written to run inside the loop, where ``get_event_loop()`` is the
        running loop: a constructor (objects that keep a loop are made by the code running on
        it), or a function that schedules work on the loop (``create_task``,
        ``ensure_future``, ``call_soon``...) and never starts one (``run_until_complete``,
        ``run_forever``): a task made with no running loop would never run."""
        parent = self.context.scope.parent
        if function.name.value == "__init__" and parent is not None and parent.kind == "class":
            return True
        known = self._schedules.get(id(function))
        if known is None:
            # Nested functions count: they run on the same loop.
            called = {_called_name(call) for call in find_all(function.body, (cst.Call,))}
            known = self._schedules[id(function)] = bool(
                called & _SCHEDULES) and not called & _STARTS_LOOP
        return known

    def _handled(self, call: cst.Call) -> bool:
        """Whether the code already deals with what ``get_event_loop()`` can do here."""
        context = self.context
        # A fallback for the RuntimeError (Python 3.14 without a loop), e.g. new_event_loop().
        # In a coroutine the call never raises: a handler around it is about something else,
        # and get_running_loop() is the drop-in replacement all the same.
        if not context.in_async_function and falls_back_on_runtime_error(context):
            return True
        # A branch that only runs on Pythons where the call still finds or makes a loop.
        ceiling = version_ceiling(context)
        if ceiling is not None and ceiling <= _RAISES_FROM:
            return True
        return self._requires_running(call) or self._task_dropped_with_it(call)

    def _requires_running(self, call: cst.Call) -> bool:
        """``loop = get_event_loop()`` followed by ``if not loop.is_running(): raise ...``
        (or ``assert loop.is_running()``): the code accepts only a running loop, which is
        what ``get_event_loop()`` returns there; without one it fails loudly either way."""
        context = self.context
        stack = context.stack
        statement = context.current_statement()
        if isinstance(statement, cst.If):  # if not get_event_loop().is_running(): raise
            return _checks_running(statement, lambda expr: expr is call)
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        names: set[str | None] = set()
        for small in statement.body:
            value = getattr(small, "value", None)
            if isinstance(value, cst.BooleanOperation) and value.right is call:
                value = call  # loop or get_event_loop()
            if value is not call:
                continue
            if isinstance(small, cst.Assign):
                names.update(dotted_name(target.target) for target in small.targets)
            elif isinstance(small, cst.AnnAssign):
                names.add(dotted_name(small.target))
        names.discard(None)
        if not names:
            return False
        position = next(i for i in range(len(stack) - 1, -1, -1) if stack[i] is statement)
        block = stack[position - 1] if position else None
        if not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return False
        later = block.body[block.body.index(statement) + 1:]
        return any(_checks_running(s, lambda expr: dotted_name(expr) in names) for s in later)

    def _task_dropped_with_it(self, call: cst.Call) -> bool:
        """``asyncio.get_event_loop().create_task(c)`` in a coroutine, the task dropped: one
        cause, one finding.  The dangling-task finding's way out, ``asyncio.create_task``
        kept in a set, removes this call too (ACK102 reports it)."""
        context = self.context
        if not context.in_async_function:
            return False
        stack = context.stack
        if len(stack) < 3:
            return False
        attribute, spawn = stack[-2], stack[-3]
        if not (isinstance(attribute, cst.Attribute) and attribute.value is call
                and attribute.attr.value == "create_task"
                and isinstance(spawn, cst.Call) and spawn.func is attribute):
            return False
        use = classify_use(stack, len(stack) - 3)
        if use.kind in _TASK_LOST or use.names == ("_",):
            return True
        return (use.kind is UseKind.ATTRIBUTE and use.called
                and use.attribute == "add_done_callback")

    def _running_loop_fix(self, call: cst.Call) -> Fix | None:
        func = call.func
        imports: tuple[str, ...] = ()
        if isinstance(func, cst.Attribute):
            new_func: cst.BaseExpression = func.with_changes(attr=cst.Name("get_running_loop"))
        else:
            reference = module_reference(self.context.scope, self.context.source, "asyncio")
            if reference is None:
                return None
            alias, imports = reference
            new_func = cst.Attribute(value=cst.Name(alias), attr=cst.Name("get_running_loop"))
        return Fix(call, call.with_changes(func=new_func),
                   "replace with `asyncio.get_running_loop()`", imports)

    VALID = [
        Valid(
            "import asyncio\n\nasync def download(url, path):\n"
            "    loop = asyncio.get_running_loop()\n"
            "    return await loop.run_in_executor(None, save, url, path)\n\n"
            "def save(url, path):\n    ...\n"
        ),
        Valid(
            "import asyncio\n\nasync def main():\n    ...\n\n"
            "if __name__ == '__main__':\n    asyncio.run(main())\n"
        ),
        # A method of another object with the same name is not asyncio's.
        Valid(
            "class Scheduler:\n    def get_event_loop(self):\n        return self\n\n"
            "async def main(scheduler: Scheduler):\n    scheduler.get_event_loop()\n"
        ),
        # A parameter named `asyncio` shadows the module.
        Valid("def attach(asyncio):\n    return asyncio.get_event_loop()\n"),
        # The documented fallback: no loop (RuntimeError on 3.14) makes one.
        Valid(
            "import asyncio\n\nclass Poller:\n    def __init__(self):\n"
            "        try:\n            self.loop = asyncio.get_event_loop()\n"
            "        except RuntimeError:\n"
            "            self.loop = asyncio.new_event_loop()\n"
            "            asyncio.set_event_loop(self.loop)\n"
        ),
        # The same with the deprecation warning filtered, the handler catching a tuple.
        Valid(
            "import asyncio\nimport warnings\n\ndef current_loop():\n    try:\n"
            "        with warnings.catch_warnings():\n"
            "            warnings.simplefilter('ignore', DeprecationWarning)\n"
            "            return asyncio.get_event_loop()\n"
            "    except (ValueError, RuntimeError):\n"
            "        return asyncio.new_event_loop()\n"
        ),
        # A broad handler that makes the loop itself.
        Valid(
            "import asyncio\n\ndef loop_for_thread():\n    try:\n"
            "        return asyncio.get_event_loop()\n    except Exception:\n"
            "        loop = asyncio.new_event_loop()\n        asyncio.set_event_loop(loop)\n"
            "        return loop\n"
        ),
        # The handler gives up on the global loop and starts one with asyncio.run below.
        Valid(
            "import asyncio\n\ndef run(main, loop=None):\n    if loop is None:\n"
            "        try:\n            loop = asyncio.get_event_loop()\n"
            "        except RuntimeError:\n            return asyncio.run(main())\n"
            "    return loop.run_until_complete(main())\n"
        ),
        Valid(
            "import asyncio\nimport contextlib\n\ndef close_default_loop():\n"
            "    with contextlib.suppress(RuntimeError):\n"
            "        asyncio.get_event_loop().close()\n"
        ),
        # Version gates: the call only runs where get_event_loop() still makes a loop.
        Valid(
            "import asyncio\nimport sys\n\nHAS_RUNNER = sys.version_info >= (3, 11)\n\n"
            "def run(main):\n    if HAS_RUNNER:\n        return asyncio.run(main())\n"
            "    loop = asyncio.get_event_loop()\n"
            "    return loop.run_until_complete(main())\n"
        ),
        Valid(
            "import asyncio\nimport sys\n\ndef default_loop():\n"
            "    if sys.version_info >= (3, 12):\n        loop = asyncio.new_event_loop()\n"
            "        asyncio.set_event_loop(loop)\n    else:\n"
            "        loop = asyncio.get_event_loop()\n    return loop\n"
        ),
        Valid(
            "import sys\nfrom asyncio import get_event_loop\n\n"
            "if sys.platform != 'win32' and sys.version_info[:2] < (3, 10):\n"
            "    LOOP = get_event_loop()\n"
        ),
        # Only a running loop is accepted, and the other case fails loudly.
        Valid(
            "import asyncio\n\ndef loop_of_caller():\n    loop = asyncio.get_event_loop()\n"
            "    if not loop.is_running():\n"
            "        raise RuntimeError('create this object inside a coroutine')\n"
            "    return loop\n"
        ),
        Valid(
            "import asyncio\n\nclass Timer:\n    def __init__(self):\n"
            "        self._loop = asyncio.get_event_loop()\n"
            "        assert self._loop.is_running()\n"
        ),
        # A constructor keeping the loop: objects bound to a loop are made by the code running
        # on it (the ecosystem check found 12 of 14 such findings false).
        Valid(
            "from asyncio import get_event_loop\n\nclass Client:\n"
            "    def __init__(self, loop=None):\n"
            "        self._loop = loop or get_event_loop()\n"
            "        self._closed = self._loop.create_future()\n"
        ),
        # A sync helper that puts work on the loop it gets expects that loop to be running.
        Valid(
            "import asyncio\n\ndef spawn(coro, name=None):\n"
            "    loop = asyncio.get_event_loop()\n"
            "    task = loop.create_task(coro, name=name)\n"
            "    task.add_done_callback(_log_failure)\n    return task\n\n"
            "def _log_failure(task):\n    ...\n"
        ),
        # The task is dropped: one finding, ACK102's, whose way out replaces this call too.
        Valid(
            "import asyncio\n\nasync def start(listener):\n"
            "    asyncio.get_event_loop().create_task(listener.listen())\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import asyncio\n\nasync def download(url, path):\n"
            "    loop = asyncio.get_event_loop()\n"
            "    return await loop.run_in_executor(None, save, url, path)\n\n"
            "def save(url, path):\n    ...\n",
            line=4, column=12, message_contains="`asyncio.get_running_loop()`",
            expected_fix=(
                "import asyncio\n\nasync def download(url, path):\n"
                "    loop = asyncio.get_running_loop()\n"
                "    return await loop.run_in_executor(None, save, url, path)\n\n"
                "def save(url, path):\n    ...\n"
            ),
        ),
        # An alias is kept; a bare imported name gets `asyncio.` and the import.
        Invalid(
            "import asyncio as aio\n\nclass Worker:\n    async def start(self):\n"
            "        self.loop = aio.get_event_loop()  # the loop we run on\n",
            expected_fix=(
                "import asyncio as aio\n\nclass Worker:\n    async def start(self):\n"
                "        self.loop = aio.get_running_loop()  # the loop we run on\n"
            ),
        ),
        Invalid(
            "from asyncio import get_event_loop\n\nasync def handler(request):\n"
            "    get_event_loop().call_later(5, request.cancel)\n",
            expected_fix=(
                "from asyncio import get_event_loop\nimport asyncio\n\n"
                "async def handler(request):\n"
                "    asyncio.get_running_loop().call_later(5, request.cancel)\n"
            ),
        ),
        # `asyncio` is a parameter here: `asyncio.get_running_loop()` would call it.
        Invalid(
            "from asyncio import get_event_loop\n\nasync def handler(request, asyncio):\n"
            "    get_event_loop().call_later(5, request.cancel)\n",
            expected_fix=(
                "from asyncio import get_event_loop\n\nasync def handler(request, asyncio):\n"
                "    get_event_loop().call_later(5, request.cancel)\n"
            ),
        ),
        Invalid(
            "import asyncio\n\nasync def main():\n    ...\n\n"
            "loop = asyncio.get_event_loop()\nloop.run_until_complete(main())\n",
            line=6, message_contains="`asyncio.run(...)`",
            # At module level there is no safe fix: the source stays as it is.
            expected_fix=(
                "import asyncio\n\nasync def main():\n    ...\n\n"
                "loop = asyncio.get_event_loop()\nloop.run_until_complete(main())\n"
            ),
        ),
        # A sync helper that does not schedule anything on the loop it gets.
        Invalid(
            "import asyncio\n\ndef connect(url):\n"
            "    return Client(url, loop=asyncio.get_event_loop())\n\n"
            "class Client:\n    def __init__(self, url, loop):\n        self.loop = loop\n",
            line=4, message_contains="in `def connect`",
        ),
        # A nested def resets the async context: the sync message applies.
        Invalid(
            "import asyncio\n\nasync def serve():\n"
            "    def on_signal():\n        asyncio.get_event_loop().stop()\n"
            "    return on_signal\n",
            line=5, message_contains="`asyncio.get_running_loop()` when it runs inside the loop",
        ),
        # Near misses of the guards: a handler that raises again, one for another error.
        Invalid(
            "import asyncio\nimport logging\n\ndef loop_or_fail():\n    try:\n"
            "        return asyncio.get_event_loop()\n    except RuntimeError:\n"
            "        logging.error('no event loop')\n        raise\n\n"
            "def default_loop():\n    try:\n        return asyncio.get_event_loop()\n"
            "    except KeyError:\n        return asyncio.new_event_loop()\n",
            line=6, count=2,
        ),
        # In a coroutine a handler around the call is about something else.
        Invalid(
            "import asyncio\n\nasync def probe(path, inspect):\n    try:\n"
            "        loop = asyncio.get_event_loop()\n"
            "        return await loop.run_in_executor(None, inspect, path)\n"
            "    except Exception:\n        return None\n",
            line=5, message_contains="inside `async def probe`",
        ),
        # A broad handler that does not make a loop is not a fallback for this call.
        Invalid(
            "import asyncio\nimport logging\n\ndef attach(client):\n    try:\n"
            "        client.loop = asyncio.get_event_loop()\n    except Exception:\n"
            "        logging.exception('attach failed')\n",
            line=6,
        ),
        # A gate that lets the call run on the newest Pythons.
        Invalid(
            "import asyncio\nimport sys\n\ndef default_loop():\n"
            "    if sys.version_info >= (3, 10):\n        return asyncio.get_event_loop()\n"
            "    return asyncio.new_event_loop()\n",
            line=6,
        ),
        # `is_running()` picks a branch, and the other one runs the loop it may not have.
        Invalid(
            "import asyncio\n\ndef run_sync(coro):\n    loop = asyncio.get_event_loop()\n"
            "    if loop.is_running():\n        return asyncio.ensure_future(coro)\n"
            "    return loop.run_until_complete(coro)\n",
            line=4,
        ),
        # The task is kept: the loop call is this rule's alone.
        Invalid(
            "import asyncio\n\nclass Worker:\n    async def start(self):\n"
            "        self.task = asyncio.get_event_loop().create_task(self.run())\n\n"
            "    async def run(self):\n        ...\n",
            line=5, message_contains="inside `async def start`",
        ),
    ]


#: Methods that put work on a loop: code calling them expects the loop to be running.
_SCHEDULES = frozenset({
    "create_task", "ensure_future", "call_soon", "call_soon_threadsafe", "call_later",
    "call_at", "run_coroutine_threadsafe", "create_future",
})
#: Methods that run a loop that is not running yet: the code does not assume one runs.
_STARTS_LOOP = frozenset({"run_until_complete", "run_forever", "run", "new_event_loop"})


def _called_name(call: cst.Call) -> str | None:
    """``loop.create_task(...)`` -> ``"create_task"``, ``spawn(...)`` -> ``"spawn"``."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else None


def _checks_running(statement: cst.BaseStatement,
                    is_loop: Callable[[cst.BaseExpression], bool]) -> bool:
    """``if not L.is_running(): raise``, ``if L.is_running(): ... else: raise``, or
    ``assert L.is_running()``, for a loop expression ``L``."""

    def running(expr: cst.BaseExpression) -> bool:
        return (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
                and expr.func.attr.value == "is_running" and is_loop(expr.func.value))

    if isinstance(statement, cst.If):
        test = statement.test
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            return running(test.expression) and ends_in_raise(statement.body)
        return (running(test) and isinstance(statement.orelse, cst.Else)
                and ends_in_raise(statement.orelse.body))
    if isinstance(statement, cst.SimpleStatementLine):
        return any(isinstance(small, cst.Assert) and running(small.test)
                   for small in statement.body)
    return False
