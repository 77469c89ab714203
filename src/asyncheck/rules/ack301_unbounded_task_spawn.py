"""ACK301 unbounded-task-spawn (off by default)."""

from __future__ import annotations

from typing import Union

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.concurrency import (
    COLLECTION_WAITERS,
    COMPREHENSIONS,
    GATHER_FUNCTIONS,
    TEARDOWN_RE,
    TEARDOWN_WORD_RE,
    ConcurrencyAnalysis,
    Extent,
    code_of,
    comprehension_targets,
    names_used,
    target_names,
)
from asyncheck.semantics.names import Scope
from asyncheck.syntax.walk import find_all

_SCOPE_BOUNDARIES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_Loop = Union[cst.For, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp]


class UnboundedTaskSpawn(Rule):
    """
    ## What it does
    Reports `asyncio.create_task(...)`, `asyncio.ensure_future(...)`, `loop.create_task(...)`,
    `TaskGroup.create_task(...)` and `task_group.start_soon(...)` inside a `for`/`async for`
    loop over an iterable whose size is not a literal of at most `max-fanout` elements, when
    nothing limits how many of the tasks run at once. A comprehension that spawns a task per
    element (`{u: tg.create_task(fetch(u)) for u in urls}`) is such a loop too, unless it is
    handed straight to `gather`/`wait`/`as_completed`, where ACK300 reports it.

    Not reported when the spawned coroutine function (also one in another project file) or a
    wrapper around it acquires a limiter (`async with sem:`, `await sem.acquire()` on an
    `asyncio.Semaphore`, `anyio.CapacityLimiter`, a configured `limiters` type), or when the
    loop body waits each round: `await sem.acquire()`, `await queue.put(...)` on an
    `asyncio.Queue(maxsize=...)`, `await asyncio.wait(...)`/`gather(...)`, or an
    `async with asyncio.TaskGroup()` inside the loop around the spawn. The later
    `gather(*tasks)` of such tasks is not reported again by ACK300. As for ACK300, tasks
    that work on the loop's element itself (`listener.serve()`), call it (`start_soon(task)`)
    or close something (`start_soon(stop_consumer, consumer)`), work off-loaded to a thread
    pool, loops over a `*args` parameter and over a small internal set (a collection of
    `self` filled by its own registration methods, a dict built by grouping) are not a
    fan-out of input; nor is a pool of identical workers whose spawn does not use the loop
    variable (`for _ in range(n): tg.create_task(worker(queue))`), which is the cure.

    Limits the loop keeps itself are recognised: `if len(running) >= max_running: await
    settle()`, a non-waiting acquire that leaves the loop when no slot is free (`try:
    limiter.acquire_nowait() except WouldBlock: break`), an awaited helper that acquires a
    limiter; and loops bounded by their structure: a spawn followed by `break`, a restart
    that closes the running object before spawning its next run. `ensure_future(
    create_task(...))` is one task, reported once.

    ## Why is this bad?
    A task starts running as soon as it is created. A loop over ten thousand rows, messages or
    URLs starts ten thousand concurrent requests: the remote side answers with HTTP 429 or
    refuses connections, and the process runs out of sockets and memory. Neither
    `create_task` nor `TaskGroup` has a limit of its own.

    ## Example
    ```python
    async def sync_users(client, user_ids):
        async with asyncio.TaskGroup() as tg:
            for uid in user_ids:
                tg.create_task(push_user(client, uid))
    ```

    ## Use instead
    ```python
    async def sync_users(client, user_ids):
        sem = asyncio.Semaphore(10)

        async def push_limited(uid):
            async with sem:
                await push_user(client, uid)

        async with asyncio.TaskGroup() as tg:
            for uid in user_ids:
                tg.create_task(push_limited(uid))
    ```
    Or have a fixed number of workers take items from an `asyncio.Queue(maxsize=...)`.

    ## Options
    `max-fanout` (default 20): loops over literal sizes up to this are fine. `limiters`:
    qualified names of further limiter types.

    ## Precision
    Off by default: on the ecosystem check (25 real async projects, SPEC §10) 0 of 16 judged
    findings were true (0 %), below the 90 % a default rule keeps. The false ones spawned
    one task per element of a small internal or configured set (services, handlers, devices,
    a constant list) or per message of a batch whose size is configured elsewhere. Turn it
    on for code that spawns per element of external input (`extend-select = ["ACK301"]`).
    """

    code = "ACK301"
    default_enabled = False  # measured below 90 % true: see Precision
    QUIET_IN = frozenset({"test"})  # a one-shot command can flood an API too (the seed's script)
    TRIGGERS = ("create_task", "ensure_future", "start_soon")
    name = "unbounded-task-spawn"
    message = "{spawn} starts a task for every element of {source} with no limit ({size})"

    VALID = [
        # The spawned coroutine acquires a Semaphore (module level).
        Valid('''\
import asyncio

sem = asyncio.Semaphore(10)

async def push_user(client, uid):
    async with sem:
        await client.post(f"/users/{uid}/sync")

async def sync_users(client, user_ids):
    async with asyncio.TaskGroup() as tg:
        for uid in user_ids:
            tg.create_task(push_user(client, uid))
'''),
        # A throttled loop: acquire before spawning, release when the task is done.
        Valid('''\
import asyncio

async def crawl(session, urls):
    sem = asyncio.Semaphore(20)
    tasks = []
    for url in urls:
        await sem.acquire()
        task = asyncio.create_task(session.get(url))
        task.add_done_callback(lambda _t: sem.release())
        tasks.append(task)
    return await asyncio.gather(*tasks)
'''),
        # A bounded queue feeding workers: put() waits when the queue is full.
        Valid('''\
import asyncio

async def produce(rows, handle):
    queue = asyncio.Queue(maxsize=100)
    async with asyncio.TaskGroup() as tg:
        for row in rows:
            await queue.put(row)
            tg.create_task(handle(queue))
'''),
        # Wait for a slot when too many are in flight.
        Valid('''\
import asyncio

async def mirror(paths, upload):
    pending = set()
    for path in paths:
        if len(pending) >= 10:
            _done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        pending.add(asyncio.create_task(upload(path)))
    await asyncio.wait(pending)
'''),
        # One TaskGroup per batch: at most 10 tasks at a time.
        Valid('''\
import asyncio
import itertools

async def index_all(documents, index_one):
    for batch in itertools.batched(documents, 10):
        async with asyncio.TaskGroup() as tg:
            for doc in batch:
                tg.create_task(index_one(doc))
'''),
        # A nested coroutine closing over a semaphore made by the caller.
        Valid('''\
import asyncio

async def warm_cache(redis, keys, load):
    sem = asyncio.Semaphore(16)

    async def warm(key):
        async with sem:
            await redis.set(key, await load(key))

    tasks = [asyncio.create_task(warm(k)) for k in keys]
    for key in keys:
        tasks.append(asyncio.create_task(warm(key)))
    await asyncio.gather(*tasks)
'''),
        # A worker pool sized by configuration: the spawn does not depend on the element.
        Valid('''\
import asyncio

async def worker(queue):
    while True:
        job = await queue.get()
        await job.run()
        queue.task_done()

async def serve(queue, settings):
    async with asyncio.TaskGroup() as tg:
        for _ in range(settings.worker_count):
            tg.create_task(worker(queue))
        pool = [asyncio.create_task(worker(queue)) for _ in range(settings.worker_count)]
        await queue.join()
        for task in pool:
            task.cancel()
'''),
        # Small literal ranges.
        Valid('''\
import asyncio

async def worker(queue):
    while True:
        item = await queue.get()
        queue.task_done()

async def main(queue):
    workers = [asyncio.create_task(worker(queue)) for _ in range(4)]
    for _ in range(4):
        asyncio.create_task(worker(queue))
'''),
        # The limited coroutine is in another module (anyio CapacityLimiter as a parameter).
        Valid(
            '''\
import anyio

from mailer.send import send_one

async def send_all(messages):
    limiter = anyio.CapacityLimiter(5)
    async with anyio.create_task_group() as tg:
        for message in messages:
            tg.start_soon(send_one, message, limiter)
''',
            filename="mailer/bulk.py",
            other_files={
                "mailer/__init__.py": "",
                "mailer/send.py": '''\
import anyio

async def send_one(message, limiter: anyio.CapacityLimiter):
    async with limiter:
        await message.deliver()
''',
            },
        ),
        # anyio: one task per live connection, closing it (as many as there are objects).
        Valid('''\
import anyio

async def shutdown(connections):
    async with anyio.create_task_group() as tg:
        for conn in connections:
            tg.start_soon(conn.aclose)
'''),
        # Closing what exists (one channel per subscribed name): bounded by live objects.
        Valid('''\
import anyio

async def unsubscribe_all(broker, channel_names):
    async with anyio.create_task_group() as tg:
        for name in channel_names:
            tg.start_soon(broker.channels.close_channel, name)
'''),
        # Existing limits kept by the loop itself: a length check that waits for a slot,
        # a non-waiting acquire that stops when none is free, a helper that acquires.
        Valid('''\
import asyncio
import anyio

async def run_tool_calls(stream, execute, max_running):
    running = []

    async def settle():
        await asyncio.gather(*running)
        running.clear()

    async for call in stream:
        running.append(asyncio.create_task(execute(call)))
        if len(running) >= max_running:
            await settle()
    await settle()

async def submit_ready(runs, limiter, task_group, submit):
    for run in runs:
        try:
            limiter.acquire_on_behalf_of_nowait(run.id)
        except anyio.WouldBlock:
            break
        task_group.start_soon(submit, run)

class Consumer:
    def __init__(self, limit):
        self._slots = anyio.CapacityLimiter(limit)

    async def _take_slot(self, owner):
        await self._slots.acquire_on_behalf_of(owner)

    async def consume(self, subscription, task_group):
        async for job in subscription:
            await self._take_slot(job.id)
            task_group.start_soon(self._run, job)

    async def _run(self, job): ...
'''),
        # Work off-loaded to the thread pool is bounded by its workers.
        Valid('''\
import asyncio

async def load_all(names, load_spec):
    return {n: asyncio.create_task(asyncio.to_thread(load_spec, n)) for n in names}
'''),
        # Bounded by the loop's structure: one spawn and then `break`; a restart that closes
        # the running server before starting it again.
        Valid('''\
import asyncio

async def reconnect(conn, delays, on_reconnected):
    for delay in delays:
        try:
            await conn.open()
        except OSError:
            await asyncio.sleep(delay)
        else:
            if on_reconnected is not None:
                asyncio.get_running_loop().create_task(on_reconnected())
            break

async def serve_with_reload(changes, server):
    asyncio.create_task(server.serve())
    async for _ in changes:
        await server.close()
        asyncio.create_task(server.serve())
'''),
        # Existing work: stopping what runs (a stop helper per element), calling each
        # handler, notifying listeners through a wrapper.
        Valid('''\
import asyncio
import anyio

async def stop_all(consumers):
    async def stop_consumer(consumer):
        await consumer.stop()

    async with anyio.create_task_group() as tg:
        for consumer in consumers:
            tg.start_soon(stop_consumer, consumer)

async def run_after_response(callbacks):
    async with anyio.create_task_group() as tg:
        for callback in callbacks:
            tg.start_soon(callback)

async def _guarded(listener_call):
    try:
        await listener_call
    except Exception:
        pass

def fan_out(listeners, message):
    return [asyncio.ensure_future(_guarded(listener(message))) for listener in listeners]
'''),
        # A small internal set: callbacks registered through the object's own method.
        Valid('''\
import asyncio

class Bus:
    def __init__(self):
        self._subscribers = {}

    def subscribe(self, topic, callback):
        self._subscribers.setdefault(topic, []).append(callback)

    def emit(self, topic, payload):
        for callback in self._subscribers.get(topic, []):
            asyncio.create_task(self._deliver(callback, payload))

    async def _deliver(self, callback, payload): ...
'''),
    ]
    INVALID = [
        # `ensure_future` of a task `create_task` just made: one task, one finding.
        Invalid(
            '''\
import asyncio

async def probe(host, port): ...

async def probe_all(host, ports):
    probes = []
    for port in ports:
        probes.append(asyncio.ensure_future(
            asyncio.create_task(probe(host, port))))
    await asyncio.wait(probes)
''',
            line=9,
        ),
        # `break` before the spawn does not stop the loop after it; an emptiness test is
        # not a limit.
        Invalid(
            '''\
import asyncio

async def handle(message): ...

async def pump(messages):
    for message in messages:
        if message.kind == "stop":
            break
        if len(message.body) == 0:
            continue
        asyncio.create_task(handle(message))
''',
            line=11,
        ),
        # anyio: a task per URL of the input, nothing bounding them.
        Invalid(
            '''\
import anyio

async def fetch(client, url):
    response = await client.get(url)
    return response.text

async def crawl(client, urls):
    async with anyio.create_task_group() as tg:
        for url in urls:
            tg.start_soon(fetch, client, url)
''',
            line=10, message_contains="`urls` (a parameter)",
        ),
        Invalid(
            '''\
import asyncio

async def push_user(client, uid):
    await client.post(f"/users/{uid}/sync")

async def sync_users(client, user_ids):
    async with asyncio.TaskGroup() as tg:
        for uid in user_ids:
            tg.create_task(push_user(client, uid))
''',
            line=9, column=13, message_contains="`user_ids` (a parameter)",
        ),
        # Tasks collected then gathered: reported once, at the spawn (not again by ACK300).
        Invalid(
            '''\
import asyncio

async def fetch(session, url):
    async with session.get(url) as resp:
        return await resp.read()

async def fetch_all(session, urls):
    tasks = []
    for url in urls:
        tasks.append(asyncio.create_task(fetch(session, url)))
    return await asyncio.gather(*tasks)
''',
            line=10,
        ),
        # A message loop that spawns a handler per message.
        Invalid(
            '''\
import asyncio

async def handle(ws, message): ...

async def serve(ws):
    loop = asyncio.get_running_loop()
    async for message in ws:
        loop.create_task(handle(ws, message))
''',
            line=8, message_contains="async iterator",
        ),
        # An unbounded queue does not throttle: put() never waits.
        Invalid(
            '''\
import asyncio

async def produce(rows, handle):
    queue = asyncio.Queue()
    for row in rows:
        await queue.put(row)
        asyncio.ensure_future(handle(queue))
''',
            line=7,
        ),
        # A batch loop that never waits between batches accumulates all the tasks.
        Invalid(
            '''\
import asyncio
import itertools

async def index_all(documents, index_one, tasks):
    for batch in itertools.batched(documents, 10):
        for doc in batch:
            tasks.add(asyncio.create_task(index_one(doc)))
''',
            line=7,
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
        if last not in ("create_task", "ensure_future", "start_soon"):
            return
        scope = self.context.scope
        analysis = self.analysis
        if not analysis.is_task_spawn(node, scope):
            return
        if node.args and isinstance(node.args[0].value, cst.Call) and analysis.is_task_spawn(
            node.args[0].value, scope
        ):
            return  # ``ensure_future(create_task(...))``: one task, reported at the inner spawn
        loops = self._accumulating_loops(node, scope)
        if not loops:
            return
        limit = self.context.settings.max_fanout
        total = 1
        unbounded: Extent | None = None
        for loop in loops:
            extent = self._rounds(loop, scope)
            if extent.size is None:
                unbounded = extent
                break
            total *= extent.size
        if unbounded is None and total <= limit or unbounded is not None and unbounded.visibly_bounded:
            return
        if self._spawns_existing_work(node, loops[0], scope):
            return
        if self._is_worker_pool(node, loops[0], scope):
            return
        if self._spawn_is_limited(node, scope):
            return
        if self._exits_after_spawn(loops[0]):
            return
        if self._restarts_one_for_one(node, loops[0], scope):
            return
        work = analysis.work_call(node, scope)
        holder = code_of(work.func, 40) if work is not node else code_of(node.args[0].value, 40)
        if unbounded is not None:
            source, size = unbounded.reason, f"size not known to be at most max-fanout {limit}"
        else:
            source = self._rounds(loops[0], scope).reason
            size = f"{total} tasks, more than max-fanout {limit}"
        head = self.message.format(spawn=f"`{code_of(node.func, 40)}`", source=source, size=size)
        self.report(node, (
            f"{head}; acquire an `asyncio.Semaphore` inside `{holder}`, `await sem.acquire()` "
            "in the loop before spawning (release when the task is done), or have a fixed "
            "pool of workers take items from an `asyncio.Queue(maxsize=...)`"
        ))

    def _rounds(self, loop: _Loop, scope: Scope) -> Extent:
        """How many rounds a loop (or comprehension) makes."""
        if isinstance(loop, cst.For):
            if loop.asynchronous is not None:
                return Extent(None, f"`{code_of(loop.iter)}` (an async iterator)")
            return self.analysis.extent(loop.iter, scope)
        return self.analysis.comprehension_extent(loop.for_in, scope)

    def _accumulating_loops(self, node: cst.Call, scope: Scope) -> list[_Loop]:
        """The loops around the spawn, innermost first, whose rounds add tasks without
        waiting for earlier ones: up to a task group entered inside them (it waits for its
        tasks each round) or a loop whose body waits/throttles each round.  A comprehension
        whose element is the spawn is a loop too, unless it is handed straight to
        gather/wait/as_completed, where ACK300 reports it."""
        loops: list[_Loop] = []
        stack = self.context.stack
        child: cst.CSTNode = node
        for depth, ancestor in enumerate(reversed(stack[:-1])):
            if isinstance(ancestor, _SCOPE_BOUNDARIES):
                break
            if isinstance(ancestor, COMPREHENSIONS):
                element = ancestor.value if isinstance(ancestor, cst.DictComp) else ancestor.elt
                if child is not element:
                    break  # a spawn in a condition or iterable: not once per element
                if self._handed_to_waiter(stack, len(stack) - 2 - depth, scope):
                    return []
                loops.append(ancestor)
            if (
                isinstance(ancestor, cst.With)
                and ancestor.asynchronous is not None
                and child is ancestor.body
                and any(self.analysis.is_task_group(item.item, scope) for item in ancestor.items)
            ):
                break
            if isinstance(ancestor, cst.For) and child is ancestor.body:
                if self._waits_each_round(ancestor, scope):
                    break
                loops.append(ancestor)
            child = ancestor
        return loops

    def _handed_to_waiter(self, stack: list[cst.CSTNode], position: int, scope: Scope) -> bool:
        """The comprehension at ``stack[position]`` is an argument of gather/wait/as_completed."""
        if position < 2 or not isinstance(stack[position - 1], cst.Arg):
            return False
        call = stack[position - 2]
        if not isinstance(call, cst.Call):
            return False
        qualname = self.context.resolver.qualified_name(call.func, scope)
        return qualname in GATHER_FUNCTIONS or qualname in COLLECTION_WAITERS

    def _waits_each_round(self, loop: cst.For, scope: Scope) -> bool:
        """The loop body awaits something that throttles or joins: a limiter's acquire(),
        a bounded queue's put(), asyncio.wait/gather/as_completed, a task itself, or a
        helper that acquires a limiter (``await self._acquire_token(run.id)``); or it
        visibly keeps a limit: ``if len(running) >= max_running: await settle()``, or a
        non-waiting acquire that leaves the loop when no slot is free (``try:
        limiter.acquire_nowait() except WouldBlock: break``)."""
        analysis = self.analysis
        for awaited in _awaits_in(loop.body):
            if isinstance(awaited, (cst.Name, cst.Subscript)):
                return True  # ``await task``: one at a time
            if not isinstance(awaited, cst.Call):
                continue
            func = awaited.func
            qualname = self.context.resolver.qualified_name(func, scope)
            if qualname in GATHER_FUNCTIONS or qualname in COLLECTION_WAITERS:
                return True
            if isinstance(func, cst.Attribute):
                if func.attr.value == "acquire" and analysis.is_limiter_expression(
                    func.value, scope
                ):
                    return True
                if func.attr.value == "put" and analysis.is_bounded_queue(func.value, scope):
                    return True
            if isinstance(func, (cst.Name, cst.Attribute)) and analysis.function_is_limited(
                func, scope, awaited.args
            ):
                return True
        for statement in find_all(loop.body, (cst.If, cst.Try), own_scope=True):
            if isinstance(statement, cst.If):
                if _is_length_check(statement.test, self._targets(loop)) and _waits_or_exits(
                    statement.body
                ):
                    return True
                if _calls_acquire(statement.test) and _leaves(statement.body):
                    return True
            elif isinstance(statement, cst.Try) and _calls_acquire(statement.body) and any(
                _leaves(handler.body) for handler in statement.handlers
            ):
                return True
        return False

    def _exits_after_spawn(self, loop: _Loop) -> bool:
        """``create_task(callback()); break``: the loop ends after its one spawn.  A
        ``break``/``return`` after the spawn, in its block or in a block around it inside
        the loop."""
        if not isinstance(loop, cst.For):
            return False
        stack = self.context.stack
        child: cst.CSTNode = stack[-1]
        for ancestor in reversed(stack[:-1]):
            if ancestor is loop:
                return False
            if isinstance(ancestor, (cst.IndentedBlock, cst.SimpleStatementLine,
                                     cst.SimpleStatementSuite)):
                siblings = list(ancestor.body)
                for position, sibling in enumerate(siblings):
                    if sibling is child:
                        if any(_is_exit(later) for later in siblings[position + 1:]):
                            return True
                        break
            if isinstance(ancestor, _SCOPE_BOUNDARIES):
                return False
            child = ancestor
        return False

    def _restarts_one_for_one(self, node: cst.Call, loop: _Loop, scope: Scope) -> bool:
        """``await worker.close(); create_task(worker.run())`` each round: the loop replaces
        the one running task rather than adding one per element."""
        if not isinstance(loop, cst.For):
            return False
        work = self.analysis.work_call(node, scope)
        if names_used(work) & self._targets(loop):
            return False
        root = work.func
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            root = root.value
        if not isinstance(root, cst.Name) or root is work.func:
            return False
        for awaited in _awaits_in(loop.body):
            if (isinstance(awaited, cst.Call) and isinstance(awaited.func, cst.Attribute)
                    and TEARDOWN_RE.match(awaited.func.attr.value)
                    and isinstance(awaited.func.value, cst.Name)
                    and awaited.func.value.value == root.value):
                return True
        return False

    def _is_worker_pool(self, node: cst.Call, loop: _Loop, scope: Scope) -> bool:
        """``for _ in range(n): create_task(worker(queue))``: n identical workers."""
        if isinstance(loop, cst.For):
            iterable = loop.iter
        elif loop.for_in.inner_for_in is None:
            iterable = loop.for_in.iter
        else:
            return False
        return self.analysis.is_worker_pool(node, iterable, self._targets(loop), scope)

    @staticmethod
    def _targets(loop: _Loop) -> set[str]:
        """The names a loop or comprehension binds per round."""
        if isinstance(loop, cst.For):
            return {n.value for n in target_names(loop.target)}
        return comprehension_targets(loop.for_in)

    def _spawns_existing_work(self, node: cst.Call, loop: _Loop, scope: Scope) -> bool:
        """The task works on the loop's element itself (``listener.serve()``) or closes
        something: the number of such tasks is that of live objects, not of input."""
        targets = self._targets(loop)
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "start_soon" and node.args:
            spawned = node.args[0].value
            if isinstance(spawned, cst.Name) and TEARDOWN_WORD_RE.search(spawned.value) and (
                {n for a in node.args[1:] for n in names_used(a.value)} & targets
            ):
                return True  # ``start_soon(stop_subscriber, sub)``
            while isinstance(spawned, (cst.Attribute, cst.Subscript)):
                if isinstance(spawned, cst.Attribute) and TEARDOWN_RE.match(spawned.attr.value):
                    return True
                spawned = spawned.value
            # ``start_soon(conn.aclose)``, or the element itself: ``start_soon(task)``.
            return isinstance(spawned, cst.Name) and spawned.value in targets
        return self.analysis.works_on_existing(node, targets, scope)

    def _spawn_is_limited(self, node: cst.Call, scope: Scope) -> bool:
        analysis = self.analysis
        if not node.args:
            return False
        first = node.args[0].value
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "start_soon":
            return analysis.function_is_limited(first, scope, node.args[1:])
        behind = analysis.call_behind(first, scope)
        return behind is not None and analysis.call_is_limited(behind, scope)


def _is_exit(statement: cst.CSTNode) -> bool:
    """``break`` or ``return`` (a statement or a small statement)."""
    if isinstance(statement, cst.SimpleStatementLine):
        return any(isinstance(small, (cst.Break, cst.Return)) for small in statement.body)
    return isinstance(statement, (cst.Break, cst.Return))


def _leaves(body: cst.CSTNode) -> bool:
    """A block that leaves the round: ``break``, ``return`` or ``continue``."""
    return bool(find_all(body, (cst.Break, cst.Return, cst.Continue), own_scope=True))


def _waits_or_exits(body: cst.CSTNode) -> bool:
    """A block that awaits (for a slot) or leaves the loop."""
    return bool(find_all(body, (cst.Await, cst.Break, cst.Return), own_scope=True))


def _is_length_check(test: cst.BaseExpression, targets: set[str]) -> bool:
    """A limit on a collection's length: ``len(running) >= max_running`` (not an emptiness
    test like ``len(x) == 0``, nor the length of the loop's element)."""
    for comparison in find_all(test, (cst.Comparison,)):
        sides = [comparison.left, *(target.comparator for target in comparison.comparisons)]
        lengths = [side for side in sides if isinstance(side, cst.Call)
                   and isinstance(side.func, cst.Name) and side.func.value == "len"
                   and side.args and not names_used(side.args[0].value) & targets]
        others = [side for side in sides if side not in lengths]
        if lengths and others and not any(
            isinstance(side, cst.Integer) and side.evaluated_value <= 1 for side in others
        ):
            return True
    return False


def _calls_acquire(node: cst.CSTNode) -> bool:
    """A call of a method named ``acquire...`` (``acquire_nowait``,
    ``acquire_on_behalf_of_nowait``), not in nested functions."""
    return any(isinstance(call.func, cst.Attribute) and call.func.attr.value.startswith("acquire")
               for call in find_all(node, (cst.Call,), own_scope=True))


def _awaits_in(body: cst.CSTNode) -> list[cst.BaseExpression]:
    """The expressions awaited in a block, not in nested functions."""
    return [awaited.expression for awaited in find_all(body, (cst.Await,), own_scope=True)]
