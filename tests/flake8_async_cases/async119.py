"""ASYNC119 (yield in a context manager in an async generator) cases of flake8-async,
transcribed (see README.md); ACK513 (off by default, selected by the test) is expected on
every ``# ASYNC119`` line.  The cases use a plain file as the context manager, which asyncio
has no reason to map to anything else."""

import contextlib
from contextlib import asynccontextmanager


async def lines_of_file():
    with open("data.txt"):
        yield  # ASYNC119


async def inside_async_with():
    async with lines_of_file():
        yield  # ASYNC119


async def each_yield_counts():
    with open("a.txt"):
        yield  # ASYNC119
        yield  # ASYNC119
    with open("b.txt"):
        yield  # ASYNC119
        yield  # ASYNC119


async def yields_outside_the_block():
    yield
    with open("c.txt"):
        ...
    yield


async def nested_sync_generator():
    with open("d.txt"):

        def inner():
            yield


async def nested_async_generator():
    with open("e.txt"):

        async def inner():
            yield


async def yield_after_nested_generator():
    with open("f.txt"):

        async def inner():
            yield

        yield  # ASYNC119


@asynccontextmanager
async def context_manager_by_name():
    with open("g.txt"):
        yield


@contextlib.asynccontextmanager
async def context_manager_by_module():
    with open("h.txt"):
        yield


def plain_decorator(function: object) -> object:
    return function


# flake8-async's option --no-checkpoint-warning-decorator names this one: still reported
@plain_decorator
async def decorated_generator():
    with open("i.txt"):
        yield  # ASYNC119
