"""ACK500 cancellation-swallowed."""

from __future__ import annotations

import libcst as cst

from asyncheck.lint import Invalid, Rule, Valid
from asyncheck.semantics.event_loop import (
    CANCELLATION_CATCHERS,
    CANCELLATION_CLASS_FACTORIES,
    can_suspend,
)
from asyncheck.semantics.names import LocalFunction
from asyncheck.syntax.walk import walk_body

#: Return annotations of functions that never return normally.
NO_RETURN_TYPES = frozenset({
    "typing.NoReturn", "typing.Never", "typing_extensions.NoReturn", "typing_extensions.Never",
})


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
    """

    code = "ACK500"
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
            if function is not None and _reraised_later(node, try_node, function):
                return
        self.report(node, caught=caught, function=function.name.value if function else "?")

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
