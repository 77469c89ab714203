"""Unbounded concurrency: how many awaitables a fan-out starts, and whether they are limited.

Three rules share this module: ACK300 (``gather``/``wait``/``as_completed`` over an unbounded
collection), ACK301 (tasks spawned in a loop over an unbounded iterable) and ACK310 (a loop that
awaits independent calls one at a time).  They need the same two answers:

* **How big is it?**  :meth:`ConcurrencyAnalysis.extent` follows a collection expression back
  through the names it is bound to (in the same scope or an enclosing one) and the loops that
  grow it: a literal display, ``[x] * 10`` or ``range(10)`` has a known size; a comprehension
  has the size of what it iterates; a parameter, an attribute or a call result is unknown, and
  unknown means unbounded.  Batches (``itertools.batched(xs, 10)``, ``xs[i:i + 10]``) have a
  known size however long ``xs`` is.
* **Is the work limited?**  :meth:`ConcurrencyAnalysis.call_is_limited` resolves the function
  called per element (also in another project file, through the project index) and every
  wrapper it is passed through, and asks whether one of them acquires a limiter:
  ``async with sem:`` or ``await sem.acquire()`` on an ``asyncio.Semaphore``, an
  ``anyio.CapacityLimiter``, a type configured in ``limiters``, or a name that says it is one
  (``self._semaphore``) when the type cannot be known, such as an unannotated parameter.

Nothing here is flow-sensitive beyond that: a name is what all its bindings in its scope say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from asyncheck.semantics.names import (
    Imported,
    LocalFunction,
    Scope,
    dotted_name,
    make_function_scope,
)
from asyncheck.semantics.project import FunctionFacts, awaited_acquire, entered_limiter
from asyncheck.syntax.walk import FastVisitor, find_all

if TYPE_CHECKING:
    from asyncheck.semantics.model import SemanticModel

#: Types whose ``async with x:`` / ``await x.acquire()`` bounds how many callers run at once.
LIMITER_TYPES = frozenset({
    "asyncio.Semaphore",
    "asyncio.BoundedSemaphore",
    "asyncio.locks.Semaphore",
    "asyncio.locks.BoundedSemaphore",
    "anyio.CapacityLimiter",
    "anyio.Semaphore",
    "trio.CapacityLimiter",
    "trio.Semaphore",
    "aiolimiter.AsyncLimiter",
})

#: ``gather(*aws)``: each starred argument is a fan-out.
GATHER_FUNCTIONS = frozenset({
    "asyncio.gather", "asyncio.tasks.gather", "anyio.gather", "anyio.as_completed",
})
#: ``amap(func, args)``: ``func`` called concurrently for every element of ``args``.
MAP_FUNCTIONS = frozenset({"anyio.amap"})
#: ``wait(aws)`` / ``as_completed(aws)``: the first argument is a fan-out.
COLLECTION_WAITERS = frozenset({
    "asyncio.wait", "asyncio.tasks.wait", "asyncio.as_completed", "asyncio.tasks.as_completed",
})
#: Functions whose call starts a task from the coroutine passed as first argument.
TASK_SPAWN_FUNCTIONS = frozenset({
    "asyncio.create_task", "asyncio.tasks.create_task",
    "asyncio.ensure_future", "asyncio.tasks.ensure_future",
})
#: Methods that start a task from a coroutine (loops, ``asyncio.TaskGroup``), any receiver.
TASK_SPAWN_METHODS = frozenset({"create_task", "ensure_future"})
#: Methods that start a task from a function and its arguments (anyio/trio task groups).
TASK_SPAWN_FUNCTION_METHODS = frozenset({"start_soon"})
#: ``async with <one of these>(...)`` waits for every task started in its body.
TASK_GROUP_FACTORIES = frozenset({
    "asyncio.TaskGroup", "asyncio.taskgroups.TaskGroup", "anyio.create_task_group",
    "trio.open_nursery",
})
#: Calls that wrap a coroutine passed as first argument (the work is the coroutine).
COROUTINE_WRAPPERS = frozenset({
    "asyncio.wait_for", "asyncio.tasks.wait_for", "asyncio.shield", "asyncio.tasks.shield",
    "asyncio.Task", "asyncio.tasks.Task",
})
#: Queues whose ``put`` waits when ``maxsize`` is reached.
QUEUE_TYPES = frozenset({
    "asyncio.Queue", "asyncio.LifoQueue", "asyncio.PriorityQueue", "asyncio.queues.Queue",
})
#: Batch makers: name -> index of the batch-size argument.
BATCH_FUNCTIONS = {
    "itertools.batched": 1,
    "more_itertools.chunked": 1,
    "more_itertools.batched": 1,
    "more_itertools.ichunked": 1,
}
#: Wrappers whose result has as many elements as their (first) argument.
SIZE_PRESERVING = frozenset({
    "builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset", "builtins.sorted",
    "builtins.reversed", "builtins.enumerate", "builtins.iter", "builtins.filter",
})
#: Methods that add to a list or set in place.
GROW_METHODS = frozenset({"append", "extend", "add", "insert", "update", "appendleft"})

_LIMITER_NAME_RE = re.compile(
    r"(^|_)(sem|sema|semaphore|semaphores|limiter|limiters|limit|throttle|throttler|"
    r"concurrency|capacity)($|_)|semaphore|limiter",
    re.IGNORECASE,
)

COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)

TEARDOWN_RE = re.compile(
    r"_*(a?close|disconnect|shutdown|stop|cancel|wait_closed|terminate|kill)", re.IGNORECASE)
#: A teardown word as one part of a snake_case name: ``_close_comm``, ``stop_timer``,
#: ``before_close``.
TEARDOWN_WORD_RE = re.compile(
    r"(^|_)(a?close|disconnect|shutdown|stop|cancel|wait_closed|terminate|kill)($|_)",
    re.IGNORECASE)

#: Calls that wrap an awaitable made elsewhere (a concurrent future, a task): they start
#: nothing.
EXISTING_WRAPPERS = frozenset({"asyncio.wrap_future", "asyncio.futures.wrap_future"})
#: Off-loading to a thread pool: the executor's fixed number of workers is the limit.
EXECUTOR_OFFLOADS = frozenset({
    "asyncio.to_thread", "asyncio.threads.to_thread", "anyio.to_thread.run_sync",
    "trio.to_thread.run_sync",
})
#: Methods that read a collection whole: ``d.values()`` has as many elements as ``d``.
VIEW_METHODS = frozenset({"values", "keys", "items", "copy"})
#: Methods that read one element of a collection: ``d.get(k, [])``.
ELEMENT_METHODS = frozenset({"get", "setdefault"})
#: Calls that make an empty collection (``defaultdict(list)`` included).
EMPTY_COLLECTIONS = frozenset({
    "builtins.list", "builtins.dict", "builtins.set", "collections.defaultdict",
    "collections.OrderedDict", "collections.deque", "collections.Counter", "weakref.WeakSet",
    "weakref.WeakValueDictionary", "weakref.WeakKeyDictionary",
})
#: Keyword arguments by which a request asks for at most so many items.
LIMIT_KEYWORDS = frozenset({
    "batch", "batch_size", "limit", "max_messages", "max_records", "max_results",
    "max_items", "max_count", "page_size", "count",
})

#: A guard against pathological chains of names (``a = b``, ``b = a``).
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Extent:
    """How many elements an iterable has: ``size`` None means not known (unbounded).

    ``reason`` says where the size comes from, for messages (``"`urls`, a parameter"``).
    ``element_size`` is set for iterables of batches: each element has at most that many.
    """

    size: int | None
    reason: str
    element_size: int | None = None
    fixed_by_caller: bool = False
    #: A small internal set: a collection the object builds and fills itself (plugins,
    #: listeners registered through its methods), a dict built by grouping (per broker,
    #: per node), or an element of one; not input from outside the code.
    small_set: bool = False
    #: The code visibly bounds it by a limit that is not a literal: ``xs[:max_concurrency]``,
    #: ``await sub.fetch(batch=batch_size)``.
    limited: bool = False

    @property
    def visibly_bounded(self) -> bool:
        """Not a literal size, but bounded by what the code shows: a caller's argument
        list, a small internal set or a limit."""
        return self.fixed_by_caller or self.small_set or self.limited

    def bounded(self, limit: int) -> bool:
        """Whether the size is known and at most ``limit``, or is the number of arguments
        a caller wrote (a ``*args`` parameter: a fixed argument list at the call site), a
        small internal set or bounded by a limit in the code."""
        return self.visibly_bounded or (self.size is not None and self.size <= limit)


@dataclass(frozen=True)
class Fanout:
    """The awaitables handed to ``gather``/``wait``/``as_completed`` at once.

    ``calls`` are the calls made per element (``fetch(session, url)``), ``functions`` the
    functions called per element without a visible call (``map(fetch, urls)``); both are
    read in ``scope``.  ``spawned_in_loop`` marks tasks created in a ``for`` loop, which
    ACK301 reports at the spawn rather than ACK300 at the gather.
    """

    extent: Extent
    scope: Scope
    calls: tuple[cst.Call, ...] = ()
    functions: tuple[cst.BaseExpression, ...] = ()
    spawned_in_loop: bool = False
    on_existing_objects: bool = False
    worker_pool: bool = False

    @property
    def starts_work(self) -> bool:
        """Whether each element is new work (a call), not an already running task."""
        return bool(self.calls or self.functions)


@dataclass
class _Growth:
    """``name.append(value)`` / ``name += value`` somewhere in a scope."""

    method: str
    values: tuple[cst.BaseExpression, ...]
    loops: tuple[cst.CSTNode, ...]  # the For/While statements around it, innermost last
    #: Under ``if inspect.isawaitable(value):``: an awaitable something else returned.
    awaitable_checked: bool = False


@dataclass
class _ScopeFacts:
    """What one walk over a scope's statements finds: growths and for-loop targets."""

    growths: dict[str, list[_Growth]] = field(default_factory=dict)
    for_targets: dict[int, cst.For] = field(default_factory=dict)
    #: ``batch, rest = xs[:10], xs[10:]``: each name of a tuple target -> its value.
    unpacked: dict[int, cst.BaseExpression] = field(default_factory=dict)
    #: Names of collections filled by key (``d[key].append(v)``, ``d.setdefault(k, []).add(v)``):
    #: dicts built by grouping.
    grouped: set[str] = field(default_factory=set)


class _ScopeWalker(FastVisitor):
    """Collects :class:`_ScopeFacts` for one scope, not entering nested scopes."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self.facts = _ScopeFacts()
        self.loops: list[cst.CSTNode] = []
        self.checked_growths: set[int] = set()

    def _nested(self, node: cst.CSTNode) -> bool:
        return node is not self.root

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return not self._nested(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return not self._nested(node)

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return not self._nested(node)

    def visit_For(self, node: cst.For) -> None:
        for name in target_names(node.target):
            self.facts.for_targets[id(name)] = node
        self.loops.append(node)

    def leave_For(self, original_node: cst.For) -> None:
        self.loops.pop()

    def visit_While(self, node: cst.While) -> None:
        self.loops.append(node)

    def visit_If(self, node: cst.If) -> None:
        checked = _awaitable_checked(node.test)
        if checked is None:
            return
        for call in find_all(node.body, (cst.Call,), own_scope=True):
            func = call.func
            if (isinstance(func, cst.Attribute) and func.attr.value in GROW_METHODS
                    and call.args and isinstance(call.args[0].value, cst.Name)
                    and call.args[0].value.value == checked):
                self.checked_growths.add(id(call))

    def leave_While(self, original_node: cst.While) -> None:
        self.loops.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if not isinstance(value, (cst.Tuple, cst.List)):
            return
        for target in node.targets:
            inner = target.target
            if isinstance(inner, (cst.Tuple, cst.List)) and len(inner.elements) == len(
                value.elements
            ):
                for left, right in zip(inner.elements, value.elements):
                    if isinstance(left.value, cst.Name) and not isinstance(
                        right, cst.StarredElement
                    ):
                        self.facts.unpacked[id(left.value)] = right.value

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in GROW_METHODS:
            if isinstance(func.value, cst.Name):
                self._grow(func.value.value, func.attr.value, tuple(a.value for a in node.args),
                           id(node) in self.checked_growths)
            else:
                root = grouped_root(func.value)
                if root is not None:
                    self.facts.grouped.add(root)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name) and isinstance(
            node.operator, (cst.AddAssign, cst.BitOrAssign)
        ):
            self._grow(node.target.value, "+=", (node.value,))

    def _grow(self, name: str, method: str, values: tuple[cst.BaseExpression, ...],
              checked: bool = False) -> None:
        self.facts.growths.setdefault(name, []).append(
            _Growth(method, values, tuple(self.loops), checked))


def _awaitable_checked(test: cst.BaseExpression) -> str | None:
    """``x`` of ``inspect.isawaitable(x)``, ``asyncio.isfuture(x)`` or
    ``isinstance(x, Awaitable)`` (also ``Future``/``Task``)."""
    if not isinstance(test, cst.Call) or not test.args:
        return None
    name = dotted_name(test.func) or ""
    last = name.rpartition(".")[2]
    first = test.args[0].value
    if not isinstance(first, cst.Name):
        return None
    if last in ("isawaitable", "isfuture"):
        return first.value
    if last == "isinstance" and len(test.args) == 2:
        kinds = test.args[1].value
        elements = ([e.value for e in kinds.elements] if isinstance(kinds, cst.Tuple)
                    else [kinds])
        if elements and all(
            (dotted_name(e) or "").rpartition(".")[2] in ("Awaitable", "Future", "Task")
            for e in elements
        ):
            return first.value
    return None


@dataclass
class _ClassCollections:
    """How a class's methods fill its ``self.<attr>`` collections."""

    #: ``self.X = value`` in a method and ``X = value`` in the class body.
    assigned: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    #: A method other than ``__init__`` adds one of its parameters (or of a function nested
    #: in it, a decorator's) to ``self.X``: ``self._listeners[event].append(callback)``.
    registered: set[str] = field(default_factory=set)
    #: ``self.X[key].append(v)``, ``self.X.setdefault(key, []).append(v)``.
    grouped: set[str] = field(default_factory=set)
    #: Grown with an awaited result (``self.X.extend(await fetch())``): fed by I/O.
    fed: set[str] = field(default_factory=set)


class _ClassWalker(FastVisitor):
    """Collects :class:`_ClassCollections` over a class's methods (one walk per method)."""

    def __init__(self) -> None:
        self.found = _ClassCollections()
        self.self_name = ""
        self.params: set[str] = set()
        self.in_init = False
        self.aliases: dict[str, str] = {}

    def method(self, node: cst.FunctionDef) -> None:
        params = [*node.params.posonly_params, *node.params.params]
        if not params:
            return
        self.self_name = params[0].name.value
        self.params = _param_names(node.params) - {self.self_name}
        self.in_init = node.name.value == "__init__"
        self.aliases = {}
        self.walk(node.body)

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.params |= _param_names(node.params) - {self.self_name}

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.params |= _param_names(node.params) - {self.self_name}

    def _root(self, expr: cst.BaseExpression) -> tuple[str, bool] | None:
        """``(X, direct)`` for an expression reading ``self.X`` (``direct``: it is
        ``self.X`` itself, not an element of it), also through a local alias."""
        direct = True
        for _ in range(_MAX_DEPTH):
            if isinstance(expr, cst.Subscript) and not _is_slice(expr):
                expr = expr.value
            elif (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
                  and expr.func.attr.value in ELEMENT_METHODS):
                expr = expr.func.value
            else:
                break
            direct = False
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and (
            expr.value.value == self.self_name
        ):
            return expr.attr.value, direct
        if isinstance(expr, cst.Name) and expr.value in self.aliases:
            return self.aliases[expr.value], False
        return None

    def _added(self, attr: str, values: Sequence[cst.CSTNode], grouped: bool) -> None:
        if grouped:
            self.found.grouped.add(attr)
        used: set[str] = set()
        for value in values:
            used |= names_used(value)
            if find_all(value, (cst.Await,)):
                self.found.fed.add(attr)
        if not self.in_init and used & self.params:
            self.found.registered.add(attr)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            inner = target.target
            if isinstance(inner, cst.Attribute) and isinstance(inner.value, cst.Name) and (
                inner.value.value == self.self_name
            ):
                self.found.assigned.setdefault(inner.attr.value, []).append(node.value)
            elif isinstance(inner, cst.Subscript):
                root = self._root(inner)
                if root is not None:
                    self._added(root[0], [inner.slice[0], node.value], grouped=False)
            elif isinstance(inner, cst.Name):
                root = self._root(node.value)
                if root is not None:
                    self.aliases[inner.value] = root[0]

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        inner = node.target
        if (node.value is not None and isinstance(inner, cst.Attribute)
                and isinstance(inner.value, cst.Name) and inner.value.value == self.self_name):
            self.found.assigned.setdefault(inner.attr.value, []).append(node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        root = self._root(node.target)
        if root is not None:
            self._added(root[0], [node.value], grouped=not root[1])

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and (
            func.attr.value in GROW_METHODS or func.attr.value == "setdefault"
        ):
            root = self._root(func.value)
            if root is not None:
                grouped = not root[1] and func.attr.value != "setdefault"
                self._added(root[0], [a.value for a in node.args], grouped)


def _param_names(params: cst.Parameters) -> set[str]:
    names = {p.name.value for p in (*params.posonly_params, *params.params,
                                    *params.kwonly_params)}
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names


def _class_collections(node: cst.ClassDef) -> _ClassCollections:
    walker = _ClassWalker()
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for statement in body:
        if isinstance(statement, cst.FunctionDef):
            walker.method(statement)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            walker.found.assigned.setdefault(
                                target.target.value, []).append(small.value)
                elif (isinstance(small, cst.AnnAssign) and small.value is not None
                      and isinstance(small.target, cst.Name)):
                    walker.found.assigned.setdefault(small.target.value, []).append(small.value)
    return walker.found


def _walk_scope(node: cst.CSTNode) -> _ScopeFacts:
    walker = _ScopeWalker(node)
    walker.walk(node)
    return walker.facts


def grouped_root(expr: cst.BaseExpression) -> str | None:
    """``d`` of ``d[key]`` / ``d[k1][k2]`` / ``d.setdefault(key, [])``: the collection a
    value is added to by key (grouping), else None."""
    went = False
    while True:
        if isinstance(expr, cst.Subscript) and not _is_slice(expr):
            expr = expr.value
        elif (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
              and expr.func.attr.value == "setdefault"):
            expr = expr.func.value
        else:
            break
        went = True
    return expr.value if went and isinstance(expr, cst.Name) else None


def _is_slice(expr: cst.Subscript) -> bool:
    return len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Slice)


def target_names(target: cst.BaseExpression) -> Iterator[cst.Name]:
    """The names a ``for``/assignment target binds."""
    if isinstance(target, cst.Name):
        yield target
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)


def comprehension_targets(for_in: cst.CompFor) -> set[str]:
    """The names the ``for`` clauses of a comprehension bind."""
    names: set[str] = set()
    clause: cst.CompFor | None = for_in
    while clause is not None:
        names.update(n.value for n in target_names(clause.target))
        clause = clause.inner_for_in
    return names


def names_used(expr: cst.CSTNode) -> set[str]:
    """The variable names an expression reads (not attribute names or keyword names)."""
    collector = _NamesUsed()
    collector.walk(expr)
    return collector.found


class _NamesUsed(FastVisitor):
    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.walk(node.value)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        self.walk(node.value)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.found.add(node.value)


def is_limiter_name(text: str) -> bool:
    """Whether a dotted name says it is a limiter (``sem``, ``self._semaphore``, ``limiter``)."""
    last = text.rpartition(".")[2].lstrip("_")
    return bool(_LIMITER_NAME_RE.search(last))


def code_of(node: cst.CSTNode, limit: int = 60) -> str:
    """Short source text of a node for messages."""
    text = " ".join(cst.Module([]).code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ConcurrencyAnalysis:
    """Fan-out sizes and limiter detection for one file.

    ``resolver``/``index``/``settings`` come from the file's
    :class:`~asyncheck.semantics.model.SemanticModel`; results of scope walks are cached
    here, so one instance serves a whole file.
    """

    def __init__(self, context: SemanticModel) -> None:
        self.context = context
        self.resolver = context.resolver
        self.index = context.index
        self.max_fanout = context.settings.max_fanout
        self.limiter_types = LIMITER_TYPES | frozenset(context.settings.limiters)
        self._scope_facts: dict[int, _ScopeFacts] = {}
        self._class_kinds: dict[int, dict[str, str | None]] = {}
        self._class_facts: dict[int, _ClassCollections] = {}

    # -- scopes and bindings ----------------------------------------------------------------
    def scope_facts(self, scope: Scope) -> _ScopeFacts:
        """Growths and loop targets of a scope (one walk, cached)."""
        key = id(scope.node)
        facts = self._scope_facts.get(key)
        if facts is None:
            facts = _walk_scope(scope.node)
            self._scope_facts[key] = facts
        return facts

    def int_value(self, expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> int | None:
        """The value of an integer literal, a name bound once to one, or arithmetic of those."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.Integer):
            try:
                return int(expr.value.replace("_", ""), 0)
            except ValueError:
                return None
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
            inner = self.int_value(expr.expression, scope, depth + 1)
            return -inner if inner is not None else None
        if isinstance(expr, cst.BinaryOperation):
            left = self.int_value(expr.left, scope, depth + 1)
            right = self.int_value(expr.right, scope, depth + 1)
            if left is None or right is None:
                return None
            if isinstance(expr.operator, cst.Add):
                return left + right
            if isinstance(expr.operator, cst.Subtract):
                return left - right
            if isinstance(expr.operator, cst.Multiply):
                return left * right
            if isinstance(expr.operator, cst.FloorDivide) and right:
                return left // right
            return None
        if isinstance(expr, cst.Name):
            found = scope.binding_scope(expr.value)
            if found is None:
                return None
            owner, bindings = found
            if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].value is not None:
                if self.scope_facts(owner).growths.get(expr.value):
                    return None
                return self.int_value(bindings[0].value, owner, depth + 1)
        return None

    # -- the object's own collections ---------------------------------------------------------
    @staticmethod
    def method_owner(scope: Scope) -> tuple[Scope, str] | None:
        """The class scope and the ``self`` name of the method ``scope`` is (or is nested
        in)."""
        current: Scope | None = scope
        while current is not None:
            if current.kind == "class":
                return None
            if current.kind == "function":
                owner = current.enclosing_class()
                if owner is not None:
                    function = current.node
                    assert isinstance(function, cst.FunctionDef)
                    params = [*function.params.posonly_params, *function.params.params]
                    return (owner, params[0].name.value) if params else None
            current = current.parent
        return None

    def collection_kind(self, class_scope: Scope, attr: str) -> str | None:
        """How ``self.<attr>`` is filled: ``"registered"`` (by methods taking what they add
        as a parameter), ``"built"`` (only ever assigned a collection made in the class: an
        empty one or a display), ``"grouped"`` (filled by key), else None (a parameter, an
        I/O result, not seen in this class)."""
        key = id(class_scope.node)
        kinds = self._class_kinds.get(key)
        if kinds is None:
            kinds = self._class_kinds[key] = {}
        if attr in kinds:
            return kinds[attr]
        node = class_scope.node
        assert isinstance(node, cst.ClassDef)
        facts = self._class_facts.get(key)
        if facts is None:
            facts = self._class_facts[key] = _class_collections(node)
        kind: str | None = None
        values = [v for v in facts.assigned.get(attr, ()) if not _is_none_literal(v)]
        if attr in facts.fed:
            kind = None
        elif attr in facts.registered:
            kind = "registered"
        elif values and all(self._built_here(v, class_scope) for v in values):
            kind = "built"
        elif attr in facts.grouped:
            kind = "grouped"
        kinds[attr] = kind
        return kind

    def _built_here(self, value: cst.BaseExpression, scope: Scope) -> bool:
        if isinstance(value, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            return True
        if isinstance(value, cst.Call):
            qualname = self.resolver.qualified_name(value.func, scope)
            positional = [a for a in value.args if a.keyword is None]
            if qualname == "collections.defaultdict":
                return len(positional) <= 1
            return qualname in EMPTY_COLLECTIONS and not positional
        return False

    def own_collection(
        self, expr: cst.BaseExpression, scope: Scope, *, element: bool = False
    ) -> Extent | None:
        """A small internal set: ``self.X`` (or ``self.X.values()``, ``self.X[key]``,
        ``list(self.X)``) where the class fills ``X`` itself (see :meth:`collection_kind`).
        ``element``: the question is about an element of ``expr``.  An element of a grouped
        collection is a group of input, not small."""
        node = expr
        for _ in range(_MAX_DEPTH):
            if isinstance(node, cst.Subscript):
                element = element or not _is_slice(node)
                node = node.value
            elif isinstance(node, cst.Call):
                func = node.func
                if isinstance(func, cst.Attribute) and func.attr.value in VIEW_METHODS:
                    node = func.value
                elif isinstance(func, cst.Attribute) and func.attr.value in ELEMENT_METHODS:
                    element = True
                    node = func.value
                elif node.args and self.resolver.qualified_name(func, scope) in SIZE_PRESERVING:
                    node = node.args[-1].value
                else:
                    return None
            else:
                break
        if not isinstance(node, cst.Attribute) or not isinstance(node.value, cst.Name):
            return None
        owner = self.method_owner(scope)
        if owner is None or node.value.value != owner[1]:
            return None
        kind = self.collection_kind(owner[0], node.attr.value)
        if kind is None or (element and kind == "grouped"):
            return None
        what = {"registered": "filled by the object's own registration methods",
                "built": "a collection the object builds itself",
                "grouped": "grouped by key"}[kind]
        return Extent(None, f"`{code_of(expr)}` ({what})", small_set=True)

    def _returned_group(self, call: cst.Call, position: int, scope: Scope) -> bool:
        """``by_broker, rest = self._group(items)``: the method of this class returns, at
        ``position`` of every ``return a, b``, a dict it built by grouping."""
        func = call.func
        owner = self.method_owner(scope)
        if (owner is None or not isinstance(func, cst.Attribute)
                or not isinstance(func.value, cst.Name) or func.value.value != owner[1]):
            return False
        class_scope = owner[0]
        methods = [b.node for b in class_scope.bindings.get(func.attr.value, ())
                   if b.kind == "def"]
        if len(methods) != 1 or not isinstance(methods[0], cst.FunctionDef):
            return False
        method = methods[0]
        returns = find_all(method.body, (cst.Return,), own_scope=True)
        if not returns:
            return False
        facts = self.scope_facts(make_function_scope(method, class_scope))
        for statement in returns:
            value = statement.value
            if not isinstance(value, cst.Tuple) or position >= len(value.elements):
                return False
            element = value.elements[position].value
            if not isinstance(element, cst.Name) or element.value not in facts.grouped:
                return False
        return True

    # -- sizes ------------------------------------------------------------------------------
    def extent(self, expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> Extent:
        """How many elements iterating ``expr`` (read in ``scope``) yields."""
        unknown = Extent(None, f"`{code_of(expr)}`")
        if depth > _MAX_DEPTH:
            return unknown
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            total = 0
            for element in expr.elements:
                if isinstance(element, cst.StarredElement):
                    inner = self.extent(element.value, scope, depth + 1)
                    if inner.size is None:
                        return inner
                    total += inner.size
                else:
                    total += 1
            return Extent(total, f"`{code_of(expr)}`")
        if isinstance(expr, cst.Dict):
            return Extent(len(expr.elements), f"`{code_of(expr)}`")
        if isinstance(expr, cst.BinaryOperation):
            return self._binary_extent(expr, scope, depth) or unknown
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            return self.comprehension_extent(expr.for_in, scope, depth)
        if isinstance(expr, (cst.Call, cst.Subscript, cst.Attribute)):
            own = self.own_collection(expr, scope)
            if own is not None:
                return own
        if isinstance(expr, cst.Call):
            return self._call_extent(expr, scope, depth) or Extent(
                None, f"`{code_of(expr)}` (a call result)")
        if isinstance(expr, cst.Subscript):
            return self._slice_extent(expr, scope, depth) or unknown
        if isinstance(expr, cst.Name):
            return self._name_extent(expr.value, scope, depth)
        if isinstance(expr, cst.Attribute):
            return Extent(None, f"`{code_of(expr)}` (an attribute)")
        if isinstance(expr, cst.Await):
            keyword = _limit_keyword(expr.expression)
            if keyword is not None:
                return Extent(None, f"`{code_of(expr)}` (at most `{keyword}=` items)",
                              limited=True)
            return Extent(None, f"`{code_of(expr)}` (an awaited result)")
        return unknown

    def _binary_extent(
        self, expr: cst.BinaryOperation, scope: Scope, depth: int
    ) -> Extent | None:
        if isinstance(expr.operator, cst.Multiply):
            for seq, count in ((expr.left, expr.right), (expr.right, expr.left)):
                times = self.int_value(count, scope)
                if times is not None:
                    inner = self.extent(seq, scope, depth + 1)
                    if inner.size is None:
                        return inner
                    size = inner.size * max(times, 0)
                    return Extent(size, f"`{code_of(expr)}`")
            return None
        if isinstance(expr.operator, cst.Add):
            left = self.extent(expr.left, scope, depth + 1)
            right = self.extent(expr.right, scope, depth + 1)
            for side in (left, right):
                if side.size is None and not side.visibly_bounded:
                    return side
            if left.size is None:
                return left
            if right.size is None:
                return right
            return Extent(left.size + right.size, f"`{code_of(expr)}`")
        return None

    def comprehension_extent(self, for_in: cst.CompFor, scope: Scope, depth: int = 0) -> Extent:
        """How many elements a comprehension makes: the product of its clauses' sizes."""
        size = 1
        reasons: list[str] = []
        bound_here: set[str] = set()
        clause: cst.CompFor | None = for_in
        while clause is not None:
            if clause.asynchronous is not None:
                return Extent(None, f"`{code_of(clause.iter)}` (an async iterator)")
            if names_used(clause.iter) & bound_here:
                return Extent(None, f"`{code_of(clause.iter)}`")
            inner = self.extent(clause.iter, scope, depth + 1)
            if inner.size is None:
                if inner.visibly_bounded and clause.inner_for_in is not None:
                    # Each element of a small set may still hold input: look further.
                    rest = self.comprehension_extent(clause.inner_for_in, scope, depth + 1)
                    if rest.size is None and not rest.visibly_bounded:
                        return rest
                return inner
            size *= inner.size
            reasons.append(f"`{code_of(clause.iter)}`")
            bound_here.update(n.value for n in target_names(clause.target))
            clause = clause.inner_for_in
        return Extent(size, reasons[0] if len(reasons) == 1 else " x ".join(reasons))

    def _call_extent(self, call: cst.Call, scope: Scope, depth: int) -> Extent | None:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in VIEW_METHODS and not call.args:
            inner = self.extent(func.value, scope, depth + 1)
            if inner.size is not None or inner.visibly_bounded:
                return inner
        qualname = self.resolver.qualified_name(call.func, scope)
        args = [a for a in call.args if a.keyword is None and not a.star]
        if qualname == "builtins.range":
            values = [self.int_value(a.value, scope) for a in args]
            if args and len(args) <= 3 and all(v is not None for v in values):
                ints = [v for v in values if v is not None]
                if len(ints) == 3 and ints[2] == 0:
                    return None
                size = len(range(*ints))
                return Extent(size, f"`{code_of(call)}`")
            return Extent(None, f"`{code_of(call)}` (not a literal size)")
        if qualname in SIZE_PRESERVING and len(args) >= 1:
            index = 1 if qualname == "builtins.filter" else 0
            if index < len(args):
                return self.extent(args[index].value, scope, depth + 1)
            return None
        if qualname == "builtins.map" and len(args) >= 2:
            return self.extent(args[1].value, scope, depth + 1)
        if qualname == "builtins.zip" and args:
            extents = [self.extent(a.value, scope, depth + 1) for a in args]
            known = [e for e in extents if e.size is not None]
            return min(known, key=lambda e: e.size or 0) if known else extents[0]
        if qualname == "itertools.islice" and len(args) >= 2:
            values = [self.int_value(a.value, scope) for a in args[1:4]]
            if all(v is not None for v in values):
                ints = [v for v in values if v is not None]
                size = len(range(*ints)) if len(ints) > 1 else max(ints[0], 0)
                return Extent(size, f"`{code_of(call)}`")
            return None
        if qualname in BATCH_FUNCTIONS:
            position = BATCH_FUNCTIONS[qualname]
            width = None
            if position < len(args):
                width = self.int_value(args[position].value, scope)
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == "n":
                    width = self.int_value(arg.value, scope)
            return Extent(None, f"`{code_of(call)}`", element_size=width)
        return None

    def _slice_extent(self, expr: cst.Subscript, scope: Scope, depth: int) -> Extent | None:
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Slice):
            return None
        part = expr.slice[0].slice
        if part.step is not None:
            return None
        width: int | None = None
        upper = part.upper
        lower = part.lower
        if upper is not None:
            upper_value = self.int_value(upper, scope)
            lower_value = self.int_value(lower, scope) if lower is not None else 0
            if upper_value is not None and lower_value is not None and upper_value >= 0 <= lower_value:
                width = max(upper_value - lower_value, 0)
            elif lower is not None and isinstance(upper, cst.BinaryOperation) and isinstance(
                upper.operator, cst.Add
            ):
                # ``xs[i:i + n]`` (or ``xs[i:n + i]``): n elements whatever i is.
                for same, step in ((upper.left, upper.right), (upper.right, upper.left)):
                    if same.deep_equals(lower):
                        width = self.int_value(step, scope)
                        break
        whole = self.extent(expr.value, scope, depth + 1)
        if width is None:
            if whole.size is not None or whole.visibly_bounded:
                return whole
            if upper is not None and _is_limit_expression(upper):
                # ``shard_ids[:max_concurrency]``, ``xs[i:i + size]``: cut to a limit.
                return Extent(None, f"`{code_of(expr)}` (cut to a limit)", limited=True)
            return None
        if whole.size is not None:
            width = min(width, whole.size)
        return Extent(width, f"`{code_of(expr)}`")

    def _name_extent(self, name: str, scope: Scope, depth: int) -> Extent:
        found = scope.binding_scope(name)
        if found is None:
            return Extent(None, f"`{name}`")
        owner, bindings = found
        facts = self.scope_facts(owner)
        if name in facts.grouped and all(
            b.kind == "assign" and b.value is not None and self._built_here(b.value, owner)
            for b in bindings
        ):
            # ``by_node = defaultdict(list)`` filled by ``by_node[node].append(x)``: one
            # element per group (per broker, per node), not per input.
            return Extent(None, f"`{name}` (grouped by key)", small_set=True)
        sizes: list[int] = []
        soft: Extent | None = None  # size unknown but visibly bounded
        for binding in bindings:
            if binding.kind == "param":
                function = owner.node
                if isinstance(function, (cst.FunctionDef, cst.Lambda)) and (
                    function.params.star_arg is binding.node
                ):
                    return Extent(None, f"`*{name}`", fixed_by_caller=True)
                return Extent(None, f"`{name}` (a parameter)")
            if binding.kind == "import":
                return Extent(None, f"`{name}` (an imported name)")
            if binding.kind != "assign":
                return Extent(None, f"`{name}`")
            if binding.value is None and id(binding.node) in facts.unpacked:
                inner = self.extent(facts.unpacked[id(binding.node)], owner, depth + 1)
                if inner.size is None:
                    if inner.visibly_bounded:
                        soft = soft or inner
                        continue
                    return inner
                sizes.append(inner.size)
                continue
            if binding.value is None:
                if binding.unpacked_from is not None and self._returned_group(
                    binding.unpacked_from[0], binding.unpacked_from[1], owner
                ):
                    soft = soft or Extent(None, f"`{name}` (grouped by key)", small_set=True)
                    continue
                loop = facts.for_targets.get(id(binding.node))
                if loop is not None and binding.node is loop.target:
                    # The loop variable of ``for batch in batched(xs, 10):`` is one batch.
                    batches = self.extent(loop.iter, owner, depth + 1)
                    if batches.element_size is not None:
                        sizes.append(batches.element_size)
                        continue
                    # An element of a collection the object fills itself.
                    own = self.own_collection(loop.iter, owner, element=True)
                    if own is not None:
                        soft = soft or Extent(None, f"`{name}` (an element of {own.reason})",
                                              small_set=True)
                        continue
                return Extent(None, f"`{name}`")
            inner = self.extent(binding.value, owner, depth + 1)
            if inner.size is None:
                if inner.visibly_bounded and inner.element_size is None:
                    soft = soft or inner
                    continue
                return inner
            sizes.append(inner.size)
        total = max(sizes) if sizes else 0
        for growth in facts.growths.get(name, []):
            added = self._growth_size(growth, owner, depth)
            if added is None:
                if self._growth_visibly_bounded(growth, owner, depth):
                    soft = soft or Extent(
                        None, f"`{name}` (grown over a small set or within a limit)",
                        small_set=True)
                    continue
                return Extent(None, f"`{name}` (grown in a loop)" if growth.loops else f"`{name}`")
            total += added
        if soft is not None:
            return soft
        if not sizes:
            return Extent(None, f"`{name}`")
        value = bindings[0].value if len(bindings) == 1 else None
        if isinstance(value, COMPREHENSIONS) and not facts.growths.get(name):
            # A collection derived from another: name what it is derived from.
            return Extent(total, self.comprehension_extent(value.for_in, owner, depth + 1).reason)
        return Extent(total, f"`{name}`")

    def _growth_visibly_bounded(self, growth: _Growth, scope: Scope, depth: int) -> bool:
        """Each pass adds a bounded number and every loop around it is bounded, some of them
        by a small internal set or a limit rather than a literal size."""
        if growth.method not in ("append", "add", "insert", "appendleft"):
            for value in growth.values:
                inner = self.extent(value, scope, depth + 1)
                if inner.size is None and not inner.visibly_bounded:
                    return False
        for loop in growth.loops:
            if not isinstance(loop, cst.For) or loop.asynchronous is not None:
                return False
            rounds = self.extent(loop.iter, scope, depth + 1)
            if rounds.size is None and not rounds.visibly_bounded:
                return False
        return True

    def _growth_size(self, growth: _Growth, scope: Scope, depth: int) -> int | None:
        if growth.method in ("append", "add", "insert", "appendleft"):
            per_pass: int | None = 1
        else:
            per_pass = 0
            for value in growth.values:
                inner = self.extent(value, scope, depth + 1)
                if inner.size is None or per_pass is None:
                    return None
                per_pass += inner.size
        for loop in growth.loops:
            if not isinstance(loop, cst.For) or loop.asynchronous is not None:
                return None
            rounds = self.extent(loop.iter, scope, depth + 1)
            if rounds.size is None or per_pass is None:
                return None
            per_pass *= rounds.size
        return per_pass

    # -- what a fan-out starts --------------------------------------------------------------
    def fanout(self, expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> Fanout | None:
        """The awaitables ``expr`` (an argument of gather/wait/as_completed) stands for, or
        None when it is not built where we can see it (a parameter, an attribute)."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            elt = expr.elt
            calls: tuple[cst.Call, ...] = (elt,) if isinstance(elt, cst.Call) else ()
            targets = comprehension_targets(expr.for_in)
            if isinstance(elt, cst.Call) and self._wraps_each(elt, expr.for_in, targets, scope):
                # `[ensure_future(c) for c in coros]`: the awaitables of `coros`, each
                # wrapped; new work when `coros` holds new coroutines.
                inner = self.fanout(expr.for_in.iter, scope, depth + 1)
                if inner is not None and inner.starts_work:
                    return inner
            existing = isinstance(elt, cst.Call) and self.works_on_existing(elt, targets, scope)
            pool = (isinstance(elt, cst.Call) and expr.for_in.inner_for_in is None
                    and self.is_worker_pool(elt, expr.for_in.iter, targets, scope))
            return Fanout(self.comprehension_extent(expr.for_in, scope, depth), scope,
                          calls=calls, on_existing_objects=existing, worker_pool=pool)
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            calls = tuple(e.value for e in expr.elements
                          if isinstance(e, cst.Element) and isinstance(e.value, cst.Call))
            return Fanout(self.extent(expr, scope, depth), scope, calls=calls)
        if isinstance(expr, cst.Call):
            qualname = self.resolver.qualified_name(expr.func, scope)
            args = [a for a in expr.args if a.keyword is None and not a.star]
            if (qualname == "builtins.map" or qualname in MAP_FUNCTIONS) and len(args) >= 2:
                return Fanout(self.extent(args[1].value, scope, depth + 1), scope,
                              functions=(args[0].value,))
            if qualname in SIZE_PRESERVING and args:
                inner = self.fanout(args[0].value, scope, depth + 1)
                return inner
            return None
        if isinstance(expr, cst.Name):
            return self._name_fanout(expr.value, scope, depth)
        return None

    def _wraps_each(self, elt: cst.Call, for_in: cst.CompFor, targets: set[str],
                    scope: Scope) -> bool:
        """The element is a task or timeout wrapper of the loop variable itself, in a
        single ``for`` clause without conditions: ``ensure_future(c) for c in coros``."""
        if for_in.inner_for_in is not None or for_in.ifs or len(targets) != 1:
            return False
        args = [a for a in elt.args if a.keyword is None and not a.star]
        if not args or not isinstance(args[0].value, cst.Name) or (
                args[0].value.value not in targets):
            return False
        return self.is_task_spawn(elt, scope) or (
            self.resolver.qualified_name(elt.func, scope) in COROUTINE_WRAPPERS)

    def _name_fanout(self, name: str, scope: Scope, depth: int) -> Fanout | None:
        found = scope.binding_scope(name)
        if found is None:
            return None
        owner, bindings = found
        if any(b.kind != "assign" or b.value is None for b in bindings):
            return None
        facts = self.scope_facts(owner)
        calls: list[cst.Call] = []
        functions: list[cst.BaseExpression] = []
        spawned_in_loop = False
        existing: list[bool] = []
        pools: list[bool] = []
        for binding in bindings:
            assert binding.value is not None
            if self._spawns_per_element(binding.value, owner):
                spawned_in_loop = True  # ACK301 reports the comprehension's spawn
            inner = self.fanout(binding.value, owner, depth + 1)
            if inner is None:
                return None
            calls.extend(inner.calls)
            functions.extend(inner.functions)
            spawned_in_loop = spawned_in_loop or inner.spawned_in_loop
            if inner.starts_work:
                existing.append(inner.on_existing_objects)
                pools.append(inner.worker_pool)
        for growth in facts.growths.get(name, []):
            for value in growth.values:
                if growth.method in ("extend", "+=", "update"):
                    inner = self.fanout(value, owner, depth + 1)
                    if inner is not None:
                        calls.extend(inner.calls)
                        functions.extend(inner.functions)
                        if inner.starts_work:
                            existing.append(inner.on_existing_objects)
                    continue
                call = self.call_behind(value, owner)
                if call is None:
                    continue
                if growth.loops and self.is_task_spawn(call, owner):
                    spawned_in_loop = True
                calls.append(call)
                loop = growth.loops[-1] if growth.loops else None
                targets = (
                    {n.value for n in target_names(loop.target)}
                    if isinstance(loop, cst.For) else set()
                )
                existing.append(growth.awaitable_checked
                                or self.works_on_existing(call, targets, owner))
        extent = self._name_extent(name, scope, depth)
        pool = bool(pools) and all(pools) and not facts.growths.get(name)
        return Fanout(extent, owner, tuple(calls), tuple(functions), spawned_in_loop,
                      bool(existing) and all(existing), pool)

    def is_worker_pool(self, call: cst.Call, iterable: cst.BaseExpression, targets: set[str],
                       scope: Scope) -> bool:
        """``worker(queue) for _ in range(n)``: n identical workers (the cure), not one per
        input: a range whose loop variables the spawned call does not use."""
        return self.is_range(iterable, scope) and not names_used(call) & targets

    def is_range(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        """A call of the builtin ``range``."""
        return isinstance(expr, cst.Call) and (
            self.resolver.qualified_name(expr.func, scope) == "builtins.range")

    def _spawns_per_element(self, value: cst.BaseExpression, scope: Scope) -> bool:
        if isinstance(value, cst.DictComp):
            element: cst.BaseExpression = value.value
        elif isinstance(value, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            element = value.elt
        else:
            return False
        return isinstance(element, cst.Call) and self.is_task_spawn(element, scope)

    def call_behind(self, value: cst.BaseExpression, scope: Scope) -> cst.Call | None:
        """The call a value is, or the call a local name holding it was assigned from."""
        if isinstance(value, cst.Call):
            return value
        if isinstance(value, cst.Name):
            found = scope.binding_scope(value.value)
            if found is not None:
                values = [b.value for b in found[1] if b.kind == "assign"]
                if len(values) == 1 and isinstance(values[0], cst.Call):
                    return values[0]
        return None

    def work_call(self, call: cst.Call, scope: Scope) -> cst.Call:
        """The coroutine call inside task/timeout wrappers: ``create_task(fetch(u))`` ->
        ``fetch(u)``."""
        for _ in range(_MAX_DEPTH):
            if not call.args or not isinstance(call.args[0].value, cst.Call):
                return call
            wraps = self.is_task_spawn(call, scope) or self.resolver.qualified_name(
                call.func, scope) in COROUTINE_WRAPPERS
            if not wraps:
                return call
            call = call.args[0].value
        return call

    def is_teardown(self, call: cst.Call, scope: Scope, targets: set[str] | None = None) -> bool:
        """``conn.close()``, ``node.disconnect()``, ``task.cancel()``: releasing resources
        that already exist adds no load anywhere, whatever their number.  Also a function
        named so called on the loop's element (``_close_comm(comm)``, ``stop_timer(t)``), and
        a call that is handed such a teardown (``log_errors(plugin.before_close)``,
        ``_close_resource(name, shard.close())``)."""
        work = self.work_call(call, scope)
        func = work.func
        if isinstance(func, cst.Attribute):
            if TEARDOWN_RE.match(func.attr.value) is not None:
                return True
        elif isinstance(func, cst.Name) and TEARDOWN_WORD_RE.search(func.value):
            if targets and names_used(work) & targets:
                return True
        return any(self.is_teardown_callable(arg.value) for arg in work.args)

    @staticmethod
    def is_teardown_callable(expr: cst.BaseExpression) -> bool:
        """``item.close`` (passed, not called) or ``shard.close()``."""
        if isinstance(expr, cst.Call):
            expr = expr.func
        return isinstance(expr, cst.Attribute) and (
            TEARDOWN_RE.match(expr.attr.value) is not None
            or TEARDOWN_WORD_RE.search(expr.attr.value) is not None)

    def works_on_existing(self, call: cst.Call, targets: set[str], scope: Scope) -> bool:
        """Work on objects that already exist rather than new work per input element:
        ``conn.close()`` / ``nodes[n].ping()`` for each ``conn``/``n`` (their number is that
        of live resources, not of input), calling each element (notifying the listeners
        and handlers: ``listener(event)``, ``_call_listener(func(message))``),
        ``ensure_future(aw)`` / ``wrap_future(fut)`` of an awaitable made by somebody else
        (the fan-out was built where ``aw`` was called), or a coroutine that only awaits
        the awaitable it is given (``_wrap_awaitable(worker)``)."""
        if self.is_teardown(call, scope, targets):
            return True
        work = self.work_call(call, scope)
        qualname = self.resolver.qualified_name(work.func, scope)
        wraps = self.is_task_spawn(work, scope) or qualname in COROUTINE_WRAPPERS
        if wraps or qualname in EXISTING_WRAPPERS:
            return True  # work_call stopped at a wrapper: its argument is not a call
        func = work.func
        while isinstance(func, (cst.Attribute, cst.Subscript)):
            func = func.value
        if isinstance(func, cst.Name) and func.value in targets:
            return True  # a method of the element, or the element itself called
        for arg in work.args:
            value = arg.value
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and (
                value.func.value in targets
            ):
                return True  # ``_call_listener(func(message))``
        return self._awaits_its_argument(work, scope)

    def _awaits_its_argument(self, call: cst.Call, scope: Scope) -> bool:
        """``_wrap_awaitable(w)`` where ``async def _wrap_awaitable(aw): return await aw``:
        waiting on an awaitable that already exists."""
        if not isinstance(call.func, cst.Name):
            return False
        symbol = self.resolver.lookup(call.func.value, scope)
        if not isinstance(symbol, LocalFunction) or not symbol.is_async:
            return False
        node = symbol.node
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        statements = [
            st for st in body
            if not (isinstance(st, cst.SimpleStatementLine) and len(st.body) == 1
                    and isinstance(st.body[0], cst.Expr)
                    and isinstance(st.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))
        ]
        if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine):
            return False
        (small,) = statements[0].body if len(statements[0].body) == 1 else (None,)
        if isinstance(small, cst.Return):
            awaited = small.value
        elif isinstance(small, cst.Expr):
            awaited = small.value
        else:
            return False
        return (isinstance(awaited, cst.Await) and isinstance(awaited.expression, cst.Name)
                and awaited.expression.value in _param_names(node.params))

    # -- tasks ------------------------------------------------------------------------------
    def is_task_spawn(self, call: cst.Call, scope: Scope) -> bool:
        """``asyncio.create_task(c)``, ``ensure_future``, ``loop``/``TaskGroup.create_task``,
        ``task_group.start_soon(fn, ...)``."""
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in (
            TASK_SPAWN_METHODS | TASK_SPAWN_FUNCTION_METHODS
        ):
            return bool(call.args)
        return bool(call.args) and self.resolver.qualified_name(func, scope) in TASK_SPAWN_FUNCTIONS

    def is_task_group(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        """``asyncio.TaskGroup()``, ``anyio.create_task_group()``, ``trio.open_nursery()``."""
        if not isinstance(expr, cst.Call):
            return False
        return self.resolver.qualified_name(expr.func, scope) in TASK_GROUP_FACTORIES

    def is_bounded_queue(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        """An ``asyncio.Queue`` made with a ``maxsize`` (its ``put`` waits when full).  A
        queue whose construction we cannot see (an attribute) gets the benefit of the doubt
        when its type is known to be a queue."""
        if isinstance(expr, cst.Name):
            found = scope.binding_scope(expr.value)
            if found is None:
                return False
            owner, bindings = found
            values = [b.value for b in bindings if b.kind == "assign"]
            if not values or len(values) != len(bindings):
                return self.resolver.expression_type(expr, scope) in QUEUE_TYPES
            return all(
                isinstance(v, cst.Call) and self._queue_maxsize(v, owner) for v in values
            )
        return self.resolver.expression_type(expr, scope) in QUEUE_TYPES

    def _queue_maxsize(self, call: cst.Call, scope: Scope) -> bool:
        if self.resolver.qualified_name(call.func, scope) not in QUEUE_TYPES:
            return False
        for position, arg in enumerate(call.args):
            if (arg.keyword is None and position == 0) or (
                arg.keyword is not None and arg.keyword.value == "maxsize"
            ):
                # A literal 0 (or less) means unbounded; anything else is a bound.
                value = self.int_value(arg.value, scope)
                return value is None or value > 0
        return False

    # -- limiters ---------------------------------------------------------------------------
    def is_limiter_expression(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        """An expression whose type is a limiter, or whose name says so when untyped."""
        described = self.resolver.expression_type(expr, scope)
        if described is not None:
            return described in self.limiter_types
        text = dotted_name(expr)
        return text is not None and (text in self.limiter_types or is_limiter_name(text))

    def description_is_limiter(self, description: str) -> bool:
        """Whether an entry of :attr:`FunctionFacts.acquires` names a limiter."""
        if description.startswith("name:"):
            text = description[len("name:"):]
            return text in self.limiter_types or is_limiter_name(text)
        return description in self.limiter_types

    def fanout_is_limited(self, fanout: Fanout) -> bool:
        """Every element's work passes through a limiter."""
        works = [*fanout.calls, *fanout.functions]
        if not works:
            return False
        for work in works:
            if isinstance(work, cst.Call):
                if not self.call_is_limited(work, fanout.scope):
                    return False
            elif not self.function_is_limited(work, fanout.scope, ()):
                return False
        return True

    def call_is_limited(self, call: cst.Call, scope: Scope, depth: int = 0) -> bool:
        """The called function, or a wrapper/coroutine passed along, acquires a limiter, or
        the work runs on a thread pool (``asyncio.to_thread``, ``run_in_executor``), whose
        fixed number of workers is the limit."""
        if depth > _MAX_DEPTH:
            return False
        if self.is_offload(call.func, scope):
            return True
        if self.function_is_limited(call.func, scope, call.args):
            return True
        for arg in call.args:
            value = arg.value
            if isinstance(value, cst.Call):
                if self.call_is_limited(value, scope, depth + 1):
                    return True
            elif isinstance(value, (cst.Name, cst.Attribute)):
                # ``run_limited(sem, fetch, url)`` / ``tg.start_soon(fetch, url)``.
                if self.function_is_limited(value, scope, call.args):
                    return True
        return False

    def is_offload(self, func: cst.BaseExpression, scope: Scope) -> bool:
        """``asyncio.to_thread``, ``loop.run_in_executor``, ``anyio.to_thread.run_sync``."""
        if isinstance(func, cst.Attribute) and func.attr.value == "run_in_executor":
            return True
        return self.resolver.qualified_name(func, scope) in EXECUTOR_OFFLOADS

    def function_is_limited(
        self, func: cst.BaseExpression, scope: Scope, call_args: Sequence[cst.Arg]
    ) -> bool:
        """The function ``func`` denotes acquires a limiter (directly or in a coroutine it
        calls, two levels deep).  ``call_args`` are the arguments of the call site: a
        limiter passed to an untyped parameter that the function acquires counts."""
        qualname: str | None
        if self.is_offload(func, scope):
            return True
        if isinstance(func, cst.Call):
            qualname = self.resolver.qualified_name(func.func, scope)
            if qualname == "functools.partial" and func.args:
                return self.function_is_limited(func.args[0].value, scope,
                                                [*func.args[1:], *call_args])
            return False
        if isinstance(func, cst.Lambda):
            return any(self.call_is_limited(c, scope) for c in _calls_in(func.body))
        if isinstance(func, cst.Name):
            symbol = self.resolver.lookup(func.value, scope)
            if isinstance(symbol, LocalFunction):
                verdict = self._local_function_limited(symbol, call_args, scope)
                if verdict is not None:
                    return verdict
                qualname = symbol.qualname
            elif isinstance(symbol, Imported):
                qualname = symbol.qualname
            else:
                return False
        elif isinstance(func, cst.Attribute):
            qualname = self.resolver.qualified_name(func, scope)
        else:
            return False
        if qualname is None:
            return False
        facts = self.index.function(qualname)
        if facts is None:
            return False
        passes_limiter = any(self.is_limiter_expression(a.value, scope) for a in call_args)
        return self._facts_limited(facts, passes_limiter, set(), 0)

    def _facts_limited(
        self, facts: FunctionFacts, passes_limiter: bool, seen: set[str], depth: int
    ) -> bool:
        for description in facts.acquires:
            if self.description_is_limiter(description):
                return True
            if passes_limiter and description.startswith("name:"):
                return True
        if depth >= 2:
            return False
        seen.add(facts.qualname)
        for callee in facts.calls:
            if callee in seen:
                continue
            callee_facts = self.index.function(callee)
            if callee_facts is not None and callee_facts.is_async and callee_facts.qualname not in seen:
                if self._facts_limited(callee_facts, False, seen, depth + 1):
                    return True
        return False

    def _local_function_limited(
        self, symbol: LocalFunction, call_args: Sequence[cst.Arg], call_scope: Scope
    ) -> bool | None:
        """For a def of this file, look at its body: None when it acquires nothing (let the
        index follow its calls), else whether one acquisition is a real limiter.  A limiter
        created by the function itself (``sem = Semaphore(10)`` then ``async with sem``)
        limits nothing: every call gets a fresh one."""
        node = symbol.node
        own = make_function_scope(node, symbol.scope)
        acquired = list(_acquisitions(node.body))
        if not acquired:
            return None
        params = [*node.params.posonly_params, *node.params.params]
        for expr in acquired:
            if isinstance(expr, cst.Name):
                own_bindings = own.bindings.get(expr.value, [])
                if own_bindings and all(b.kind == "assign" for b in own_bindings):
                    # Made per call: not shared between the concurrent calls.
                    continue
                if own_bindings and own_bindings[0].kind == "param":
                    argument = _argument_for(expr.value, params, call_args)
                    if argument is not None and self.is_limiter_expression(argument, call_scope):
                        return True
            if self.is_limiter_expression(expr, own):
                return True
        return False


def _is_limit_expression(upper: cst.BaseExpression) -> bool:
    """An upper slice bound that is a limit the code chose (a name, an attribute, ``i + n``),
    not a literal or a length (``xs[:len(xs)]``)."""
    if isinstance(upper, (cst.Name, cst.Attribute)):
        return True
    if isinstance(upper, cst.BinaryOperation) and isinstance(upper.operator, cst.Add):
        return _is_limit_expression(upper.left) and _is_limit_expression(upper.right)
    return False


def _limit_keyword(call: cst.BaseExpression) -> str | None:
    """``batch`` of ``sub.fetch(batch=self.batch_size)``: the request asks for at most so
    many items."""
    if not isinstance(call, cst.Call):
        return None
    for arg in call.args:
        if (arg.keyword is not None and arg.keyword.value in LIMIT_KEYWORDS
                and not _is_none_literal(arg.value)):
            return arg.keyword.value
    return None


def _is_none_literal(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "None"


def _argument_for(
    name: str, params: Sequence[cst.Param], call_args: Sequence[cst.Arg]
) -> cst.BaseExpression | None:
    """The argument a call passes for parameter ``name``."""
    for arg in call_args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    positional = [a for a in call_args if a.keyword is None and not a.star]
    for position, param in enumerate(params):
        if param.name.value == name and position < len(positional):
            return positional[position].value
    return None


def _acquisitions(body: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """What a function body enters with ``async with`` or ``await x.acquire()`` (not in
    nested functions, which run elsewhere)."""
    for node in find_all(body, (cst.With, cst.Await), own_scope=True):
        if isinstance(node, cst.With):
            if node.asynchronous is not None:
                yield from (entered_limiter(item.item) for item in node.items)
        elif isinstance(node, cst.Await):
            acquired = awaited_acquire(node)
            if acquired is not None:
                yield acquired


def _calls_in(expr: cst.CSTNode) -> Iterable[cst.Call]:
    """Calls anywhere in an expression."""
    return find_all(expr, (cst.Call,))
