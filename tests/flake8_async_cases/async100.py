"""ASYNC100 (cancel scope without checkpoint) cases of flake8-async, transcribed to asyncio
where asyncio has the scope (see README.md); ACK512 is expected on every ``# ASYNC100`` line."""

import contextlib

import asyncio
import asyncio.timeouts
import trio

with trio.move_on_after(10):  # ASYNC100
    ...


async def timeouts_that_never_fire(receive_channel, send_channel, other_library):
    # fmt: off
    async with asyncio.timeout(10): ...; ...; ...  # ASYNC100
    # fmt: on
    async with asyncio.timeout(10):  # ASYNC100
        ...
    async with asyncio.timeout_at(10):  # ASYNC100
        ...
    with trio.move_on_after(10):  # ASYNC100
        ...
    with trio.move_on_at(10):  # ASYNC100
        ...
    with trio.CancelScope():  # ASYNC100
        ...

    with trio.move_on_after(10):
        await asyncio.sleep(1)

    with trio.move_on_after(10):
        await asyncio.sleep(1)
        print("hello")

    with trio.move_on_after(10):
        while True:
            await asyncio.sleep(1)
        print("hello")

    with open("filename") as _:
        ...

    async with asyncio.timeout(10):  # ASYNC100
        ...

    async with asyncio.timeout(10):
        async with send_channel:
            ...

    async with asyncio.timeout(10):
        async for _ in receive_channel:
            ...

    async with asyncio.timeout(10):  # ASYNC100
        for _ in receive_channel:
            ...

    # the await is in a function defined in the scope: it does not run there
    with trio.move_on_after(10):  # ASYNC100

        async def inner():
            await asyncio.sleep(1)

    with trio.move_on_after(10):  # ASYNC100
        if ...:

            async def inner_too():
                if ...:
                    await asyncio.sleep(1)

    async with other_library.fail_after(10):
        ...


# The outer scope may fire in the inner scope's await.
async def nested_scope_with_checkpoint():
    async with asyncio.timeout(1):
        with trio.CancelScope():
            await asyncio.Event().wait()


async def more_nested_scopes():
    async with asyncio.timeout(1):
        with trio.CancelScope():
            await asyncio.Event().wait()
        with trio.CancelScope():  # ASYNC100
            ...
        with trio.CancelScope():
            await asyncio.Event().wait()
        with trio.CancelScope():  # ASYNC100
            ...

    async with asyncio.timeout(1):  # ASYNC100
        with trio.CancelScope():  # ASYNC100
            ...
        with trio.CancelScope():  # ASYNC100
            ...

    async with asyncio.timeout(1):
        with trio.CancelScope():
            with trio.CancelScope():
                with trio.CancelScope():
                    await asyncio.Event().wait()

    # other context managers stay
    with contextlib.suppress(Exception):
        print("foo")
    async with asyncio.timeout(1):  # ASYNC100
        with contextlib.suppress(Exception):
            print("foo")
    with contextlib.suppress(Exception):
        async with asyncio.timeout(1):  # ASYNC100
            print("foo")

    with contextlib.suppress(Exception):
        with open("blah") as file:
            print("foo")


# A yield lets the consumer's awaits run inside the scope.
async def scope_with_yield():
    async with asyncio.timeout(1):
        yield


async def returns_inside_loop(timeout, condition):
    async with asyncio.timeout(timeout):
        while True:
            if condition():
                return
            await asyncio.sleep(1)


async def task_group_is_no_checkpoint_for_the_scope_around_it():
    with trio.CancelScope():  # ASYNC100
        async with asyncio.TaskGroup():
            ...


async def call_that_is_not_a_name(agen_fn, a):
    async with contextlib.asynccontextmanager(agen_fn)():
        ...
    async with a().b():
        ...


# async100_asyncio.py: the asyncio scopes, also through asyncio.timeouts.
async def asyncio_scopes():
    async with asyncio.timeout_at(10):  # ASYNC100
        ...
    async with asyncio.timeout(10):  # ASYNC100
        ...

    async with asyncio.timeouts.timeout_at(10):  # ASYNC100
        ...
    async with asyncio.timeouts.timeout(10):  # ASYNC100
        ...
