"""ACK401 get-event-loop."""

from __future__ import annotations

import libcst as cst

from asyncheck.analysis.event_loop import GET_EVENT_LOOP
from asyncheck.rule import Invalid, Rule, Valid


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
    """

    code = "ACK401"
    name = "get-event-loop"
    message = "`asyncio.get_event_loop()` {where}: use {way_out}"

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
        if context.in_async_function and function is not None:
            where = f"inside `async def {function.name.value}`"
            way_out = "`asyncio.get_running_loop()`"
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
        self.report(node, where=where, way_out=way_out)

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
        ),
        Invalid(
            "import asyncio\n\nasync def main():\n    ...\n\n"
            "loop = asyncio.get_event_loop()\nloop.run_until_complete(main())\n",
            line=6, message_contains="`asyncio.run(...)`",
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
