"""ACK300 unbounded-gather (off by default)."""

from __future__ import annotations

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.concurrency import (
    COLLECTION_WAITERS,
    GATHER_FUNCTIONS,
    MAP_FUNCTIONS,
    ConcurrencyAnalysis,
    Fanout,
    code_of,
)

_SEMAPHORE_FETCH = '''\
import asyncio

sem = asyncio.Semaphore(10)

async def fetch(session, url):
    async with sem:
        async with session.get(url) as resp:
            return await resp.json()
'''


class UnboundedGather(Rule):
    """
    ## What it does
    Reports `asyncio.gather(*X)`, `asyncio.wait(X)` and `asyncio.as_completed(X)` (and
    anyio's `gather(*X)`, `as_completed(*X)`, `amap(func, X)`) when `X`
    starts one coroutine per element of an iterable whose size is not a literal of at most
    `max-fanout` elements — a comprehension or generator over a variable, `map(...)`, a list
    grown in a loop — and nothing limits how many of them run at once.

    Not reported when the coroutine function called per element (also one defined in another
    file of the project), or a wrapper it is passed through, acquires a limiter:
    `async with sem:` or `await sem.acquire()` on an `asyncio.Semaphore`/`BoundedSemaphore`
    (module-level, class attribute, closure or parameter), an `anyio.CapacityLimiter`, a type
    configured in `limiters`, or an untyped name that says it is one (`self._semaphore`,
    `limiter`). Nor when the iterable is a bounded batch: `itertools.batched(xs, n)`, a slice
    `xs[i:i + n]` or `xs[:n]` with a literal `n` within the limit. Gathering tasks already
    started in a `for` loop is left to ACK301, which reports the spawn. Work on objects that
    already exist is not a fan-out of input: a method of each element (`conn.ping()` for each
    open connection), calling each element (notifying handlers: `handler(event)`), closing
    things (`close`, `disconnect`, `cancel`, ..., also `stop_timer(t)` or a close method
    handed to a helper), or waiting on awaitables made elsewhere (`ensure_future(aw)`,
    `wrap_future(fut)`, a value checked with `inspect.isawaitable`, a coroutine that only
    awaits its argument) — though wrapping each element of a list of new coroutines
    (`[ensure_future(c) for c in coros]`, `coros` grown in a loop) is that list's fan-out; nor is a `*args` parameter, whose size is the caller's fixed
    argument list. A pool of identical workers whose call does not use the loop variable
    (`worker(queue) for _ in range(n)`) is the cure, not the problem.

    Limits the code already keeps are recognised: a slice cut to a limit it was given
    (`ids[:max_concurrency]`), a request for at most so many items (`await
    sub.fetch(batch=size)`), work off-loaded to a thread pool (`asyncio.to_thread`,
    `run_in_executor`), whose workers bound it. Fan-out over a small internal set is not
    reported either: a collection of `self` that the class fills itself (plugins or
    listeners added by its own registration methods, a list it builds), an element of one,
    or a dict built by grouping (`per_node[node].append(x)`: one call per node), also one
    returned by a helper method of the class. A collection set from a parameter or filled
    from I/O results stays reported.

    ## Why is this bad?
    `gather` starts every coroutine immediately. Fifty requests to one API go out in the same
    millisecond, and the server answers with a flood of HTTP 429 (or bans the client); ten
    thousand open sockets exhaust file descriptors. `asyncio.gather` has no limit parameter on
    purpose: the limit has to live in your code.

    ## Example
    ```python
    async def fetch_api(session, url):
        async with session.get(url) as resp:
            return await resp.json()

    async def build_report(session, urls):
        return await asyncio.gather(*(fetch_api(session, url) for url in urls))
    ```

    ## Use instead
    ```python
    sem = asyncio.Semaphore(10)  # at most 10 requests in flight

    async def fetch_api(session, url):
        async with sem:
            async with session.get(url) as resp:
                return await resp.json()
    ```
    Or run a fixed pool of workers fed by an `asyncio.Queue`, or gather in batches:
    `for batch in itertools.batched(urls, 10): await asyncio.gather(*map(fetch, batch))`.

    ## Options
    `max-fanout` (default 20): literal sizes up to this are fine. `limiters`: qualified names
    of further limiter types (`["mylib.throttle.RateLimiter"]`).

    ## Precision
    Off by default: on the ecosystem check (25 real async projects, SPEC §10) 2 of 26 judged
    findings were true (8 %), below the 90 % a default rule keeps. Most false ones fanned
    out over a small set the code owns or the user configured (brokers, platforms,
    registered listeners, a handful of devices), or waited on work that already existed; the
    size of such a set is not visible in the code. The seed's trap (a gather over 50 URLs
    answered by HTTP 429) is reported when the rule is on: turn it on for code that fans out
    over external input (`extend-select = ["ACK300"]`).
    """

    code = "ACK300"
    default_enabled = False  # measured below 90 % true: see Precision
    # asyncio/anyio gather, wait, as_completed, amap: the package is imported, or the
    # function's name appears (not "wait": it is in every "await" and thread `.wait()`).
    TRIGGERS = ("gather", "as_completed", "amap", "asyncio", "anyio")
    name = "unbounded-gather"
    QUIET_IN = frozenset({"test"})  # a one-shot command can flood an API too (the seed's script)
    message = "{call} starts {work} for every element of {source} at once with no limit"

    VALID = [
        # Futures made elsewhere, each wrapped: waiting on existing work.
        Valid(
            "import asyncio\n\nasync def settle(futures):\n"
            "    await asyncio.wait([asyncio.ensure_future(f) for f in futures])\n"
        ),
        Valid(
            "import asyncio\n\nasync def fetch(session, url):\n"
            "    async with session.get(url) as response:\n        return await response.json()\n\n"
            "async def test_pull_all(session, urls):\n"
            "    assert await asyncio.gather(*[fetch(session, url) for url in urls])\n",
            filename="tests/test_reports.py",
        ),
        # The seed's cure: the coroutine gathered per element acquires a module-level Semaphore.
        Valid(_SEMAPHORE_FETCH + '''
async def report(session, urls):
    return await asyncio.gather(*[fetch(session, url) for url in urls])
'''),
        # acquire()/release() style, the semaphore a class attribute set in __init__.
        Valid('''\
import asyncio

class Crawler:
    def __init__(self, session, limit=10):
        self.session = session
        self._slots = asyncio.Semaphore(limit)

    async def crawl_one(self, url):
        await self._slots.acquire()
        try:
            async with self.session.get(url) as resp:
                return await resp.text()
        finally:
            self._slots.release()

    async def crawl(self, urls):
        return await asyncio.gather(*(self.crawl_one(u) for u in urls))
'''),
        # A bounded(sem, coro) wrapper around an unlimited coroutine.
        Valid('''\
import asyncio

async def bounded(sem, coro):
    async with sem:
        return await coro

async def fetch(client, url):
    return (await client.get(url)).json()

async def fetch_all(client, urls):
    sem = asyncio.Semaphore(8)
    return await asyncio.gather(*(bounded(sem, fetch(client, u)) for u in urls))
'''),
        # A nested async def closing over a Semaphore made in the caller.
        Valid('''\
import asyncio

async def download_all(client, urls):
    sem = asyncio.Semaphore(5)

    async def download(url):
        async with sem:
            return await client.get(url)

    return await asyncio.gather(*map(download, urls))
'''),
        # Small literal ranges and displays, and the seed's `[...] * 10`.
        Valid('''\
import asyncio

async def ping(host):
    await asyncio.sleep(0.1)

async def main():
    hosts = ["a.example", "b.example", "c.example"]
    await asyncio.gather(*[ping(h) for h in hosts])
    await asyncio.gather(*(ping(f"shard-{i}") for i in range(8)))
    urls = ["https://httpbin.org/delay/1"] * 10
    await asyncio.wait([asyncio.create_task(ping(u)) for u in urls])
'''),
        # A fixed argument list.
        Valid('''\
import asyncio

async def load_user(uid): ...
async def load_orders(uid): ...
async def load_prefs(uid): ...

async def profile(uid):
    return await asyncio.gather(load_user(uid), load_orders(uid), load_prefs(uid))
'''),
        # Batches: itertools.batched and slices of a literal width.
        Valid('''\
import asyncio
import itertools

async def fetch(url): ...

async def fetch_in_batches(urls):
    results = []
    for batch in itertools.batched(urls, 10):
        results += await asyncio.gather(*(fetch(u) for u in batch))
    for start in range(0, len(urls), 10):
        chunk = urls[start:start + 10]
        results += await asyncio.gather(*[fetch(u) for u in chunk])
    results += await asyncio.gather(*map(fetch, urls[:5]))
    return results
'''),
        # Already running tasks: gathering them starts nothing new.
        Valid('''\
import asyncio

async def shutdown(tasks):
    for task in tasks:
        task.cancel()
    await asyncio.gather(*[t for t in tasks], return_exceptions=True)
'''),
        # Closing the connections a pool already holds: their number is that of live
        # resources, and closing adds no load; a `*args` parameter is the caller's fixed list.
        Valid('''\
import asyncio

class ConnectionPool:
    def __init__(self):
        self._connections = []

    async def aclose(self):
        await asyncio.gather(*(conn.close() for conn in self._connections))

    async def ping_all(self):
        return await asyncio.gather(*(conn.ping() for conn in self._connections))

async def first_ok(client, *mirrors):
    return await asyncio.gather(*(client.head(m) for m in mirrors), return_exceptions=True)
'''),
        # A bounded worker pool: n identical workers take items from one queue.
        Valid('''\
import asyncio

async def worker(session, queue, results):
    while True:
        url = await queue.get()
        try:
            async with session.get(url) as resp:
                results[url] = resp.status
        finally:
            queue.task_done()

async def crawl(session, urls, concurrency):
    queue = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    results = {}
    workers = [worker(session, queue, results) for _ in range(concurrency)]
    runner = asyncio.gather(*workers)
    await queue.join()
    runner.cancel()
    return results
'''),
        # The limited coroutine lives in another module of the project.
        Valid(
            '''\
import asyncio

from scraper.client import fetch_page

async def scrape(session, urls):
    pages = await asyncio.gather(*(fetch_page(session, u) for u in urls))
    return [p for p in pages if p]
''',
            filename="scraper/run.py",
            other_files={
                "scraper/__init__.py": "",
                "scraper/client.py": _SEMAPHORE_FETCH.replace("fetch(", "fetch_page("),
            },
        ),
        # A configured limiter type.
        Valid(
            '''\
import asyncio
from ratelib import RateLimiter

limiter = RateLimiter(per_second=5)

async def post(client, item):
    async with limiter:
        return await client.post("/items", json=item)

async def upload(client, items):
    await asyncio.gather(*(post(client, i) for i in items))
''',
            options={"limiters": ("ratelib.RateLimiter",)},
        ),
        # Waiting on work that already exists: futures a thread pool returned (wrap_future),
        # awaitables a callback already made, and a coroutine that only awaits the object it
        # is given.
        Valid('''\
import asyncio
import inspect

async def drain(thread_futures, timeout):
    await asyncio.wait([asyncio.wrap_future(f) for f in thread_futures], timeout=timeout)

async def fire(callbacks):
    pending = []
    for callback in callbacks:
        outcome = callback.invoke()
        if inspect.isawaitable(outcome):
            pending.append(outcome)
    await asyncio.gather(*pending)

async def _until_ready(starting):
    return await starting

async def wait_until_started(nodes):
    await asyncio.wait([asyncio.create_task(_until_ready(n)) for n in nodes])
'''),
        # Notifying handlers (each element is called) and closing what exists: a close
        # method handed to a helper, a close call wrapped for logging, a local stop helper.
        Valid('''\
import asyncio

def schedule(fn):
    return asyncio.get_running_loop().create_task(fn())

async def _logged(label, closing):
    try:
        await closing
    except Exception:
        print("failed to close", label)

async def publish(handlers, event):
    await asyncio.gather(*(handler(event) for handler in handlers))

async def release(links, shards, timers):
    pending = []
    for link in links:
        pending.append(schedule(link.close))
    await asyncio.gather(*pending, return_exceptions=True)
    closing = tuple(_logged(f"shard {s.id}", s.close()) for s in shards)
    for finished in asyncio.as_completed(closing):
        await finished

    async def stop_timer(timer):
        timer.handle.cancel()

    await asyncio.gather(*[stop_timer(t) for t in timers])
'''),
        # Existing limits: a slice cut to a limit the code was given, and work off-loaded to
        # the thread pool, whose fixed number of workers bounds it.
        Valid('''\
import asyncio

async def open_window(pending_ids, max_concurrency, open_one):
    window = pending_ids[:max_concurrency]
    await asyncio.gather(*(open_one(i) for i in window))

async def checksums(paths, digest):
    return await asyncio.gather(*(asyncio.to_thread(digest, p) for p in paths))
'''),
        # Small internal sets: plugins registered through the object's own method, a dict
        # the object builds and fills itself, one request per group (per node) of a dict
        # built by grouping, here or in a helper method of the class.
        Valid('''\
import asyncio
from collections import defaultdict

class Coordinator:
    def __init__(self):
        self._extensions = {}
        self._watched = []

    def register(self, name, extension):
        self._extensions[name] = extension

    async def close(self):
        await asyncio.gather(*(self._detach(name) for name in self._extensions))
        await asyncio.gather(*[self._watch(path) for path in self._watched])

    async def lookup(self, keys, node_of):
        per_node = defaultdict(list)
        for key in keys:
            per_node[node_of(key)].append(key)
        futures = []
        for node, node_keys in per_node.items():
            futures.append(self._request(node, node_keys))
        return await asyncio.gather(*futures)

    def _split(self, resources):
        per_broker = defaultdict(list)
        shared = []
        for resource in resources:
            if resource.broker_id is None:
                shared.append(resource)
            else:
                per_broker[resource.broker_id].append(resource)
        return per_broker, shared

    async def configure(self, resources):
        per_broker, shared = self._split(resources)
        calls = [self._request(broker, items) for broker, items in per_broker.items()]
        calls.append(self._request(None, shared))
        return await asyncio.gather(*calls)

    async def _detach(self, name): ...
    async def _watch(self, path): ...
    async def _request(self, node, keys): ...
'''),
        # A larger max-fanout makes a literal range of 50 acceptable.
        Valid(
            '''\
import asyncio

async def fetch(i): ...

async def main():
    await asyncio.gather(*(fetch(i) for i in range(50)))
''',
            options={"max_fanout": 64},
        ),
    ]
    INVALID = [
        # Coroutines collected in a loop over a parameter, each wrapped in a task at the
        # wait: the wrapper adds no limit.
        Invalid(
            "import asyncio\n\nasync def fetch(session, url):\n"
            "    async with session.get(url) as response:\n        return await response.json()\n\n"
            "async def crawl(session, urls):\n"
            "    coros = []\n"
            "    for url in urls:\n"
            "        coros.append(fetch(session, url))\n"
            "    done, _ = await asyncio.wait([asyncio.ensure_future(c) for c in coros])\n"
            "    return [task.result() for task in done]\n",
            line=11, column=21, message_contains="`fetch(...)` for every element of `coros`",
        ),
        # A one-shot command floods an API as well as a service does (the seed's script);
        # only tests are left alone.
        Invalid(
            "import asyncio\n\nasync def fetch(session, url):\n"
            "    async with session.get(url) as response:\n        return await response.json()\n\n"
            "async def pull_all(session, urls):\n"
            "    return await asyncio.gather(*[fetch(session, url) for url in urls])\n",
            filename="tools/scripts/pull_reports.py", line=8,
        ),
        # The seed's trap 3: 50 endpoints, no Semaphore.
        Invalid(
            '''\
import asyncio

async def fetch_api(url):
    await asyncio.sleep(1)
    return f"data from {url}"

async def main():
    urls = [f"https://api.example.com/item/{i}" for i in range(50)]
    tasks = [fetch_api(url) for url in urls]
    results = await asyncio.gather(*tasks)
''',
            line=10, column=21, message_contains="50",
        ),
        # A comprehension over a parameter.
        Invalid(
            '''\
import asyncio

async def fetch(session, url):
    async with session.get(url) as resp:
        return await resp.json()

async def report(session, urls):
    return await asyncio.gather(*(fetch(session, u) for u in urls))
''',
            line=8, message_contains="`urls` (a parameter)",
        ),
        # map() and as_completed().
        Invalid(
            '''\
import asyncio

async def resolve(name): ...

async def resolve_all(names):
    for fut in asyncio.as_completed(map(resolve, names)):
        print(await fut)
''',
            line=6,
        ),
        # A list grown in a loop, passed to asyncio.wait.
        Invalid(
            '''\
import asyncio

async def notify(user): ...

async def notify_all(db):
    pending = []
    for user in await db.fetch_users():
        pending.append(notify(user))
    await asyncio.wait(pending)
''',
            line=9, message_contains="`pending` (grown in a loop)",
        ),
        # A lock is not a limiter of concurrency for this rule, and the name says nothing.
        Invalid(
            '''\
import asyncio

lock = asyncio.Lock()

async def fetch(client, url):
    async with client.stream("GET", url) as resp:
        return await resp.aread()

async def fetch_all(client, urls):
    return await asyncio.gather(*[fetch(client, u) for u in urls])
''',
            line=10,
        ),
        # A Semaphore created inside the coroutine itself limits nothing: one per call.
        Invalid(
            '''\
import asyncio

async def fetch(client, url):
    sem = asyncio.Semaphore(10)
    async with sem:
        return await client.get(url)

async def fetch_all(client, urls):
    return await asyncio.gather(*[fetch(client, u) for u in urls])
''',
            line=9,
        ),
        # anyio's amap runs the function for every element at once.
        Invalid(
            '''\
import anyio

async def thumbnail(path): ...

async def thumbnails(paths):
    return await anyio.amap(thumbnail, paths)
''',
            line=6, message_contains="`thumbnail`",
        ),
        # An attribute set from a constructor parameter is input, not an internal set.
        Invalid(
            '''\
import asyncio

class Crawler:
    def __init__(self, client, urls):
        self.client = client
        self.urls = urls

    async def crawl(self):
        return await asyncio.gather(*(self.client.get(u) for u in self.urls))
''',
            line=9, message_contains="`self.urls` (an attribute)",
        ),
        # A collection the object fills from I/O results is not an internal set.
        Invalid(
            '''\
import asyncio

class Mirror:
    def __init__(self):
        self._remote_files = []

    async def refresh(self, api):
        self._remote_files.extend(await api.list_files())

    async def download_all(self, api):
        await asyncio.gather(*(api.download(f) for f in self._remote_files))
''',
            line=11,
        ),
        # Grouping by node bounds the number of groups, not what one group holds.
        Invalid(
            '''\
import asyncio
from collections import defaultdict

async def send_all(client, messages):
    per_node = defaultdict(list)
    for message in messages:
        per_node[message.node].append(message)
    for node, batch in per_node.items():
        await asyncio.gather(*(client.send(node, m) for m in batch))
''',
            line=9,
        ),
        # A literal range above max-fanout.
        Invalid(
            '''\
import asyncio

async def fetch(i): ...

async def main():
    await asyncio.gather(*(fetch(i) for i in range(8)))
''',
            options={"max_fanout": 4}, line=6,
        ),
    ]

    @property
    def analysis(self) -> ConcurrencyAnalysis:
        """The file's fan-out analysis, shared with the other concurrency rules."""
        return self.context.shared(ConcurrencyAnalysis)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return
        last = func.value if isinstance(func, cst.Name) else func.attr.value
        if last not in ("gather", "wait", "as_completed", "amap"):
            return
        qualname = self.context.qualified_name(func)
        if qualname in GATHER_FUNCTIONS:
            candidates = [a.value for a in node.args if a.star == "*"]
        elif qualname in COLLECTION_WAITERS:
            candidates = [a.value for a in node.args[:1] if a.keyword is None and not a.star]
            candidates += [a.value for a in node.args
                           if a.keyword is not None and a.keyword.value in ("fs", "aws")]
        elif qualname in MAP_FUNCTIONS:
            candidates = [node]  # the call itself reads like map(func, args)
        else:
            return
        for expr in candidates:
            fanout = self.analysis.fanout(expr, self.context.scope)
            if fanout is None or not fanout.starts_work or fanout.spawned_in_loop:
                continue
            if fanout.on_existing_objects or fanout.worker_pool:
                continue
            if fanout.extent.bounded(self.context.settings.max_fanout):
                continue
            if self.analysis.fanout_is_limited(fanout):
                continue
            self.report(node, self._message(qualname or "gather", fanout))

    def _message(self, qualname: str, fanout: Fanout) -> str:
        limit = self.context.settings.max_fanout
        if fanout.calls:
            work_call = self.analysis.work_call(fanout.calls[0], fanout.scope)
            holder = code_of(work_call.func, 40)
            work = f"`{holder}(...)`"
        else:
            holder = code_of(fanout.functions[0], 40)
            work = f"a `{holder}` call"
        extent = fanout.extent
        if extent.size is None:
            size = f"size not known to be at most max-fanout {limit}"
        else:
            size = f"{extent.size} elements, more than max-fanout {limit}"
        head = self.message.format(call=f"`{qualname}`", work=work, source=extent.reason)
        return (
            f"{head} ({size}); acquire an `asyncio.Semaphore` inside `{holder}`, use a bounded "
            f"worker pool fed by an `asyncio.Queue`, or gather in batches of at most {limit} "
            "(`itertools.batched`)"
        )
