"""ACK400 nested-event-loop."""

from __future__ import annotations

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.event_loop import LOOP_RUN_METHODS, LOOP_RUNNERS, is_event_loop
from asyncheck.semantics.names import dotted_name

#: Last names of the calls this rule looks at (a cheap test before resolving a method call).
_RUNNING_METHOD_NAMES = LOOP_RUN_METHODS | {name.rpartition(".")[2] for name in LOOP_RUNNERS}


class NestedEventLoop(Rule):
    """
    ## What it does
    Reports `asyncio.run(...)`, `asyncio.Runner(...).run(...)`, `loop.run_until_complete(...)`
    and `loop.run_forever()` called directly inside an `async def`.  A loop is an object from
    `asyncio.get_event_loop()`, `new_event_loop()` or `get_running_loop()` (or annotated as
    one), or, when its type is unknown, a name `loop` / attribute `self.loop`/`self._loop`.

    ## Why is this bad?
    An `async def` only runs while an event loop is running in its thread, and a thread can
    run one loop at a time: each of these calls raises `RuntimeError: asyncio.run() cannot be
    called from a running event loop` (or "This event loop is already running").  Code that
    "worked" as a script breaks as soon as it is called from a coroutine, a Jupyter cell or a
    web framework's handler.

    ## Example
    ```python
    import asyncio

    async def refresh_prices(session, symbols):
        loop = asyncio.get_running_loop()
        return loop.run_until_complete(fetch_all(session, symbols))
    ```

    ## Use instead
    ```python
    async def refresh_prices(session, symbols):
        return await fetch_all(session, symbols)
    ```
    Start the loop once, at the program's entry point: `asyncio.run(main())` under
    `if __name__ == "__main__":`.  Code that must run a coroutine from a worker thread uses
    `asyncio.run_coroutine_threadsafe(coro, loop)`.
    """

    code = "ACK400"
    name = "nested-event-loop"
    TRIGGERS = ("async def",)  # reports only inside `async def`
    message = (
        "`{call}` inside `async def {function}` cannot start an event loop while one is running "
        "(RuntimeError); `await` the coroutine instead"
    )

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        if not context.in_async_function:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value not in _RUNNING_METHOD_NAMES:
            return
        qualname = context.qualified_name(func)
        if qualname in LOOP_RUNNERS:
            call = f"{qualname}()"
        elif (
            isinstance(func, cst.Attribute)
            and func.attr.value in LOOP_RUN_METHODS
            and is_event_loop(context, func.value)
        ):
            call = f"{dotted_name(func) or 'loop.' + func.attr.value}()"
        else:
            return
        function = context.current_function
        self.report(node, call=call, function=function.name.value if function is not None else "?")

    VALID = [
        # The entry point starts the loop once, outside any coroutine.
        Valid(
            "import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n\n"
            "if __name__ == '__main__':\n    asyncio.run(main())\n"
        ),
        # A sync function may run a loop: it is not called from a running one.
        Valid(
            "import asyncio\n\ndef sync_report(urls):\n"
            "    loop = asyncio.new_event_loop()\n"
            "    try:\n        return loop.run_until_complete(fetch_all(urls))\n"
            "    finally:\n        loop.close()\n\n"
            "async def fetch_all(urls):\n    return urls\n"
        ),
        # A worker function handed to a thread runs its own loop there.
        Valid(
            "import asyncio\n\nasync def crawl(urls):\n"
            "    def worker(url):\n        return asyncio.run(fetch(url))\n"
            "    return await asyncio.gather(*(asyncio.to_thread(worker, u) for u in urls))\n\n"
            "async def fetch(url):\n    return url\n"
        ),
        # Passed, not called.
        Valid(
            "import asyncio\n\nasync def bridge(coro):\n"
            "    return await asyncio.to_thread(asyncio.run, coro)\n"
        ),
        # `loop_factory=` at the entry point is the recommended set-up.
        Valid(
            "import asyncio\n\nasync def main():\n    ...\n\n"
            "asyncio.run(main(), loop_factory=asyncio.SelectorEventLoop)\n"
        ),
        # An object of another known type is not a loop, whatever its name.
        Valid(
            "class GameLoop:\n    def run_forever(self):\n        ...\n\n"
            "async def serve():\n    loop = GameLoop()\n    loop.run_forever()\n"
        ),
        # A coroutine scheduled on a loop from a thread, the right way.
        Valid(
            "import asyncio\n\nasync def submit(loop, coro):\n"
            "    return asyncio.run_coroutine_threadsafe(coro, loop)\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import asyncio\n\nasync def fetch_all(urls):\n    ...\n\n"
            "async def handler(request):\n"
            "    urls = await request.json()\n"
            "    results = asyncio.run(fetch_all(urls))\n"
            "    return results\n",
            line=8, column=15, message_contains="`asyncio.run()` inside `async def handler`",
        ),
        Invalid(
            "import asyncio\n\nasync def refresh_prices(session, symbols):\n"
            "    loop = asyncio.get_running_loop()\n"
            "    return loop.run_until_complete(fetch_all(session, symbols))\n",
            line=5, message_contains="loop.run_until_complete()",
        ),
        Invalid(
            "from asyncio import run as run_loop\n\nclass Poller:\n"
            "    async def start(self):\n        run_loop(self.poll())\n"
            "    async def poll(self):\n        ...\n",
            line=5,
        ),
        Invalid(
            "import asyncio\n\nclass Server:\n    def __init__(self):\n"
            "        self._loop = asyncio.new_event_loop()\n"
            "    async def serve(self):\n        self._loop.run_forever()\n",
            line=7, message_contains="self._loop.run_forever()",
        ),
        Invalid(
            "import asyncio\n\nasync def main(loop: asyncio.AbstractEventLoop):\n"
            "    asyncio.get_event_loop().run_until_complete(main(loop))\n"
            "    loop.run_forever()\n",
            count=2,
        ),
        Invalid(
            "import asyncio\n\nasync def main():\n"
            "    with asyncio.Runner() as runner:\n        runner.run(work())\n\n"
            "async def work():\n    ...\n",
            line=5, message_contains="asyncio.Runner.run()",
        ),
    ]
