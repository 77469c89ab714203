"""ACK403 unclosed-session."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.event_loop import SESSION_CONSTRUCTORS
from asyncheck.semantics.names import Scope, make_class_scope, make_function_scope
from asyncheck.syntax.walk import find_all

_CONSTRUCTOR_NAMES = frozenset(name.rpartition(".")[2] for name in SESSION_CONSTRUCTORS)

#: Methods whose call (or mere reference, as a callback) means the owner closes the session.
_CLOSE_METHODS = frozenset({"close", "aclose", "__aexit__"})

#: Expressions a value passes through unchanged on its way to whatever holds it.
_TRANSPARENT = (cst.BooleanOperation, cst.IfExp)

#: Builtins that only look at an object; passing a session to them hands nothing over.
_INSPECTING_BUILTINS = frozenset({
    "builtins.print", "builtins.repr", "builtins.str", "builtins.id", "builtins.type",
    "builtins.isinstance", "builtins.hasattr", "builtins.getattr", "builtins.bool",
    "builtins.len", "builtins.callable",
})

#: Methods (of ``contextlib.AsyncExitStack`` and the like) that close what they are given.
_TAKES_OWNERSHIP = frozenset({
    "enter_async_context", "enter_context", "push_async_callback", "push_async_exit",
    "push", "callback",
})

# How one use of a session decides its fate.
_NEUTRAL, _CLOSED, _ESCAPES = "neutral", "closed", "escapes"


class UnclosedSession(Rule):
    """
    ## What it does
    Reports an `aiohttp.ClientSession()`, `aiohttp.TCPConnector()`, `httpx.AsyncClient()` or
    `httpx2.AsyncClient()` created outside `async with` that its function never closes and
    never hands over.  Closing is `await x.close()` / `await x.aclose()` (in `finally` or
    not), `async with x:`, or registering `x.close` as a callback.  Handing over is returning
    or yielding it, storing it on an attribute or in a container (`self._session = ...`,
    `sessions[host] = ...`), or passing it to a call that may keep it (a constructor, a
    registry, `AsyncExitStack.enter_async_context`).  Passing it to a known coroutine
    function (`await fetch(session, url)`, `gather(*(fetch(session, u) for u in urls))`)
    lends it for the call and hands nothing over.

    A session used without being bound (`await aiohttp.ClientSession().get(url)`, or as an
    expression statement) is always reported.

    ## Why is this bad?
    A session owns a connection pool: open sockets, and with aiohttp a connector whose
    transports are only released by `close()`.  A leaked one logs "Unclosed client session"
    at exit, keeps sockets open between requests, and on Windows' Proactor loop ends in
    `RuntimeError: Event loop is closed` when the garbage collector finalises it after
    `asyncio.run()` has returned.

    ## Example
    ```python
    import asyncio
    import aiohttp

    async def fetch(session, url):
        async with session.get(url) as resp:
            return await resp.text()

    async def fetch_all(urls):
        session = aiohttp.ClientSession()
        return await asyncio.gather(*(fetch(session, url) for url in urls))
    ```

    ## Use instead
    ```python
    async def fetch_all(urls):
        async with aiohttp.ClientSession() as session:
            return await asyncio.gather(*(fetch(session, url) for url in urls))
    ```
    A long-lived session belongs to an object that closes it (`self._session = ...` plus an
    `async def close(self)` or `__aexit__`).
    """

    code = "ACK403"
    name = "unclosed-session"
    # Every finding calls a constructor that is named somewhere in the file (an alias is
    # imported by its name).
    TRIGGERS = tuple(sorted(_CONSTRUCTOR_NAMES))
    message = (
        "`{call}()` {how} is never closed: use `async with {call}() as {var}:` "
        "or `await {var}.{close}()` in `finally`"
    )

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        func = node.func
        # Cheap text test first: only `x.ClientSession`-like attributes or bare names qualify.
        if isinstance(func, cst.Attribute) and func.attr.value not in _CONSTRUCTOR_NAMES:
            return
        qualname = context.qualified_name(func)
        if qualname not in SESSION_CONSTRUCTORS:
            return
        verdict, names = self._holder(node)
        if verdict == _ESCAPES:
            return
        is_httpx = qualname.startswith("httpx")
        close = "aclose" if is_httpx else "close"
        if not names:
            self.report(node, call=qualname, how="used without `async with`",
                        var="client" if is_httpx else "session", close=close)
            return
        scope = self._owning_scope(names)
        if scope is None:
            return
        for name in names:
            if self._fate(scope, name) != _NEUTRAL:
                return
        self.report(node, call=qualname, how=f"bound to `{names[0]}`", var=names[0],
                    close=close)

    # -- where the new session goes --------------------------------------------------------
    def _holder(self, call: cst.Call) -> tuple[str, list[str]]:
        """What directly keeps the new object: ``(_ESCAPES, [])`` when something that may
        own it does, ``(_NEUTRAL, names)`` when local names are bound to it (no names: it is
        used and dropped on the spot)."""
        stack = self.context.stack
        child: cst.CSTNode = call
        for position in range(len(stack) - 2, -1, -1):
            parent = stack[position]
            if isinstance(parent, _TRANSPARENT) and getattr(parent, "test", None) is not child:
                child = parent
                continue
            if isinstance(parent, cst.Assign):
                names = [t.target.value for t in parent.targets if isinstance(t.target, cst.Name)]
                if len(names) != len(parent.targets):
                    return _ESCAPES, []
                return _NEUTRAL, names
            if isinstance(parent, cst.AnnAssign):
                if isinstance(parent.target, cst.Name):
                    return _NEUTRAL, [parent.target.value]
                return _ESCAPES, []
            if isinstance(parent, cst.NamedExpr):
                if isinstance(parent.target, cst.Name):
                    return _NEUTRAL, [parent.target.value]
                return _ESCAPES, []
            if isinstance(parent, cst.Arg):
                outer = stack[position - 1]
                if isinstance(outer, cst.Call) and self._lends_to(outer):
                    return _NEUTRAL, []
                return _ESCAPES, []
            if isinstance(parent, cst.Expr):
                return _NEUTRAL, []
            if isinstance(parent, cst.Attribute) and parent.value is child:
                if parent.attr.value in _CLOSE_METHODS:
                    return _ESCAPES, []
                return _NEUTRAL, []
            # async with, return, yield, containers, lambdas, defaults: somebody keeps it.
            return _ESCAPES, []
        return _ESCAPES, []

    def _lends_to(self, call: cst.Call) -> bool:
        """Whether passing an object to ``call`` only lends it: ``call`` makes a coroutine of
        a known coroutine function, which runs to completion with its arguments, and is not
        one of the exit-stack methods that take ownership."""
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _TAKES_OWNERSHIP:
            return False
        return self.context.coroutine_function_name(call) is not None

    def _owning_scope(self, names: list[str]) -> Scope | None:
        """The scope whose code can close the names (None: they outlive any one scope)."""
        scope = self.context.scope
        if scope.kind == "class":
            return None  # a class attribute, shared by every instance
        if any(name in scope.global_names for name in names):
            return scope.module_scope
        function = scope.node
        if isinstance(function, cst.FunctionDef) and _declares_nonlocal(function, names):
            return None
        return scope

    # -- what happens to a bound name ------------------------------------------------------
    def _fate(self, scope: Scope, name: str) -> str:
        """``_CLOSED``/``_ESCAPES`` as soon as one use of ``name`` in ``scope`` (and in the
        nested functions that see it) closes it or hands it over, else ``_NEUTRAL``."""
        parents: dict[int, cst.CSTNode] = {}
        for node in _walk_visible(scope, name, parents):
            if isinstance(node, cst.Name) and node.value == name:
                fate = self._use(node, parents)
                if fate != _NEUTRAL:
                    return fate
        return _NEUTRAL

    def _use(self, node: cst.Name, parents: dict[int, cst.CSTNode]) -> str:
        parent = parents.get(id(node))
        if parent is None:
            return _NEUTRAL
        if isinstance(parent, cst.Attribute):
            if parent.value is not node:
                return _NEUTRAL  # `obj.session` is another variable
            return _CLOSED if parent.attr.value in _CLOSE_METHODS else _NEUTRAL
        if isinstance(parent, cst.WithItem) and parent.item is node:
            return _CLOSED
        child: cst.CSTNode = node
        while isinstance(parent, _TRANSPARENT) and getattr(parent, "test", None) is not child:
            child, parent = parent, parents.get(id(parent))
        if parent is None:
            return _NEUTRAL
        if isinstance(parent, cst.Arg):
            if parent.value is not child:
                return _NEUTRAL  # the keyword of `f(session=...)`
            call = parents.get(id(parent))
            if not isinstance(call, cst.Call):
                return _ESCAPES  # a class base or decorator argument
            callee = self.context.qualified_name(call.func)
            if callee in _INSPECTING_BUILTINS:
                return _NEUTRAL
            if callee in SESSION_CONSTRUCTORS and _keyword_is_false(call, "connector_owner"):
                return _NEUTRAL  # the session borrows the connector
            return _NEUTRAL if self._lends_to(call) else _ESCAPES
        if isinstance(parent, (cst.Return, cst.Yield, cst.Lambda)):
            return _ESCAPES
        if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.NamedExpr, cst.AugAssign)):
            # The value of an assignment: aliased or stored; as a target: a rebinding.
            return _ESCAPES if getattr(parent, "value", None) is child else _NEUTRAL
        if isinstance(parent, (cst.Element, cst.DictElement, cst.StarredElement)):
            return _ESCAPES  # put in a list, tuple, set or dict
        return _NEUTRAL

    VALID = [
        # The seed's own code: `async with` closes it.
        Valid(
            "import asyncio\nimport aiohttp\n\nasync def main(urls):\n"
            "    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=10)) as session:\n"
            "        return await asyncio.gather(*(fetch(session, u) for u in urls))\n\n"
            "async def fetch(session, url):\n"
            "    async with session.get(url) as resp:\n        return await resp.text()\n"
        ),
        # Closed in `finally`.
        Valid(
            "import httpx\n\nasync def sync_repos(org):\n"
            "    client = httpx.AsyncClient(base_url='https://api.github.com')\n"
            "    try:\n        resp = await client.get(f'/orgs/{org}/repos')\n"
            "        return resp.json()\n    finally:\n        await client.aclose()\n"
        ),
        # Returned from a factory: the caller owns it.
        Valid(
            "import aiohttp\n\ndef make_session(token):\n"
            "    session = aiohttp.ClientSession(headers={'Authorization': f'Bearer {token}'})\n"
            "    session.headers['User-Agent'] = 'report-bot'\n    return session\n"
        ),
        Valid(
            "import httpx\n\ndef client_for(base_url):\n"
            "    return httpx.AsyncClient(base_url=base_url, timeout=10)\n"
        ),
        # Managed by a class: stored on `self`, closed by the class.
        Valid(
            "import aiohttp\n\nclass WeatherClient:\n    def __init__(self):\n"
            "        self._session = aiohttp.ClientSession()\n\n"
            "    async def forecast(self, city):\n"
            "        async with self._session.get('/forecast', params={'q': city}) as resp:\n"
            "            return await resp.json()\n\n"
            "    async def close(self):\n        await self._session.close()\n"
        ),
        # Bound first, then entered with `async with`.
        Valid(
            "import aiohttp\n\nasync def ping(url):\n    session = aiohttp.ClientSession()\n"
            "    async with session:\n        async with session.head(url) as resp:\n"
            "            return resp.status\n"
        ),
        # Handed to an object that owns it; the connector is owned by the session.
        Valid(
            "import aiohttp\n\nclass Api:\n    def __init__(self, session):\n"
            "        self.session = session\n\n"
            "def build_api():\n    connector = aiohttp.TCPConnector(limit=20)\n"
            "    session = aiohttp.ClientSession(connector=connector)\n    return Api(session)\n"
        ),
        # A FastAPI lifespan: yielded to the app, closed after.
        Valid(
            "import contextlib\nimport httpx\n\n@contextlib.asynccontextmanager\n"
            "async def lifespan(app):\n    app.state.http = httpx.AsyncClient()\n    yield\n"
            "    await app.state.http.aclose()\n"
        ),
        # An exit stack owns what it enters.
        Valid(
            "import contextlib\nimport aiohttp\n\nclass Clients:\n"
            "    async def __aenter__(self):\n        self._stack = contextlib.AsyncExitStack()\n"
            "        self.http = await self._stack.enter_async_context(aiohttp.ClientSession())\n"
            "        return self\n\n    async def __aexit__(self, *exc):\n"
            "        await self._stack.aclose()\n"
        ),
        # Closed through an exit stack callback.
        Valid(
            "import contextlib\nimport aiohttp\n\nasync def run(stack: contextlib.AsyncExitStack):\n"
            "    session = aiohttp.ClientSession()\n"
            "    stack.push_async_callback(session.close)\n    return stack\n"
        ),
        # Optional session: closed only when this function created it.
        Valid(
            "import aiohttp\n\nasync def fetch(url, session=None):\n    owned = session is None\n"
            "    session = session or aiohttp.ClientSession()\n    try:\n"
            "        async with session.get(url) as resp:\n            return await resp.read()\n"
            "    finally:\n        if owned:\n            await session.close()\n"
        ),
        # A module-level session closed by the shutdown hook.
        Valid(
            "import aiohttp\n\nsession = None\n\nasync def startup():\n    global session\n"
            "    session = aiohttp.ClientSession()\n\n"
            "async def shutdown():\n    await session.close()\n"
        ),
        # An enclosing function's session, opened by a nested one and closed by the other.
        Valid(
            "import aiohttp\n\ndef lifecycle():\n    session = None\n\n"
            "    async def start():\n        nonlocal session\n"
            "        session = aiohttp.ClientSession()\n\n"
            "    async def stop():\n        await session.close()\n\n"
            "    return start, stop\n"
        ),
        # Handed to a sync helper of another file, which may keep it.
        Valid(
            "from scraper.registry import register\nimport aiohttp\n\n"
            "async def start():\n    session = aiohttp.ClientSession()\n    register(session)\n",
            filename="scraper/main.py",
            other_files={
                "scraper/__init__.py": "",
                "scraper/registry.py": "SESSIONS = []\n\ndef register(session):\n"
                "    SESSIONS.append(session)\n",
            },
        ),
        # A class from another library with the same name is not aiohttp's.
        Valid(
            "class ClientSession:\n    pass\n\nasync def main():\n    session = ClientSession()\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import asyncio\nimport aiohttp\n\nasync def fetch(session, url):\n"
            "    async with session.get(url) as resp:\n        return await resp.text()\n\n"
            "async def fetch_all(urls):\n    session = aiohttp.ClientSession()\n"
            "    return await asyncio.gather(*(fetch(session, url) for url in urls))\n",
            line=9, column=15, message_contains="bound to `session`",
        ),
        Invalid(
            "import aiohttp\n\nasync def status(url):\n"
            "    async with aiohttp.ClientSession().get(url) as resp:\n        return resp.status\n",
            line=4, message_contains="used without `async with`",
        ),
        Invalid(
            "from httpx import AsyncClient\n\nasync def latest_release(repo):\n"
            "    client = AsyncClient()\n    resp = await client.get(f'https://api.github.com/repos/{repo}/releases/latest')\n"
            "    resp.raise_for_status()\n    return resp.json()['tag_name']\n",
            line=4, message_contains="await client.aclose()",
        ),
        # A connector shared by sessions that do not own it must be closed by its creator.
        Invalid(
            "import aiohttp\n\nasync def post_metrics(url, payload):\n"
            "    connector = aiohttp.TCPConnector(limit_per_host=2)\n"
            "    for attempt in range(3):\n"
            "        async with aiohttp.ClientSession(connector=connector, connector_owner=False) as s:\n"
            "            async with s.post(url, json=payload) as resp:\n"
            "                if resp.ok:\n                    return\n",
            line=4, message_contains="aiohttp.TCPConnector()",
        ),
        # Passing it to an awaited coroutine lends it; nobody closes it.
        Invalid(
            "import aiohttp\n\nasync def crawl(start):\n    session = aiohttp.ClientSession()\n"
            "    page = await download(session, start)\n    print(len(page), session.closed)\n\n"
            "async def download(session, url):\n"
            "    async with session.get(url) as resp:\n        return await resp.read()\n",
            line=4,
        ),
        # The coroutine function it is lent to lives in another file of the project.
        Invalid(
            "from scraper.fetching import fetch_page\nimport aiohttp\n\n"
            "async def scrape(url):\n    session = aiohttp.ClientSession()\n"
            "    html = await fetch_page(session, url)\n    return html.count('<a ')\n",
            filename="scraper/main.py",
            other_files={
                "scraper/__init__.py": "",
                "scraper/fetching.py": "async def fetch_page(session, url):\n"
                "    async with session.get(url) as resp:\n        return await resp.text()\n",
            },
            line=5,
        ),
        # At module level, nothing ever closes it.
        Invalid("import aiohttp\n\nSESSION = aiohttp.ClientSession()\n", line=3),
    ]


def _declares_nonlocal(function: cst.FunctionDef, names: list[str]) -> bool:
    return any(item.name.value in names
               for node in find_all(function.body, (cst.Nonlocal,), own_scope=True)
               for item in node.names)


def _walk_visible(scope: Scope, name: str, parents: dict[int, cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Every node of ``scope``'s body and of the nested functions and classes that see its
    ``name`` (those binding a ``name`` of their own are skipped), recording each node's
    parent in ``parents``."""
    root = scope.node
    pending: list[tuple[cst.CSTNode, Scope]] = [(root, scope)]
    while pending:
        current, current_scope = pending.pop()
        yield current
        inner_scope = current_scope
        if current is not root:
            if isinstance(current, (cst.FunctionDef, cst.Lambda)):
                inner_scope = make_function_scope(current, current_scope)
            elif isinstance(current, cst.ClassDef):
                inner_scope = make_class_scope(current, current_scope)
            if inner_scope is not current_scope and name in inner_scope.bindings \
                    and name not in inner_scope.global_names:
                continue
        for child in current.children:
            parents[id(child)] = current
            pending.append((child, inner_scope))


def _keyword_is_false(call: cst.Call, keyword: str) -> bool:
    return any(
        arg.keyword is not None and arg.keyword.value == keyword
        and isinstance(arg.value, cst.Name) and arg.value.value == "False"
        for arg in call.args
    )
