"""ACK104 coroutine-function-as-callback."""

from __future__ import annotations

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.coroutines import in_expected_failure
from asyncheck.semantics.event_loop import is_event_loop
from asyncheck.semantics.names import dotted_name

#: What to do instead, by the kind of API.
_IN_THREAD = ("run it from the thread with `asyncio.run_coroutine_threadsafe(coro, loop)` "
              "(or hand over a sync function)")
_ON_LOOP = ("hand over a sync wrapper that schedules it "
            "(`lambda *_: tasks.add(asyncio.create_task(...))`, keeping the task)")
_OUTSIDE = ("hand over a sync wrapper that runs it (`asyncio.run(...)` when no loop is left, "
            "or `loop.call_soon_threadsafe(...)` to schedule it on the running loop)")

#: Module functions that call a function later, as a plain function: qualified name ->
#: (position of the callable, its keyword, the advice).
_MODULE_APIS: dict[str, tuple[int, str, str]] = {
    "atexit.register": (0, "func", _OUTSIDE),
    "signal.signal": (1, "handler", _OUTSIDE),
    "threading.Thread": (1, "target", _IN_THREAD),
    "threading.Timer": (1, "function", _IN_THREAD),
    "weakref.finalize": (1, "func", _OUTSIDE),
    "functools.partial": (0, "func", ""),  # unwrapped, not an API of its own
}

#: Event-loop methods that take a callback: name -> (position, keyword, advice).  Each
#: refuses a coroutine function at once (``TypeError: coroutines cannot be used with
#: call_soon()``): the code path fails every time it runs.
_LOOP_METHODS: dict[str, tuple[int, str, str]] = {
    "call_soon": (0, "callback", _ON_LOOP),
    "call_soon_threadsafe": (0, "callback", _ON_LOOP),
    "call_later": (1, "callback", _ON_LOOP),
    "call_at": (1, "callback", _ON_LOOP),
    "add_signal_handler": (1, "callback", _ON_LOOP),
    "run_in_executor": (1, "func", "`await` it directly, or hand a sync function to the thread"),
}

#: Methods of other objects that call a function: name -> (position, keyword, advice).
_OTHER_METHODS: dict[str, tuple[int, str, str]] = {
    "add_done_callback": (0, "fn", _ON_LOOP),
    "submit": (0, "fn", _IN_THREAD),
}

#: The last names of the calls looked at (a cheap test before resolving anything).
_LAST_NAMES = frozenset(
    {q.rpartition(".")[2] for q in _MODULE_APIS} | set(_LOOP_METHODS) | set(_OTHER_METHODS))

#: ``concurrent.futures`` executors (``submit`` runs ``fn(*args)`` in a worker).
_EXECUTOR_TYPES = frozenset({
    "concurrent.futures.Executor",
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.ProcessPoolExecutor",
    "concurrent.futures.InterpreterPoolExecutor",
    "concurrent.futures._base.Executor",
    "concurrent.futures.thread.ThreadPoolExecutor",
    "concurrent.futures.process.ProcessPoolExecutor",
})


def _argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    """The argument at ``position`` (counting positional ones) or named ``keyword``."""
    positional = 0
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg.value
            continue
        if arg.star:
            return None  # the positions after a `*args` are unknown
        if positional == position:
            return arg.value
        positional += 1
    return None


class CoroutineFunctionAsCallback(Rule):
    """
    ## What it does
    Reports an `async def` function handed to an API that will call it as a plain function
    and never await what it returns: `atexit.register`, `signal.signal`,
    `threading.Thread(target=...)`, `threading.Timer`, `weakref.finalize`, the event loop's
    `call_soon`/`call_soon_threadsafe`/`call_later`/`call_at`/`add_signal_handler`/
    `run_in_executor`, `Future.add_done_callback` and `Executor.submit`, also wrapped in
    `functools.partial`.  The function is known to be a coroutine function when it is an
    `async def` of the project (also a method through `self`, or through an object of a
    known class) or of an installed library (`session.close` of an `aiohttp.ClientSession`);
    a name that may be a plain function is not reported.

    ## Why is this bad?
    Calling a coroutine function only makes a coroutine object; the API drops it, so the
    body never runs (Python warns "coroutine ... was never awaited", at best).  The clean-up
    registered with `atexit` or a signal handler silently does nothing, the thread exits at
    once, the done-callback is a no-op.  The event loop's own callback methods refuse
    coroutine functions outright: `TypeError: coroutines cannot be used with call_soon()`,
    every time that line runs.

    ## Example
    ```python
    import atexit
    import threading

    class Service:
        def __init__(self, session):
            self.session = session
            atexit.register(self.close)
            threading.Thread(target=self.poll, daemon=True).start()

        async def close(self):
            await self.session.close()

        async def poll(self):
            ...
    ```

    ## Use instead
    ```python
    import asyncio

    class Service:
        def __init__(self, session, loop):
            self.session = session
            self.loop = loop
            loop.add_signal_handler(signal.SIGTERM, self.request_close)

        def request_close(self):
            # A sync callback that schedules the coroutine on the loop (keep the task).
            self.closing = self.loop.create_task(self.close())

        def poll_from_thread(self):
            # A worker thread hands the coroutine to the loop's thread.
            asyncio.run_coroutine_threadsafe(self.poll(), self.loop).result()
    ```
    """

    code = "ACK104"
    name = "coroutine-function-as-callback"
    QUIET_IN = frozenset({"test"})  # a callback that never runs fails that test, not a service
    # The APIs' names as code writes them (`submit` only on executors).
    TRIGGERS = ("atexit", "signal(", "Thread(", "Timer(", "finalize(", "call_soon", "call_later",
                "call_at(", "add_signal_handler", "add_done_callback", "run_in_executor",
                "xecutor")
    TRIGGERS_NEED_COROUTINES = True  # what is handed over must be a coroutine function
    message = (
        "`{function}` is an `async def` handed to `{api}`, which {effect}; {advice}"
    )

    VALID = [
        # Sync callbacks that schedule the coroutine; a coroutine run from the thread.
        Valid(
            "import asyncio, atexit, signal, threading\n\n"
            "class Service:\n"
            "    def __init__(self, loop):\n"
            "        self.loop = loop\n"
            "        self.tasks = set()\n"
            "        loop.add_signal_handler(signal.SIGTERM, self.request_close)\n"
            "        loop.call_soon(lambda: self.tasks.add(loop.create_task(self.close())))\n"
            "        atexit.register(self.close_sync)\n"
            "        threading.Thread(target=self.poll_in_thread, daemon=True).start()\n\n"
            "    def request_close(self):\n"
            "        self.tasks.add(self.loop.create_task(self.close()))\n\n"
            "    def close_sync(self):\n"
            "        asyncio.run(self.close())\n\n"
            "    def poll_in_thread(self):\n"
            "        asyncio.run_coroutine_threadsafe(self.poll(), self.loop).result()\n\n"
            "    async def close(self):\n        ...\n\n"
            "    async def poll(self):\n        ...\n"
        ),
        # `asyncio.run` is a plain function: a thread running its own loop is fine.
        Valid(
            "import asyncio, threading\nfrom concurrent.futures import ThreadPoolExecutor\n\n"
            "async def crawl(urls):\n    ...\n\n"
            "def start(urls):\n"
            "    threading.Thread(target=asyncio.run, args=(crawl(urls),)).start()\n"
            "    with ThreadPoolExecutor() as pool:\n"
            "        pool.submit(asyncio.run, crawl(urls))\n"
        ),
        # A name that may be a plain function (a parameter, an object of unknown type).
        Valid(
            "import atexit, threading\n\n"
            "def install(cleanup, worker):\n"
            "    atexit.register(cleanup)\n"
            "    threading.Thread(target=worker.run).start()\n"
            "    worker.executor.submit(worker.step)\n"
        ),
        # `submit` of something not known to be an executor (a job queue, a portal).
        Valid(
            "class Jobs:\n    def submit(self, fn):\n        return fn\n\n"
            "async def refresh():\n    ...\n\n"
            "def plan(jobs: Jobs):\n    jobs.submit(refresh)\n"
        ),
        # A test that expects the loop to refuse it.
        Valid(
            "import asyncio, unittest\n\n"
            "async def noop():\n    ...\n\n"
            "class LoopTests(unittest.TestCase):\n"
            "    def test_refuses_coroutines(self):\n"
            "        loop = asyncio.new_event_loop()\n"
            "        with self.assertRaises(TypeError):\n"
            "            loop.call_soon(noop)\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import atexit, threading\n\n"
            "class Service:\n"
            "    def __init__(self, session):\n"
            "        self.session = session\n"
            "        atexit.register(self.close)\n"
            "        threading.Thread(target=self.poll, daemon=True).start()\n\n"
            "    async def close(self):\n        await self.session.close()\n\n"
            "    async def poll(self):\n        ...\n",
            line=6, column=9, count=2,
            message_contains="`self.close` is an `async def` handed to `atexit.register`",
        ),
        # The loop refuses it: TypeError every time.
        Invalid(
            "import asyncio, functools, signal\n\n"
            "async def shutdown(loop, sig):\n    ...\n\n"
            "def install(loop: asyncio.AbstractEventLoop):\n"
            "    for sig in (signal.SIGINT, signal.SIGTERM):\n"
            "        loop.add_signal_handler(sig, functools.partial(shutdown, loop, sig))\n",
            line=8, message_contains="`TypeError: coroutines cannot be used with add_signal_handler()`",
        ),
        # A library coroutine method of an object of known type.
        Invalid(
            "import atexit\nimport aiohttp\n\n"
            "def make_session():\n"
            "    session = aiohttp.ClientSession()\n"
            "    atexit.register(session.close)\n"
            "    return session\n",
            line=6, message_contains="`session.close`",
        ),
        # A project coroutine function from another module, a done-callback, an executor.
        Invalid(
            "import asyncio, signal\nfrom concurrent.futures import ThreadPoolExecutor\n"
            "from app.jobs import on_done, refresh\n\n"
            "def schedule(loop, task: asyncio.Task):\n"
            "    task.add_done_callback(on_done)\n"
            "    pool = ThreadPoolExecutor(2)\n"
            "    pool.submit(refresh, 'all')\n"
            "    signal.signal(signal.SIGHUP, lambda *_: None)\n",
            filename="app/main.py",
            other_files={"app/__init__.py": "",
                         "app/jobs.py": "async def on_done(task):\n    ...\n\n"
                                        "async def refresh(scope):\n    ...\n"},
            line=6, count=2, message_contains="`Future.add_done_callback`",
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is cst.Attribute:
            last = func.attr.value
        elif type(func) is cst.Name:
            last = func.value
        else:
            return
        if last not in _LAST_NAMES or not node.args:
            return
        found = self._api(node, func, last)
        if found is None:
            return
        api, position, keyword, advice = found
        handed = _argument(node, position, keyword)
        if handed is None:
            return
        context = self.context
        # functools.partial(f, ...) is called as f(...).
        while (type(handed) is cst.Call and context.qualified_name(handed.func) == "functools.partial"
               and handed.args and handed.args[0].keyword is None and not handed.args[0].star):
            handed = handed.args[0].value
        if type(handed) not in (cst.Name, cst.Attribute):
            return
        function = context.referenced_coroutine_function(handed)
        if function is None:
            return
        if in_expected_failure(context.stack):
            return  # made to see it raise, in a test
        if last in _LOOP_METHODS and api.startswith("loop."):
            effect = f"refuses it: `TypeError: coroutines cannot be used with {last}()`"
        else:
            effect = ("calls it as a plain function and drops the coroutine it returns: "
                      "its body never runs")
        self.report(node, function=function, api=api, effect=effect, advice=advice)

    def _api(self, call: cst.Call, func: cst.BaseExpression, last: str
             ) -> tuple[str, int, str, str] | None:
        """(the API as the message names it, the callable's position and keyword, advice)."""
        context = self.context
        if type(func) is cst.Attribute:
            if last in _LOOP_METHODS:
                if is_event_loop(context, func.value):
                    return (f"loop.{last}", *_LOOP_METHODS[last])
                return None
            if last in _OTHER_METHODS:
                if last == "submit" and not self._is_executor(func):
                    return None
                owner = "Future" if last == "add_done_callback" else "Executor"
                return (f"{owner}.{last}", *_OTHER_METHODS[last])
        qualname = context.qualified_name(func)
        if qualname is None or qualname == "functools.partial":
            return None
        found = _MODULE_APIS.get(qualname)
        if found is None:
            return None
        return (qualname, *found)

    def _is_executor(self, func: cst.Attribute) -> bool:
        """``x.submit`` where ``x`` is a ``concurrent.futures`` executor (by type), or, its
        type unknown, a name ending in ``executor``."""
        context = self.context
        known = context.expression_type(func.value)
        if known is not None:
            return known in _EXECUTOR_TYPES or any(
                base in _EXECUTOR_TYPES for base in context.index.class_lineage(known))
        qualname = context.qualified_name(func)
        if qualname is not None and qualname.rpartition(".")[0] in _EXECUTOR_TYPES:
            return True
        owner = dotted_name(func.value)
        return owner is not None and owner.rpartition(".")[2].lower().endswith("executor")
