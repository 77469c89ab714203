"""ACK101 coroutine-collection-never-awaited."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from asyncheck.lint import FileContext, FlowRule, Invalid, Valid
from asyncheck.semantics.coroutines import MUTATING_METHODS, Use, UseKind, classify_use

#: Fates of a collection (or of a load of its name) that do not run its coroutines.
_LOST = frozenset({UseKind.DROPPED, UseKind.TRUTH, UseKind.INSPECTED})

_KIND_NAMES: dict[type[cst.CSTNode], str] = {
    cst.ListComp: "list comprehension",
    cst.SetComp: "set comprehension",
    cst.GeneratorExp: "generator expression",
    cst.List: "list",
    cst.Tuple: "tuple",
    cst.Set: "set",
}

#: ``[]``, ``set()``, ``list()``, ``deque()``: the start of a collection grown later.
_EMPTY_FACTORIES = frozenset({"list", "set", "deque", "collections.deque"})


@dataclass(frozen=True)
class _Collection:
    node: cst.CSTNode  # where to report
    function: str  # the coroutine function whose coroutines it holds
    statement: cst.CSTNode | None
    grown: bool  # True: coroutines added by append/extend/+=; False: the collection itself
    scope_key: int  # id of the scope's node


class CoroutineCollectionNeverAwaited(FlowRule[_Collection]):
    """
    ## What it does
    Reports a list, tuple or set display, a comprehension, a generator expression, or a
    list grown with `.append`/`.extend`/`+=` whose elements are coroutines (calls of known
    coroutine functions, see ACK100) and which never reaches a consumer: `asyncio.gather(*x)`,
    `asyncio.wait(x)`, `asyncio.as_completed(x)`, a loop that awaits its elements, a return,
    a yield, an attribute, or any other call it is passed to.  It is reported once, where the
    collection is created, naming the collection and the coroutine function.

    ## Why is this bad?
    Building the list only creates coroutine objects.  Nothing is fetched until they are
    awaited or scheduled, so the code "finishes" at once and the list is full of coroutine
    objects instead of results: the seed's trap 1,
    `tasks = [fetch_async(session, url) for url in urls]` and nothing else.

    ## Example
    ```python
    async def refresh_prices(session, symbols):
        tasks = [fetch_price(session, s) for s in symbols]
        log.info("refreshing %d prices", len(tasks))
    ```

    ## Use instead
    ```python
    async def refresh_prices(session, symbols):
        tasks = [fetch_price(session, s) for s in symbols]
        log.info("refreshing %d prices", len(tasks))
        return await asyncio.gather(*tasks)
    ```

    ## Options
    `coroutine-functions` (see ACK100) adds coroutine functions asyncheck cannot see.
    """

    code = "ACK101"
    # Calls of coroutine functions anywhere, sync code too: the pre-filter adds the names of
    # the project's, the built-in table's and the configured coroutine functions.
    TRIGGERS = ("async def", "await", "gather")
    TRIGGERS_INCLUDE_COROUTINE_NAMES = True
    name = "coroutine-collection-never-awaited"
    message = "{collection} holds coroutines of `{function}(...)` that are never awaited: {advice}"

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._empty_starts: dict[tuple[int, str], tuple[cst.CSTNode, cst.CSTNode | None]] = {}

    # -- creation sites -------------------------------------------------------------------
    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._comprehension(node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._comprehension(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._comprehension(node)

    def visit_List(self, node: cst.List) -> None:
        self._display(node)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._display(node)

    def visit_Set(self, node: cst.Set) -> None:
        self._display(node)

    def visit_Call(self, node: cst.Call) -> None:
        # ``tasks.append(fetch(url))``: the coroutine goes into the collection ``tasks``.
        context = self.context
        use = classify_use(context.stack)
        if use.kind is not UseKind.ADDED:
            return
        function = context.coroutine_function_name(node)
        if function is not None:
            self._added(use, node, function)

    def visit_Assign(self, node: cst.Assign) -> None:
        # Remember ``tasks = []`` so that a grown list is reported where it starts.
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        if self._is_empty_start(node.value):
            key = (id(self.context.scope.node), node.targets[0].target.value)
            self._empty_starts.setdefault(key, (node.value, self.context.current_statement()))

    def _comprehension(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp) -> None:
        element = node.elt
        if isinstance(element, cst.Call):
            function = self.context.coroutine_function_name(element)
            if function is not None:
                self._created(node, function)

    def _display(self, node: cst.List | cst.Tuple | cst.Set) -> None:
        for element in node.elements:
            value = element.value
            if isinstance(value, cst.Call):
                function = self.context.coroutine_function_name(value)
                if function is not None:
                    self._created(node, function)
                    return

    def _created(self, node: cst.CSTNode, function: str) -> None:
        context = self.context
        use = classify_use(context.stack)
        if use.kind in _LOST or (use.kind is UseKind.BOUND and use.names == ("_",)):
            self.report(node, collection=f"this {_KIND_NAMES[type(node)]}", function=function,
                        advice="`await asyncio.gather(*...)` it, or drop it")
        elif use.kind is UseKind.BOUND and len(use.names) == 1:
            self.defer(context.scope, use.names[0],
                       _Collection(node, function, context.current_statement(), False,
                                   id(context.scope.node)))
        elif use.kind is UseKind.ADDED:
            self._added(use, node, function)

    def _added(self, use: Use, node: cst.CSTNode, function: str) -> None:
        context = self.context
        (name,) = use.names
        self.defer(context.scope, name,
                   _Collection(node, function, context.current_statement(), True,
                               id(context.scope.node)))

    def _is_empty_start(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, (cst.List, cst.Set)) and not value.elements:
            return True
        if isinstance(value, cst.Call) and not value.args:
            qualname = self.context.qualified_name(value.func)
            return qualname is not None and qualname.removeprefix("builtins.") in _EMPTY_FACTORIES
        return False

    # -- where the collection goes --------------------------------------------------------
    def names_resolved(self, name: str, records: list[_Collection], uses: list[Use]) -> None:
        for use in uses:
            if use.kind in _LOST:
                continue
            if use.kind is UseKind.ATTRIBUTE and use.called and use.attribute in MUTATING_METHODS:
                continue
            return  # reaches something that may run the coroutines
        advice = f"`await asyncio.gather(*{name})`, or create tasks from them"
        created = [r for r in records if not r.grown]
        for record in created:
            self.report(record.node, statement=record.statement, collection=f"`{name}`",
                        function=record.function, advice=advice)
        grown = [r for r in records if r.grown]
        if grown and not created:
            first = grown[0]
            where, statement = first.node, first.statement
            start = self._empty_starts.get((first.scope_key, name))
            if start is not None:
                where, statement = start
            self.report(where, statement=statement, collection=f"`{name}`",
                        function=first.function, advice=advice)

    VALID = [
        # The seed's "right way": the list is gathered.
        Valid(
            "import asyncio\nimport aiohttp\n\n"
            "async def fetch_async(session, url):\n"
            "    async with session.get(url) as resp:\n        return resp.status\n\n"
            "async def main(urls):\n"
            "    async with aiohttp.ClientSession() as session:\n"
            "        tasks = [fetch_async(session, url) for url in urls]\n"
            "        results = await asyncio.gather(*tasks)\n"
            "    return results\n"
        ),
        # Grown in a loop, then waited for; awaited one by one; handed to a TaskGroup.
        Valid(
            "import asyncio\n\nasync def ping(host):\n    ...\n\n"
            "async def sweep(hosts, tg: asyncio.TaskGroup):\n"
            "    probes = []\n"
            "    for host in hosts:\n        probes.append(ping(host))\n"
            "    done, pending = await asyncio.wait([asyncio.ensure_future(p) for p in probes])\n"
            "    retries = [ping(h) for h in hosts]\n"
            "    for retry in retries:\n        await retry\n"
            "    late = (ping(h) for h in hosts)\n"
            "    for coro in late:\n        tg.create_task(coro)\n"
        ),
        # Returned, yielded, stored on an attribute, passed to a helper, as_completed.
        Valid(
            "import asyncio\n\nasync def fetch(url):\n    ...\n\n"
            "def batch(urls):\n    return [fetch(u) for u in urls]\n\n"
            "class Crawler:\n"
            "    def queue_all(self, urls):\n        self.pending = [fetch(u) for u in urls]\n\n"
            "async def crawl(urls):\n"
            "    jobs = {fetch(u) for u in urls}\n    run_with_limit(jobs, limit=10)\n"
            "    for next_done in asyncio.as_completed([fetch(u) for u in urls]):\n"
            "        print(await next_done)\n\n"
            "def run_with_limit(coros, limit):\n    ...\n"
        ),
        # Awaited inside the comprehension: a list of results, not of coroutines.
        Valid(
            "async def fetch(url):\n    ...\n\n"
            "async def crawl(urls):\n    return [await fetch(u) for u in urls]\n"
        ),
        # A list passed in by the caller belongs to the caller.
        Valid(
            "async def fetch(url):\n    ...\n\n"
            "def plan(urls, todo):\n    for url in urls:\n        todo.append(fetch(url))\n"
        ),
        # Sync functions of the same name do not make coroutines.
        Valid(
            "def fetch(url):\n    return url.upper()\n\n"
            "def plan(urls):\n    names = [fetch(u) for u in urls]\n"
        ),
    ]
    INVALID = [
        # The seed's trap 1, and nothing else.
        Invalid(
            "import aiohttp\n\nasync def fetch_async(session, url):\n"
            "    async with session.get(url) as resp:\n        return resp.status\n\n"
            "async def main(urls):\n"
            "    async with aiohttp.ClientSession() as session:\n"
            "        tasks = [fetch_async(session, url) for url in urls]\n",
            line=9, column=17, message_contains="`tasks` holds coroutines of `fetch_async(...)`",
        ),
        # A list grown in a loop is reported where it starts; len() does not run them.
        Invalid(
            "async def notify(user):\n    ...\n\n"
            "async def notify_all(users, log):\n"
            "    pending = []\n"
            "    for user in users:\n"
            "        if user.active:\n            pending.append(notify(user))\n"
            "    log.info('notifying %d users', len(pending))\n",
            line=5, column=15, message_contains="`pending`",
        ),
        # Grown with extend and +=.
        Invalid(
            "class Sync:\n    async def push(self, item):\n        ...\n\n"
            "    async def push_all(self, batches):\n"
            "        jobs = list()\n"
            "        for batch in batches:\n"
            "            jobs.extend(self.push(i) for i in batch)\n"
            "            jobs += [self.push(batch[0])]\n"
            "        if not jobs:\n            return\n",
            line=6, message_contains="self.push",
        ),
        # A discarded display and a generator expression never iterated.
        Invalid(
            "import asyncio\n\nasync def warm(cache, keys):\n"
            "    [cache_fill(cache, k) for k in keys]\n"
            "    later = (asyncio.sleep(k) for k in keys)\n\n"
            "async def cache_fill(cache, key):\n    ...\n",
            line=4, count=2, message_contains="this list comprehension",
        ),
        # The coroutine function lives in another module of the project.
        Invalid(
            "from shop.api import fetch_stock\n\n"
            "async def restock(items):\n"
            "    checks = [fetch_stock(i.sku) for i in items]\n",
            filename="shop/jobs.py", line=4, message_contains="fetch_stock",
            other_files={
                "shop/__init__.py": "",
                "shop/api.py": "async def fetch_stock(sku):\n    ...\n",
            },
        ),
    ]
