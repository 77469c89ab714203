"""ACK270 blocking-wait."""

from __future__ import annotations

from asyncheck.lint import BlockingCallRule, Invalid, Valid


class BlockingWait(BlockingCallRule):
    """
    ## What it does
    Reports waits on thread synchronisation made directly inside an `async def`:
    `acquire()` and `with lock:` on `threading.Lock`, `RLock`, `Semaphore`,
    `BoundedSemaphore` and `Condition` objects (not `acquire(blocking=False)`), `wait()` on
    `threading.Event`/`Condition`; `get`, `put` and `join` on `queue.Queue` objects (not
    `get_nowait`/`put_nowait`, not `block=False`); `Thread.join()`; and `.result()` on
    `concurrent.futures` futures (from `executor.submit(...)`) and on
    `asyncio.run_coroutine_threadsafe(...)`. The same methods are reported through `self`
    in a subclass of these classes that does not override them (`self.get(timeout=5)` in a
    method of `class Inbox(queue.Queue)`), and on its instances. A literal zero timeout (`event.wait(0)`,
    `future.result(timeout=0)`, `q.get(timeout=0)`) polls and is not reported.

    Waits that visibly cannot hold the loop are not reported either:
    - a short critical section on a thread mutex (`threading.Lock`/`RLock`, or the lock of
      a `threading.Condition`): `with lock:`, or `lock.acquire()` followed in the same block
      by the statements up to `lock.release()` (also in a `try … finally`), whose section
      has no `await`, `async for`/`async with` and no blocking call. Holding the mutex
      *across* an `await` is reported, on the `with`/`acquire()` line;
    - `acquire()` on a lock created earlier in the same block and not used in between
      (nobody else can hold it);
    - `put` on a queue every assignment of which is `queue.Queue()` without a positive
      `maxsize`;
    - `get` guarded by an `empty()` check (`while not q.empty(): q.get()`,
      `if not q.empty(): ...`, after `while q.empty(): await ...` or
      `if q.empty(): return`), and `put` guarded by `full()` the same way.

    ## Why is this bad?
    These wait for another *thread*, and the event loop is a thread: while it waits, no
    coroutine runs. If the thread it waits for needs the loop (a future scheduled with
    `run_coroutine_threadsafe` on the same loop, a worker that calls back into it), the
    program deadlocks.

    ## Example
    ```python
    import queue
    import threading

    jobs: queue.Queue[str] = queue.Queue()
    stats_lock = threading.Lock()

    async def consume(stats: dict, fetch) -> None:
        while True:
            url = jobs.get()
            with stats_lock:
                stats[url] = await fetch(url)
    ```

    ## Use instead
    ```python
    import asyncio

    jobs: asyncio.Queue[str] = asyncio.Queue()
    stats_lock = asyncio.Lock()

    async def consume(stats: dict, fetch) -> None:
        while True:
            url = await jobs.get()
            async with stats_lock:
                stats[url] = await fetch(url)
    ```
    A lock shared with threads is fine for a few statements: take what is needed under it
    and `await` outside (`with lock: pending = list(items)`, then `await send(pending)`).
    A thread-safe queue shared with threads can be read with `get_nowait()` or
    `await asyncio.to_thread(jobs.get)`; a future from a thread pool with
    `await asyncio.wrap_future(future)`.
    """

    code = "ACK270"
    name = "blocking-wait"

    VALID = [
        # A subclass that overrides the wait with its own non-blocking one.
        Valid(
            "import queue\n\n"
            "class Mailbox(queue.Queue):\n"
            "    def get(self, block=True, timeout=None):\n"
            "        return super().get(block=False)\n\n"
            "    async def next_message(self):\n"
            "        return self.get(timeout=5)\n"
        ),
        Valid(
            "import queue, threading\n\n"
            "jobs = queue.Queue()\nlock = threading.Lock()\n\n"
            "def worker(results):\n"
            "    while True:\n"
            "        item = jobs.get()\n"
            "        with lock:\n"
            "            results.append(item)\n"
            "        jobs.task_done()\n"
        ),
        # The asyncio primitives, and non-blocking variants of the thread ones.
        Valid(
            "import asyncio, queue, threading\n\n"
            "inbox: 'queue.Queue[str]' = queue.Queue()\n"
            "guard = threading.Lock()\n\n"
            "async def drain(out: asyncio.Queue, lock: asyncio.Lock, done: asyncio.Event):\n"
            "    while not inbox.empty():\n"
            "        await out.put(inbox.get_nowait())\n"
            "        inbox.put('ack', block=False)\n"
            "        inbox.get(False)\n"
            "    if guard.acquire(blocking=False):\n"
            "        guard.release()\n"
            "    async with lock:\n"
            "        await done.wait()\n"
        ),
        # Waiting in a thread, and awaiting a wrapped future.
        Valid(
            "import asyncio\nfrom concurrent.futures import ThreadPoolExecutor\n\n"
            "pool = ThreadPoolExecutor(4)\n\n"
            "async def render(doc):\n"
            "    future = pool.submit(doc.render)\n"
            "    return await asyncio.wrap_future(future)\n\n"
            "async def stop(thread, loop):\n"
            "    await asyncio.to_thread(thread.join)\n"
            "    task = loop.create_task(asyncio.sleep(1))\n"
            "    await task\n"
            "    return task.result()\n"
        ),
        # Short critical sections on thread mutexes: no await and no blocking call inside.
        Valid(
            "import threading\n\n"
            "class Tally:\n"
            "    def __init__(self):\n"
            "        self._lock = threading.Lock()\n"
            "        self._changed = threading.Condition()\n"
            "        self._totals = {}\n\n"
            "    async def add(self, name, source):\n"
            "        amount = await source.read(name)\n"
            "        with self._lock:\n"
            "            self._totals[name] = self._totals.get(name, 0) + amount\n"
            "            snapshot = dict(self._totals)\n"
            "        with self._changed:\n"
            "            self._changed.notify_all()\n"
            "        await source.ack(name)\n"
            "        return snapshot\n"
        ),
        # acquire()...release() around bookkeeping, the awaits outside the section.
        Valid(
            "import threading\n\n"
            "_subscribers_lock = threading.RLock()\n"
            "_subscribers = {}\n\n"
            "async def publish(topic, message):\n"
            "    _subscribers_lock.acquire()\n"
            "    try:\n"
            "        targets = list(_subscribers.get(topic, ()))\n"
            "    finally:\n"
            "        _subscribers_lock.release()\n"
            "    for target in targets:\n"
            "        await target.deliver(message)\n\n"
            "async def unsubscribe(topic, target):\n"
            "    _subscribers_lock.acquire()\n"
            "    _subscribers.get(topic, []).remove(target)\n"
            "    _subscribers_lock.release()\n"
        ),
        # A lock made a line above: nobody else can hold it yet (here inside a short
        # section on another lock).
        Valid(
            "import threading\n\n"
            "class Leases:\n"
            "    def __init__(self):\n"
            "        self._table_lock = threading.Lock()\n"
            "        self._leases = {}\n\n"
            "    async def take(self, key, owner):\n"
            "        with self._table_lock:\n"
            "            if key in self._leases:\n"
            "                return False\n"
            "            lease = threading.Lock()\n"
            "            lease.acquire()\n"
            "            self._leases[key] = (owner, lease)\n"
            "            return True\n"
        ),
        # put on an unbounded queue.Queue; get after an empty() check.
        Valid(
            "import asyncio\nfrom queue import Queue\n\n"
            "class Pipe:\n"
            "    def __init__(self):\n"
            "        self.to_worker: 'Queue[bytes]' = Queue()\n"
            "        self.from_worker = Queue(maxsize=0)\n\n"
            "    async def write(self, chunk):\n"
            "        self.to_worker.put(chunk)\n\n"
            "    async def read(self):\n"
            "        while self.from_worker.empty():\n"
            "            await asyncio.sleep(0.01)\n"
            "        return self.from_worker.get()\n\n"
            "    async def read_all(self):\n"
            "        chunks = []\n"
            "        while not self.from_worker.empty():\n"
            "            chunks.append(self.from_worker.get())\n"
            "        if self.to_worker.empty():\n"
            "            return chunks\n"
            "        chunks.append(self.to_worker.get())\n"
            "        return chunks\n"
        ),
        # A dict's get and an asyncio queue's get are not queue.Queue.get.
        Valid(
            "import asyncio\n\n"
            "async def pick(options: dict, q: asyncio.Queue):\n"
            "    return options.get('mode'), q.get_nowait()\n"
        ),
    ]
    INVALID = [
        # A thread mutex held across an await: reported on the `with` line.
        Invalid(
            "import threading\n\n"
            "class Channel:\n"
            "    def __init__(self, transport):\n"
            "        self._lock = threading.Lock()\n"
            "        self._transport = transport\n\n"
            "    async def call(self, request):\n"
            "        with self._lock:\n"
            "            await self._transport.send(request)\n"
            "            return await self._transport.receive()\n",
            line=9, message_contains="`with self._lock:`",
        ),
        # acquire() ... await ... release(): reported on the acquire() line.
        Invalid(
            "import threading\n\n"
            "token_lock = threading.Lock()\n\n"
            "async def refresh(state, auth):\n"
            "    token_lock.acquire()\n"
            "    try:\n"
            "        state['token'] = await auth.new_token()\n"
            "    finally:\n"
            "        token_lock.release()\n",
            line=6,
        ),
        # Near misses: a section with a blocking wait inside, a bounded queue's put, an
        # unguarded get, a condition's wait, a release nowhere in sight, a new lock handed
        # to a worker before it is taken.
        Invalid(
            "import queue, threading\n\n"
            "jobs = queue.Queue(maxsize=64)\n"
            "lock = threading.Lock()\n"
            "done = threading.Condition()\n\n"
            "async def submit(job, results, start_worker):\n"
            "    jobs.put(job)\n"
            "    with lock:\n"
            "        results.append(jobs.get())\n"
            "    with done:\n"
            "        done.wait()\n"
            "    lock.acquire()\n"
            "    ready = threading.Lock()\n"
            "    start_worker(ready)\n"
            "    ready.acquire()\n",
            line=8, count=7,
        ),
        Invalid(
            "import queue, threading\n\n"
            "jobs = queue.Queue()\nstats_lock = threading.Lock()\n\n"
            "async def consume(stats, fetch):\n"
            "    while True:\n"
            "        url = jobs.get()\n"
            "        with stats_lock:\n"
            "            stats[url] = await fetch(url)\n",
            line=8, count=2, message_contains="asyncio.Queue",
        ),
        Invalid(
            "import threading\n\n"
            "class Cache:\n"
            "    def __init__(self):\n"
            "        self._lock = threading.RLock()\n"
            "        self._ready = threading.Event()\n\n"
            "    async def get(self, key):\n"
            "        self._ready.wait()\n"
            "        with self._lock:\n"
            "            return await self._load(key)\n",
            line=9, count=2,
        ),
        Invalid(
            "import asyncio\n\n"
            "async def call_other_loop(coro, other_loop):\n"
            "    future = asyncio.run_coroutine_threadsafe(coro, other_loop)\n"
            "    return future.result(timeout=5)\n",
            line=5, message_contains="asyncio.wrap_future",
        ),
        Invalid(
            "from concurrent.futures import ThreadPoolExecutor\n\n"
            "async def thumbnails(images, make_thumb):\n"
            "    with ThreadPoolExecutor() as pool:\n"
            "        futures = [pool.submit(make_thumb, image) for image in images]\n"
            "        first = pool.submit(make_thumb, images[0])\n"
            "        return first.result()\n",
            line=7,
        ),
        Invalid(
            "import threading\n\n"
            "async def run_export(export):\n"
            "    worker = threading.Thread(target=export, daemon=True)\n"
            "    worker.start()\n"
            "    worker.join()\n",
            line=6,
        ),
        Invalid(
            "import queue\nfrom typing import Optional\n\n"
            "async def hand_over(results: Optional[queue.Queue], item):\n"
            "    results.put(item, timeout=1)\n"
            "    results.join()\n",
            line=5, count=2,
        ),
        # Through `self` in a subclass: the inherited `get` waits on the thread queue.
        Invalid(
            "import queue\n\n"
            "class KernelInbox(queue.Queue):\n"
            "    async def next_reply(self, msg_id: str, wait: float):\n"
            "        while True:\n"
            "            reply = self.get(timeout=wait)\n"
            "            if reply['parent_id'] == msg_id:\n"
            "                return reply\n",
            line=6, message_contains="`self.get(...)` (`queue.Queue.get`)",
        ),
    ]
