"""ASYNC110 (busy-wait loop) cases of flake8-async, transcribed to asyncio where asyncio
has the sleep (see README.md); ACK520 is expected on every ``# ASYNC110`` line.

flake8-async's loops test ``...``, a stand-in for a condition; here they test flags of
this module's own ``State``, which ``update`` changes (ACK520 reports polling of state the
program could signal, not of state only polling can see)."""

import asyncio
import trio


class State:
    def __init__(self) -> None:
        self.pending = True
        self.outer = True
        self.inner = True
        self.ready = False

    def update(self) -> None:
        self.pending = self.outer = self.inner = False
        self.ready = True


async def polls(state: State, channel):
    deadline = trio.current_time() + 1

    # a while loop whose body is one sleep
    while state.pending:  # ASYNC110
        await asyncio.sleep(0.1)

    while state.pending:  # ASYNC110
        await trio.sleep_until(deadline)

    # nested loops: the inner one
    while state.outer:
        while state.inner:  # ASYNC110
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.1)

    while state.outer:
        while state.inner:  # ASYNC110
            await asyncio.sleep(0.1)

    # more than the one sleep
    while state.pending:
        await asyncio.sleep(0.1)
        await asyncio.sleep(0.1)

    while state.pending:
        ...
        await asyncio.sleep(0.1)

    while state.pending:
        await asyncio.sleep(0.1)
        await trio.sleep_until(deadline)

    # not a sleep of a known library
    async def sleep(): ...

    while state.pending:
        await sleep()

    while state.pending:
        await asyncio.sleepies()

    # for loops are bounded
    for _ in "":
        await asyncio.sleep(0.1)

    async for _ in channel:
        await asyncio.sleep(0.1)

    while state.pending:

        async def inner():
            await asyncio.sleep(0.1)

    while state.pending:
        if state.ready:
            await asyncio.sleep(0.1)

    while await asyncio.sleep(0.1):
        ...

    # a checkpoint is sleep(0)
    while state.pending:  # ASYNC110
        await trio.lowlevel.checkpoint()
