"""ACK103 async-protocol-misuse."""

from __future__ import annotations

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.async_protocols import async_generator_call, async_only_type


class AsyncProtocolMisuse(Rule):
    """
    ## What it does
    Reports a plain `with` on an object that is only an async context manager (its class
    has `__aenter__` but no `__enter__`: `with aiofiles.open(path) as f`,
    `with pool.acquire() as conn` on an asyncpg pool), and a plain `for` over an object
    that is only async iterable (`__aiter__` but no `__iter__`), such as the call of an
    async generator function.  The classes come from this file, the project and the
    environment's libraries (`asyncheck --explain-env NAME` shows what is known); when a
    base class cannot be read, nothing is reported.

    ## Why is this bad?
    It fails at run time with `TypeError: ... does not support the context manager
    protocol` (or `... is not iterable`), on a path tests may not reach; and where the
    object also happens to be awaitable, the author meant `async with`/`async for`.

    ## Example
    ```python
    import aiofiles

    async def load(path):
        with aiofiles.open(path) as f:
            return await f.read()
    ```

    ## Use instead
    ```python
    import aiofiles

    async def load(path):
        async with aiofiles.open(path) as f:
            return await f.read()
    ```
    """

    code = "ACK103"
    name = "async-protocol-misuse"
    message = "{problem}"
    # An async-only object is used from async code (a sync `with` of one in a file with no
    # `async def` is left alone: the pre-filter's skip is worth more).
    TRIGGERS = ("async def",)

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            return
        for item in node.items:
            found = async_only_type(self.context, item.item, "context")
            if found is not None:
                self.report(node, problem=(
                    f"`{found.rpartition('.')[2]}` is an async context manager only: "
                    "use `async with`"))
                return

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None:
            return
        generator = async_generator_call(self.context, node.iter)
        if generator is not None:
            self.report(node, problem=(
                f"`{generator.rpartition('.')[2]}(...)` makes an async generator: "
                "use `async for`"))
            return
        found = async_only_type(self.context, node.iter, "iteration")
        if found is not None:
            self.report(node, problem=(
                f"`{found.rpartition('.')[2]}` is only async iterable: use `async for`"))

    VALID = [
        Valid(
            "class Conn:\n"
            "    async def __aenter__(self):\n        return self\n"
            "    async def __aexit__(self, *exc):\n        return None\n\n"
            "class Both(Conn):\n"
            "    def __enter__(self):\n        return self\n"
            "    def __exit__(self, *exc):\n        return None\n\n"
            "async def main():\n"
            "    async with Conn() as c:\n        pass\n"
            "    with Both() as b:\n        pass\n"
        ),
        # A base the linter cannot read may define __enter__: unsure, no finding.
        Valid(
            "from somewhere import Base\n\n"
            "class Conn(Base):\n"
            "    async def __aenter__(self):\n        return self\n\n"
            "def main():\n    with Conn():\n        pass\n"
        ),
        Valid(
            "async def pages():\n    yield 1\n\n"
            "def numbers():\n    yield 1\n\n"
            "async def main():\n"
            "    async for page in pages():\n        print(page)\n"
            "    for number in numbers():\n        print(number)\n"
        ),
    ]
    INVALID = [
        Invalid(
            "class Conn:\n"
            "    async def __aenter__(self):\n        return self\n"
            "    async def __aexit__(self, *exc):\n        return None\n\n"
            "async def main():\n"
            "    with Conn() as c:\n        pass\n",
            line=8,
        ),
        Invalid(
            "async def pages():\n    yield 1\n\n"
            "async def main():\n"
            "    for page in pages():\n        print(page)\n",
            line=5,
        ),
        Invalid(
            "class Stream:\n"
            "    def __aiter__(self):\n        return self\n"
            "    async def __anext__(self):\n        raise StopAsyncIteration\n\n"
            "async def main(stream: Stream):\n"
            "    for item in stream:\n        print(item)\n",
            line=8,
        ),
    ]
