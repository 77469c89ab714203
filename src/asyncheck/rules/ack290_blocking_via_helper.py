"""ACK290 blocking-via-helper (off by default)."""

from __future__ import annotations

from functools import lru_cache

import libcst as cst

from asyncheck.lint import FileContext, Invalid, RawFinding, Rule, Settings, Valid
from asyncheck.semantics.blocking import blocking_call
from asyncheck.semantics.branches import switched_off
from asyncheck.semantics.helper_chains import blocking_chain, project_function
from asyncheck.semantics.names import dotted_name
from asyncheck.semantics.project import FunctionFacts

_NET = (
    "import time\nimport requests\n\n"
    "def backoff(attempt):\n"
    "    time.sleep(2 ** attempt)\n\n"
    "def retrying_get(url, attempts=3):\n"
    "    for attempt in range(attempts):\n"
    "        resp = requests.get(url, timeout=5)\n"
    "        if resp.status_code != 429:\n"
    "            return resp\n"
    "        backoff(attempt)\n"
    "    resp.raise_for_status()\n"
)


class BlockingViaHelper(Rule):
    """
    ## What it does
    Reports a call, made directly inside an `async def`, of a synchronous function of the
    project (a module function, a method through `self.` or through an instance of a project
    class, a class whose `__init__` blocks) whose body makes a call that ACK200–ACK280
    report, directly or through further sync project functions, at any depth and across
    files. The message shows the chain, e.g.
    `service -> retrying_get -> backoff -> time.sleep`.

    A helper passed to a thread (`await asyncio.to_thread(load_config, path)`,
    `run_in_executor`, `functools.partial`) is not called on the loop and is not reported;
    nor is a chain that ends in a coroutine function. A `with lock:` on a thread lock inside
    a helper is not followed: it is a statement rather than a call, the usual idiom of
    thread-safe helpers (even `asyncio.Lock` uses one), and ACK270 reports it where it sits
    directly in an `async def`. `lock.acquire()` in a helper is followed unless ACK270 would
    let it pass: a short `acquire()` … `release()` section on a thread mutex (no blocking
    call inside), a lock made just above, `put` on an unbounded `queue.Queue()`, a `get`
    guarded by an `empty()` check. Only calls of enabled rules count
    (with ACK231 off, `os.path.exists` in a helper is fine). An import in a helper
    (`importlib.import_module`, ACK233) is not followed either: a module is imported once per
    process and a helper is called again and again, so the import is nearly always a
    cached lookup (anyio's `get_async_backend` imports its backend on first use); ACK233
    reports it where it sits directly in an `async def`. A helper with a decorator that
    may run it elsewhere (`@sync_to_async`, a project decorator) is not followed; caching,
    retry and context-manager decorators (`functools.lru_cache`, `tenacity.retry`,
    `contextlib.contextmanager`, …) are.

    One root cause gets one finding: when several coroutines of a file call the same
    blocking helper, or one coroutine reaches the same blocking call through several
    helpers, only the first call site is reported, and its message counts the others and
    names their coroutines.

    ## Why is this bad?
    Moving `time.sleep` or `requests.get` into a helper does not make it asynchronous: the
    coroutine still runs the helper on the event loop's thread, and everything else waits.
    These calls hide well, often several files away from the `async def` that pays for them.

    ## Example
    ```python
    # app/net.py
    import time
    import requests

    def backoff(attempt):
        time.sleep(2 ** attempt)

    def retrying_get(url):
        for attempt in range(3):
            resp = requests.get(url, timeout=5)
            if resp.status_code != 429:
                return resp
            backoff(attempt)

    # app/service.py
    from app.net import retrying_get

    async def service(url):
        return retrying_get(url).json()
    ```

    ## Use instead
    ```python
    import asyncio
    from app.net import retrying_get

    async def service(url):
        resp = await asyncio.to_thread(retrying_get, url)
        return resp.json()
    ```
    Or make the helpers async (`aiohttp`/`httpx.AsyncClient`, `await asyncio.sleep`).

    ## Precision
    Off by default: on the ecosystem check (25 real async projects, SPEC §10) 9 of 33 judged
    findings were true (27 %), below the 90 % a default rule keeps. Most false ones reached
    the blocking call only on a one-time lazy start-up path (`if not self.running:
    self.start()`), through a branch that an argument or an attribute set elsewhere switches
    off, or at start-up; a static chain cannot see those conditions. Turn it on for an audit
    (`--extend-select ACK290`) and read each chain.
    """

    code = "ACK290"
    default_enabled = False  # measured below 90 % true: see Precision
    QUIET_IN = frozenset({"test", "script"})  # a cost nobody pays in a test or a one-shot command
    TRIGGERS = ("async def",)  # reports only inside `async def`
    name = "blocking-via-helper"
    message = ("`{call}(...)` blocks the event loop inside `async def {function}`: {chain}; "
               "off-load it with `await asyncio.to_thread({call}, ...)` or make it async")

    VALID = [
        # Off-loaded: passed to a thread, not called.
        Valid(
            "import asyncio, functools, json, time\n\n"
            "def load_config(path):\n"
            "    with open(path) as handle:\n"
            "        return json.load(handle)\n\n"
            "async def main(path):\n"
            "    config = await asyncio.to_thread(load_config, path)\n"
            "    loop = asyncio.get_running_loop()\n"
            "    await loop.run_in_executor(None, functools.partial(load_config, path))\n"
            "    await loop.run_in_executor(None, lambda: load_config(path))\n"
            "    return config\n"
        ),
        # Helpers that do not block, and a sync caller.
        Valid(
            "import os\n\n"
            "def cache_key(root, url):\n"
            "    return os.path.join(root, url.replace('/', '_'))\n\n"
            "def load(path):\n"
            "    with open(path) as handle:\n"
            "        return handle.read()\n\n"
            "def sync_main(root):\n"
            "    return load(cache_key(root, '/'))\n\n"
            "async def handler(root, url):\n"
            "    return cache_key(root, url)\n"
        ),
        # A helper whose blocking work is itself handed to a thread, and an async helper.
        Valid(
            "import asyncio, time\n\n"
            "def schedule(loop):\n"
            "    return loop.run_in_executor(None, time.sleep, 1)\n\n"
            "async def nap():\n"
            "    await asyncio.sleep(1)\n\n"
            "async def main():\n"
            "    await schedule(asyncio.get_running_loop())\n"
            "    await nap()\n"
        ),
        # Recursion without a blocking call terminates and reports nothing.
        Valid(
            "def walk(tree):\n"
            "    return [walk(child) for child in tree.children]\n\n"
            "def even(n):\n    return n == 0 or odd(n - 1)\n\n"
            "def odd(n):\n    return n != 0 and even(n - 1)\n\n"
            "async def main(tree):\n"
            "    return walk(tree), even(10)\n"
        ),
        # A helper's import is imported once and then looked up, even with ACK233 on.
        Valid(
            "import importlib\n\n"
            "def get_backend(name):\n"
            "    return importlib.import_module(f'backends.{name}')\n\n"
            "async def sleep(delay):\n"
            "    return await get_backend('asyncio').sleep(delay)\n",
            options={"extend_select": ("ACK233",)},
        ),
        # Only calls of enabled rules count: ACK231 is off by default.
        Valid(
            "import os\n\n"
            "def has_cache(path):\n    return os.path.exists(path)\n\n"
            "async def handler(path):\n    return has_cache(path)\n"
        ),
        # A decorator that may run the body elsewhere makes the helper unknown.
        Valid(
            "import time\nfrom asgiref.sync import sync_to_async\n\n"
            "@sync_to_async\n"
            "def slow_report(user_id):\n"
            "    time.sleep(2)\n"
            "    return user_id\n\n"
            "async def view(user_id):\n"
            "    return await slow_report(user_id)\n"
        ),
        # A thread-safe helper guarding a few statements with a lock.
        Valid(
            "import threading\n\n"
            "class Registry:\n"
            "    def __init__(self):\n"
            "        self._lock = threading.Lock()\n"
            "        self._items = {}\n\n"
            "    def add(self, key, value):\n"
            "        with self._lock:\n"
            "            self._items[key] = value\n\n"
            "    async def register(self, key, value):\n"
            "        self.add(key, value)\n"
        ),
        # Helpers sharing state with threads: a short acquire()...release() section and
        # a put on an unbounded queue do not wait.
        Valid(
            "import queue, threading\n\n"
            "class Dispatcher:\n"
            "    def __init__(self):\n"
            "        self._lock = threading.Lock()\n"
            "        self._backlog = queue.Queue()\n"
            "        self._handlers = []\n\n"
            "    def _snapshot(self):\n"
            "        self._lock.acquire()\n"
            "        try:\n"
            "            return list(self._handlers)\n"
            "        finally:\n"
            "            self._lock.release()\n\n"
            "    def remember(self, item):\n"
            "        self._backlog.put(item)\n\n"
            "    async def dispatch(self, item):\n"
            "        self.remember(item)\n"
            "        for handler in self._snapshot():\n"
            "            await handler(item)\n"
        ),
        # The caller switches the blocking branch off with a literal argument (or keeps
        # a literal default that does).
        Valid(
            "import threading, time\nfrom contextlib import contextmanager\n\n"
            "@contextmanager\n"
            "def ticking(clock, wait_on_exit=True):\n"
            "    ticker = threading.Thread(target=clock.run, daemon=True)\n"
            "    ticker.start()\n"
            "    try:\n"
            "        yield ticker\n"
            "    finally:\n"
            "        clock.stop()\n"
            "        if wait_on_exit:\n"
            "            ticker.join()\n\n"
            "def settle(delay, throttle=False):\n"
            "    if not throttle:\n"
            "        return delay\n"
            "    time.sleep(delay)\n"
            "    return 0\n\n"
            "async def session(clock, conn):\n"
            "    with ticking(clock, wait_on_exit=False):\n"
            "        await conn.serve()\n"
            "    return settle(0.5)\n"
        ),
        # A parameter shadowing the helper's name.
        Valid(
            "import time\n\n"
            "def pause():\n    time.sleep(1)\n\n"
            "async def main(pause):\n    pause()\n"
        ),
    ]
    INVALID = [
        # Three calls deep across two files.
        Invalid(
            "from app.net import retrying_get\n\n"
            "async def service(url):\n"
            "    return retrying_get(url).json()\n",
            filename="app/service.py",
            other_files={"app/__init__.py": "", "app/net.py": _NET},
            line=4, column=12,
            message_contains="service -> retrying_get -> requests.get",
        ),
        Invalid(
            "from . import net\n\n"
            "async def service(url):\n"
            "    net.backoff(1)\n",
            filename="app/service.py",
            other_files={"app/__init__.py": "", "app/net.py": _NET},
            line=4, message_contains="service -> backoff -> time.sleep",
        ),
        # Methods through self and through an instance; a blocking constructor.
        Invalid(
            "import sqlite3\n\n"
            "class Store:\n"
            "    def __init__(self, path):\n"
            "        self.conn = sqlite3.connect(path)\n\n"
            "    def _query(self, sql):\n"
            "        return self.conn.execute(sql).fetchall()\n\n"
            "    def users(self):\n"
            "        return self._query('SELECT * FROM users')\n\n"
            "    async def handler(self):\n"
            "        return self.users()\n\n"
            "async def endpoint(path):\n"
            "    store = Store(path)\n"
            "    return store._query('SELECT 1')\n",
            line=14, count=3,
            message_contains="handler -> Store.users -> Store._query -> sqlite3.Cursor.fetchall",
        ),
        # A semaphore slot taken in a helper waits for the other holders, however long.
        Invalid(
            "import threading\n\n"
            "class Pool:\n"
            "    def __init__(self, size):\n"
            "        self._slots = threading.Semaphore(size)\n\n"
            "    def checkout(self):\n"
            "        self._slots.acquire()\n"
            "        return object()\n\n"
            "    async def handle(self):\n"
            "        return self.checkout()\n",
            line=12, message_contains="handle -> Pool.checkout -> threading.Semaphore.acquire",
        ),
        # One root cause, one finding: a helper called from several coroutines is
        # reported at the first call site, which counts the others.
        Invalid(
            "import json\n\n"
            "def load_settings(path):\n"
            "    with open(path) as handle:\n"
            "        return json.load(handle)\n\n"
            "async def start(path):\n"
            "    return load_settings(path)\n\n"
            "async def reload(path):\n"
            "    settings = load_settings(path)\n"
            "    return load_settings(path + '.local') or settings\n",
            line=8, message_contains="2 more call sites in this file: `reload`",
            # ACK230 is off by default; a helper blocks only through enabled rules' calls.
            options={"extend_select": ("ACK230",)},
        ),
        # ... and two helpers reaching the same blocking call from one coroutine.
        Invalid(
            "class Archive:\n"
            "    def __init__(self, path):\n"
            "        with open(path, 'rb') as handle:\n"
            "            self.data = handle.read()\n\n"
            "class Checksum:\n"
            "    def __init__(self, path):\n"
            "        with open(path, 'rb') as handle:\n"
            "            self.digest = hash(handle.read())\n\n"
            "async def publish(path, send):\n"
            "    archive, checksum = Archive(path), Checksum(path)\n"
            "    await send(archive.data, checksum.digest)\n",
            line=12, message_contains="1 more call site",
            # ACK230 is off by default; a helper blocks only through enabled rules' calls.
            options={"extend_select": ("ACK230",)},
        ),
        # A literal that keeps the blocking branch on, or an argument not known.
        Invalid(
            "import time\n\n"
            "def settle(delay, throttle=False):\n"
            "    if throttle:\n"
            "        time.sleep(delay)\n\n"
            "async def drain(conn, delay, policy):\n"
            "    settle(delay, True)\n\n"
            "async def flush(conn, delay, policy):\n"
            "    settle(delay, throttle=policy.throttle)\n",
            line=8, count=1, message_contains="1 more call site in this file: `flush`",
        ),
        # A cycle that still reaches a blocking call.
        Invalid(
            "import threading\n\n"
            "lock = threading.Lock()\n\n"
            "def ping(n):\n"
            "    return pong(n - 1) if n else None\n\n"
            "def pong(n):\n"
            "    if n > 5:\n"
            "        return ping(n - 1)\n"
            "    lock.acquire()\n"
            "    return n\n\n"
            "async def main():\n"
            "    return ping(10)\n",
            line=15, message_contains="main -> ping -> pong -> threading.Lock.acquire",
        ),
        # Caching and retry decorators keep the body on the caller's thread.
        Invalid(
            "import functools, json\n\n"
            "@functools.lru_cache(maxsize=8)\n"
            "def load_schema(name):\n"
            "    with open(f'schemas/{name}.json') as handle:\n"
            "        return json.load(handle)\n\n"
            "async def validate(payload):\n"
            "    return load_schema(payload['kind'])\n",
            line=9, message_contains="validate -> load_schema -> open",
            # ACK230 is off by default; a helper blocks only through enabled rules' calls.
            options={"extend_select": ("ACK230",)},
        ),
        # A nested sync def called (not passed) on the loop.
        Invalid(
            "import subprocess\n\n"
            "async def deploy(ref):\n"
            "    def checkout():\n"
            "        subprocess.run(['git', 'checkout', ref], check=True)\n"
            "    checkout()\n",
            line=6, message_contains="subprocess.run",
        ),
        Invalid(
            "import os\n\n"
            "def has_cache(path):\n    return os.path.exists(path)\n\n"
            "async def handler(path):\n    return has_cache(path)\n",
            line=7, message_contains="handler -> has_cache -> os.path.exists",
            options={"extend_select": ("ACK231",)},
        ),
        # Configured blocking calls count too.
        Invalid(
            "import legacy_sdk\n\n"
            "def invoices():\n"
            "    return legacy_sdk.list_invoices()\n\n"
            "async def main():\n"
            "    return invoices()\n",
            line=7, message_contains="main -> invoices -> legacy_sdk.list_invoices",
            options={"blocking_calls": (("legacy_sdk.*", "use legacy_sdk.aio"),)},
        ),
    ]

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        #: The first finding of each root cause (by the helper called, and by coroutine and
        #: blocking call), and the other call sites merged into it.
        self._groups: dict[tuple[object, ...], _Group] = {}

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        if not context.in_async_function:
            return
        qualname = context.qualified_name(node.func)
        if qualname is None or blocking_call(qualname) is not None:
            return
        settings = context.settings
        if settings.blocking_call_suggestion(qualname) is not None:
            return  # ACK280 reports the call itself
        facts = project_function(context.index, qualname)
        if facts is None or facts.is_async:
            return
        off: frozenset[str] = frozenset()
        if facts.params:
            # A literal argument (or a literal default left alone) may switch the blocking
            # branch off: `stop(join=False)` where `stop` joins only `if join:`.
            off = switched_off(node, facts.params, facts.param_defaults,
                               skip_first=_called_unbound(context, node, facts))
        chain = blocking_chain(context.index, facts, codes=_enabled_codes(settings),
                               blocking_calls=settings.blocking_calls,
                               configured=settings.blocking_call_suggestion,
                               switched_off=off)
        if chain is None:
            return
        function = context.current_function
        start = function.name.value if function is not None else "?"
        # One root cause, one finding: the same helper called from several async call
        # sites, or the same blocking call reached twice from one coroutine, is reported
        # once, at the first site, and the message counts the others.
        keys = (("helper", facts.qualname),
                ("root", id(function), chain.blocking_call))
        group = next((self._groups[key] for key in keys if key in self._groups), None)
        if group is not None:
            group.others.append(start)
            for key in keys:
                self._groups.setdefault(key, group)
            return
        findings = context.findings
        before = len(findings)
        self.report(
            node,
            call=dotted_name(node.func) or qualname,
            function=start,
            chain=chain.render(start),
        )
        group = _Group(findings[-1] if len(findings) > before else None)
        for key in keys:
            self._groups[key] = group

    def leave_Module(self, original_node: cst.Module) -> None:
        for group in {id(g): g for g in self._groups.values()}.values():
            if group.finding is not None and group.others:
                group.finding.message += group.describe_others()


class _Group:
    """One reported root cause: its finding, and the async callers of the sites merged
    into it (in source order)."""

    def __init__(self, finding: RawFinding | None) -> None:
        self.finding = finding
        self.others: list[str] = []

    def describe_others(self) -> str:
        names = list(dict.fromkeys(self.others))
        shown = ", ".join(f"`{name}`" for name in names[:3])
        if len(names) > 3:
            shown += ", …"
        count = len(self.others)
        sites = "call site" if count == 1 else "call sites"
        return f" (the same root cause at {count} more {sites} in this file: {shown})"


_NOT_BOUND_TO_INSTANCE = frozenset({"builtins.staticmethod", "builtins.classmethod"})


def _called_unbound(context: FileContext, call: cst.Call, facts: FunctionFacts) -> bool:
    """``Class.method(obj, ...)``: the first argument is ``self`` (the recorded
    parameters leave it out)."""
    func = call.func
    if (not isinstance(func, cst.Attribute) or facts.qualname.endswith(".__init__")
            or any(d in _NOT_BOUND_TO_INSTANCE for d in facts.decorators)):
        return False
    owner = context.qualified_name(func.value)
    return owner is not None and context.index.is_class(owner)


def _enabled_codes(settings: Settings) -> frozenset[str]:
    """The rules the settings turn on: a helper blocks only through calls they report
    (imports aside, see the rule's documentation)."""
    return _enabled_codes_for(
        None if settings.select is None else tuple(settings.select),
        tuple(settings.ignore), tuple(settings.extend_select),
    ) - {"ACK233"}


@lru_cache(maxsize=8)
def _enabled_codes_for(
    select: tuple[str, ...] | None, ignore: tuple[str, ...], extend_select: tuple[str, ...]
) -> frozenset[str]:
    # Keyed by the selection only: the rest of Settings need not be hashable.
    selection = Settings(select=select, ignore=ignore, extend_select=extend_select)
    return selection.enabled_codes()
