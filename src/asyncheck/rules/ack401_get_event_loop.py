"""ACK401 get-event-loop."""

from __future__ import annotations

import libcst as cst

from asyncheck.lint import Fix, Invalid, Rule, Valid, module_alias, name_is_free
from asyncheck.semantics.event_loop import GET_EVENT_LOOP


class GetEventLoop(Rule):
    """
    ## What it does
    Reports every call of `asyncio.get_event_loop()`.  Inside an `async def` the message
    points to `asyncio.get_running_loop()`; at module level to `asyncio.run(...)`; in a sync
    function, which may run inside the loop or before it, to both.

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
    `asyncio.get_running_loop()`, adding `import asyncio` when missing). In sync code and at
    module level no fix is offered: starting the loop with `asyncio.run` means restructuring.
    """

    code = "ACK401"
    name = "get-event-loop"
    message = "`asyncio.get_event_loop()` {where}: use {way_out}"
    fixable = True
    TRIGGERS = ("get_event_loop",)

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        func = node.func
        # Only `x.get_event_loop` or a bare (possibly aliased) name can be it: skip resolving
        # every other method call.
        if isinstance(func, cst.Attribute) and func.attr.value != "get_event_loop":
            return
        if context.qualified_name(func) not in GET_EVENT_LOOP:
            return
        function = context.current_function
        fix = None
        if context.in_async_function and function is not None:
            where = f"inside `async def {function.name.value}`"
            way_out = "`asyncio.get_running_loop()`"
            fix = self._running_loop_fix(node)
        elif function is not None:
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

    def _running_loop_fix(self, call: cst.Call) -> Fix | None:
        func = call.func
        imports: tuple[str, ...] = ()
        if isinstance(func, cst.Attribute):
            new_func: cst.BaseExpression = func.with_changes(attr=cst.Name("get_running_loop"))
        else:
            module_scope = self.context.module_scope
            alias = module_alias(module_scope, "asyncio")
            if alias is None:
                if not name_is_free(module_scope, "asyncio"):
                    return None
                alias, imports = "asyncio", ("asyncio",)
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
        Invalid(
            "from asyncio import get_event_loop\n\nclass Client:\n"
            "    def __init__(self, loop=None):\n"
            "        self._loop = loop or get_event_loop()\n",
            line=5, message_contains="in `def __init__`",
        ),
        # A nested def resets the async context: the sync message applies.
        Invalid(
            "import asyncio\n\nasync def serve():\n"
            "    def on_signal():\n        asyncio.get_event_loop().stop()\n"
            "    return on_signal\n",
            line=5, message_contains="`asyncio.get_running_loop()` when it runs inside the loop",
        ),
    ]
