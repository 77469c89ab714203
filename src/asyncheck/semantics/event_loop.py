"""What the event-loop and cancellation rules (ACK4xx, ACK500) share.

Which expressions are event loops, which names are the loop-policy API, which constructors
open HTTP sessions, which exception types catch cancellation, and small tree walks that stay
inside one function body (a nested ``def``, ``lambda`` or class body runs at another time).
"""

from __future__ import annotations

import libcst as cst

from asyncheck.semantics.model import SemanticModel
from asyncheck.syntax.walk import walk_body

#: Qualified types whose objects are event loops (the resolver reports
#: ``asyncio.AbstractEventLoop`` for ``get_event_loop``/``new_event_loop``/``get_running_loop``;
#: annotations may name the concrete classes).
EVENT_LOOP_TYPES: frozenset[str] = frozenset({
    "asyncio.AbstractEventLoop",
    "asyncio.events.AbstractEventLoop",
    "asyncio.BaseEventLoop",
    "asyncio.base_events.BaseEventLoop",
    "asyncio.SelectorEventLoop",
    "asyncio.ProactorEventLoop",
    "asyncio.unix_events.SelectorEventLoop",
    "asyncio.windows_events.ProactorEventLoop",
    "uvloop.Loop",
})

#: Names a variable or attribute holding an event loop conventionally has.  The SPEC tracks
#: "a name ``loop``"; ``self.loop``/``self._loop`` are the same convention on an object.
LOOP_NAMES: frozenset[str] = frozenset({"loop", "_loop"})

#: Functions that start an event loop and run it to completion in the calling thread.
LOOP_RUNNERS: frozenset[str] = frozenset({
    "asyncio.run",
    "asyncio.runners.run",
    "asyncio.Runner.run",
    "asyncio.runners.Runner.run",
})

#: Event-loop methods that block the calling thread running the loop.
LOOP_RUN_METHODS: frozenset[str] = frozenset({"run_until_complete", "run_forever"})

#: ``asyncio.get_event_loop`` under the names it is importable as.
GET_EVENT_LOOP: frozenset[str] = frozenset({"asyncio.get_event_loop", "asyncio.events.get_event_loop"})

#: The loop-policy functions deprecated by Python 3.14 (the ``*EventLoopPolicy`` classes are
#: matched by name, see :func:`is_event_loop_policy_name`).
POLICY_FUNCTIONS: frozenset[str] = frozenset({
    "asyncio.set_event_loop_policy",
    "asyncio.get_event_loop_policy",
    "asyncio.events.set_event_loop_policy",
    "asyncio.events.get_event_loop_policy",
})

#: Constructors of HTTP client sessions and connectors that own sockets until closed.
SESSION_CONSTRUCTORS: frozenset[str] = frozenset({
    "aiohttp.ClientSession",
    "aiohttp.client.ClientSession",
    "aiohttp.TCPConnector",
    "aiohttp.connector.TCPConnector",
    "httpx.AsyncClient",
    "httpx._client.AsyncClient",
    "httpx2.AsyncClient",
})

#: Exception types whose handlers catch a task's cancellation.
CANCELLATION_CATCHERS: frozenset[str] = frozenset({
    "asyncio.CancelledError",
    "asyncio.exceptions.CancelledError",
    "builtins.BaseException",
})

#: Calls that evaluate to the running framework's cancellation exception class.
CANCELLATION_CLASS_FACTORIES: frozenset[str] = frozenset({"anyio.get_cancelled_exc_class"})

def is_event_loop(context: SemanticModel, expr: cst.BaseExpression) -> bool:
    """Whether ``expr`` evaluates to an event loop.

    Known by type (a loop factory call, a name bound to one, an annotation), or by the
    conventional name ``loop``/``self._loop`` when the type is unknown.  A name whose type is
    known to be something else is not a loop whatever it is called.
    """
    known = context.expression_type(expr)
    if known is not None:
        return known in EVENT_LOOP_TYPES
    if isinstance(expr, cst.Name):
        return expr.value in LOOP_NAMES
    if isinstance(expr, cst.Attribute):
        return expr.attr.value in LOOP_NAMES
    return False


def is_event_loop_policy_name(qualname: str) -> bool:
    """A loop-policy function or an ``asyncio``/``uvloop`` ``*EventLoopPolicy`` class."""
    if qualname in POLICY_FUNCTIONS:
        return True
    root, _, last = qualname.rpartition(".")
    top = root.split(".")[0]
    return top in ("asyncio", "uvloop") and last.endswith("EventLoopPolicy")


def can_suspend(node: cst.CSTNode) -> bool:
    """Whether the code under ``node`` has a suspension point (``await``, ``async for``,
    ``async with``) in the same body, i.e. a place where a task can be cancelled."""
    for inner in walk_body(node):
        if isinstance(inner, cst.Await):
            return True
        if isinstance(inner, (cst.For, cst.With, cst.CompFor)) and inner.asynchronous is not None:
            return True
    return False
