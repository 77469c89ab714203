"""ACK310 sequential-await-in-loop."""

from __future__ import annotations

import re

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.concurrency import code_of, names_used, target_names
from asyncheck.syntax.walk import BodyVisitor

#: Awaited methods whose order matters or that wait on purpose: writes to one stream or
#: connection, queue hand-offs, pacing, locks, statements on one database connection.
_SEQUENTIAL_METHODS = re.compile(
    r"_*(send\w*|write\w*|drain|put\w*|sleep|acquire|wait\w*|join|publish|"
    r"execute\w*|fetch(one|all|many|row|val)?|commit|rollback|seek|"
    r"a?close|cancel|stop|disconnect|shutdown|terminate|kill)$",
    re.IGNORECASE,
)


class SequentialAwaitInLoop(Rule):
    """
    ## What it does
    Reports a `for x in xs:` loop inside `async def` whose body awaits a call that depends
    only on the loop variable and on names the loop does not assign, when nothing in the
    loop stops early (`break`, `return`) or hands results from one round to the next.
    Each round waits for the previous one although the calls are independent: fifty
    one-second requests take fifty seconds.

    Awaits that are sequential by nature are left alone: writes and sends on one stream,
    queue hand-offs, sleeps, locks, waits, statements on one database connection
    (`execute`, `fetch*`) or calls given one shared connection, cursor, stream or socket
    (`parse_response(connection, ...)`), which cannot run concurrently anyway, closing and
    stopping things, and calling each element itself (`for hook in hooks: await
    hook(request)` runs callbacks in order).

    ## Why is this bad?
    This is the seed's 80-second report: an `async def` that awaits each request in turn
    has all the complexity of asyncio and none of its concurrency. Running the independent
    calls together (with a limit, see ACK300) takes about as long as the slowest one.

    ## Example
    ```python
    async def build_report(session, urls):
        results = []
        for url in urls:
            results.append(await fetch_api(session, url))
        return results
    ```

    ## Use instead
    ```python
    async def build_report(session, urls):
        sem = asyncio.Semaphore(10)

        async def fetch_limited(url):
            async with sem:
                return await fetch_api(session, url)

        return await asyncio.gather(*(fetch_limited(url) for url in urls))
    ```
    """

    code = "ACK310"
    TRIGGERS = ("async def",)  # loops inside `async def` only (the await may be an `async with`)
    name = "sequential-await-in-loop"
    QUIET_IN = frozenset({"test"})  # a one-shot command can flood an API too (the seed's script)
    default_enabled = False
    message = (
        "`for {target} in {iterable}` awaits `{call}` one element at a time although the "
        "calls are independent; run them concurrently with `asyncio.gather` (or a TaskGroup) "
        "and bound them with an `asyncio.Semaphore`"
    )

    VALID = [
        # Data flows from one round to the next (pagination cursor).
        Valid('''\
async def all_pages(client, pages):
    cursor = None
    for page in pages:
        cursor = await client.fetch_page(page, cursor)
'''),
        # Stops at the first success: a break that depends on the result.
        Valid('''\
async def first_mirror(session, mirrors):
    for mirror in mirrors:
        async with session.get(mirror) as resp:
            if resp.status == 200:
                break
'''),
        Valid('''\
async def find_user(api, ids, name):
    for uid in ids:
        user = await api.get_user(uid)
        if user.name == name:
            return user
'''),
        # Order matters: writes to one websocket, sleeps between retries, queue hand-offs.
        Valid('''\
import asyncio

async def replay(ws, messages, queue):
    for message in messages:
        await ws.send(message)
    for attempt in range(3):
        await asyncio.sleep(2 ** attempt)
    for item in messages:
        await queue.put(item)
'''),
        # Statements on one database connection cannot run concurrently.
        Valid('''\
async def insert_rows(conn, rows):
    for row in rows:
        await conn.execute("INSERT INTO t VALUES ($1, $2)", row.id, row.name)
'''),
        Valid('''\
class Pipeline:
    async def read_replies(self, connection, commands):
        replies = []
        for command in commands:
            replies.append(await self.parse_response(connection, command.name))
        return replies

    async def stop_sites(self, sites):
        for site in sites:
            await site.stop()
'''),
        # Awaiting tasks that already run is not sequential work.
        Valid('''\
async def run_hooks(hooks, request):
    for hook in hooks:
        await hook(request)
'''),
        Valid('''\
async def collect(tasks):
    results = []
    for task in tasks:
        results.append(await task)
    return results
'''),
        # Sync code and async for are not this rule's business.
        Valid('''\
def load(paths, read):
    for path in paths:
        read(path)

async def consume(stream, handle):
    async for event in stream:
        await handle(event)
'''),
    ]
    INVALID = [
        # The seed's 80-second loop.
        Invalid(
            '''\
async def build_report(session, urls):
    results = []
    for url in urls:
        results.append(await fetch_api(session, url))
    return results

async def fetch_api(session, url):
    async with session.get(url) as resp:
        return await resp.json()
''',
            line=4, message_contains="`for url in urls`",
        ),
        # An `async with` request per element.
        Invalid(
            '''\
async def download_all(session, urls, store):
    for url in urls:
        async with session.get(url) as resp:
            store[url] = await resp.read()
''',
            line=3,
        ),
        # A method of a loop-invariant object, with a continue (not a break).
        Invalid(
            '''\
class Notifier:
    async def notify_all(self, users):
        for user in users:
            if not user.active:
                continue
            await self.push(user.device_token, "report ready")

    async def push(self, token, text): ...
''',
            line=6,
        ),
    ]

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None or not self.context.in_async_function:
            return
        targets = names_used(node.target)
        body = _LoopBody(node.body)
        if body.stops_early:
            return
        assigned = body.assigned - targets
        for awaited in body.awaited:
            if not isinstance(awaited, cst.Call):
                continue
            used = names_used(awaited)
            if not used & targets or used & assigned:
                continue
            if _is_sequential_by_nature(awaited) or _calls_element(awaited, targets):
                continue
            if any(_CHANNEL_NAMES.match(name) for name in used - targets):
                continue
            self.report(awaited, target=code_of(node.target, 30), iterable=code_of(node.iter, 30),
                        call=code_of(awaited, 50))
            return


#: Loop-invariant names of one channel that serialises what goes through it: a database
#: connection or cursor, a stream or socket.  (An HTTP client session is not one of them:
#: it pools connections and is made for concurrent requests.)
_CHANNEL_NAMES = re.compile(
    r"_*(conn|connection|cursor|cur|stream|writer|reader|ws|websocket|sock|socket|channel|"
    r"pipe|transaction|txn|tx)$",
    re.IGNORECASE,
)


def _calls_element(call: cst.Call, targets: set[str]) -> bool:
    """``for hook in hooks: await hook(request)``: callbacks run in the order they were
    registered, on purpose."""
    return isinstance(call.func, cst.Name) and call.func.value in targets


def _is_sequential_by_nature(call: cst.Call) -> bool:
    func = call.func
    if isinstance(func, cst.Attribute):
        attr = func.attr.value
        if attr.startswith("__") and attr.endswith("__"):
            return True  # __aenter__/__aexit__ by hand: nested context managers, in order
        return _SEQUENTIAL_METHODS.match(attr) is not None
    # A plain function says less about its receiver: only ``sleep`` is pacing for sure.
    return isinstance(func, cst.Name) and func.value == "sleep"


class _LoopBody(BodyVisitor):
    """What a loop body assigns and awaits, and whether it can stop early."""

    def __init__(self, body: cst.BaseSuite) -> None:
        super().__init__()
        self.assigned: set[str] = set()
        self.awaited: list[cst.BaseExpression] = []
        self.stops_early = False
        self._inner_loops = 0
        self.walk(body)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.assigned.add(node.name.value)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.assigned.add(node.name.value)
        return False

    def visit_For(self, node: cst.For) -> None:
        self.assigned |= names_used(node.target)
        self._inner_loops += 1

    def leave_For(self, original_node: cst.For) -> None:
        self._inner_loops -= 1

    def visit_While(self, node: cst.While) -> None:
        self._inner_loops += 1

    def leave_While(self, original_node: cst.While) -> None:
        self._inner_loops -= 1

    def visit_Break(self, node: cst.Break) -> None:
        if not self._inner_loops:
            self.stops_early = True

    def visit_Return(self, node: cst.Return) -> None:
        self.stops_early = True

    def visit_Yield(self, node: cst.Yield) -> None:
        self.stops_early = True  # each round is handed to the consumer in turn

    def visit_Raise(self, node: cst.Raise) -> None:
        self.stops_early = True  # a raise on a result stops the loop like a break

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.assigned |= _assigned_names(target.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.assigned |= _assigned_names(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.assigned |= _assigned_names(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.assigned |= _assigned_names(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self.assigned |= _assigned_names(node.name)

    def visit_Await(self, node: cst.Await) -> None:
        self.awaited.append(node.expression)

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            self.awaited.extend(item.item for item in node.items)


def _assigned_names(target: cst.BaseExpression) -> set[str]:
    """Names a target rebinds; ``x.attr = ...``/``x[k] = ...`` change x but do not rebind it."""
    return {name.value for name in target_names(target)}
