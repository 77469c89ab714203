"""ACK513 yield-in-context-manager."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.names import dotted_name
from asyncheck.semantics.structure import consumer_iterates, site_cancel_scope, yield_site


class YieldInContextManager(Rule):
    """
    ## What it does
    Reports a `yield` inside a `with` or `async with` block (any context manager: a file,
    a connection, an HTTP response, a lock) of an async generator.

    Not reported in a generator that is a context manager or a pytest fixture
    (decorated `@asynccontextmanager`, `@contextmanager`, `@pytest.fixture`,
    `@pytest_asyncio.fixture`, however imported), nor in one decorated with trio's
    `@as_safe_channel`, nor in one the code hands to something else that drives it
    (`Depends(get_session)`, `FastAPI(lifespan=lifespan)`): the same exemptions as
    ACK511.  Nor in a generator that catches `GeneratorExit` around the `yield`: it was
    written to be closed early.  A `yield` inside a cancel scope or a task group is
    ACK511's finding, and is not reported twice.

    ## Why is this bad?
    At a `yield` the generator is suspended with the block still open.  If the consumer
    stops iterating (a `break`, an exception, a client that disconnects from a streaming
    response), the block's `__exit__`/`__aexit__` does not run then: it runs only when
    someone calls the generator's `aclose()`, or when it is garbage-collected, at which
    point asyncio finalizes it in a task of its own, later, or not at all if the loop is
    closing (PEP 525, PEP 533).  Until then the resource stays held: the file stays
    open, the connection is not returned to its pool, the lock stays taken; and the exit
    code runs in another context than the one that entered the block.

    There is no automatic fix: whether to close the generator where it is consumed or to
    leave the block before yielding depends on the code.

    ## Example
    ```python
    async def stream_report(session, url):
        async with session.get(url) as response:
            async for chunk in response.content.iter_chunked(65536):
                yield chunk
    ```

    ## Use instead
    Close the generator where it is consumed, so the block exits when the consumer stops:
    ```python
    from contextlib import aclosing

    async with aclosing(stream_report(session, url)) as chunks:
        async for chunk in chunks:
            if done(chunk):
                break
    ```
    or make the generator an `@asynccontextmanager` that yields the stream, so that the
    caller's `async with` decides when the block ends.

    ## Precision
    Off by default (as flake8-async's ASYNC119 is): on the ecosystem check (25 real async
    projects, SPEC §10) 2 of its 13 findings were judged true (15 %): a pooled HTTP
    connection and a database session held by generators whose consumers can stop early
    (a failed download, a client that disconnects from a streaming response).  Most
    generators that hold something across a `yield` are fine in practice: a local file
    being read (closed promptly by asyncio's async-generator finalizer when the consumer
    drops it), a generator its only consumer always exhausts or `aclose()`s, a lock held
    across the `yield` on purpose, or an endless stream consumed until shutdown.  Turn it
    on (`extend-select = ["ACK513"]`) where generators are handed to consumers that stop
    early and what they hold is scarce or bound to a task.
    """

    code = "ACK513"
    name = "yield-in-context-manager"
    default_enabled = False  # see Precision
    TRIGGERS = ("async def",)  # reports only in async generators
    PEER_CODES = ("ASYNC119",)
    message = (
        "`yield` inside `{manager}` in async generator `{function}`: if the consumer stops "
        "iterating, the block's exit runs only when the generator is closed or "
        "garbage-collected; close it with `aclosing()` where it is consumed, or leave the "
        "block before yielding"
    )

    VALID = [
        # The block ends before the generator yields.
        Valid('''\
async def read_config(path):
    with open(path) as handle:
        text = handle.read()
    for line in text.splitlines():
        yield line
'''),
        # A context manager: its user's `async with` ends the block.
        Valid('''\
from contextlib import asynccontextmanager

@asynccontextmanager
async def connection(pool):
    async with pool.acquire() as conn:
        yield conn
'''),
        Valid('''\
import pytest

@pytest.fixture
async def db(pool):
    async with pool.acquire() as conn:
        yield conn
'''),
        # A FastAPI dependency: FastAPI closes it after the request.
        Valid('''\
from fastapi import Depends, FastAPI

app = FastAPI()

async def get_session(factory):
    async with factory() as session:
        yield session

@app.get("/items")
async def items(session=Depends(get_session)):
    return await session.all()
'''),
        # A plain generator: closed when garbage-collected, synchronously.
        Valid('''\
def lines(path):
    with open(path) as handle:
        yield from handle
'''),
        # Inside a timeout: ACK511's finding, not reported twice.
        Valid('''\
import asyncio

async def rows(conn):
    async with asyncio.timeout(30):
        with conn.cursor() as cursor:
            for row in cursor:
                yield row
'''),
        # The generator catches GeneratorExit around the yield: written for an early close.
        Valid('''\
async def run_generator_flow(engine, flow):
    async with engine.run_context():
        gen = flow.fn()
        try:
            while True:
                yield await gen.__anext__()
        except (StopAsyncIteration, GeneratorExit) as exc:
            await engine.handle_success(None)
            if isinstance(exc, GeneratorExit):
                await gen.aclose()
'''),
    ]
    INVALID = [
        # A streaming endpoint's generator: a client that disconnects leaves the upstream
        # response open.
        Invalid(
            '''\
from fastapi.responses import StreamingResponse

async def proxy_chunks(session, url):
    async with session.get(url) as upstream:
        async for chunk in upstream.content.iter_chunked(65536):
            yield chunk

async def download(session, url):
    return StreamingResponse(proxy_chunks(session, url))
''',
            line=6, column=13,
            message_contains="`yield` inside `session.get` in async generator `proxy_chunks`",
        ),
        Invalid(
            '''\
async def numbered_lines(path):
    with open(path) as handle:
        for number, line in enumerate(handle, 1):
            yield number, line
''',
            line=4, message_contains="`open`",
        ),
        Invalid(
            '''\
async def guarded(lock, source):
    async with lock:
        yield await source.read()
        yield await source.read()
''',
            line=3, count=2, message_contains="`lock`",
        ),
    ]

    def visit_Yield(self, node: cst.Yield) -> None:
        context = self.context
        site = yield_site(context)
        if site is None or not site.blocks or site.function.asynchronous is None:
            return
        if site_cancel_scope(context, site) is not None:
            return  # ACK511's finding: one root cause, one finding
        if _handles_close(context.stack, site.function):
            return
        if consumer_iterates(context, site):
            self.report(node, manager=_describe(site.blocks[0]),
                        function=site.function.name.value)


def _describe(block: cst.With) -> str:
    """How to name the context manager of ``block`` (its last item) in the message."""
    expr = block.items[-1].item
    if isinstance(expr, cst.Call):
        expr = expr.func
    return dotted_name(expr) or "the context manager"


def _handles_close(stack: Sequence[cst.CSTNode], function: cst.FunctionDef) -> bool:
    """Whether the yield on top of ``stack`` is in the body of a ``try`` of ``function``
    with a handler of ``GeneratorExit``: the generator was written for an early close."""
    for index in range(len(stack) - 2, -1, -1):
        node = stack[index]
        if node is function:
            return False
        if type(node) is cst.Try:
            assert isinstance(node, cst.Try)
            if stack[index + 1] is node.body and any(
                    _names_generator_exit(handler.type) for handler in node.handlers):
                return True
    return False


def _names_generator_exit(expr: cst.BaseExpression | None) -> bool:
    if isinstance(expr, cst.Tuple):
        return any(_names_generator_exit(element.value) for element in expr.elements)
    name = dotted_name(expr) if expr is not None else None
    return name is not None and name.rpartition(".")[2] == "GeneratorExit"
