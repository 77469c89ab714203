"""ACK250 blocking-input."""

from __future__ import annotations

from asyncheck.lint import BlockingCallRule, Invalid, Valid


class BlockingInput(BlockingCallRule):
    """
    ## What it does
    Reports reads from the terminal made directly inside an `async def`: `input()` and
    `sys.stdin.read()`, `readline()`, `readlines()` (also on `sys.stdin.buffer`).

    ## Why is this bad?
    Waiting for a human holds the event loop's thread until they press Enter: a chat client
    that prompts this way stops receiving messages, and background tasks stop too.

    ## Example
    ```python
    async def chat(ws):
        while True:
            line = input("> ")
            await ws.send_str(line)
    ```

    ## Use instead
    ```python
    import asyncio

    async def chat(ws):
        while True:
            line = await asyncio.to_thread(input, "> ")
            await ws.send_str(line)
    ```
    Or read `sys.stdin` through a `StreamReader` from `loop.connect_read_pipe`.
    """

    code = "ACK250"
    name = "blocking-input"

    VALID = [
        Valid(
            "def confirm(question):\n"
            "    return input(question + ' [y/N] ').lower() == 'y'\n"
        ),
        Valid(
            "import asyncio, sys\n\n"
            "async def chat(ws):\n"
            "    line = await asyncio.to_thread(input, '> ')\n"
            "    rest = await asyncio.to_thread(sys.stdin.readline)\n"
            "    await ws.send_str(line + rest)\n"
        ),
        # A parameter called input, and writing to stdout, are fine.
        Valid(
            "import sys\n\n"
            "async def render(input, widget):\n"
            "    sys.stdout.write(widget.render(input()))\n"
        ),
    ]
    INVALID = [
        Invalid(
            "async def chat(ws):\n"
            "    while True:\n"
            "        line = input('> ')\n"
            "        await ws.send_str(line)\n",
            line=3, column=16, message_contains="asyncio.to_thread(input",
        ),
        Invalid(
            "import sys\n\n"
            "async def import_rows(db):\n"
            "    for row in sys.stdin.readlines():\n"
            "        await db.insert(row)\n",
            line=4,
        ),
        Invalid(
            "from sys import stdin\n\nasync def payload():\n    return stdin.buffer.read()\n",
            line=4,
        ),
    ]
