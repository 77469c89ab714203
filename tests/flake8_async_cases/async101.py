"""ASYNC101 (yield in a cancel scope or nursery) cases of flake8-async, transcribed to
asyncio where asyncio has the scope (see README.md); ACK511 is expected on every
``# ASYNC101`` line."""

import contextlib
import contextlib as bla
from contextlib import asynccontextmanager, contextmanager, contextmanager as blahabla

import asyncio
import pytest
import pytest as blo
from pytest import fixture
import trio


# the scopes
async def in_fail_after():
    async with asyncio.timeout(10):
        yield 1  # ASYNC101


async def in_fail_at():
    async with asyncio.timeout_at(10):
        yield 1  # ASYNC101


async def in_move_on_after():
    with trio.move_on_after(10):
        yield 1  # ASYNC101


async def in_move_on_at_as():
    with trio.move_on_at(10) as _:
        yield 1  # ASYNC101


async def in_cancel_scope():
    with trio.CancelScope() as _:
        yield 1  # ASYNC101


async def in_async_with_cancel_scope():
    async with trio.CancelScope() as _:
        yield 1  # ASYNC101


async def at_each_yield():
    with trio.CancelScope() as _:
        yield 1  # ASYNC101
        yield 1  # ASYNC101


async def nested_generator_is_its_own():
    with trio.CancelScope():
        yield 1  # ASYNC101

        def inner():
            yield 1


# context managers and fixtures
@contextmanager
def sync_context_manager():
    with trio.CancelScope() as _:
        yield 1


@asynccontextmanager
async def async_context_manager():
    with trio.CancelScope() as _:
        yield 1


@contextlib.asynccontextmanager
async def async_context_manager_by_module():
    with trio.CancelScope() as _:
        yield 1


@fixture
def fixture_by_name():
    with trio.CancelScope() as _:
        yield 1


@pytest.fixture
def fixture_by_module():
    with trio.CancelScope() as _:
        yield 1


@bla.contextmanager
def context_manager_by_alias():
    with trio.CancelScope() as _:
        yield 1


@blo.fixture
def fixture_by_alias():
    with trio.CancelScope() as _:
        yield 1


@blahabla
def decorator_aliased_elsewhere():
    with trio.CancelScope() as _:
        yield 1  # ASYNC101


@fixture()
def fixture_called():
    with trio.CancelScope() as _:
        yield 1


@pytest.fixture(autouse=True)
def fixture_with_arguments():
    with trio.CancelScope() as _:
        yield 1


# async101_asyncio.py
async def in_task_group():
    async with asyncio.TaskGroup() as _:
        yield 1  # ASYNC101


async def in_timeout():
    async with asyncio.timeout(1) as _:
        yield 1  # ASYNC101


async def in_timeout_at():
    async with asyncio.timeout_at(1) as _:
        yield 1  # ASYNC101


async def task_group_with_nested_generator():
    async with asyncio.TaskGroup():
        yield 1  # ASYNC101

        def inner():
            yield 1


# flake8-async's `def ...: with asyncio.TaskGroup()` (a sync `with`), as asyncio needs it
async def task_group_in_generator():
    async with asyncio.TaskGroup() as _:
        yield 1  # ASYNC101


@asynccontextmanager
async def task_group_context_manager():
    async with asyncio.TaskGroup() as _:
        yield 1


@contextlib.asynccontextmanager
async def task_group_context_manager_by_module():
    async with asyncio.TaskGroup() as _:
        yield 1


@bla.asynccontextmanager
async def task_group_context_manager_by_alias():
    async with asyncio.TaskGroup() as _:
        yield 1


@blahabla
async def task_group_with_other_decorator():
    async with asyncio.TaskGroup() as _:
        yield 1  # ASYNC101


@pytest.fixture()
async def task_group_fixture_called():
    async with asyncio.TaskGroup() as _:
        yield 1


@pytest.fixture
async def task_group_fixture():
    async with asyncio.TaskGroup() as _:
        yield 1
