"""Tasks a function makes and hands back fresh (ACK102 through helpers).

``def spawn(coro): return asyncio.create_task(coro)`` returns a task that nothing else holds:
the event loop keeps only a weak reference, so a caller that drops the result loses the task
just as if it had called ``create_task`` itself.  A helper that also keeps the task
(``self._tasks.add(task)``, ``self._task = task``) is not such a helper.  The project index
records the answer per function (:attr:`FunctionFacts.returns_task`).
"""

from __future__ import annotations

import libcst as cst

from asyncheck.semantics.names import Resolver, Scope, dotted_name
from asyncheck.syntax.walk import find_all, walk_body

#: Calls that schedule a task the event loop only holds weakly.
TASK_FACTORIES: frozenset[str] = frozenset({
    "asyncio.create_task",
    "asyncio.ensure_future",
    "asyncio.tasks.create_task",
    "asyncio.tasks.ensure_future",
    "asyncio.AbstractEventLoop.create_task",
    "asyncio.events.AbstractEventLoop.create_task",
})

#: Names an event loop object usually goes by, when its type is not known otherwise.
TASK_LOOP_NAMES: frozenset[str] = frozenset({"loop", "_loop", "event_loop", "_event_loop"})

#: The last names of the factories (a cheap test before resolving).
FACTORY_METHOD_NAMES: frozenset[str] = frozenset({"create_task", "ensure_future"})


def task_factory(call: cst.Call, resolver: Resolver, scope: Scope) -> str | None:
    """The factory ``call`` calls (``asyncio.create_task``, ``loop.create_task``), or None.
    A ``create_task`` method of an object of unknown type counts when the object has a
    loop's conventional name; an object of another known type (a ``TaskGroup``) does not."""
    func = call.func
    if type(func) not in (cst.Name, cst.Attribute):
        return None
    qualname = resolver.qualified_name(func, scope)
    if qualname in TASK_FACTORIES:
        return qualname
    if (type(func) is cst.Attribute and func.attr.value == "create_task"
            and resolver.expression_type(func.value, scope) is None):
        owner = dotted_name(func.value)
        if owner is not None and owner.rpartition(".")[2] in TASK_LOOP_NAMES:
            return "loop.create_task"
    return None


def returned_fresh_task(function: cst.FunctionDef, resolver: Resolver, scope: Scope) -> str:
    """The factory of a task ``function`` makes and returns without keeping it anywhere
    else (``""`` when it does not): ``return asyncio.create_task(c)``, or a local bound to
    one that is used for nothing but ``return`` and ``.add_done_callback(...)``.
    ``scope`` is the function's own scope."""
    returns = [r for r in find_all(function.body, (cst.Return,), own_scope=True)
               if r.value is not None]
    for statement in returns:
        value = statement.value
        assert value is not None
        if type(value) is cst.Call:
            found = task_factory(value, resolver, scope)
            if found is not None:
                return found
        elif type(value) is cst.Name:
            found = _fresh_local(function, value.value, resolver, scope)
            if found:
                return found
    return ""


def _fresh_local(function: cst.FunctionDef, name: str, resolver: Resolver, scope: Scope) -> str:
    """``name = <task factory>(...)`` ... ``return name``, and no other use of ``name``."""
    factory = ""
    explained: set[int] = set()
    occurrences: list[cst.Name] = []
    for node in walk_body(function.body):
        if type(node) is cst.Name and node.value == name:
            occurrences.append(node)
        elif type(node) is cst.Assign:
            if (len(node.targets) == 1 and type(node.targets[0].target) is cst.Name
                    and node.targets[0].target.value == name):
                value = node.value
                made = task_factory(value, resolver, scope) if type(value) is cst.Call else None
                if made is None:
                    return ""  # bound to something else too
                factory = made
                explained.add(id(node.targets[0].target))
        elif type(node) is cst.Return and type(node.value) is cst.Name and node.value.value == name:
            explained.add(id(node.value))
        elif (type(node) is cst.Call and type(node.func) is cst.Attribute
              and node.func.attr.value == "add_done_callback"
              and type(node.func.value) is cst.Name and node.func.value.value == name):
            explained.add(id(node.func.value))
    if not factory:
        return ""
    return factory if all(id(n) in explained for n in occurrences) else ""
