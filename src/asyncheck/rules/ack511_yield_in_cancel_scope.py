"""ACK511 yield-in-cancel-scope."""

from __future__ import annotations

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.structure import consumer_iterates, site_cancel_scope, yield_site


class YieldInCancelScope(Rule):
    """
    ## What it does
    Reports a `yield` inside a cancel scope of a generator: inside
    `async with asyncio.timeout(...)`/`timeout_at(...)`/`asyncio.TaskGroup()` (also
    `async_timeout.timeout`), anyio's `fail_after`/`move_on_after`/`CancelScope`/
    `create_task_group()` and trio's `fail_after`/`fail_at`/`move_on_after`/`move_on_at`/
    `CancelScope`/`open_nursery()`.

    Not reported in a generator that is a context manager or a pytest fixture
    (decorated `@asynccontextmanager`, `@contextmanager`, `@pytest.fixture`,
    `@pytest_asyncio.fixture`, however imported): there the consumer's code runs inside
    the scope on purpose, in the same task, and leaves it before the generator resumes.
    Nor in one decorated with trio's `@as_safe_channel`, which runs the generator in a task
    of its own, nor in one the code hands to something else that drives it
    (`Depends(request_deadline)`, `FastAPI(lifespan=lifespan)`,
    `asynccontextmanager(stream)`), usually as a context manager, rather than iterating
    it.

    ## Why is this bad?
    At a `yield` the generator is suspended with its scope still open, and the consumer's
    code runs, in the consumer's task, "inside" a scope it cannot see.  A timeout that
    expires then cancels whatever the consumer is awaiting (a database write, the
    response being sent), and the consumer gets a `CancelledError` it did not ask for
    instead of the generator's `TimeoutError`.  A task group's failing child cancels the
    consumer the same way, and the group's error surfaces somewhere else or never.  If the
    consumer stops iterating early, the scope is closed later, from another task, which
    asyncio reports as "cancel scope in a different task" or a corrupted cancellation count.
    This is the streaming endpoint whose generator yields chunks inside
    `asyncio.timeout(30)`: the timeout fires while the server is writing to a slow client.

    There is no automatic fix: where the scope should end depends on what it protects.

    ## Example
    ```python
    async def stream_rows(pool, query):
        async with asyncio.timeout(30):
            async with pool.acquire() as conn:
                async for row in conn.cursor(query):
                    yield row
    ```

    ## Use instead
    Bound each wait of the generator, not the consumer's time between items:
    ```python
    async def stream_rows(pool, query):
        async with pool.acquire() as conn:
            rows = conn.cursor(query)
            while True:
                async with asyncio.timeout(30):
                    row = await anext(rows, None)
                if row is None:
                    break
                yield row
    ```
    For a task group, let the tasks write to a queue (or an anyio memory stream) that the
    generator reads outside the group, or make the generator an `@asynccontextmanager`
    whose user does the iterating inside the `async with`.
    """

    code = "ACK511"
    name = "yield-in-cancel-scope"
    # Cancel scopes act only in a running task: a file that uses them has an `async def`
    # (anyio's and trio's synchronous scopes included).
    TRIGGERS = ("async def",)
    PEER_CODES = ("ASYNC101", "ASYNC119")
    message = (
        "`yield` inside `{scope}` in generator `{function}`: the scope stays open while the "
        "consumer runs, so its cancellation lands in the consumer's code; end the scope "
        "before yielding"
    )

    VALID = [
        # The wait is bounded, the yield is outside the scope.
        Valid('''\
import asyncio

async def ticks(source):
    while True:
        async with asyncio.timeout(5):
            item = await source.get()
        yield item
'''),
        # A context manager: its user runs inside the scope on purpose.
        Valid('''\
import asyncio
from contextlib import asynccontextmanager

@asynccontextmanager
async def background(job):
    async with asyncio.TaskGroup() as tg:
        tg.create_task(job())
        yield tg
'''),
        Valid('''\
import anyio
import pytest

@pytest.fixture
async def server():
    async with anyio.create_task_group() as tg:
        yield tg
        tg.cancel_scope.cancel()
'''),
        # A FastAPI dependency: FastAPI enters it as a context manager, and the endpoint
        # runs inside the deadline in the same task.
        Valid('''\
import asyncio
from fastapi import Depends, FastAPI

app = FastAPI()

async def request_deadline():
    async with asyncio.timeout(10):
        yield

@app.get("/report", dependencies=[Depends(request_deadline)])
async def report():
    return {"ok": True}
'''),
        # The yield is in a nested generator, not in the scope's own body.
        Valid('''\
import asyncio

async def collect(source):
    async with asyncio.timeout(10):
        def pick(items):
            yield from items
        return list(pick(await source.read()))
'''),
        # Any other context manager is not a cancel scope.
        Valid('''\
async def lines(session, url):
    async with session.get(url) as resp:
        async for line in resp.content:
            yield line
'''),
    ]
    INVALID = [
        # A streaming endpoint's generator (FastAPI/Starlette StreamingResponse).
        Invalid(
            '''\
import asyncio
from fastapi.responses import StreamingResponse

async def report_chunks(db, report_id):
    async with asyncio.timeout(30):
        async for chunk in db.stream(report_id):
            yield chunk

async def download(report_id, db):
    return StreamingResponse(report_chunks(db, report_id))
''',
            line=7, column=13,
            message_contains="`yield` inside `asyncio.timeout` in generator `report_chunks`",
        ),
        Invalid(
            '''\
import asyncio

async def fan_in(sources):
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(source.read()) for source in sources]
        for task in asyncio.as_completed(tasks):
            yield await task
''',
            line=7,
        ),
        Invalid(
            '''\
from anyio import create_task_group, fail_after

async def numbers(source):
    with fail_after(5):
        async with create_task_group() as tg:
            tg.start_soon(source.warm_up)
            yield 1
            yield 2
''',
            line=7, count=2, message_contains="`anyio.create_task_group`",
        ),
        Invalid(
            '''\
import trio

async def events(channel):
    with trio.move_on_after(60):
        async for event in channel:
            yield event
''',
            line=6,
        ),
        # The scope made first and entered by name (to reschedule it between items).
        Invalid(
            '''\
import asyncio

async def watch(api, url, inactivity):
    timeout = asyncio.timeout(inactivity)
    async with timeout as scope:
        async for event in api.stream(url):
            yield event
            scope.reschedule(asyncio.get_running_loop().time() + inactivity)
''',
            line=7, message_contains="`asyncio.timeout`",
        ),
        # Some other decorator does not make it a context manager.
        Invalid(
            '''\
import asyncio
import functools

@functools.lru_cache
async def pages(client):
    async with asyncio.timeout(10):
        yield await client.get("/")
''',
            line=7,
        ),
    ]

    def visit_Yield(self, node: cst.Yield) -> None:
        context = self.context
        site = yield_site(context)
        if site is None or not site.blocks:
            return
        scope = site_cancel_scope(context, site)
        if scope is not None and consumer_iterates(context, site):
            self.report(node, scope=scope, function=site.function.name.value)
