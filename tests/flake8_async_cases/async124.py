"""ASYNC124 (async function without await) cases of flake8-async, transcribed (see
README.md); ACK530 is expected on every ``# ASYNC124`` line.

ACK530 reports a coroutine function only when it sees how the project uses it (every use
an ``await`` of a call), so ``main()`` at the end awaits each function once, as the program
using them would; flake8-async's cases are single functions nobody calls.  Left out: an
``await`` in a nested plain ``def``, which CPython rejects (asyncheck reports the file as
ACK000 and reads nothing else in it)."""

from typing import Any, overload

from pytest import fixture

custom_disabled_decorator: Any = ...


def condition() -> bool:
    return False


async def awaits() -> Any:
    await awaits()


async def only_prints():  # ASYNC124
    print("hello")


async def waits_sometimes():
    if condition():
        await awaits()


async def only_yields():  # ASYNC124
    yield


async def enters_async_with():
    async with only_yields():
        ...


async def iterates_async_for():
    async for i in only_yields():
        ...


async def only_nested_coroutine_awaits():  # ASYNC124
    async def nested():
        await awaits()


# Stubs: overridden elsewhere.
async def empty_with_docstring():
    "blah"
    ...


async def pass_with_docstring():
    "foo"
    pass


async def test_with_fixture(  # ASYNC124
    my_async_fixture,
):
    assert my_async_fixture.setup_worked_correctly


async def test_without_fixture():  # ASYNC124
    print("blah")


@overload
async def overloaded():
    print("blah")


async def overloaded(): ...


@fixture
async def fixture_with_parameters(my_async_fixture):
    print("blah")


async def await_in_default_value():
    def inner(arg=await awaits()): ...


# only the first iterable of a generator expression runs now
async def lazy_async_generator_expression():  # ASYNC124
    return (await a async for a in only_yields())


async def eager_await_in_generator_expression():
    return (a for a in await only_yields())


async def async_comprehension():
    return [a async for a in only_yields()]


class Methods:
    # flake8-async leaves methods alone
    async def method(
        self,
    ):
        async def nested_in_method():  # ASYNC124
            print("blah")

        await nested_in_method()

    async def another_method(
        self,
    ):
        print()


async def after_class():  # ASYNC124
    print()


@custom_disabled_decorator
async def decorated():
    print()


async def main(methods: Methods) -> None:
    """The program using the functions above: each is awaited once."""
    await awaits()
    await only_prints()
    await waits_sometimes()
    await enters_async_with()
    await iterates_async_for()
    await only_nested_coroutine_awaits()
    await empty_with_docstring()
    await pass_with_docstring()
    await overloaded()
    await fixture_with_parameters(None)
    await await_in_default_value()
    await lazy_async_generator_expression()
    await eager_await_in_generator_expression()
    await async_comprehension()
    await methods.method()
    await methods.another_method()
    await after_class()
    await decorated()
