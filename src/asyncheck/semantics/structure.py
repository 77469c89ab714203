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
from dataclasses import dataclass

import libcst as cst

from asyncheck.semantics.model import SemanticModel
from asyncheck.semantics.names import dotted_name
from asyncheck.semantics.task_usage import TaskUsage
from asyncheck.syntax.walk import iter_children, walk_body

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



# -- a yield inside a `with` (ACK511, ACK513) ---------------------------------------------------
#: Decorators (last part of the name, called or not) that make a generator a context
#: manager or a pytest fixture, whose consumer runs inside the generator's `with` blocks on
#: purpose, in the same task, and leaves them before the generator goes on; or run it in a
#: task of its own that hands the values over a channel (trio's ``as_safe_channel``).
SAFE_GENERATOR_DECORATORS = frozenset({
    "asynccontextmanager", "contextmanager", "fixture", "yield_fixture", "as_safe_channel",
})


@dataclass(frozen=True)
class YieldSite:
    """Where the ``yield`` being visited stands: its generator, and the ``with`` statements
    of that generator whose body holds it, innermost first."""

    function: cst.FunctionDef
    blocks: tuple[cst.With, ...]
    #: The generator is defined inside another function.
    nested: bool


def yield_site(context: SemanticModel) -> YieldSite | None:
    """The :class:`YieldSite` of the ``yield`` on top of ``context``'s stack (None outside a
    function).  A ``with`` counts when the yield is in its body, not in its items."""
    function = context.current_function
    if function is None:
        return None
    stack = context.stack
    blocks: list[cst.With] = []
    for index in range(len(stack) - 2, -1, -1):
        ancestor = stack[index]
        if ancestor is function:
            nested = any(type(n) is cst.FunctionDef for n in stack[:index])
            return YieldSite(function, tuple(blocks), nested)
        if type(ancestor) is cst.With:
            assert isinstance(ancestor, cst.With)
            if stack[index + 1] is ancestor.body:
                blocks.append(ancestor)
    return None


def consumer_iterates(context: SemanticModel, site: YieldSite) -> bool:
    """Whether the generator of ``site`` is iterated by a consumer that can stop at any
    item: not a context manager or a pytest fixture (see
    :data:`SAFE_GENERATOR_DECORATORS`), and not handed to something else that drives it
    (``Depends(request_deadline)``, ``FastAPI(lifespan=lifespan)``,
    ``asynccontextmanager(stream)``; :meth:`TaskUsage.handed_over`)."""
    for decorator in site.function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        name = dotted_name(expr)
        if name is not None and name.rpartition(".")[2] in SAFE_GENERATOR_DECORATORS:
            return False
    return not context.shared(TaskUsage).handed_over(site.function, nested=site.nested)


def site_cancel_scope(context: SemanticModel, site: YieldSite) -> str | None:
    """The innermost cancel scope (:func:`cancel_scope`) of ``site``'s blocks, if any; a
    block may enter a name the generator binds once to one (``timeout =
    asyncio.timeout(30)`` ... ``async with timeout as cm:``)."""
    for block in site.blocks:
        for item in block.items:
            scope = cancel_scope(context, _bound_value(context, item.item))
            if scope is not None:
                return scope
    return None


def _bound_value(context: SemanticModel, expr: cst.BaseExpression) -> cst.BaseExpression:
    """``expr``, or the value a name is bound to when the current function binds it once,
    by an assignment."""
    if type(expr) is not cst.Name:
        return expr
    assert isinstance(expr, cst.Name)
    found = context.scope.binding_scope(expr.value)
    if found is None or found[0] is not context.scope or len(found[1]) != 1:
        return expr
    binding = found[1][0]
    if binding.kind != "assign" or binding.entered is not None or binding.value is None:
        return expr
    return binding.value


# -- polled state (ACK520) ----------------------------------------------------------------------
#: Methods that read the state of an asyncio-style object whose change can be awaited
#: instead (``task.done()`` -> ``await task``, ``event.is_set()`` -> ``await event.wait()``).
STATE_METHODS = frozenset({"done", "cancelled", "is_set", "empty", "full", "qsize", "locked"})
#: Methods that change the object they are called on (``self.tasks.pop(key)``).
MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "popitem", "remove", "discard", "add", "update",
    "clear", "setdefault", "appendleft", "popleft", "put_nowait", "get_nowait", "set",
})
#: Methods that query the container they are called on: its content is the state read.
CONTAINER_QUERIES = frozenset({
    "get", "count", "index", "keys", "values", "items", "issubset", "issuperset",
    "isdisjoint", "copy",
})
#: Modules whose objects hold state of this process that asyncio code can be told about
#: (containers, asyncio's, anyio's and trio's objects), unlike a ``threading.Event``, a
#: ``queue.Queue`` or a library's client.
IN_LOOP_MODULES = ("builtins.", "collections.", "asyncio.", "anyio.", "trio.")


class WrittenState:
    """What the code of one module changes (``model.shared(WrittenState)``), as the state a
    loop polls can be told apart from state only polling can see:

    - attributes of the module's classes that a method assigns, deletes or mutates through
      ``self`` (``self.ready = True``, ``self.jobs[k] = v``, ``del self.jobs[k]``,
      ``self.jobs.pop(k)``), by class: ``("pkg.mod.Worker", "ready")``;
    - names a function changes in another scope (declared ``global``/``nonlocal``) or
      mutates anywhere (``FLAGS.add(name)``).

    A flag the program changes itself is one it can signal where it changes it."""

    def __init__(self, model: SemanticModel) -> None:
        self.attributes: set[tuple[str, str]] = set()
        self.names: set[str] = set()
        self._collect(model.module, model.module_name)

    def _collect(self, module: cst.Module, module_name: str) -> None:
        # (node, qualified name of the class whose method's body this is, `self`'s name)
        pending: list[tuple[cst.CSTNode, str | None, str | None]] = [(module, None, None)]
        while pending:
            node, owner, self_name = pending.pop()
            kind = type(node)
            if kind is cst.ClassDef:
                assert isinstance(node, cst.ClassDef)
                prefix = module_name if owner is None else owner
                class_name = f"{prefix}.{node.name.value}" if self_name is None else None
                for statement in node.body.body:
                    pending.append((statement, class_name, None))
                continue
            if kind is cst.FunctionDef:
                assert isinstance(node, cst.FunctionDef)
                if self_name is None:  # a method (or a function): `self` is its first param
                    params = node.params.posonly_params or node.params.params
                    self_name = params[0].name.value if params else ""
                    owner = owner if params else None
                # else: a function nested in a method sees the method's `self`
                pending.extend((child, owner, self_name) for child in iter_children(node))
                continue
            targets: list[cst.BaseExpression] = []
            mutated = False
            if kind is cst.Assign:
                assert isinstance(node, cst.Assign)
                targets = [t.target for t in node.targets]
            elif kind is cst.AugAssign or kind is cst.AnnAssign:
                assert isinstance(node, (cst.AugAssign, cst.AnnAssign))
                targets = [node.target]
            elif kind is cst.Del:
                assert isinstance(node, cst.Del)
                targets = [node.target]
            elif kind is cst.Global or kind is cst.Nonlocal:
                assert isinstance(node, (cst.Global, cst.Nonlocal))
                self.names.update(item.name.value for item in node.names)
            elif kind is cst.Call:
                assert isinstance(node, cst.Call)
                func = node.func
                if isinstance(func, cst.Attribute) and func.attr.value in MUTATING_METHODS:
                    targets, mutated = [func.value], True
            for target in targets:
                self._add(target, owner, self_name, mutated=mutated)
            pending.extend((child, owner, self_name) for child in iter_children(node))

    def _add(self, target: cst.BaseExpression, owner: str | None, self_name: str | None, *,
             mutated: bool) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._add(element.value, owner, self_name, mutated=mutated)
            return
        if isinstance(target, cst.Subscript):
            target, mutated = target.value, True
        if isinstance(target, cst.Attribute):
            receiver = target.value
            if (owner is not None and isinstance(receiver, cst.Name)
                    and receiver.value == self_name):
                self.attributes.add((owner, target.attr.value))
        elif isinstance(target, cst.Name) and mutated:
            self.names.add(target.value)


def reads_written_state(model: SemanticModel, expr: cst.BaseExpression) -> bool:
    """Whether ``expr`` reads state the module changes (:class:`WrittenState`): an
    attribute of an object whose class (or a base of it) a method of the module changes
    through ``self``, or a name changed from another scope or mutated.  An attribute of an
    object of unknown type is nobody's known state.  Subscripts read their operand, calls
    their arguments, and a container's query (``self.jobs.get(key)``) the container too;
    what another method returns (``self.loop.is_closed()``) is its object's own
    business."""
    written = model.shared(WrittenState)
    pending: list[cst.CSTNode] = [expr]
    while pending:
        node = pending.pop()
        kind = type(node)
        if kind is cst.Attribute:
            assert isinstance(node, cst.Attribute)
            owner = model.expression_type(node.value)
            if owner is not None and any(
                    (ancestor, node.attr.value) in written.attributes
                    for ancestor in model.index.class_lineage(owner)):
                return True
        elif kind is cst.Name:
            assert isinstance(node, cst.Name)
            if node.value in written.names:
                return True
        elif kind is cst.Call:
            assert isinstance(node, cst.Call)
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in CONTAINER_QUERIES:
                pending.append(func.value)
            pending.extend(arg.value for arg in node.args)
        elif kind is cst.Subscript:
            assert isinstance(node, cst.Subscript)
            pending.append(node.value)
        elif kind not in (cst.Lambda, cst.GeneratorExp, cst.ListComp, cst.SetComp, cst.DictComp):
            pending.extend(iter_children(node))
    return False
