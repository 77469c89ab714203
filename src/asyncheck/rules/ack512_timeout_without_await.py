"""ACK512 timeout-without-await."""

from __future__ import annotations

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.structure import TIMEOUT_SCOPES, cancel_scope, suspends
from asyncheck.syntax.walk import walk_body


class TimeoutWithoutAwait(Rule):
    """
    ## What it does
    Reports a timeout scope whose body has no `await`, `async for` or `async with`:
    `async with asyncio.timeout(...)`/`timeout_at(...)` (also `async_timeout.timeout`),
    and the synchronous scopes of anyio (`with fail_after(...)`, `move_on_after`,
    `CancelScope`) and trio (`fail_after`, `fail_at`, `move_on_after`, `move_on_at`,
    `CancelScope`).  An `async with` item after the timeout in the same statement is
    entered inside it and counts as an `await`; a `yield` in the body counts too (ACK511
    is about that one).  Code in a nested `def` or `lambda` runs at another time and does
    not count.  Code that works with the scope object itself (`as cm`, then
    `cm.expired()`, `cm.reschedule(...)`, as a test of the timeout does) is not reported.

    ## Why is this bad?
    A timeout cancels the task at its next suspension point.  Without one in the body,
    the body runs to its end however long it takes, and the timeout can never fire: the
    code looks protected and is not.  The usual cause is a forgotten `await` (a coroutine
    made and dropped, or a task created instead of awaited), or blocking code that the
    author expected the timeout to interrupt.

    There is no automatic fix: whether to add the missing `await`, to move the timeout
    around the code that waits, or to drop it is the author's decision.

    ## Example
    ```python
    async def refresh(client, cache):
        async with asyncio.timeout(5):
            task = asyncio.create_task(client.fetch_config())
        cache.update(await task)
    ```

    ## Use instead
    ```python
    async def refresh(client, cache):
        async with asyncio.timeout(5):
            config = await client.fetch_config()
        cache.update(config)
    ```
    """

    code = "ACK512"
    name = "timeout-without-await"
    # Cancel scopes act only in a running task: a file that uses them has an `async def`
    # (anyio's and trio's synchronous scopes included).
    TRIGGERS = ("async def",)
    PEER_CODES = ("ASYNC100",)
    message = (
        "`{scope}` scope has no `await`, `async for` or `async with` in its body, so the "
        "timeout can never fire; await the work inside it, or remove it"
    )

    VALID = [
        Valid('''\
import asyncio

async def refresh(client):
    async with asyncio.timeout(5):
        return await client.fetch_config()
'''),
        # The timeout bounds entering the next context manager.
        Valid('''\
import asyncio

async def first_line(session, url):
    async with asyncio.timeout(10), session.get(url) as resp:
        return resp.status
'''),
        Valid('''\
import anyio

async def drain(receive):
    with anyio.move_on_after(1):
        async for item in receive:
            print(item)
    with anyio.fail_after(2):
        async with receive:
            pass
'''),
        # Nested scopes: the outer one bounds the inner one's waits.
        Valid('''\
import trio

async def nap():
    with trio.fail_after(1):
        with trio.CancelScope():
            await trio.sleep_forever()
'''),
        # An eager await in a generator expression's first iterable runs now.
        Valid('''\
import asyncio

async def names(client):
    async with asyncio.timeout(3):
        return list(user.name for user in await client.users())
'''),
        # A test of the timeout object itself.
        Valid('''\
import asyncio

async def test_repr_of_active_timeout():
    async with asyncio.timeout(10) as cm:
        assert "active" in repr(cm)
'''),
        # Not a timeout of a known library.
        Valid('''\
import mylib

async def tick():
    async with mylib.timeout(5):
        pass
'''),
    ]
    INVALID = [
        Invalid(
            '''\
import asyncio

async def refresh(client, cache):
    async with asyncio.timeout(5):
        task = asyncio.create_task(client.fetch_config())
    cache.update(await task)
''',
            line=4, message_contains="`asyncio.timeout` scope has no `await`",
        ),
        # Blocking work that the author hoped the timeout would interrupt.
        Invalid(
            '''\
from asyncio import timeout_at, get_running_loop
import json

async def parse(blob):
    loop = get_running_loop()
    async with timeout_at(loop.time() + 2):
        return json.loads(blob)
''',
            line=6,
        ),
        # The wait is in a nested function that runs later.
        Invalid(
            '''\
import anyio

async def start(tg, server):
    with anyio.fail_after(5):
        async def serve():
            await server.serve()
        tg.start_soon(serve)
''',
            line=4, message_contains="`anyio.fail_after`",
        ),
        # Both scopes are pointless: each is its own mistake.
        Invalid(
            '''\
import trio

async def tick(counter):
    with trio.move_on_after(1):
        with trio.CancelScope():
            counter.value += 1
''',
            line=4, count=2,
        ),
        # A lazy await in a generator expression does not run inside the scope.
        Invalid(
            '''\
import async_timeout

async def fetch_all(client, urls):
    async with async_timeout.timeout(10):
        pending = (await client.get(url) for url in urls)
    return pending
''',
            line=4,
        ),
    ]

    def visit_With(self, node: cst.With) -> None:
        context = self.context
        items = node.items
        for position, item in enumerate(items):
            scope = cancel_scope(context, item.item)
            if scope is None or scope not in TIMEOUT_SCOPES:
                continue
            if node.asynchronous is not None and position < len(items) - 1:
                return  # the later items are entered (awaited) inside the timeout
            if suspends(node.body.body, yields=True) or self._uses_scope_object(item):
                return
            self.report(node, scope=scope)
            return

    def _uses_scope_object(self, item: cst.WithItem) -> bool:
        """``as cm`` and the code reads ``cm`` (``cm.expired()``, ``repr(cm)``,
        ``cm.reschedule(...)``): it works with the scope object itself, as a test of the
        timeout does, rather than guarding work with it."""
        target = item.asname.name if item.asname is not None else None
        if not isinstance(target, cst.Name):
            return False
        context = self.context
        function = context.current_function
        root: cst.CSTNode = function.body if function is not None else context.module
        return any(isinstance(node, cst.Name) and node.value == target.value
                   and node is not target for node in walk_body(root))
