"""ACK530 async-function-without-await."""

from __future__ import annotations

from functools import lru_cache

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.blocking import BLOCKING_CALLS, match_blocking_call
from asyncheck.semantics.event_loop import SESSION_CONSTRUCTORS
from asyncheck.semantics.helper_chains import blocking_chain, project_function
from asyncheck.semantics.names import base_class, make_function_scope
from asyncheck.semantics.structure import suspends
from asyncheck.semantics.task_usage import TaskUsage
from asyncheck.syntax.walk import walk_body

#: Libraries whose calls need the running event loop (``asyncio.create_task``,
#: ``asyncio.get_running_loop``, ``anyio.get_cancelled_exc_class``): a coroutine function
#: that calls one makes sure it runs in the loop's thread, with a loop running.
LOOP_LIBRARIES = ("asyncio.", "anyio.", "trio.", "sniffio.")
#: Methods that need the running event loop, whatever their receiver.
LOOP_METHODS = frozenset({
    "create_task", "ensure_future", "call_soon", "call_later", "call_at", "start_soon",
    "create_future", "run_in_executor", "add_reader", "add_writer", "add_signal_handler",
})
#: Bases outside the project known to define no coroutine methods to override.
PLAIN_BASES = frozenset({"builtins.object", "typing.Generic", "typing.NamedTuple"})
#: Bases that make a class an interface: its coroutine methods are its contract, kept
#: async for the implementations even when the default body does not wait.
INTERFACE_BASES = frozenset({
    "abc.ABC", "typing.Protocol", "typing_extensions.Protocol",
})


class AsyncFunctionWithoutAwait(Rule):
    """
    ## What it does
    Reports an `async def` whose body never suspends: no `await`, `async for`,
    `async with` or `yield`, and whose every use in the project is a call awaited at once
    (`await build_headers(token)`), so that all its callers are in sight and only want
    its result; or a test that pytest collects (`async def test_*`), whose one caller,
    pytest, runs plain functions as well.  Not reported:
    - functions the project does not call, or hands to something else that calls them:
      an entry point a framework looks up by name (`async_setup_entry`), a callback
      (`app.on_cleanup.append(on_cleanup)`, `router.add_get("/", index)`), a public API
      nothing in the project uses (a public name mentioned in more than 8 other modules
      counts as used in other ways); nor those whose coroutine is handed on
      (`create_task(worker())`, `gather(...)`, `helper().__await__()`);
    - public methods: a class's methods are its interface, which duck-typed callers,
      test doubles, subclasses outside the project and frameworks dispatching by name
      (`action_*`, `async_step_*`) rely on; only private methods (`_name`) are reported;
    - stubs and default implementations of hooks, whose body is only a docstring, `...`,
      `pass`, `raise NotImplementedError`, or returns a constant, `self` or one of its
      parameters;
    - decorated functions: a framework's handler (`@app.get`, `@router.message()`), a
      test or fixture, an `@abstractmethod` or `@override`;
    - methods that override or implement a method of a base class: a coroutine method
      of a project base, any method of a base outside the project (its signature is
      not known), and methods of interfaces (`ABC`, `Protocol`), whose being async is
      the contract;
    - special methods (`__aenter__`, `__aexit__`, `__call__`), async by protocol;
    - coroutine functions that call the event loop (`asyncio.create_task`,
      `get_running_loop()`, `loop.call_soon`, anyio and trio functions) or make an object
      bound to it (`aiohttp.ClientSession()`, `httpx.AsyncClient()`): being async makes
      sure they run in the loop's thread while it runs;
    - coroutine functions whose body makes a call another rule reports as the reason
      (a blocking call, ACK2xx; a sync helper that blocks, ACK290; a coroutine it does
      not await, ACK100): the fix there adds the `await`.

    Off by default (SPEC): whether a coroutine function that does not wait should stay
    async is often a matter of its interface (a public API kept async for future use, a
    callback an API requires to be async), which is not always visible in the code.  On
    the ecosystem check (25 pinned projects) it reported 159 functions, 156 of them judged
    true (98 %), 118 in Home Assistant, whose own guidelines make such functions
    `@callback`s; the false ones were a documented hook, a deliberate async twin of a
    sync API and an async adapter module.

    ## Why is this bad?
    Calling it makes a coroutine that must be awaited, scheduled and run by the event
    loop, for code that never lets another task run: its callers pay for the `await`,
    cannot call it from sync code, and a forgotten `await` silently skips its work.
    The `async` is often left over from a refactoring that removed the last `await`.

    There is no automatic fix: every caller's `await` would have to go as well.

    ## Example
    ```python
    async def build_headers(token):
        return {"Authorization": f"Bearer {token}"}

    async def fetch(session, url, token):
        async with session.get(url, headers=await build_headers(token)) as resp:
            return await resp.json()
    ```

    ## Use instead
    ```python
    def build_headers(token):
        return {"Authorization": f"Bearer {token}"}

    async def fetch(session, url, token):
        async with session.get(url, headers=build_headers(token)) as resp:
            return await resp.json()
    ```
    """

    code = "ACK530"
    name = "async-function-without-await"
    default_enabled = False
    TRIGGERS = ("async def",)
    PEER_CODES = ("ASYNC124",)
    message = (
        "`async def {function}` never awaits (no `await`, `async for`, `async with` or "
        "`yield`): make it a plain `def`, or await what it should wait for"
    )

    VALID = [
        # The real fix is another rule's: a blocking call (ACK200), a dropped coroutine
        # (ACK100), a session that needs the running loop.
        Valid("import time\n\nasync def _load():\n    time.sleep(1)\n\n"
              "async def main():\n    await _load()\n"),
        Valid("async def _fetch():\n    return 1\n\nasync def _start():\n    _fetch()\n\n"
              "async def main():\n    await _start()\n    await _fetch()\n"),
        Valid("import aiohttp\n\nasync def _open():\n    return aiohttp.ClientSession()\n\n"
              "async def main():\n    session = await _open()\n    await session.close()\n"),
        Valid('''\
async def fetch(session, url):
    async with session.get(url) as resp:
        return await resp.json()

async def lines(stream):
    for line in stream:
        yield line
'''),
        # Stubs and decorated handlers.
        Valid('''\
from fastapi import FastAPI

app = FastAPI()

class Store:
    async def load(self):
        """Load the store."""
        raise NotImplementedError

    async def close(self):
        ...

@app.get("/health")
async def health():
    return {"status": "ok"}
'''),
        # An override of a coroutine method of a base class, and a method of a base
        # outside the project.
        Valid('''\
import asyncio

class Handler:
    async def handle(self, event):
        await asyncio.sleep(0)

class Echo(Handler):
    async def handle(self, event):
        print(event)

class Client(asyncio.Protocol):
    async def on_message(self, message):
        print(message)
'''),
        # Special methods are async by protocol.
        Valid('''\
class Session:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        self.closed = True
'''),
        # Needs the running loop.
        Valid('''\
import asyncio

class Worker:
    async def start(self):
        self._task = asyncio.create_task(self._run())

    async def _run(self):
        await asyncio.sleep(1)
'''),
        # Handed to a framework that calls it, or never called by the project at all.
        Valid('''\
from aiohttp import web

async def on_cleanup(app):
    app["db"].close()

async def public_api(value):
    return value * 2

def make_app():
    app = web.Application()
    app.on_cleanup.append(on_cleanup)
    return app
'''),
        # A hook's default implementation.
        Valid('''\
class Client:
    async def _prepare_request(self, request):
        return request

    async def send(self, request):
        request = await self._prepare_request(request)
        return await self._transport.send(request)
'''),
        # An await in a nested def's default value runs in the function.
        Valid('''\
async def configured(load):
    def handler(event, config=await load()):
        return config[event]
    return handler
'''),
    ]
    INVALID = [
        Invalid(
            '''\
async def build_headers(token):
    return {"Authorization": f"Bearer {token}"}

async def fetch(session, url, token):
    async with session.get(url, headers=await build_headers(token)) as resp:
        return await resp.json()
''',
            line=1, column=1, message_contains="`async def build_headers` never awaits",
        ),
        # The await is in a nested function: it runs later.
        Invalid(
            '''\
async def schedule(loop_runner, job):
    async def run():
        await job()
    loop_runner.submit(run)

async def main(loop_runner, jobs):
    for job in jobs:
        await schedule(loop_runner, job)
''',
            line=1,
        ),
        # A lazy generator expression does not wait in the function.
        Invalid(
            '''\
class Repo:
    async def _names(self, users):
        return (await user.name() for user in users)

    async def report(self, users):
        async for name in await self._names(users):
            print(name)
''',
            line=2,
        ),
        # A test that awaits nothing (pytest-asyncio's auto mode runs it).
        Invalid(
            '''\
from app.headers import build

async def test_headers_have_token():
    assert build("t")["Authorization"] == "Bearer t"
''',
            line=3,
        ),
        # Called from another file of the project.
        Invalid(
            '''\
async def render(template, context):
    return template.format(**context)
''',
            filename="app/views.py",
            other_files={
                "app/__init__.py": "",
                "app/handlers.py": "from app.views import render\n\n"
                                   "async def page(request):\n"
                                   "    return await render(request.template, request.context)\n",
            },
            line=1,
        ),
    ]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None or node.decorators:
            return
        name = node.name.value
        scope = self.context.scope
        test = _is_pytest_test(name, scope.node)
        if scope.kind == "class" and not name.startswith("_") and not test:
            return  # the class's interface (see the docstring)
        if name.startswith("__") and name.endswith("__"):
            return
        body = node.body.body
        if _is_stub(node) or suspends(body, yields=True):
            return
        if self._implements_base_method(name) or self._needs_running_loop(node):
            return
        nested = any(type(n) is cst.FunctionDef for n in self.context.stack[:-1])
        if not test and not self.context.shared(TaskUsage).only_awaited(node, nested=nested):
            return
        self.report(node, function=name)

    def _implements_base_method(self, name: str) -> bool:
        """The def is a method of a class that may inherit it (see the docstring)."""
        context = self.context
        class_scope = context.scope
        if class_scope.kind != "class" or class_scope.parent is None:
            return False
        class_node = class_scope.node
        assert isinstance(class_node, cst.ClassDef)
        index = context.index
        for arg in class_node.bases:
            base = context.resolver.qualified_name(base_class(arg), class_scope.parent)
            if base is None or base in INTERFACE_BASES:
                return True
            if base in PLAIN_BASES:
                continue
            if not index.is_class(base):
                return True  # a library's class: its methods are not known
            facts = index.function(f"{base}.{name}")
            if facts is not None:
                if facts.is_async:
                    return True
                continue
            for ancestor in index.class_lineage(base)[1:]:
                if ancestor in INTERFACE_BASES or (
                        ancestor not in PLAIN_BASES and not index.is_class(ancestor)):
                    return True
        return False

    def _needs_running_loop(self, node: cst.FunctionDef) -> bool:
        """The body calls the event loop (see :data:`LOOP_LIBRARIES`, :data:`LOOP_METHODS`),
        or makes a call whose real fix adds an ``await`` (another rule's finding): a
        coroutine it does not await, a blocking call."""
        context = self.context
        scope = make_function_scope(node, context.scope)
        resolver = context.resolver
        for inner in walk_body(node.body):
            if not isinstance(inner, cst.Call):
                continue
            func = inner.func
            if isinstance(func, cst.Attribute) and func.attr.value in LOOP_METHODS:
                return True
            qualname = resolver.qualified_name(func, scope)
            if qualname is not None and (qualname.startswith(LOOP_LIBRARIES)
                                         or qualname in SESSION_CONSTRUCTORS):
                return True
            if match_blocking_call(resolver, scope, inner) is not None:
                return True
            if qualname is not None and self._blocks_through_helper(qualname):
                return True
            if context.coroutine_functions.coroutine_function_name(inner, scope) is not None:
                return True
        return False

    def _blocks_through_helper(self, qualname: str) -> bool:
        """A sync project function that reaches a blocking call (ACK290's finding)."""
        context = self.context
        facts = project_function(context.index, qualname)
        if facts is None or facts.is_async:
            return False
        settings = context.settings
        return blocking_chain(context.index, facts, codes=_blocking_codes(),
                              blocking_calls=settings.blocking_calls,
                              configured=settings.blocking_call_suggestion) is not None


def _is_pytest_test(name: str, scope_node: cst.CSTNode) -> bool:
    """A test pytest collects: ``test*`` at module level or in a ``Test*`` class without
    bases.  pytest is its one caller, and runs plain functions as well."""
    if not name.startswith("test"):
        return False
    if isinstance(scope_node, cst.Module):
        return True
    return (isinstance(scope_node, cst.ClassDef) and scope_node.name.value.startswith("Test")
            and not scope_node.bases)


@lru_cache(maxsize=1)
def _blocking_codes() -> frozenset[str]:
    """The codes of the blocking-call tables: a helper reaching any of them counts."""
    return frozenset(entry.code for entry in BLOCKING_CALLS.values())


def _is_stub(function: cst.FunctionDef) -> bool:
    """Only a docstring, ``...``, ``pass`` or ``raise NotImplementedError``, or a default
    that returns a constant, ``self`` or a parameter: a hook for overrides."""
    body = function.body
    params = {p.name.value for p in (*function.params.posonly_params, *function.params.params,
                                     *function.params.kwonly_params)}
    statements: list[cst.CSTNode] = []
    if isinstance(body, cst.SimpleStatementSuite):
        statements.extend(body.body)
    else:
        assert isinstance(body, cst.IndentedBlock)
        for statement in body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                return False
            statements.extend(statement.body)
    for number, small in enumerate(statements):
        if isinstance(small, cst.Pass):
            continue
        if isinstance(small, cst.Return) and number == len(statements) - 1 and (
                small.value is None or _is_plain_value(small.value, params)):
            continue
        if isinstance(small, cst.Expr) and isinstance(
                small.value, (cst.Ellipsis, cst.SimpleString, cst.ConcatenatedString)):
            continue
        if isinstance(small, cst.Raise) and small.exc is not None:
            exc = small.exc.func if isinstance(small.exc, cst.Call) else small.exc
            if isinstance(exc, cst.Name) and exc.value == "NotImplementedError":
                continue
        return False
    return True


def _is_plain_value(value: cst.BaseExpression, params: set[str]) -> bool:
    """A constant (``None``, ``True``, a number, a string, an empty container) or one of
    ``params`` (``self`` among them)."""
    if isinstance(value, cst.Name):
        return value.value in params or value.value in ("None", "True", "False")
    if isinstance(value, (cst.Integer, cst.Float, cst.SimpleString)):
        return True
    if isinstance(value, (cst.List, cst.Tuple, cst.Dict, cst.Set)):
        return not value.elements
    return False
