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
    `asyncio.run_coroutine_threadsafe(...)`. A literal zero timeout (`event.wait(0)`,
    `future.result(timeout=0)`, `q.get(timeout=0)`) polls and is not reported.

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

    async def consume(stats: dict) -> None:
        while True:
            url = jobs.get()
            with stats_lock:
                stats[url] = stats.get(url, 0) + 1
    ```

    ## Use instead
    ```python
    import asyncio

    jobs: asyncio.Queue[str] = asyncio.Queue()
    stats_lock = asyncio.Lock()

    async def consume(stats: dict) -> None:
        while True:
            url = await jobs.get()
            async with stats_lock:
                stats[url] = stats.get(url, 0) + 1
    ```
    A thread-safe queue shared with threads can be read with `get_nowait()` or
    `await asyncio.to_thread(jobs.get)`; a future from a thread pool with
    `await asyncio.wrap_future(future)`.
    """

    code = "ACK270"
    name = "blocking-wait"

    VALID = [
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
        # A dict's get and an asyncio queue's get are not queue.Queue.get.
        Valid(
            "import asyncio\n\n"
            "async def pick(options: dict, q: asyncio.Queue):\n"
            "    return options.get('mode'), q.get_nowait()\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import queue, threading\n\n"
            "jobs = queue.Queue()\nstats_lock = threading.Lock()\n\n"
            "async def consume(stats):\n"
            "    while True:\n"
            "        url = jobs.get()\n"
            "        with stats_lock:\n"
            "            stats[url] = stats.get(url, 0) + 1\n",
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
            "            return key\n",
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
    ]
