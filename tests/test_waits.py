"""ACK270 and ACK290: waits on thread primitives that visibly cannot hold the event loop.

A short critical section on a thread mutex, a lock nobody else has seen yet, ``put`` on an
unbounded queue and ``get`` after an ``empty()`` check are the normal ways to share state
with threads (SPEC §1, ACK270 row; issue 17, kinds 1 and 2).
"""

from __future__ import annotations

import pytest

from asyncheck.doors.testing import lint_source

HEADER = (
    "import asyncio, queue, threading\n\n"
    "lock = threading.Lock()\n"
    "rlock = threading.RLock()\n"
    "cond = threading.Condition()\n"
    "sem = threading.Semaphore(2)\n"
    "jobs = queue.Queue()\n"
    "bounded = queue.Queue(maxsize=4)\n"
    "ready = threading.Event()\n\n"
)


def lines(body: str, codes: tuple[str, ...] = ("ACK270",)) -> list[int]:
    """The lines (in ``body``, 1-based) of the findings in ``async def f(x, send):``."""
    source = HEADER + "async def f(x, send):\n" + body
    offset = HEADER.count("\n") + 1
    return [d.line - offset for d in lint_source(source, codes=codes)]


@pytest.mark.parametrize("body", [
    "    with lock:\n        x.append(1)\n",
    "    with rlock:\n        with lock:\n            x.append(1)\n",
    "    with cond:\n        cond.notify_all()\n",
    "    with lock:\n        item = x.pop()\n    await send(item)\n",
    "    lock.acquire()\n    x.append(1)\n    lock.release()\n",
    "    lock.acquire()\n    try:\n        x.append(1)\n    finally:\n        lock.release()\n",
    "    try:\n        rlock.acquire()\n        x.append(1)\n"
    "    finally:\n        rlock.release()\n",
    "    if lock.acquire(timeout=1):\n        x.append(1)\n        lock.release()\n",
    "    while x:\n        with lock:\n            if not x:\n                break\n"
    "            item = x.pop()\n        await send(item)\n",
])
def test_short_mutex_sections_are_not_reported(body: str) -> None:
    assert lines(body) == []


@pytest.mark.parametrize(("body", "expected"), [
    # Held across an await, an async with or an async for.
    ("    with lock:\n        await send(x)\n", [1]),
    ("    with lock:\n        async with x:\n            pass\n", [1]),
    ("    with lock:\n        return [y async for y in x]\n", [1]),
    ("    lock.acquire()\n    try:\n        await send(x)\n    finally:\n        lock.release()\n",
     [1]),
    # A blocking call or wait inside the section: the section and the call.
    ("    with lock:\n        jobs.get()\n", [1, 2]),
    ("    with cond:\n        cond.wait()\n", [1, 2]),
    ("    with lock:\n        ready.wait()\n", [1, 2]),
    # A semaphore is no mutex: its slots may be held for long.
    ("    with sem:\n        x.append(1)\n", [1]),
    # No release in sight.
    ("    lock.acquire()\n    x.append(1)\n", [1]),
    ("    lock.acquire()\n    x.append(1)\n    if x:\n        await send(x)\n"
     "    lock.release()\n", [1]),
])
def test_long_or_unknown_sections_are_reported(body: str, expected: list[int]) -> None:
    assert lines(body) == expected


def test_short_sections_with_blocking_calls_of_other_rules_are_reported() -> None:
    body = "    with lock:\n        data = open(x).read()\n"
    assert lines(body) == [1]


@pytest.mark.parametrize(("body", "expected"), [
    ("    mine = threading.Lock()\n    mine.acquire()\n", []),
    ("    mine: threading.RLock = threading.RLock()\n    x.append(1)\n    mine.acquire()\n", []),
    ("    mine = threading.Semaphore()\n    mine.acquire()\n", []),
    ("    mine = threading.BoundedSemaphore(3)\n    mine.acquire()\n", []),
    # A semaphore made empty, a lock handed out or taken twice, a lock made elsewhere.
    ("    mine = threading.Semaphore(0)\n    mine.acquire()\n", [2]),
    ("    mine = threading.Lock()\n    x.start(mine)\n    mine.acquire()\n", [3]),
    ("    mine = threading.Lock()\n    mine.acquire()\n    mine.acquire()\n", [3]),
    ("    mine = threading.Lock()\n    for item in x:\n        mine.acquire()\n", [3]),
])
def test_a_lock_made_just_above_cannot_be_held_by_anyone(body: str, expected: list[int]) -> None:
    assert lines(body) == expected


@pytest.mark.parametrize(("body", "expected"), [
    ("    jobs.put(x)\n", []),
    ("    bounded.put(x)\n", [1]),
    ("    q = queue.LifoQueue(0)\n    q.put(x)\n", []),
    ("    q = queue.Queue(-1)\n    q.put(x)\n", []),
    ("    q = queue.Queue(maxsize=x)\n    q.put(x)\n", [2]),
    ("    q = queue.Queue()\n    if x:\n        q = queue.Queue(3)\n    q.put(x)\n", [4]),
    ("    x.put(1)\n    q: queue.Queue = x\n    q.put(x)\n", [3]),
])
def test_put_on_an_unbounded_queue_does_not_wait(body: str, expected: list[int]) -> None:
    assert lines(body) == expected


def test_put_on_queue_attributes_follows_every_assignment() -> None:
    source = (
        "import queue\n\n"
        "class Bridge:\n"
        "    backlog = queue.Queue()\n\n"
        "    def __init__(self, size):\n"
        "        self.inbox: 'queue.Queue[str]' = queue.Queue()\n"
        "        self.outbox = queue.Queue()\n\n"
        "    def resize(self, size):\n"
        "        self.outbox = queue.Queue(size)\n\n"
        "    async def push(self, item):\n"
        "        self.inbox.put(item)\n"
        "        self.backlog.put(item)\n"
        "        self.outbox.put(item)\n"
    )
    assert [d.line for d in lint_source(source, codes=["ACK270"])] == [16]


@pytest.mark.parametrize(("body", "expected"), [
    ("    while not jobs.empty():\n        x.append(jobs.get())\n", []),
    ("    if not jobs.empty():\n        return jobs.get()\n", []),
    ("    if x and not bounded.empty():\n        return bounded.get()\n", []),
    ("    if jobs.empty():\n        return None\n    else:\n        return jobs.get()\n", []),
    ("    while jobs.empty():\n        await asyncio.sleep(0)\n    return jobs.get()\n", []),
    ("    if jobs.empty():\n        return None\n    x.append(1)\n    return jobs.get()\n", []),
    ("    if x or jobs.empty():\n        return None\n    return jobs.get()\n", []),
    ("    if not bounded.full():\n        bounded.put(x)\n", []),
    # Not guarded: a loop that may end with break, an if that goes on, a second get,
    # another queue's check, an `or` in the guard.
    ("    while jobs.empty():\n        if x:\n            break\n    return jobs.get()\n", [4]),
    ("    if jobs.empty():\n        x.append(1)\n    return jobs.get()\n", [3]),
    ("    while not jobs.empty():\n        a = jobs.get()\n        b = jobs.get()\n", [3]),
    ("    if not bounded.empty():\n        return jobs.get()\n", [2]),
    ("    if x or not jobs.empty():\n        return jobs.get()\n", [2]),
    ("    if jobs.empty():\n        return None\n    jobs.get()\n    return jobs.get()\n", [4]),
])
def test_get_guarded_by_an_empty_check(body: str, expected: list[int]) -> None:
    assert lines(body) == expected


def test_helpers_with_harmless_waits_are_not_followed() -> None:
    source = (
        "import queue, threading\n\n"
        "_lock = threading.Lock()\n"
        "_events = queue.Queue()\n"
        "_seen = []\n\n"
        "def note(event):\n"
        "    _lock.acquire()\n"
        "    try:\n"
        "        _seen.append(event)\n"
        "    finally:\n"
        "        _lock.release()\n"
        "    _events.put(event)\n\n"
        "def pop_event():\n"
        "    while not _events.empty():\n"
        "        return _events.get()\n\n"
        "def hold():\n"
        "    _lock.acquire()\n\n"
        "async def handle(event):\n"
        "    note(event)\n"
        "    pop_event()\n"
        "    hold()\n"
    )
    found = lint_source(source, codes=["ACK290"])
    assert [(d.line, d.message.split(":")[1].split(";")[0].strip()) for d in found] == [
        (25, "handle -> hold -> threading.Lock.acquire")]
