"""ACK500 cancellation-swallowed (off by default)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.event_loop import (
    CANCELLATION_CATCHERS,
    CANCELLATION_CLASS_FACTORIES,
    can_suspend,
)
from asyncheck.semantics.names import LocalFunction, dotted_name
from asyncheck.semantics.task_usage import TaskUsage
from asyncheck.syntax.walk import iter_children, walk_body

#: Return annotations of functions that never return normally.
NO_RETURN_TYPES = frozenset({
    "typing.NoReturn", "typing.Never", "typing_extensions.NoReturn", "typing_extensions.Never",
})

#: Context managers that only bound the waits they hold (``asyncio.timeout``,
#: ``async_timeout.timeout``, anyio's ``fail_after``/``move_on_after``).
TIMEOUT_SCOPES = frozenset({"timeout", "timeout_at", "fail_after", "move_on_after"})
#: Functions that wait for the tasks or futures they are given (``asyncio.wait_for(t, 5)``).
WAITING_FUNCTIONS = frozenset({"wait_for", "wait", "gather", "shield"})


class CancellationSwallowed(Rule):
    """
    ## What it does
    Reports, inside an `async def`, an `except` handler that catches cancellation and has no
    `raise` in its body: `except asyncio.CancelledError` (however imported, also
    `asyncio.exceptions.CancelledError` and `anyio.get_cancelled_exc_class()`),
    `except BaseException`, a bare `except:`, or a tuple containing one of them; `except*`
    handlers too.  A `raise` in a nested `def` or `lambda` does not count; a call of a
    re-raising helper of the same file does: one annotated `-> NoReturn`, or whose body has
    a bare `raise` or raises one of its parameters (`self._convert_error(exc)`).

    A deferred re-raise counts too: the handler records the error or a flag in a variable
    (`pending = exc`, `errors.append(exc)`, `cancelled = True`) and, after the `try`
    statement, the function raises under an `if`/`while` testing that variable or raises the
    variable itself (`asyncio.Condition.wait`, `AsyncExitStack.__aexit__`).

    A handler after one that already catches cancellation in the same `try` (the usual
    `except CancelledError: raise` then `except BaseException:`) never sees it.

    Only handlers whose `try` body can be cancelled are reported: it must contain an `await`,
    `async for` or `async with`.  Without one, the task cannot receive its cancellation there,
    and a `CancelledError` caught from `task.result()` of a finished child is the child's.

    Not reported either, where the swallowed cancellation is not the task's own or its loss
    is the task's end:
    - waiting for a task this code has just cancelled: `t.cancel()` earlier in the function
      (directly, in a loop over `tasks`, or in a method of the same class it calls, such as
      `self._stop()`), and the `try` body only waits for it (`await t`,
      `await asyncio.wait_for(t, 5)`, `await asyncio.gather(*tasks)`, also under
      `async with asyncio.timeout(...)`), also inside `finally:`.
      (`with contextlib.suppress(CancelledError): await t` is never reported.)
    - a handler after which the coroutine ends (it returns, or falls through or breaks out
      of its one loop to an end with no further `while`) when the project only ever runs
      that coroutine function as a task: each use of its name is a call handed straight to
      `create_task`, `ensure_future`, `TaskGroup.create_task`, `start_soon`, `asyncio.run`,
      a wrapper named like them (`hass.async_create_task`) or a function of the same file
      that hands its parameter to one.  A nested function, and a private one its file uses,
      are looked for in their file; others in every file of the project that names them
      (more than 8 such files count as other uses).  A cancelled task that ends is what
      its canceller waits for; an *awaited* coroutine that swallows and returns hides its
      caller's cancellation and is reported.
    - cleanup nested in a handler that raises after it, or in a `finally:` whose `try` body
      can only be left by an exception (`while True:` with no `break` or `return`), or that
      waits only for a shielded cleanup (`await asyncio.shield(close())`): the cancellation
      that got there goes on after it.

    ## Why is this bad?
    Cancellation is how asyncio stops a task: `Task.cancel()`, `asyncio.timeout()`,
    `wait_for`, a `TaskGroup` whose sibling failed, and shutdown on Ctrl-C all raise
    `CancelledError` inside the coroutine and expect it to come back out.  A handler that
    swallows it leaves the task running: timeouts never fire, task groups hang, and the
    program cannot exit cleanly.

    ## Example
    ```python
    async def poll(session, url, interval):
        while True:
            try:
                async with session.get(url) as resp:
                    handle(await resp.json())
                await asyncio.sleep(interval)
            except BaseException:
                log.exception("poll failed")
    ```

    ## Use instead
    ```python
    async def poll(session, url, interval):
        while True:
            try:
                async with session.get(url) as resp:
                    handle(await resp.json())
                await asyncio.sleep(interval)
            except asyncio.CancelledError:
                log.info("poller stopped")
                raise
            except Exception:
                log.exception("poll failed")
    ```
    Catch `Exception` for errors; when cleanup must run on cancellation, do it and re-raise
    (or use `finally`).  To wait for a task you cancelled yourself, swallow only its
    cancellation, not your own:
    ```python
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        if asyncio.current_task().cancelling():
            raise
    ```

    ## Precision
    Off by default: on the ecosystem check (25 real async projects, SPEC §10) 11 of 38
    judged findings were true (29 %), below the 90 % a default rule keeps. Most false ones
    were a background task's own loop ending when it is cancelled, where the spawn is out of
    sight (a base class's `start()`, anyio's `tg.start`), or the cancel-then-await idiom
    split across two methods (`stop()` cancels, `run()` awaits). Turn it on for an audit
    (`--extend-select ACK500`).
    """

    code = "ACK500"
    default_enabled = False  # measured below 90 % true: see Precision
    name = "cancellation-swallowed"
    TRIGGERS = ("async def",)  # reports only inside `async def`
    message = (
        "`{caught}` in `async def {function}` catches cancellation and does not re-raise it; "
        "add `raise` (or catch `Exception`)"
    )

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._check(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._check(node)

    def _check(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> None:
        context = self.context
        if not context.in_async_function:
            return
        caught = self._catches_cancellation(node.type)
        if caught is None:
            return
        if any(self._raises(inner) for inner in walk_body(node.body)):
            return
        try_node = context.parent()
        function = context.current_function
        if isinstance(try_node, (cst.Try, cst.TryStar)):
            if not can_suspend(try_node.body):
                return
            # An earlier handler of the same `try` gets the cancellation first.
            for earlier in try_node.handlers:
                if earlier is node:
                    break
                if self._catches_cancellation(earlier.type) is not None:
                    return
            if function is not None and (
                _reraised_later(node, try_node, function)
                or self._expected(node, try_node, function)
            ):
                return
        self.report(node, caught=caught, function=function.name.value if function else "?")

    def _expected(
        self,
        handler: cst.ExceptHandler | cst.ExceptStarHandler,
        try_node: cst.Try | cst.TryStar,
        function: cst.FunctionDef,
    ) -> bool:
        """Whether the swallowed cancellation is not the task's own, or its loss is the
        task's end: the idioms SPEC §1 lists for this rule."""
        stack = self.context.stack
        start = next((i for i in range(len(stack) - 1, -1, -1) if stack[i] is function), None)
        if start is None:
            return False
        # From the function's body down to the try statement.
        ancestors = stack[start + 1:-2]
        return (
            self._in_reraising_cleanup(try_node, ancestors)
            or self._awaits_cancelled(try_node, function)
            or self._ends_task(handler, try_node, function, ancestors)
        )

    def _in_reraising_cleanup(self, try_node: cst.Try | cst.TryStar,
                              ancestors: list[cst.CSTNode]) -> bool:
        """The try sits (not in a loop of its own) in a handler that raises after it, or in
        a ``finally:`` that only runs while an exception propagates, or shields the cleanup
        it waits for there: the cancellation that got there goes on after it."""
        inner: cst.CSTNode = try_node
        for index in range(len(ancestors) - 1, -1, -1):
            ancestor = ancestors[index]
            kind = type(ancestor)
            if kind is cst.For or kind is cst.While:
                return False  # the loop may go on after the swallow
            if kind is cst.ExceptHandler or kind is cst.ExceptStarHandler:
                assert isinstance(ancestor, (cst.ExceptHandler, cst.ExceptStarHandler))
                if any(self._raises(n) for statement in _statements_after(ancestor.body, inner)
                       for n in (statement, *walk_body(statement))):
                    return True
            elif kind is cst.Finally:
                owner = ancestors[index - 1] if index >= 1 else None
                if isinstance(owner, (cst.Try, cst.TryStar)) and _never_completes(owner.body):
                    return True
                if _only_awaits(try_node.body, self._is_shield):
                    return True
            if kind is not cst.IndentedBlock and kind is not cst.SimpleStatementSuite:
                inner = ancestor
        return False

    def _is_shield(self, awaited: cst.BaseExpression) -> bool:
        return isinstance(awaited, cst.Call) and self.context.qualified_name(awaited.func) in (
            "asyncio.shield", "asyncio.tasks.shield")

    def _awaits_cancelled(self, try_node: cst.Try | cst.TryStar, function: cst.FunctionDef) -> bool:
        """``t.cancel()`` earlier in the function (or in the try body, or in a method of
        the same class it calls: ``self._stop()``), and the try body only waits for ``t``:
        the CancelledError is the one this code asked for."""
        cancelled: set[str] = set()
        for node in walk_body(function.body):
            if node is try_node:
                break
            self._collect_cancelled(node, cancelled)
        for node in walk_body(try_node.body):
            self._collect_cancelled(node, cancelled)
        if not cancelled:
            return False
        return _only_awaits(try_node.body, lambda awaited: _about(awaited, cancelled))

    def _collect_cancelled(self, node: cst.CSTNode, cancelled: set[str]) -> None:
        """Add what ``node`` cancels: ``x.cancel()``, ``for t in tasks: t.cancel()``
        (``tasks``), or a call of a method of this file whose body cancels ``self.x``."""
        if isinstance(node, cst.For) and isinstance(node.target, cst.Name):
            target = node.target.value
            if any(_cancelled_name(inner) == target for inner in walk_body(node.body)):
                iterated = dotted_name(node.iter)
                if iterated is not None:
                    cancelled.add(iterated)
            return
        name = _cancelled_name(node)
        if name is not None:
            cancelled.add(name)
            return
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and isinstance(node.func.value, cst.Name)
            and node.func.value.value == "self"
        ):
            definition = self._definition(node.func)
            if definition is not None:
                for inner in walk_body(definition.body):
                    name = _cancelled_name(inner)
                    if name is not None and name.startswith("self."):
                        cancelled.add(name)

    def _ends_task(
        self,
        handler: cst.ExceptHandler | cst.ExceptStarHandler,
        try_node: cst.Try | cst.TryStar,
        function: cst.FunctionDef,
        ancestors: list[cst.CSTNode],
    ) -> bool:
        """After the handler the coroutine ends (returns, or leaves its loop and runs to
        its end without another loop), and the project only runs it as a task."""
        loops = [a for a in ancestors if isinstance(a, (cst.For, cst.While))]
        last = _last_statement(handler.body)
        if isinstance(last, cst.Return):
            pass
        elif loops and not (isinstance(last, cst.Break) and len(loops) == 1):
            return False
        elif _loops_after(loops[0] if loops else try_node, function):
            return False
        nested = any(isinstance(a, cst.FunctionDef) for a in self.context.stack[:-1]
                     if a is not function)
        return self.context.shared(TaskUsage).only_as_task(function, nested=nested)

    def _raises(self, node: cst.CSTNode) -> bool:
        """A ``raise``, or a call of a re-raising helper of this file (see
        :func:`_is_reraising_helper`), such as ``self._convert_error(exc)``."""
        if isinstance(node, cst.Raise):
            return True
        if not isinstance(node, cst.Call):
            return False
        definition = self._definition(node.func)
        return definition is not None and self._is_reraising_helper(definition)

    def _definition(self, func: cst.BaseExpression) -> cst.FunctionDef | None:
        """The ``def`` of a function or method of this file that ``func`` names."""
        context = self.context
        if isinstance(func, cst.Name):
            symbol = context.lookup(func.value)
            return symbol.node if isinstance(symbol, LocalFunction) else None
        if not isinstance(func, cst.Attribute):
            return None
        owner_type = context.expression_type(func.value)
        if owner_type is None:
            return None
        return context.method_definition(owner_type, func.attr.value)

    def _is_reraising_helper(self, definition: cst.FunctionDef) -> bool:
        """Annotated ``-> NoReturn``/``Never``, or re-raises in its body: a bare ``raise``
        (the exception being handled by its caller) or ``raise <one of its parameters>``."""
        if definition.returns is not None:
            returns = definition.returns.annotation
            if isinstance(returns, cst.SimpleString):
                if returns.raw_value in ("NoReturn", "Never", "typing.NoReturn", "typing.Never"):
                    return True
            elif self.context.qualified_name(returns) in NO_RETURN_TYPES:
                return True
        params = definition.params
        names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
        for inner in walk_body(definition.body):
            if isinstance(inner, cst.Raise) and (
                inner.exc is None or (isinstance(inner.exc, cst.Name) and inner.exc.value in names)
            ):
                return True
        return False

    def _catches_cancellation(self, caught: cst.BaseExpression | None) -> str | None:
        """How the handler's type is shown in the message, if it catches cancellation."""
        if caught is None:
            return "except:"
        elements: list[cst.BaseExpression] = [caught]
        if isinstance(caught, cst.Tuple):
            elements = [e.value for e in caught.elements]
        for element in elements:
            if isinstance(element, cst.Call):
                if self.context.qualified_name(element.func) in CANCELLATION_CLASS_FACTORIES:
                    return f"except {self.context.module.code_for_node(element)}"
                continue
            qualname = self.context.qualified_name(element)
            if qualname in CANCELLATION_CATCHERS:
                return f"except {qualname.rpartition('.')[2]}"
        return None

    VALID = [
        # Cleanup, then re-raise.
        Valid(
            "import asyncio\nimport logging\n\nlog = logging.getLogger(__name__)\n\n"
            "async def poll(session, url):\n    while True:\n        try:\n"
            "            async with session.get(url) as resp:\n"
            "                print(await resp.json())\n"
            "            await asyncio.sleep(5)\n"
            "        except asyncio.CancelledError:\n"
            "            log.info('poller stopped')\n            raise\n"
            "        except Exception:\n            log.exception('poll failed')\n"
        ),
        # Cancellation is re-raised by the first handler; the second never sees it.
        Valid(
            "import asyncio\nimport logging\n\nasync def run_worker(pubsub, handler):\n"
            "    while True:\n        try:\n            await pubsub.get_message(timeout=1.0)\n"
            "        except asyncio.CancelledError:\n            raise\n"
            "        except BaseException as exc:\n            await handler(exc)\n"
        ),
        # Translated into another exception with `raise ... from`.
        Valid(
            "import asyncio\n\nclass JobCancelled(Exception):\n    pass\n\n"
            "async def run_job(job):\n    try:\n        await job.run()\n"
            "    except BaseException as exc:\n"
            "        raise JobCancelled(job.id) from exc\n"
        ),
        # Conditional re-raise (Python 3.11 `cancelling()` idiom).
        Valid(
            "import asyncio\n\nasync def stop(task):\n    task.cancel()\n    try:\n"
            "        await task\n    except asyncio.CancelledError:\n"
            "        if asyncio.current_task().cancelling():\n            raise\n"
        ),
        # `except Exception` does not catch CancelledError (a BaseException since 3.8).
        Valid(
            "import asyncio\n\nasync def fetch(session, url):\n    try:\n"
            "        return await session.get(url)\n    except Exception:\n        return None\n"
        ),
        # Sync code is not a task: nothing to cancel.
        Valid(
            "def load(path):\n    try:\n        return open(path).read()\n"
            "    except BaseException:\n        return ''\n"
        ),
        # Nothing in the try body can be cancelled: the error is a finished child's.
        Valid(
            "import asyncio\n\nasync def collect(tasks):\n"
            "    done, _ = await asyncio.wait(tasks)\n    results = []\n"
            "    for task in done:\n        try:\n            results.append(task.result())\n"
            "        except asyncio.CancelledError:\n            continue\n    return results\n"
        ),
        # The handler hands the exception to a helper that always raises.
        Valid(
            "from typing import NoReturn\n\nclass SocketStream:\n"
            "    def _convert_error(self, exc: BaseException) -> NoReturn:\n"
            "        raise ConnectionError('stream broken') from exc\n\n"
            "    async def receive(self):\n        try:\n"
            "            return await self._sock.recv(65536)\n"
            "        except BaseException as exc:\n            self._convert_error(exc)\n"
        ),
        # A deferred re-raise: the cancellation is recorded and raised after the loop.
        Valid(
            "import asyncio\n\nclass Condition:\n    async def wait(self, waiter):\n"
            "        try:\n            await waiter\n        finally:\n"
            "            cancelled = False\n            while True:\n                try:\n"
            "                    await self.acquire()\n                    break\n"
            "                except asyncio.CancelledError:\n                    cancelled = True\n"
            "            if cancelled:\n                raise asyncio.CancelledError\n"
        ),
        Valid(
            "import asyncio\n\nasync def run_cleanups(callbacks):\n    errors = []\n"
            "    for callback in reversed(callbacks):\n        try:\n            await callback()\n"
            "        except (Exception, asyncio.CancelledError) as exc:\n"
            "            errors.append(exc)\n"
            "    if errors:\n        raise ExceptionGroup('cleanup failed', errors)\n"
        ),
        # A helper that logs, then re-raises what its caller is handling.
        Valid(
            "import logging\n\nclass TLSListener:\n    @staticmethod\n"
            "    async def handle_handshake_error(exc, stream):\n        await stream.aclose()\n"
            "        if isinstance(exc, Exception):\n            logging.exception('handshake failed')\n"
            "        else:\n            raise\n\n"
            "    async def serve(self, stream):\n        try:\n            await stream.handshake()\n"
            "        except BaseException as exc:\n"
            "            await self.handle_handshake_error(exc, stream)\n"
        ),
        # The helper is inherited through a generic base (another class's method of the
        # same name, which does not re-raise, is not the one called).
        Valid(
            "from typing import Generic, NoReturn, TypeVar\n\nT = TypeVar('T')\n\n"
            "class SocketMixin(Generic[T]):\n"
            "    def _convert_error(self, exc: BaseException) -> NoReturn:\n"
            "        raise ConnectionError('broken') from exc\n\n"
            "class Logger:\n"
            "    def _convert_error(self, exc: BaseException) -> None:\n"
            "        print(exc)\n\n"
            "class UDPSocket(SocketMixin[bytes]):\n    async def receive(self):\n        try:\n"
            "            return await self._sock.recvfrom(65536)\n"
            "        except BaseException as exc:\n            self._convert_error(exc)\n"
        ),
        # A shadowing local class is not asyncio's.
        Valid(
            "class CancelledError(Exception):\n    pass\n\n"
            "async def run(job):\n    try:\n        await job()\n"
            "    except CancelledError:\n        pass\n"
        ),
        # The documented way to stop a background task: cancel it, then wait for it.
        Valid(
            "import asyncio\n\nclass Heartbeat:\n    def __init__(self):\n        self._task = None\n\n"
            "    async def stop(self):\n        if self._task is not None:\n"
            "            self._task.cancel()\n            try:\n                await self._task\n"
            "            except asyncio.CancelledError:\n                pass\n"
            "            self._task = None\n"
        ),
        Valid(
            "import asyncio\nimport contextlib\n\nasync def shutdown(worker):\n"
            "    worker.cancel()\n    with contextlib.suppress(asyncio.CancelledError):\n"
            "        await worker\n"
        ),
        # ... in a `finally:`, bounded by `wait_for`.
        Valid(
            "import asyncio\n\nasync def download(fetch, show_progress):\n"
            "    spinner = asyncio.ensure_future(show_progress())\n    try:\n"
            "        return await fetch()\n    finally:\n        spinner.cancel()\n"
            "        try:\n            await asyncio.wait_for(spinner, timeout=1)\n"
            "        except (asyncio.CancelledError, asyncio.TimeoutError):\n            pass\n"
        ),
        # ... bounded by a timeout scope.
        Valid(
            "import asyncio\n\nasync def cancel_leftovers(tasks):\n    for task in tasks:\n"
            "        if not task.done():\n            task.cancel()\n            try:\n"
            "                async with asyncio.timeout(0.5):\n                    await task\n"
            "            except (asyncio.CancelledError, TimeoutError):\n                pass\n"
        ),
        # ... cancelled by a method of the same class.
        Valid(
            "import asyncio\n\nclass Probe:\n    def _abort(self):\n        self._done.set()\n"
            "        if self._resender is not None:\n            self._resender.cancel()\n\n"
            "    async def answers(self):\n        try:\n"
            "            await asyncio.wait_for(self._done.wait(), 3)\n        finally:\n"
            "            self._abort()\n        if self._resender is not None:\n            try:\n"
            "                await self._resender\n            except asyncio.CancelledError:\n"
            "                pass\n        return self._replies\n"
        ),
        # ... every task of a list.
        Valid(
            "import asyncio\n\nasync def close_all(tasks):\n    for task in tasks:\n"
            "        task.cancel()\n    try:\n        await asyncio.gather(*tasks)\n"
            "    except asyncio.CancelledError:\n        pass\n"
        ),
        # A background task's loop that ends when the task is cancelled.
        Valid(
            "import asyncio\n\nclass Ticker:\n    def start(self):\n"
            "        self._task = asyncio.get_running_loop().create_task(self._tick())\n\n"
            "    async def _tick(self):\n        while True:\n            try:\n"
            "                await asyncio.sleep(1)\n            except asyncio.CancelledError:\n"
            "                return\n            self.ticks += 1\n"
        ),
        # ... started through a helper of the same file; the handler around the loop.
        Valid(
            "import asyncio\n\nclass Fetcher:\n    async def _routine(self):\n"
            "        def start(coro):\n            task = asyncio.create_task(coro)\n"
            "            self._pending.add(task)\n\n        try:\n            while True:\n"
            "                for node in self._nodes:\n                    start(self._fetch(node))\n"
            "                await asyncio.wait(self._pending, return_when=asyncio.FIRST_COMPLETED)\n"
            "        except asyncio.CancelledError:\n            pass\n\n"
            "    async def _fetch(self, node):\n        try:\n            data = await node.fetch()\n"
            "        except asyncio.CancelledError:\n            return False\n"
            "        self._records.append(data)\n        return True\n\n"
            "    def begin(self):\n        self._main = asyncio.ensure_future(self._routine())\n"
        ),
        # ... a nested function given to a task group by reference; it logs and ends.
        Valid(
            "import anyio\n\nasync def serve(listener):\n    async def watchdog():\n"
            "        try:\n            await anyio.sleep_forever()\n"
            "        except anyio.get_cancelled_exc_class():\n            print('watchdog stopped')\n\n"
            "    async with anyio.create_task_group() as tg:\n        tg.start_soon(watchdog)\n"
            "        await listener.serve()\n"
        ),
        # ... a public one that no other file of the project names; cleanup after the handler.
        Valid(
            "import asyncio\n\nclass Worker:\n    async def run_job(self, job):\n"
            "        try:\n            await job.run()\n"
            "        except (Exception, asyncio.CancelledError) as exc:\n"
            "            job.failed(exc)\n        await asyncio.shield(job.save())\n\n"
            "    async def main(self, queue):\n        while True:\n"
            "            job = await queue.get()\n            asyncio.create_task(self.run_job(job))\n",
            filename="app/worker.py",
            other_files={"app/__init__.py": "", "app/jobs.py": "class Job:\n    pass\n"},
        ),
        # ... a public one that other files of the project only start as tasks.
        Valid(
            "import asyncio\n\nasync def beat(send, interval=5):\n    while True:\n"
            "        try:\n            await asyncio.sleep(interval)\n            await send()\n"
            "        except asyncio.CancelledError:\n            break\n",
            filename="lib/heartbeat.py",
            other_files={
                "lib/__init__.py": "",
                "lib/device.py": "import asyncio\nfrom lib.heartbeat import beat\n\n"
                                 "class Device:\n    def connect(self):\n"
                                 "        self._beat = asyncio.ensure_future(beat(self.ping))\n",
            },
        ),
        # ... a mixin's private loop that the class using it starts as a task.
        Valid(
            "import asyncio\n\nclass UpdatesMixin:\n    async def _update_loop(self):\n"
            "        try:\n            while self.connected:\n"
            "                self.handle(await self.receive())\n"
            "        except asyncio.CancelledError:\n            pass\n",
            filename="client/updates.py",
            other_files={
                "client/__init__.py": "",
                "client/base.py": "import asyncio\n\nclass BaseClient:\n    def start(self):\n"
                                  "        self._updates = asyncio.get_running_loop().create_task("
                                  "self._update_loop())\n",
            },
        ),
        # Cleanup in a handler that re-raises what it handles.
        Valid(
            "async def open_stream(conn):\n    try:\n        await conn.handshake()\n"
            "    except BaseException:\n        try:\n            await conn.close()\n"
            "        except BaseException:\n            pass  # keep the error that stopped us\n"
            "        raise\n"
        ),
        # Cleanup in the `finally:` of a loop that only ends by an exception.
        Valid(
            "import asyncio\n\nasync def keep_lease(lease):\n    try:\n        while True:\n"
            "            await lease.renew()\n            await asyncio.sleep(10)\n    finally:\n"
            "        try:\n            await lease.release()\n"
            "        except asyncio.CancelledError:\n            pass\n"
        ),
        # A shielded cleanup in `finally:`: the documented way to let it finish.
        Valid(
            "import asyncio\n\nasync def run_app(app):\n    try:\n"
            "        await app.process_events()\n    finally:\n        try:\n"
            "            await asyncio.shield(app.shutdown())\n"
            "        except asyncio.CancelledError:\n            pass\n    return app.exit_code\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import asyncio\nimport logging\n\nlog = logging.getLogger(__name__)\n\n"
            "async def poll(session, url):\n    while True:\n        try:\n"
            "            async with session.get(url) as resp:\n"
            "                print(await resp.json())\n"
            "            await asyncio.sleep(5)\n"
            "        except BaseException:\n"
            "            log.exception('poll failed')\n",
            line=12, column=9, message_contains="`except BaseException` in `async def poll`",
        ),
        Invalid(
            "from asyncio import CancelledError\n\nasync def worker(queue):\n"
            "    while True:\n        item = await queue.get()\n        try:\n"
            "            await item.process()\n        except CancelledError:\n"
            "            return\n        finally:\n            queue.task_done()\n",
            line=8,
        ),
        Invalid(
            "import asyncio\n\nasync def heartbeat(ws):\n    try:\n"
            "        await ws.ping()\n    except:\n        pass\n",
            line=6, message_contains="`except:`",
        ),
        # Recorded, but nothing raises on the record afterwards.
        Invalid(
            "import asyncio\n\nasync def drain(queue, stats):\n    while True:\n"
            "        try:\n            item = await queue.get()\n"
            "        except asyncio.CancelledError:\n            stats['stopped'] = True\n"
            "            break\n        print(item)\n    if stats['stopped']:\n        print('drained')\n",
            line=7,
        ),
        # A helper that may return is not a re-raise.
        Invalid(
            "import asyncio\nimport logging\n\ndef report(exc: BaseException) -> None:\n"
            "    logging.error('ping failed: %s', exc)\n\n"
            "async def keepalive(ws):\n    while True:\n        try:\n"
            "            await ws.ping()\n            await asyncio.sleep(20)\n"
            "        except BaseException as exc:\n            report(exc)\n",
            line=12,
        ),
        Invalid(
            "import asyncio.exceptions\n\nasync def read(stream):\n    try:\n"
            "        return await stream.read()\n"
            "    except (ConnectionError, asyncio.exceptions.CancelledError):\n        return b''\n",
            line=6,
        ),
        # The raise in a nested def runs later, not in the handler.
        Invalid(
            "import asyncio as aio\n\nasync def serve(server):\n    try:\n"
            "        await server.serve_forever()\n    except aio.CancelledError:\n"
            "        def fail():\n            raise RuntimeError('stopped')\n"
            "        server.on_close(fail)\n",
            line=6,
        ),
        Invalid(
            "import anyio\n\nasync def consume(receive):\n    try:\n"
            "        async for item in receive:\n            print(item)\n"
            "    except anyio.get_cancelled_exc_class():\n        print('bye')\n",
            line=7, message_contains="anyio.get_cancelled_exc_class()",
        ),
        Invalid(
            "import asyncio\n\nasync def main(jobs):\n    try:\n"
            "        async with asyncio.TaskGroup() as tg:\n"
            "            for job in jobs:\n                tg.create_task(job())\n"
            "    except* asyncio.CancelledError:\n        pass\n",
            line=8,
        ),
        # Awaited by another coroutine (also started as a task elsewhere): the caller's
        # cancellation is lost, and its loop goes on.
        Invalid(
            "import asyncio\n\nclass Link:\n    async def _connect_once(self):\n        try:\n"
            "            await self._scan()\n        except asyncio.CancelledError:\n"
            "            pass\n\n    async def _connect_loop(self):\n        while not self.connected:\n"
            "            await self._connect_once()\n            await asyncio.sleep(5)\n\n"
            "    def kick(self):\n        asyncio.create_task(self._connect_once())\n",
            line=7,
        ),
        # Started only as a task, but the handler lets its loop go on.
        Invalid(
            "import asyncio\n\nclass Poller:\n    def start(self):\n"
            "        self._task = asyncio.create_task(self._poll())\n\n"
            "    async def _poll(self):\n        while True:\n            try:\n"
            "                await self.refresh()\n            except asyncio.CancelledError:\n"
            "                print('cancelled, polling on')\n            await asyncio.sleep(1)\n",
            line=11,
        ),
        # A public coroutine that another file of the project awaits.
        Invalid(
            "import asyncio\n\nclass Client:\n    async def drain(self):\n        try:\n"
            "            await asyncio.wait_for(self._flushed.wait(), 5)\n"
            "        except asyncio.CancelledError:\n            return\n\n"
            "    def drain_later(self):\n        asyncio.create_task(self.drain())\n",
            line=7, filename="pkg/client.py",
            other_files={"pkg/__init__.py": "",
                         "pkg/app.py": "async def stop(client):\n    await client.drain()\n"},
        ),
        # Started as a task by one file, awaited by another.
        Invalid(
            "import asyncio\n\nasync def beat(send):\n    while True:\n        try:\n"
            "            await send()\n            await asyncio.sleep(5)\n"
            "        except asyncio.CancelledError:\n            return\n",
            line=8, filename="lib/heartbeat.py",
            other_files={
                "lib/__init__.py": "",
                "lib/device.py": "import asyncio\nfrom lib.heartbeat import beat\n\n"
                                 "def connect(dev):\n    return asyncio.ensure_future(beat(dev.ping))\n",
                "lib/check.py": "from lib.heartbeat import beat\n\n"
                                "async def check(dev):\n    await beat(dev.ping)\n",
            },
        ),
        # The try waits for more than the task it cancelled: `flush()` is cancellable too.
        Invalid(
            "import asyncio\n\nasync def stop(task, writer):\n    task.cancel()\n    try:\n"
            "        await task\n        await writer.flush()\n"
            "    except asyncio.CancelledError:\n        pass\n",
            line=8,
        ),
        # ... or waits for a lock around it (only a timeout scope is passed over).
        Invalid(
            "import asyncio\n\nasync def stop(task, lock):\n    task.cancel()\n    try:\n"
            "        async with lock:\n            await task\n"
            "    except asyncio.CancelledError:\n        pass\n",
            line=8,
        ),
        # The cancel happens in a sibling handler, after the wait: it is not what is awaited.
        Invalid(
            "import asyncio\n\nasync def drain(done):\n    try:\n"
            "        await asyncio.wait_for(done, 5)\n    except asyncio.TimeoutError:\n"
            "        done.cancel()\n    except asyncio.CancelledError:\n        pass\n"
            "    finally:\n        print('drained')\n",
            line=8,
        ),
        # Cleanup in an outer handler that does not raise: the cancellation is gone.
        Invalid(
            "async def close_quietly(conn):\n    try:\n        await conn.flush()\n"
            "    except Exception:\n        try:\n            await conn.close()\n"
            "        except BaseException:\n            pass\n",
            line=7,
        ),
        # In `finally:` after a body that can end normally, an unshielded wait.
        Invalid(
            "import asyncio\n\nasync def session(conn):\n    try:\n        await conn.talk()\n"
            "    finally:\n        try:\n            await conn.close()\n"
            "        except asyncio.CancelledError:\n            pass\n",
            line=9,
        ),
    ]


def _reraised_later(
    handler: cst.ExceptHandler | cst.ExceptStarHandler,
    try_node: cst.Try | cst.TryStar,
    function: cst.FunctionDef,
) -> bool:
    """Whether the handler records something that the function raises on after the try."""
    recorded = _recorded_names(handler.body)
    if not recorded:
        return False
    nodes = list(walk_body(function.body))
    start = next((i for i, n in enumerate(nodes) if n is try_node), None)
    if start is None:
        return False
    after = nodes[start + 1 + sum(1 for _ in walk_body(try_node)):]
    for node in after:
        if isinstance(node, cst.Raise) and node.exc is not None and _mentions(node.exc, recorded):
            return True
        if (
            isinstance(node, (cst.If, cst.While))
            and _mentions(node.test, recorded)
            and any(isinstance(inner, cst.Raise) for inner in walk_body(node.body))
        ):
            return True
    return False


def _recorded_names(body: cst.BaseSuite) -> set[str]:
    """Names a handler body writes to: assigned, augmented, item-assigned, or mutated by a
    method call (``errors.append(exc)``)."""
    names: set[str] = set()
    for node in walk_body(body):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            targets = [node.func.value]
        for target in targets:
            if isinstance(target, cst.Subscript):
                target = target.value
            if isinstance(target, cst.Name):
                names.add(target.value)
    return names


def _mentions(expr: cst.CSTNode, names: set[str]) -> bool:
    return any(isinstance(n, cst.Name) and n.value in names for n in walk_body(expr)) or (
        isinstance(expr, cst.Name) and expr.value in names
    )


def _cancelled_name(node: cst.CSTNode) -> str | None:
    """``x.y`` of a call ``x.y.cancel()``, else None."""
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "cancel"
    ):
        return dotted_name(node.func.value)
    return None


def _about(expr: cst.BaseExpression, names: set[str]) -> bool:
    """Whether an awaited expression waits for one of ``names``: the name itself (or a
    companion of it, ``self._task_future`` for ``self._task``), or a call that waits for
    one (``asyncio.wait_for(t, 5)``, ``asyncio.gather(*tasks)``)."""
    text = dotted_name(expr)
    if text is not None:
        return any(text == name or text.startswith(name + "_") for name in names)
    if isinstance(expr, cst.Call):
        func = expr.func
        waiter = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else None)
        return waiter in WAITING_FUNCTIONS and any(
            _about(arg.value, names) for arg in expr.args if arg.keyword is None)
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return bool(expr.elements) and all(_about(e.value, names) for e in expr.elements)
    return False


def _only_awaits(body: cst.BaseSuite, accepted: Callable[[cst.BaseExpression], bool]) -> bool:
    """Whether ``body`` suspends only in ``await X`` with ``accepted(X)`` (at least once;
    no ``async for``/``async with``)."""
    seen = False
    for node in walk_body(body):
        if isinstance(node, cst.Await):
            if not accepted(node.expression):
                return False
            seen = True
        elif isinstance(node, cst.With) and node.asynchronous is not None:
            if not all(_is_timeout_scope(item.item) for item in node.items):
                return False
        elif isinstance(node, (cst.For, cst.CompFor)) and node.asynchronous is not None:
            return False
    return seen


def _is_timeout_scope(expr: cst.BaseExpression) -> bool:
    """``asyncio.timeout(0.1)`` and the like: bounds the waits inside, waits for nothing."""
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func
    name = func.attr.value if isinstance(func, cst.Attribute) else (
        func.value if isinstance(func, cst.Name) else None)
    return name in TIMEOUT_SCOPES


def _statements(body: cst.BaseSuite) -> Sequence[cst.BaseStatement | cst.BaseSmallStatement]:
    return body.body


def _statements_after(body: cst.BaseSuite, inner: cst.CSTNode) -> Sequence[cst.CSTNode]:
    """The statements of ``body`` after the one that is (or holds) ``inner``."""
    statements = _statements(body)
    for index, statement in enumerate(statements):
        if statement is inner:
            return statements[index + 1:]
    return []


def _last_statement(body: cst.BaseSuite) -> cst.CSTNode | None:
    statements = _statements(body)
    if not statements:
        return None
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine) and last.body:
        return last.body[-1]
    return last


def _never_completes(body: cst.BaseSuite) -> bool:
    """Whether a try body can only be left by an exception: it ends in ``raise`` or in a
    ``while True:`` loop that nothing breaks, and nothing in it returns."""
    if any(isinstance(node, cst.Return) for node in walk_body(body)):
        return False
    last = _last_statement(body)
    if isinstance(last, cst.Raise):
        return True
    if not isinstance(last, cst.While) or last.orelse is not None:
        return False
    test = last.test
    if not (isinstance(test, cst.Name) and test.value == "True") and not (
            isinstance(test, cst.Integer) and test.value != "0"):
        return False
    return not _breaks(last.body)


def _breaks(body: cst.BaseSuite) -> bool:
    """Whether a ``break`` in ``body`` leaves the loop whose body it is (not a nested
    loop's)."""
    pending: list[cst.CSTNode] = list(_statements(body))
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Break):
            return True
        if isinstance(node, (cst.For, cst.While)):
            if node.orelse is not None:
                pending.append(node.orelse)
            continue
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        pending.extend(iter_children(node))
    return False


def _loops_after(node: cst.CSTNode, function: cst.FunctionDef) -> bool:
    """Whether the function has a ``while`` loop or an ``async for`` after ``node``: code
    that may go on working after the handler left ``node``."""
    nodes = list(walk_body(function.body))
    start = next((i for i, n in enumerate(nodes) if n is node), None)
    if start is None:
        return True
    after = nodes[start + 1 + sum(1 for _ in walk_body(node)):]
    return any(isinstance(n, cst.While) or (isinstance(n, cst.For) and n.asynchronous is not None)
               for n in after)
