"""ACK510 control-flow-in-finally."""

from __future__ import annotations

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid


class ControlFlowInFinally(Rule):
    """
    ## What it does
    Reports a `return`, `break` or `continue` inside a `finally:` block of an `async def`
    that leaves the `finally:` block: a `return` anywhere in it, a `break` or `continue`
    of a loop around the `try` statement.  A loop inside the `finally:` block may `break`
    and `continue` as it likes, and a nested `def` may `return`.

    ## Why is this bad?
    A `finally:` block runs while an exception is on its way out, and leaving it with
    `return`, `break` or `continue` throws that exception away without a trace.  In a
    coroutine the exception is often `CancelledError`: the task was told to stop by
    `Task.cancel()`, `asyncio.timeout()`, a `TaskGroup` whose sibling failed or shutdown,
    and it carries on instead, returning a value to whoever cancelled it, so timeouts never
    fire and shutdown hangs.  PEP 765 makes this a `SyntaxWarning` in Python 3.14.

    There is no automatic fix: what the code should do with the exception (let it go on,
    or catch one kind on purpose) is the author's decision.

    ## Example
    ```python
    async def fetch_status(session, url):
        status = None
        try:
            async with session.get(url) as resp:
                status = resp.status
        finally:
            return status
    ```

    ## Use instead
    ```python
    async def fetch_status(session, url):
        status = None
        try:
            async with session.get(url) as resp:
                status = resp.status
        except aiohttp.ClientError:
            log.warning("status of %s unknown", url)
        return status
    ```
    Catch the errors you mean to handle with `except`, and move the `return`, `break` or
    `continue` after the `try` statement.
    """

    code = "ACK510"
    name = "control-flow-in-finally"
    TRIGGERS = ("async def",)  # reports only inside `async def`
    PEER_CODES = ("B012",)  # flake8-bugbear's and ruff's jump-statement-in-finally
    message = (
        "`{keyword}` in `finally:` of `async def {function}` discards the exception in "
        "flight, `CancelledError` included; move it after the `try` statement"
    )

    VALID = [
        Valid('''\
async def close(conn):
    try:
        await conn.flush()
    finally:
        await conn.close()
    return True
'''),
        # A loop inside the finally block: its break and continue stay inside it.
        Valid('''\
async def shutdown(workers):
    try:
        await workers.join()
    finally:
        for worker in workers:
            if worker.done():
                continue
            worker.cancel()
            if worker.critical:
                break
'''),
        # A nested function's return leaves the nested function only.
        Valid('''\
import asyncio

async def serve(server):
    try:
        await server.serve_forever()
    finally:
        def report(task):
            return task.result()
        server.on_close(report)
'''),
        # Sync code is not this rule's business.
        Valid('''\
def read(path):
    try:
        handle = open(path)
    finally:
        return None
'''),
        # A while loop inside the finally block.
        Valid('''\
async def drain(queue):
    try:
        await queue.join()
    finally:
        while queue.pending:
            if queue.pop() is None:
                break
'''),
    ]
    INVALID = [
        Invalid(
            '''\
async def fetch_status(session, url):
    status = None
    try:
        async with session.get(url) as resp:
            status = resp.status
    finally:
        return status
''',
            line=7, column=9, message_contains="`return` in `finally:` of `async def fetch_status`",
        ),
        # A worker loop that keeps going whatever happened, cancellation included.
        Invalid(
            '''\
import asyncio

async def worker(queue):
    while True:
        job = await queue.get()
        try:
            await job.run()
        finally:
            queue.task_done()
            continue
''',
            line=10, message_contains="`continue`",
        ),
        Invalid(
            '''\
import anyio

async def consume(receive):
    async for message in receive:
        try:
            await message.handle()
        finally:
            if message.last:
                break
''',
            line=9,
        ),
        # Nested try statements: the return still leaves the outer finally block.
        Invalid(
            '''\
async def stop(server):
    try:
        await server.close()
    finally:
        try:
            await server.wait_closed()
        except OSError:
            pass
        return None
''',
            line=9,
        ),
        # The break of a loop's else clause leaves the finally block.
        Invalid(
            '''\
async def retry(call, attempts):
    while True:
        try:
            await call()
        finally:
            for attempt in attempts:
                pass
            else:
                break
''',
            line=9,
        ),
    ]

    def visit_Return(self, node: cst.Return) -> None:
        self._check(node, "return")

    def visit_Break(self, node: cst.Break) -> None:
        self._check(node, "break")

    def visit_Continue(self, node: cst.Continue) -> None:
        self._check(node, "continue")

    def _check(self, node: cst.CSTNode, statement: str) -> None:
        context = self.context
        if not context.in_async_function:
            return
        leaves_loops = statement == "return"
        stack = context.stack
        for index in range(len(stack) - 2, -1, -1):
            ancestor = stack[index]
            kind = type(ancestor)
            if kind is cst.Finally:
                function = context.current_function
                self.report(node, keyword=statement,
                            function=function.name.value if function is not None else "?")
                return
            if kind is cst.FunctionDef or kind is cst.Lambda or kind is cst.ClassDef:
                return
            if not leaves_loops and (kind is cst.For or kind is cst.While):
                assert isinstance(ancestor, (cst.For, cst.While))
                if stack[index + 1] is ancestor.body:
                    return  # the loop's own break/continue
