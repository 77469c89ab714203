"""What the structure rules (ACK510-ACK530) share: cancel scopes, sleeps, suspension points.

A *cancel scope* is a context manager that cancels the code in its body from the outside:
a timeout (``asyncio.timeout``, anyio's ``fail_after``, trio's ``move_on_at``) or a task
group (``asyncio.TaskGroup``, anyio's ``create_task_group``, trio's ``open_nursery``),
which cancels its body when a child task fails.  Such a scope only acts where the task can
be interrupted, at a *suspension point* of its body: an ``await``, ``async for`` or
``async with``.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from asyncheck.semantics.model import SemanticModel
from asyncheck.syntax.walk import iter_children

# Node tests are ``type(node) is ...``, not ``isinstance``: see semantics/names.py.

#: Timeout scopes, by qualified name, as entered (``async with`` for asyncio and
#: ``async_timeout``, plain ``with`` for anyio and trio, whose scopes are synchronous).
TIMEOUT_SCOPES: frozenset[str] = frozenset({
    "asyncio.timeout", "asyncio.timeout_at", "asyncio.Timeout",
    "asyncio.timeouts.timeout", "asyncio.timeouts.timeout_at", "asyncio.timeouts.Timeout",
    "async_timeout.timeout", "async_timeout.timeout_at",
    "anyio.fail_after", "anyio.move_on_after", "anyio.CancelScope",
    "trio.fail_after", "trio.fail_at", "trio.move_on_after", "trio.move_on_at",
    "trio.CancelScope",
})
#: Task groups: a failing child cancels the group's body.
TASK_GROUPS: frozenset[str] = frozenset({
    "asyncio.TaskGroup", "asyncio.taskgroups.TaskGroup",
    "anyio.create_task_group", "anyio.abc.TaskGroup",
    "trio.open_nursery",
})
#: Sleeps: awaiting one only passes time (``sleep(0)`` and the ``checkpoint`` functions just
#: let the other tasks run).
SLEEPS: frozenset[str] = frozenset({
    "asyncio.sleep", "asyncio.tasks.sleep",
    "anyio.sleep", "anyio.sleep_until", "anyio.lowlevel.checkpoint",
    "trio.sleep", "trio.sleep_until", "trio.lowlevel.checkpoint",
})


def cancel_scope(context: SemanticModel, expr: cst.BaseExpression) -> str | None:
    """The qualified name of the cancel scope ``expr`` (a ``with`` item) enters: a call of
    one of :data:`TIMEOUT_SCOPES` or :data:`TASK_GROUPS`; None otherwise."""
    if not isinstance(expr, cst.Call):
        return None
    qualname = context.qualified_name(expr.func)
    if qualname in TIMEOUT_SCOPES or qualname in TASK_GROUPS:
        return qualname
    return None


def is_sleep(context: SemanticModel, expr: cst.BaseExpression) -> bool:
    """Whether ``expr`` is a call of a sleep of :data:`SLEEPS`."""
    return isinstance(expr, cst.Call) and context.qualified_name(expr.func) in SLEEPS


def suspends(nodes: Sequence[cst.CSTNode], *, yields: bool = False) -> bool:
    """Whether running ``nodes`` (statements or expressions of one body) can suspend the
    function they are in: an ``await``, ``async for`` or ``async with`` (an async
    comprehension too), or with ``yields`` a ``yield``.

    Only what runs then counts: the body of a nested ``def``, ``lambda`` or class runs at
    another time (its decorators, default values and bases run now), and a generator
    expression runs lazily but for the iterable of its first ``for``.
    """
    pending: list[cst.CSTNode] = list(nodes)
    while pending:
        node = pending.pop()
        kind = type(node)
        if kind is cst.Await:
            return True
        if kind is cst.Yield:
            if yields:
                return True
        elif kind is cst.For or kind is cst.With or kind is cst.CompFor:
            if node.asynchronous is not None:  # type: ignore[attr-defined]
                return True
        elif kind is cst.FunctionDef:
            assert isinstance(node, cst.FunctionDef)
            pending.extend(d.decorator for d in node.decorators)
            pending.extend(_defaults(node.params))
            continue
        elif kind is cst.Lambda:
            assert isinstance(node, cst.Lambda)
            pending.extend(_defaults(node.params))
            continue
        elif kind is cst.ClassDef:
            assert isinstance(node, cst.ClassDef)
            pending.extend(d.decorator for d in node.decorators)
            pending.extend(arg.value for arg in (*node.bases, *node.keywords))
            continue
        elif kind is cst.GeneratorExp:
            assert isinstance(node, cst.GeneratorExp)
            pending.append(node.for_in.iter)
            continue
        pending.extend(iter_children(node))
    return False


def _defaults(params: cst.Parameters) -> list[cst.BaseExpression]:
    return [p.default for p in (*params.posonly_params, *params.params, *params.kwonly_params)
            if p.default is not None]

