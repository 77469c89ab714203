"""ACK400 nested-event-loop."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from asyncheck.lint import FileContext, Invalid, RawFinding, Rule, Valid
from asyncheck.semantics.branches import switched_off
from asyncheck.semantics.event_loop import (
    LOOP_RUN_METHODS,
    LOOP_RUNNERS,
    RUNNING_LOOP_CHECKS,
    is_event_loop,
    loop_run_call,
)
from asyncheck.semantics.helper_chains import call_chain, functions_reaching, project_function
from asyncheck.semantics.names import dotted_name
from asyncheck.semantics.project import FunctionFacts, ProjectIndex

#: Last names of the calls this rule looks at (a cheap test before resolving a method call).
_RUNNING_METHOD_NAMES = LOOP_RUN_METHODS | {name.rpartition(".")[2] for name in LOOP_RUNNERS}


class NestedEventLoop(Rule):
    """
    ## What it does
    Reports `asyncio.run(...)`, `asyncio.Runner(...).run(...)`, `loop.run_until_complete(...)`
    and `loop.run_forever()` called directly inside an `async def`.  A loop is an object from
    `asyncio.get_event_loop()`, `new_event_loop()` or `get_running_loop()` (or annotated as
    one), or, when its type is unknown, a name `loop` / attribute `self.loop`/`self._loop`.

    Also a call, directly inside an `async def`, of a sync function of the project whose
    body runs a loop (`asyncio.run`, `run_until_complete`/`run_forever` of a loop of known
    type), directly or through further sync project functions, at any depth and across
    files; the message shows the chain: `handler -> load_rates -> asyncio.run`.  A helper
    that checks for a running loop first (`asyncio.get_running_loop()` in a
    `try`/`except RuntimeError`, `loop.is_running()`, itself or through a helper it calls)
    chooses what to do when a coroutine calls it, and is not followed.  One root cause,
    one finding: a helper called from several coroutines of a file is reported at the first
    call site, whose message counts the others.

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

    chain_message = (
        "`{call}(...)` inside `async def {function}` starts an event loop while one is running "
        "(RuntimeError): {chain}; make the helper async and `await` it"
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        #: Helper qualified name -> (the finding at its first async call site, the
        #: coroutines of the other call sites).
        self._helpers: dict[str, tuple[RawFinding | None, list[str]]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        if not context.in_async_function:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value not in _RUNNING_METHOD_NAMES:
            self._through_helper(node)
            return
        qualname = context.qualified_name(func)
        if qualname is not None and qualname not in LOOP_RUNNERS:
            self._through_helper(node, qualname)
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

    def _through_helper(self, node: cst.Call, qualname: str | None = None) -> None:
        """A sync project helper called here that runs a loop, at any depth."""
        context = self.context
        if qualname is None:
            qualname = context.qualified_name(node.func)
            if qualname is None:
                return
        index = context.index
        names = functions_reaching(index, key="ACK400 loop run", words=_LOOP_RUN_WORDS)
        if qualname.rpartition(".")[2] not in names:
            return  # no sync function of that name may run a loop: nothing to parse

        def reaches(name: str) -> bool:
            return name.rpartition(".")[2] in names

        facts = project_function(index, qualname)
        if facts is None or facts.is_async:
            return
        off: frozenset[str] = frozenset()
        if facts.params:
            off = switched_off(node, facts.params, facts.param_defaults)
        chain = call_chain(index, facts, key="ACK400 loop run", ends=loop_run_call,
                           guarded=_guard_checker(index), switched_off=off, reaches=reaches)
        if chain is None:
            return
        function = context.current_function
        start = function.name.value if function is not None else "?"
        seen = self._helpers.get(facts.qualname)
        if seen is not None:
            seen[1].append(start)  # one root cause, one finding
            return
        findings = context.findings
        before = len(findings)
        self.report(node, self.chain_message.format(
            call=dotted_name(node.func) or qualname, function=start,
            chain=" -> ".join((start, *chain.functions, _shown(chain.blocking_call)))))
        self._helpers[facts.qualname] = (findings[-1] if len(findings) > before else None, [])

    def leave_Module(self, original_node: cst.Module) -> None:
        for finding, others in self._helpers.values():
            if finding is None or not others:
                continue
            names = list(dict.fromkeys(others))
            shown = ", ".join(f"`{name}`" for name in names[:3]) + (", …" if len(names) > 3 else "")
            sites = "call site" if len(others) == 1 else "call sites"
            finding.message += (
                f" (the same root cause at {len(others)} more {sites} in this file: {shown})")

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
        # Helpers that check for a running loop first, or run the loop in another thread.
        Valid(
            "import asyncio\nfrom concurrent.futures import ThreadPoolExecutor\n\n"
            "def in_event_loop():\n"
            "    try:\n        asyncio.get_running_loop()\n"
            "    except RuntimeError:\n        return False\n"
            "    return True\n\n"
            "def run_sync(coro):\n"
            "    if in_event_loop():\n"
            "        with ThreadPoolExecutor(1) as pool:\n"
            "            return pool.submit(asyncio.run, coro).result()\n"
            "    return asyncio.run(coro)\n\n"
            "def ensure_loop(coro):\n"
            "    loop = asyncio.get_event_loop()\n"
            "    if loop.is_running():\n"
            "        return loop.create_task(coro)\n"
            "    return loop.run_until_complete(coro)\n\n"
            "async def fetch():\n    ...\n\n"
            "async def handler():\n"
            "    run_sync(fetch())\n"
            "    ensure_loop(fetch())\n"
            "    await asyncio.to_thread(run_sync, fetch())\n"
        ),
    ]
    INVALID = [
        # Two calls away, across files: the chain is shown.
        Invalid(
            "from app.rates import refresh_rates\n\n"
            "async def handler(request):\n"
            "    rates = refresh_rates(request.query['base'])\n"
            "    return {'rates': rates}\n\n"
            "async def nightly(base):\n"
            "    refresh_rates(base)\n",
            filename="app/views.py",
            other_files={
                "app/__init__.py": "",
                "app/rates.py": (
                    "import asyncio\n\n"
                    "async def fetch_rates(base):\n    ...\n\n"
                    "def load_rates(base):\n"
                    "    return asyncio.run(fetch_rates(base))\n\n"
                    "def refresh_rates(base):\n"
                    "    return sorted(load_rates(base))\n"),
            },
            line=4, column=13,
            message_contains="handler -> refresh_rates -> load_rates -> asyncio.run; ",
        ),
        # A method through self, running a loop it made.
        Invalid(
            "import asyncio\n\nclass Client:\n"
            "    def __init__(self):\n        self._loop = asyncio.new_event_loop()\n\n"
            "    def get(self, key):\n"
            "        return self._loop.run_until_complete(self._get(key))\n\n"
            "    async def _get(self, key):\n        ...\n\n"
            "    async def warm(self, keys):\n"
            "        for key in keys:\n            self.get(key)\n",
            line=15, message_contains="warm -> Client.get -> loop.run_until_complete",
        ),
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


def _shown(call: str) -> str:
    """``asyncio.run``; a loop's method as ``loop.run_until_complete``."""
    method = call.rpartition(".")[2]
    return f"loop.{method}" if method in LOOP_RUN_METHODS else call


#: The words naming a loop run in a module's text (``asyncio.run(...)``, a loop's
#: ``run_until_complete``/``run_forever``, ``asyncio.Runner``).  A module importing
#: ``run`` from asyncio under another name is not searched.
_LOOP_RUN_WORDS = ("run_until_complete", "run_forever", "Runner", "asyncio.run")


def _guard_checker(index: ProjectIndex) -> Callable[[FunctionFacts], bool]:
    """Whether a function checks for a running loop, itself or through a sync project
    helper it calls (``if in_event_loop(): ...``)."""

    def guarded(facts: FunctionFacts) -> bool:
        calls = facts.calls
        if any(call in RUNNING_LOOP_CHECKS for call in calls):
            return True
        for call in calls:
            callee = project_function(index, call)
            if callee is not None and not callee.is_async and any(
                    inner in RUNNING_LOOP_CHECKS for inner in callee.calls):
                return True
        return False

    return guarded
