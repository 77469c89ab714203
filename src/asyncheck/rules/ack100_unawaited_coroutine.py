"""ACK100 unawaited-coroutine."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from asyncheck.lint import Fix, FlowRule, Invalid, Valid
from asyncheck.semantics.coroutines import (
    GATHER,
    Use,
    UseKind,
    call_text,
    classify_use,
    in_expected_failure,
)
from asyncheck.semantics.names import Scope
from asyncheck.semantics.parameters import non_awaitable_parameter

#: Fates after which the coroutine certainly never runs.
_LOST = frozenset({UseKind.DROPPED, UseKind.TRUTH, UseKind.INSPECTED})

#: What a coroutine object has besides being awaited.  Any other attribute, or a subscript,
#: is the author treating the coroutine as its result: a forgotten ``await``.
COROUTINE_ATTRIBUTES = frozenset({
    "close", "send", "throw", "__await__", "__name__", "__qualname__", "__class__",
    "cr_await", "cr_code", "cr_frame", "cr_running", "cr_origin", "cr_suspended",
})


def _is_lost(use: Use, is_gather: bool) -> bool:
    if use.kind in _LOST:
        return True
    if is_gather:  # a future: its methods and attributes are legitimate
        return False
    if use.kind is UseKind.SUBSCRIPTED:
        return True
    return use.kind is UseKind.ATTRIBUTE and use.attribute not in COROUTINE_ATTRIBUTES


def _iterated_plainly(parent: cst.CSTNode | None, node: cst.Call) -> bool:
    """``for x in fetch():`` (or a comprehension's plain ``for``): a coroutine is not
    iterable, the author meant the awaited result."""
    return (type(parent) is cst.For or type(parent) is cst.CompFor) and \
        parent.iter is node and parent.asynchronous is None


@dataclass(frozen=True)
class _Bound:
    call: cst.Call
    function: str
    statement: cst.CSTNode | None
    is_gather: bool
    scope: Scope


class UnawaitedCoroutine(FlowRule[_Bound]):
    """
    ## What it does
    Reports a call of a known coroutine function whose coroutine is dropped: the call is a
    statement of its own, its result is assigned to a name that is then never awaited,
    returned, yielded, passed to a call or stored, or it is used as a truth value
    (`if is_cached(key):`).  This includes sync code and module level, where `main()` was
    meant to be `asyncio.run(main())`, and a discarded `asyncio.gather(...)`.

    Known coroutine functions are the `async def`s of the project (functions, nested
    functions, methods called through `self`/`cls` or an instance of a known class, and
    those imported from other project files, also through re-exports), a built-in table
    (`asyncio.sleep`, `wait_for`, `open_connection`, `to_thread`, ...) and config
    `coroutine-functions`, and the coroutine functions and methods of the libraries
    installed in the project's environment (`--python`, `VIRTUAL_ENV`, `.venv`; read as
    text, never imported), with the type of the object a method is called on inferred from
    assignments, `await`, `async with`, factories, annotations and attribute chains
    (`conn = await asyncpg.connect()`, `client.chat.completions.create(...)`); a bundled
    knowledge file covers the most used async libraries when the environment lacks them.
    Async generators and `async def`s with a decorator that may change what they return
    are left alone.  A coroutine iterated with a plain `for` is also reported, and one
    passed to a parameter whose annotation cannot take an awaitable (`def log(msg: str)`,
    `bytes`, `dict[str, Any]`, `X | None`, a class of the project or of a library that is
    not awaitable; not `Any`, `object`, a type variable, `Awaitable`, a protocol, nor a
    union holding one of these), or to `int`, `list`, `sorted`, `json.dumps` and the like.

    ## Why is this bad?
    Calling an `async def` only creates a coroutine object; nothing of its body runs until
    it is awaited or scheduled.  A forgotten `await` means the request is never sent, the
    row never written, the sleep never slept, and Python only warns "coroutine ... was never
    awaited" when the object is garbage-collected, far from the bug.  A coroutine used as a
    condition is always true.

    ## Example
    ```python
    async def save_report(db, report):
        db.insert("reports", report)       # async def insert: never runs
        if db.exists("reports", report.id):  # a coroutine is always true
            notify_subscribers(report)

    if __name__ == "__main__":
        main()                              # async def main: never runs
    ```

    ## Use instead
    ```python
    async def save_report(db, report):
        await db.insert("reports", report)
        if await db.exists("reports", report.id):
            await notify_subscribers(report)

    if __name__ == "__main__":
        asyncio.run(main())
    ```

    ## Fix
    Inside an `async def`, a call that is a statement of its own gets `await` in front.
    Elsewhere there is no automatic fix: whether to `asyncio.run(...)` it or schedule it is
    the author's choice.

    ## Options
    `coroutine-functions`: further qualified names of coroutine functions
    (`["mylib.client.Client.fetch"]`), for libraries asyncheck cannot see.
    """

    code = "ACK100"
    # Calls of coroutine functions anywhere, sync code too: the pre-filter adds the names of
    # the project's, the built-in table's and the configured coroutine functions.
    TRIGGERS = ("async def", "await", "gather")
    TRIGGERS_INCLUDE_COROUTINE_NAMES = True
    name = "unawaited-coroutine"
    message = "{subject} {problem}"
    fixable = True

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        function = context.coroutine_function_name(node)
        is_gather = False
        if function is None:
            if context.qualified_name(node.func) not in GATHER:
                return
            function, is_gather = call_text(node), True
        use = classify_use(context.stack)
        if in_expected_failure(context.stack):
            return  # made to see it raise or warn, in a test
        if not is_gather and _iterated_plainly(context.parent(), node):
            self.report(node, subject=_subject(function, is_gather), problem=(
                f"is iterated as if it were its result: `for ... in await {function}(...)`"))
            return
        if _is_lost(use, is_gather):
            self._report_lost(node, function, use, is_gather)
        elif use.kind in (UseKind.PASSED, UseKind.ADDED) and not is_gather:
            self._check_argument(node, function)
        elif use.kind is UseKind.BOUND and len(use.names) == 1:
            (name,) = use.names
            if name == "_":
                self._report_lost(node, function, Use(UseKind.DROPPED), is_gather)
                return
            self.defer(context.scope, name,
                       _Bound(node, function, context.current_statement(), is_gather,
                              context.scope))

    def names_resolved(self, name: str, records: list[_Bound], uses: list[Use]) -> None:
        is_gather = records[0].is_gather
        hint = ""
        for use in uses:
            if _is_lost(use, is_gather):
                continue
            expected = self._passed_to_non_awaitable(use, records[0].scope) \
                if not is_gather else None
            if expected is None:
                return
            hint = hint or f"; `{call_text(expected[0])}` gets it as {expected[1]}"
        for record in records:
            self.report(
                record.call, statement=record.statement,
                subject=_subject(record.function, record.is_gather),
                problem=f"is assigned to `{name}` and never awaited{hint}" if hint else
                f"is assigned to `{name}` and never awaited, returned or passed on"
                + _result_hint(name, uses),
            )

    def _passed_to_non_awaitable(self, use: Use, scope: Scope) -> tuple[cst.Call, str] | None:
        """For a name passed to a call: the call and the parameter's expectation when it
        cannot take an awaitable."""
        if use.kind is not UseKind.PASSED or use.argument is None or \
                type(use.node) is not cst.Call:
            return None
        expected = non_awaitable_parameter(self.context, use.node, use.argument,
                                           call_text(use.node), scope)
        if expected is None:
            return None
        where = f"parameter `{expected.parameter}`, which expects {expected.expects}" \
            if expected.parameter else f"its argument, which must be {expected.expects}"
        return use.node, where

    def _check_argument(self, node: cst.Call, function: str) -> None:
        """``log(fetch_status())`` where ``log``'s parameter is annotated ``str``."""
        stack = self.context.stack
        if len(stack) < 3:
            return
        arg, outer = stack[-2], stack[-3]
        if type(arg) is not cst.Arg or type(outer) is not cst.Call or arg.value is not node:
            return
        expected = non_awaitable_parameter(self.context, outer, arg, call_text(outer))
        if expected is None:
            return
        where = f"parameter `{expected.parameter}` of `{expected.callee}`" \
            if expected.parameter else f"`{expected.callee}`"
        self.report(node, subject=_subject(function, False), problem=(
            f"is passed to {where}, which expects {expected.expects}, not an "
            f"awaitable: `await {function}(...)`"))

    def _report_lost(self, node: cst.Call, function: str, use: Use, is_gather: bool) -> None:
        context = self.context
        subject = _subject(function, is_gather)
        fix = None
        if use.kind is UseKind.TRUTH:
            problem = f"is used as a truth value (always true, never run): `await {function}(...)`"
        elif use.kind is UseKind.INSPECTED:
            problem = "is only inspected and never awaited"
        elif use.kind is UseKind.ATTRIBUTE:
            problem = (f"is used as if it were its result (`.{use.attribute}`): "
                       f"`(await {function}(...)).{use.attribute}`")
        elif use.kind is UseKind.SUBSCRIPTED:
            problem = f"is subscripted as if it were its result: `(await {function}(...))[...]`"
        elif context.in_async_function:
            problem = "is never awaited: add `await`" if not is_gather else (
                "is discarded, so its results and exceptions are lost: `await` it")
            if isinstance(context.parent(), cst.Expr):
                fix = Fix(node, cst.Await(expression=node), "insert `await`")
        elif is_gather:
            problem = "is discarded outside a coroutine: gather inside `async def` and `await` it"
        else:
            problem = (f"is never run: outside a coroutine use `asyncio.run({function}(...))`, "
                       "or await it from async code")
        self.report(node, fix=fix, subject=subject, problem=problem)

    VALID = [
        # The seed's script: awaited, gathered, and run from the main guard.
        Valid(
            "import asyncio\nimport aiohttp\n\n"
            "async def fetch_async(session, url):\n"
            "    async with session.get(url) as resp:\n        return resp.status\n\n"
            "async def main():\n"
            "    async with aiohttp.ClientSession() as session:\n"
            "        first = await fetch_async(session, 'https://api.example.com/1')\n"
            "        rest = asyncio.gather(*(fetch_async(session, u) for u in URLS))\n"
            "        print(first, await rest)\n\n"
            "if __name__ == \"__main__\":\n    asyncio.run(main())\n"
        ),
        # Returned, yielded, passed to any call, stored on an attribute or in a dict.
        Valid(
            "import asyncio\n\n"
            "async def load_user(db, user_id):\n    return await db.get(user_id)\n\n"
            "def user_loader(db, user_id):\n    return load_user(db, user_id)\n\n"
            "def loaders(db, ids):\n    for user_id in ids:\n        yield load_user(db, user_id)\n\n"
            "class Prefetcher:\n"
            "    def __init__(self, db, loop):\n"
            "        self.pending = load_user(db, 1)\n"
            "        self.by_id = {}\n"
            "        self.by_id[2] = load_user(db, 2)\n"
            "        asyncio.run_coroutine_threadsafe(load_user(db, 3), loop)\n"
            "        schedule_later(load_user(db, 4))\n\n"
            "def schedule_later(coro):\n    ...\n"
        ),
        # Assigned, then awaited under a timeout or handed to create_task.
        Valid(
            "import asyncio\n\n"
            "async def heartbeat(ws):\n    await ws.ping()\n\n"
            "async def serve(ws, timeout):\n"
            "    beat = heartbeat(ws)\n"
            "    if timeout:\n        beat = asyncio.wait_for(beat, timeout)\n"
            "    await beat\n"
            "    pending = heartbeat(ws)\n"
            "    task = asyncio.create_task(pending)\n"
            "    await task\n"
        ),
        # A sync method of the same name in another class is not a coroutine function.
        Valid(
            "class AsyncCache:\n    async def refresh(self):\n        ...\n\n"
            "class LocalCache:\n"
            "    def refresh(self):\n        self.entries = {}\n\n"
            "    def reset(self):\n        self.refresh()\n"
        ),
        # An async generator is iterated, not awaited; a decorator may change the result.
        Valid(
            "import contextlib\n\n"
            "async def pages(client):\n    yield await client.get('/page/1')\n\n"
            "@contextlib.asynccontextmanager\nasync def connection(pool):\n"
            "    yield await pool.acquire()\n\n"
            "def start(client, pool):\n    stream = pages(client)\n"
            "    connection(pool)\n    pages(client)\n"
        ),
        # A future from gather has methods of its own.
        Valid(
            "import asyncio\n\nasync def refresh(feeds, on_done):\n"
            "    batch = asyncio.gather(*(feed.refresh() for feed in feeds))\n"
            "    batch.add_done_callback(on_done)\n"
            "    return batch\n"
        ),
        # The coroutine is closed on purpose, or kept by a closure.
        Valid(
            "async def fetch(url):\n    ...\n\n"
            "def probe(url):\n    coro = fetch(url)\n    coro.close()\n\n"
            "def deferred(url, loop):\n    coro = fetch(url)\n"
            "    return lambda: loop.run_until_complete(coro)\n"
        ),
        # Rebound by a sync wrapper: calling it may not make a coroutine any more.
        Valid(
            "from myjobs import run_blocking\n\n"
            "async def export_csv(path):\n    ...\n\n"
            "export_csv = run_blocking(export_csv)\n\n"
            "def main():\n    export_csv('out.csv')\n"
        ),
        # A module-level name may be used by the modules that import it.
        Valid(
            "async def warm_up():\n    ...\n\n"
            "startup = warm_up()\n"
        ),
        # A name defined both sync and async (version switch) is not known.
        Valid(
            "import sys\n\nif sys.version_info >= (3, 11):\n"
            "    async def close(conn):\n        await conn.aclose()\nelse:\n"
            "    def close(conn):\n        conn.close()\n\n"
            "def shutdown(conn):\n    close(conn)\n"
        ),
        # super() reaching a sync method of the base class.
        Valid(
            "class Base:\n    def close(self):\n        ...\n\n"
            "class Child(Base):\n    async def close(self):\n        super().close()\n"
        ),
        # A test that expects the call itself to fail.
        Valid(
            "import asyncio\nimport pytest\n\n"
            "def test_gather_needs_a_running_loop():\n"
            "    with pytest.raises(RuntimeError, match='no running event loop'):\n"
            "        asyncio.gather()\n"
        ),
        # Parameters that take awaitables, or may: handed over, not lost.
        Valid(
            "from typing import Any, Awaitable, TypeVar\n\nT = TypeVar('T')\n\n"
            "async def fetch():\n    ...\n\n"
            "def keep(value: Any) -> None:\n    ...\n\n"
            "def schedule(job: Awaitable[None] | None) -> None:\n    ...\n\n"
            "def first(value: T) -> T:\n    return value\n\n"
            "def start():\n    keep(fetch())\n    schedule(fetch())\n    first(fetch())\n"
        ),
        # An untyped parameter's methods are unknown.
        Valid("async def poll(queue):\n    item = queue.get()\n"),
        # `loop.run_in_executor` and `create_task` schedule at once (ACK102 is for tasks).
        Valid(
            "import asyncio\n\nasync def main(work):\n"
            "    loop = asyncio.get_running_loop()\n"
            "    done = loop.run_in_executor(None, work)\n    await done\n"
        ),
    ]
    INVALID = [
        Invalid(
            "async def send_email(smtp, message):\n    await smtp.send(message)\n\n"
            "async def register(db, smtp, user):\n"
            "    await db.save(user)\n    send_email(smtp, user.welcome_message())\n",
            line=6, column=5, message_contains="never awaited",
            expected_fix=(
                "async def send_email(smtp, message):\n    await smtp.send(message)\n\n"
                "async def register(db, smtp, user):\n"
                "    await db.save(user)\n    await send_email(smtp, user.welcome_message())\n"),
        ),
        # The sync caller: `main()` instead of `asyncio.run(main())`.
        Invalid(
            "import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n\n"
            "if __name__ == \"__main__\":\n    main()\n",
            line=7, message_contains="asyncio.run(main(...))",
        ),
        # Methods through self and cls.
        Invalid(
            "class Crawler:\n"
            "    async def crawl(self, url):\n        ...\n\n"
            "    @classmethod\n    async def warm_up(cls):\n        ...\n\n"
            "    async def run(self, urls):\n"
            "        self.warm_up()\n"
            "        for url in urls:\n            self.crawl(url)\n",
            line=10, count=2,
        ),
        # Iterated as if it were the awaited list.
        Invalid(
            "async def fetch_rows(db):\n    return await db.all()\n\n"
            "async def report(db):\n"
            "    for row in fetch_rows(db):\n        print(row)\n",
            line=5, message_contains="iterated as if it were its result",
        ),
        # The base class's coroutine method through super().
        Invalid(
            "import asyncio\n\nclass BufferedWriter(asyncio.StreamWriter):\n"
            "    async def drain(self):\n        self.flush_buffer()\n"
            "        super().drain()\n\n"
            "    def flush_buffer(self):\n        ...\n",
            line=6, message_contains="super().drain",
        ),
        # Assigned and never used; a truth value; built-in asyncio coroutine functions.
        Invalid(
            "import asyncio\n\nasync def poll(queue: asyncio.Queue):\n"
            "    item = queue.get()\n    asyncio.sleep(0.5)\n",
            line=4, count=2, message_contains="assigned to `item`",
        ),
        Invalid(
            "async def is_cached(redis, key):\n    return await redis.exists(key)\n\n"
            "async def get_page(redis, key):\n"
            "    if not is_cached(redis, key):\n        await refresh(key)\n",
            line=5, message_contains="truth value",
        ),
        # A forgotten await: the coroutine is read as if it were the response.
        Invalid(
            "import httpx\n\nasync def get_rates(base):\n"
            "    async with httpx.AsyncClient() as client:\n"
            "        resp = client.get(f'https://rates.example.com/{base}')\n"
            "        resp.raise_for_status()\n"
            "        latest = client.get('https://rates.example.com/latest').json()\n"
            "        return resp.json()['rates'], latest\n",
            line=5, count=2, message_contains="`resp.raise_for_status` reads it",
        ),
        # A discarded gather loses results and exceptions.
        Invalid(
            "import asyncio\n\nasync def refresh_all(feeds):\n"
            "    asyncio.gather(*(feed.refresh() for feed in feeds))\n",
            line=4, message_contains="asyncio.gather",
            expected_fix=(
                "import asyncio\n\nasync def refresh_all(feeds):\n"
                "    await asyncio.gather(*(feed.refresh() for feed in feeds))\n"),
        ),
        # Another project file's coroutine function, imported relatively and re-exported.
        Invalid(
            "from .clients import fetch_report\n\n"
            "def nightly(session):\n    fetch_report(session, 'daily')\n",
            filename="reports/jobs.py", line=4,
            other_files={
                "reports/__init__.py": "",
                "reports/clients/__init__.py": "from .http import fetch_report\n",
                "reports/clients/http.py": (
                    "async def fetch_report(session, name):\n"
                    "    async with session.get(f'/reports/{name}') as resp:\n"
                    "        return await resp.json()\n"),
            },
        ),
        # Passed where its result was meant: the parameter is annotated `str`.
        Invalid(
            "import logging\n\nasync def current_status(db):\n"
            "    return await db.fetch_status()\n\n"
            "def log_status(status: str) -> None:\n"
            "    logging.info('status: %s', status)\n\n"
            "async def report(db):\n    log_status(current_status(db))\n",
            line=10, message_contains="parameter `status` of `log_status`, which expects `str`",
        ),
        # Config names a library coroutine function asyncheck cannot see.
        Invalid(
            "from payments import charge\n\nasync def checkout(order):\n"
            "    charge(order.card, order.total)\n",
            line=4, options={"coroutine_functions": ("payments.charge",)},
        ),
    ]


def _subject(function: str, is_gather: bool) -> str:
    if is_gather:
        return f"the future of `{function}(...)`"
    return f"coroutine `{function}(...)`"


def _result_hint(name: str, uses: list[Use]) -> str:
    """`` (`resp.json` reads it as if it were the result)`` when a load does."""
    for use in uses:
        if use.kind is UseKind.ATTRIBUTE:
            return f" (`{name}.{use.attribute}` reads it as if it were the result)"
        if use.kind is UseKind.SUBSCRIPTED:
            return f" (`{name}[...]` reads it as if it were the result)"
    return ""
