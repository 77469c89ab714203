"""Waits on thread synchronisation that visibly cannot hold the event loop (ACK270, ACK290).

The blocking-wait table (:mod:`asyncheck.semantics.blocking`) lists every ``acquire``,
``with lock:``, ``get`` and ``put`` on thread primitives.  Some of them are the normal,
harmless way to share state with threads, and a maintainer would reject a finding there:

* **A short critical section on a thread mutex** (``threading.Lock``/``RLock``, and the lock
  inside a ``threading.Condition``): ``with lock:`` or ``lock.acquire()`` … ``lock.release()``
  whose section has no ``await`` (nor ``async for``/``async with``) and no blocking call.
  Every holder of such a lock holds it for a few statements, so the wait is as short as
  theirs.  Holding the mutex *across* an ``await`` is the bug: another task on the same loop
  that wants it then blocks the loop's thread for good.
* **A lock created just above** in the same block (``lock = threading.Lock()`` then
  ``lock.acquire()``, the name not used in between): nobody else can hold it yet.
* **``put`` on an unbounded queue**: every value the receiver is ever bound to (a local, a
  module global, ``self.q`` in the class's methods and body) is ``queue.Queue()`` without a
  positive ``maxsize``, so ``put`` never waits.
* **``get`` guarded by an ``empty()`` check** (``while not q.empty(): q.get()``,
  ``if not q.empty(): q.get()``, ``while q.empty(): await sleep(0)`` before the ``get``, an
  ``if q.empty(): return`` before it), and ``put`` guarded by ``full()`` in the same way.

The same judgement serves the rule (which knows the traversal stack of the call) and the
project index (which records the blocking calls of every helper for ACK290, and finds the
path to a wait call with :func:`path_to` only when the body has one).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from asyncheck.semantics.blocking import (
    BlockingMatch,
    call_argument,
    canonical_blocking_name,
    local_class_scope,
    match_blocking_call,
    match_blocking_with,
    table_class,
)
from asyncheck.semantics.names import Resolver, Scope, dotted_name
from asyncheck.syntax.walk import NESTED_SCOPES, ends_block, iter_children, walk_body

#: Thread mutexes: a short section on them waits only as long as other short sections.
#: A ``Condition`` wraps an ``RLock`` (its ``with`` and ``acquire`` take that lock).
MUTEX_TYPES = frozenset({"threading.Lock", "threading.RLock", "threading.Condition"})
#: Locks a fresh ``acquire`` cannot wait on when nobody else has seen them yet (semaphores
#: only when made with their default or a positive literal value).
_FRESH_LOCKS = MUTEX_TYPES
_FRESH_SEMAPHORES = frozenset({"threading.Semaphore", "threading.BoundedSemaphore"})
#: Queues whose ``put`` waits only when they were made with a positive ``maxsize``.
QUEUE_TYPES = frozenset({"queue.Queue", "queue.LifoQueue", "queue.PriorityQueue"})

_BLOCKS = (cst.IndentedBlock, cst.SimpleStatementSuite, cst.Module)
_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement)


def may_be_harmless(match: BlockingMatch) -> bool:
    """Whether :func:`wait_cannot_block` can say yes for this table name at all (a cheap
    test before a caller finds the path to the call)."""
    owner, _, method = match.qualname.rpartition(".")
    if owner in MUTEX_TYPES or owner in _FRESH_SEMAPHORES:
        return method in ("__enter__", "acquire")
    return ((owner in QUEUE_TYPES and method in ("get", "put"))
            or match.qualname in ("time.sleep", "socket.getaddrinfo"))


def wait_cannot_block(
    resolver: Resolver,
    scope: Scope,
    match: BlockingMatch,
    node: cst.CSTNode,
    path: Sequence[cst.CSTNode],
) -> bool:
    """Whether the blocking wait ``match`` found at ``node`` visibly cannot hold the loop.

    ``node`` is the ``Call`` (``lock.acquire()``, ``q.get()``), or the ``With`` statement for
    ``with lock:``; ``path`` holds its ancestors, outermost first, down to its parent (at
    least up to the enclosing function's ``FunctionDef``).  ``scope`` is the scope the node
    is in.
    """
    owner, _, method = match.qualname.rpartition(".")
    if match.qualname == "time.sleep":
        # `time.sleep(0)` waits for nothing: it only lets other threads run (a GIL yield).
        return isinstance(node, cst.Call) and _zero_duration(node)
    if match.qualname == "socket.getaddrinfo":
        # With AI_NUMERICHOST the resolver only parses an address: no DNS query, no wait.
        return isinstance(node, cst.Call) and _numeric_host_only(scope, node)
    if method == "__enter__":
        if owner not in MUTEX_TYPES or not isinstance(node, cst.With):
            return False
        section: list[cst.CSTNode] = [item.item for item in node.items]
        section.append(node.body)
        return _section_is_short(resolver, scope, section, [*path, node], skip=None)
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return False
    receiver = node.func.value
    if method == "acquire":
        if _fresh_lock(resolver, scope, receiver, node, path):
            return True
        return owner in MUTEX_TYPES and _released_shortly(resolver, scope, receiver, node, path)
    if owner not in QUEUE_TYPES:
        return False
    if method == "put" and _unbounded_queue(resolver, scope, receiver):
        return True
    text = dotted_name(receiver)
    if text is None:
        return False
    return _guarded(text, "empty" if method == "get" else "full", node, path)


def _zero_duration(call: cst.Call) -> bool:
    """``time.sleep(0)`` / ``sleep(0.0)``: a literal zero as the only argument."""
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return False
    value = call.args[0].value
    return isinstance(value, (cst.Integer, cst.Float)) and float(value.evaluated_value) == 0.0


def _numeric_host_only(scope: Scope, call: cst.Call) -> bool:
    """``getaddrinfo(..., flags=socket.AI_NUMERICHOST | ...)``, the flags written there or in
    the one assignment of a name (``_NUMERIC_ONLY = AI_NUMERICHOST | AI_NUMERICSERV``)."""
    flags = next((arg.value for arg in call.args
                  if arg.keyword is not None and arg.keyword.value == "flags"), None)
    if flags is None and len(call.args) >= 6 and call.args[5].keyword is None:
        flags = call.args[5].value
    if isinstance(flags, cst.Name) and flags.value != "AI_NUMERICHOST":
        found = scope.binding_scope(flags.value)
        if found is None or len(found[1]) != 1 or found[1][0].kind != "assign":
            return False
        flags = found[1][0].value
    return flags is not None and _mentions_numeric_host(flags)


def _mentions_numeric_host(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.BinaryOperation):
        return _mentions_numeric_host(expr.left) or _mentions_numeric_host(expr.right)
    if isinstance(expr, cst.Attribute):
        return expr.attr.value == "AI_NUMERICHOST"
    return isinstance(expr, cst.Name) and expr.value == "AI_NUMERICHOST"


# -- short sections ---------------------------------------------------------------------------

def _section_is_short(
    resolver: Resolver,
    scope: Scope,
    nodes: Sequence[cst.CSTNode],
    path: Sequence[cst.CSTNode],
    *,
    skip: cst.CSTNode | None,
) -> bool:
    """No ``await``, ``async for``/``async with`` and no blocking call in ``nodes`` (their
    own scope; ``skip`` is left out, with what is under it), blocking waits that cannot
    block excepted.  ``path`` leads to the nodes' common parent."""
    for current, ancestors in _walk_with_paths(nodes, path, skip):
        kind = type(current)
        if kind is cst.Await:
            return False
        if kind in (cst.For, cst.With, cst.CompFor) and getattr(current, "asynchronous", None):
            return False
        if kind is cst.Call:
            assert isinstance(current, cst.Call)
            found = match_blocking_call(resolver, scope, current)
            if found is not None and not (
                    may_be_harmless(found)
                    and wait_cannot_block(resolver, scope, found, current, ancestors)):
                return False
        elif kind is cst.With:
            assert isinstance(current, cst.With)
            for item in current.items:
                found = match_blocking_with(resolver, scope, item.item)
                if found is not None and not wait_cannot_block(
                        resolver, scope, found, current, ancestors):
                    return False
    return True


def _walk_with_paths(
    nodes: Sequence[cst.CSTNode], path: Sequence[cst.CSTNode], skip: cst.CSTNode | None,
    *, enter_roots: bool = False,
) -> Iterator[tuple[cst.CSTNode, list[cst.CSTNode]]]:
    """Every node under (and including) ``nodes`` in the same scope, with its ancestors
    (``path`` first; children of one node share one list).  Nested ``def``/``lambda``/
    ``class`` are not entered (``enter_roots``: except ``nodes`` themselves)."""
    start = list(path)
    pending: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = [(n, start) for n in reversed(nodes)]
    roots = {id(n) for n in nodes} if enter_roots else set()
    while pending:
        current, ancestors = pending.pop()
        if current is skip:
            continue
        yield current, ancestors
        if type(current) in NESTED_SCOPES and id(current) not in roots:
            continue
        inner = [*ancestors, current]
        pending.extend((child, inner) for child in reversed(iter_children(current)))


def _own_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and what is under it in the same scope (a nested def is not entered)."""
    yield node
    if type(node) not in NESTED_SCOPES:
        yield from walk_body(node)


def _block_position(path: Sequence[cst.CSTNode]) -> tuple[int, cst.CSTNode, int] | None:
    """For the innermost statement on ``path``: (its index on the path, the block holding
    it, its index in that block's statements)."""
    for at in range(len(path) - 1, 0, -1):
        if type(path[at]) in NESTED_SCOPES:
            return None
        if isinstance(path[at], _STATEMENTS) and isinstance(path[at - 1], _BLOCKS):
            block = path[at - 1]
            statements = _statements_of(block)
            for position, statement in enumerate(statements):
                if statement is path[at]:
                    return at, block, position
            return None
    return None


def _statements_of(block: cst.CSTNode) -> Sequence[cst.CSTNode]:
    if isinstance(block, (cst.IndentedBlock, cst.Module, cst.SimpleStatementSuite)):
        return block.body
    return ()


def _calls_method(node: cst.CSTNode, receiver: str, methods: tuple[str, ...]) -> bool:
    """Whether ``receiver.<method>(...)`` is called somewhere in ``node`` (same scope)."""
    for current in _own_nodes(node):
        if (type(current) is cst.Call and type(current.func) is cst.Attribute
                and current.func.attr.value in methods
                and dotted_name(current.func.value) == receiver):
            return True
    return False


def _released_shortly(resolver: Resolver, scope: Scope, receiver: cst.BaseExpression,
                      call: cst.Call, path: Sequence[cst.CSTNode]) -> bool:
    """``lock.acquire()`` followed, in the same block, by the statements up to the one that
    calls ``lock.release()`` (or a ``try`` whose ``finally`` does), with nothing between
    that awaits or blocks."""
    text = dotted_name(receiver)
    position = _block_position(path)
    if text is None or position is None:
        return False
    at, block, index = position
    statement = path[at]
    release = ("release",)
    if _calls_method(statement, text, release):
        # ``if lock.acquire(timeout=1): ... lock.release()``, or one line with both.
        return _section_is_short(resolver, scope, [statement], path[:at], skip=call)
    statements = _statements_of(block)
    section: list[cst.CSTNode] = []
    for later in statements[index + 1:]:
        section.append(later)
        if _calls_method(later, text, release):
            return _section_is_short(resolver, scope, section, path[:at], skip=None)
    # ``try: lock.acquire() ... finally: lock.release()``: the rest of the try's body and
    # the whole try statement after it.
    try_statement = path[at - 2] if at >= 3 else None
    if isinstance(try_statement, cst.Try) and try_statement.body is block:
        if try_statement.finalbody is not None and _calls_method(
                try_statement.finalbody, text, release):
            rest: list[cst.CSTNode] = [*section, *(h for h in try_statement.handlers)]
            if try_statement.orelse is not None:
                rest.append(try_statement.orelse)
            rest.append(try_statement.finalbody)
            return _section_is_short(resolver, scope, rest, path[:at - 1], skip=None)
    return False


# -- a lock nobody else has seen --------------------------------------------------------------

def _fresh_lock(resolver: Resolver, scope: Scope, receiver: cst.BaseExpression,
                call: cst.Call, path: Sequence[cst.CSTNode]) -> bool:
    """``lock = threading.Lock()`` earlier in the same block as ``lock.acquire()``, the name
    not used by the statements between: no other thread or task can hold it."""
    if type(receiver) is not cst.Name or scope.kind != "function":
        return False
    name = receiver.value
    position = _block_position(path)
    if position is None:
        return False
    _at, block, index = position
    statements = _statements_of(block)
    for earlier in reversed(statements[:index]):
        made = _assigned_call(earlier, name)
        if made is not None:
            return _new_free_lock(resolver, scope, made)
        if _mentions(earlier, name):
            return False
    return False


def _assigned_call(statement: cst.CSTNode, name: str) -> cst.Call | None:
    """The call of ``name = <call>`` when ``statement`` is that simple assignment."""
    if type(statement) is not cst.SimpleStatementLine or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if type(small) is cst.Assign:
        targets = small.targets
        if (len(targets) == 1 and type(targets[0].target) is cst.Name
                and targets[0].target.value == name and type(small.value) is cst.Call):
            return small.value
    elif type(small) is cst.AnnAssign:
        if (type(small.target) is cst.Name and small.target.value == name
                and type(small.value) is cst.Call):
            return small.value
    return None


def _new_free_lock(resolver: Resolver, scope: Scope, made: cst.Call) -> bool:
    qualname = resolver.qualified_name(made.func, scope)
    if qualname is None:
        return False
    qualname = canonical_blocking_name(qualname)
    if qualname in _FRESH_LOCKS:
        return True
    if qualname in _FRESH_SEMAPHORES:
        value = call_argument(made, 0, "value")
        return value is None or _positive_literal(value)
    return False


def _mentions(node: cst.CSTNode, name: str) -> bool:
    return any(type(current) is cst.Name and current.value == name
               for current in _own_nodes(node))


# -- unbounded queues -------------------------------------------------------------------------

def _unbounded_queue(resolver: Resolver, scope: Scope, receiver: cst.BaseExpression) -> bool:
    """Every value the receiver is bound to is a queue made without a positive maxsize
    (``self`` in a queue subclass: its ``__init__`` makes it so)."""
    if type(receiver) is cst.Name and scope.enclosing_class() is not None:
        symbol_type = resolver.expression_type(receiver, scope)
        class_scope = scope.enclosing_class()
        if class_scope is not None and symbol_type == class_scope.qualname:
            return _unbounded_subclass(resolver, class_scope)
    values = resolver.bound_values(receiver, scope)
    return bool(values) and all(
        type(value) is cst.Call and _unbounded_constructor(resolver, value_scope, value)
        for value, value_scope in values)


def _unbounded_subclass(resolver: Resolver, class_scope: Scope) -> bool:
    """A queue subclass whose ``__init__`` calls ``super().__init__()`` without a positive
    ``maxsize`` and takes none itself: every instance is unbounded."""
    bindings = class_scope.bindings.get("__init__", [])
    if len(bindings) != 1 or type(bindings[0].node) is not cst.FunctionDef:
        return False
    init = bindings[0].node
    params = init.params
    if type(params.star_arg) is cst.Param or params.star_kwarg is not None or any(
            p.name.value == "maxsize" for p in [*params.params, *params.kwonly_params]):
        return False
    for current in walk_body(init):
        if (type(current) is cst.Call and type(current.func) is cst.Attribute
                and current.func.attr.value == "__init__"
                and type(current.func.value) is cst.Call
                and dotted_name(current.func.value.func) == "super"):
            if any(arg.star for arg in current.args):
                return False
            maxsize = call_argument(current, 0, "maxsize")
            return maxsize is None or _non_positive_literal(maxsize)
    return False


def _unbounded_constructor(resolver: Resolver, scope: Scope, call: cst.Call) -> bool:
    qualname = resolver.qualified_name(call.func, scope)
    if qualname is not None and canonical_blocking_name(qualname) not in QUEUE_TYPES:
        # A queue subclass of this module: its own ``__init__`` decides, else the call.
        class_scope = local_class_scope(scope, qualname)
        if class_scope is None or table_class(resolver, scope, qualname, "put") not in QUEUE_TYPES:
            return False
        if class_scope.bindings.get("__init__"):
            return _unbounded_subclass(resolver, class_scope)
    if qualname is None:
        return False
    if any(arg.star for arg in call.args):
        return False
    maxsize = call_argument(call, 0, "maxsize")
    return maxsize is None or _non_positive_literal(maxsize)


# -- guards -----------------------------------------------------------------------------------

def _guarded(receiver: str, check: str, call: cst.Call, path: Sequence[cst.CSTNode]) -> bool:
    """Whether ``call`` runs only when ``receiver.<check>()`` (``empty``/``full``) was just
    seen false: in the body of ``while``/``if not q.empty():``, in the ``else`` of
    ``if q.empty():``, or after a ``while q.empty():`` loop without ``break`` or an
    ``if q.empty(): return`` in the same or an enclosing block."""
    child: cst.CSTNode = call
    for parent in reversed(path):
        kind = type(parent)
        if kind in NESTED_SCOPES:
            return False
        if kind is cst.While or kind is cst.If:
            assert isinstance(parent, (cst.While, cst.If))
            if child is parent.body and _says_not(parent.test, receiver, check):
                return True
            if kind is cst.If and child is parent.orelse and _says(parent.test, receiver, check):
                return True
        elif isinstance(parent, _BLOCKS) and isinstance(child, _STATEMENTS):
            statements = _statements_of(parent)
            index = next((i for i, s in enumerate(statements) if s is child), 0)
            for earlier in reversed(statements[:index]):
                if _ends_when_not(earlier, receiver, check):
                    return True
                if _calls_method(earlier, receiver, ("get" if check == "empty" else "put",)):
                    return False  # an earlier take (or put) may have used up the check
        child = parent
    return False


def _ends_when_not(statement: cst.CSTNode, receiver: str, check: str) -> bool:
    """``while q.empty(): ...`` without ``break``, or ``if q.empty(): <return/raise/...>``:
    after it, ``q.<check>()`` was false."""
    if type(statement) is cst.While:
        assert isinstance(statement, cst.While)
        return (_says(statement.test, receiver, check) and statement.orelse is None
                and not any(type(n) is cst.Break for n in _own_nodes(statement.body)))
    if type(statement) is cst.If:
        assert isinstance(statement, cst.If)
        return (statement.orelse is None and _says(statement.test, receiver, check)
                and ends_block(statement.body))
    return False



def _check_call(expr: cst.BaseExpression, receiver: str, check: str) -> bool:
    """``receiver.<check>()``."""
    return (type(expr) is cst.Call and not expr.args
            and type(expr.func) is cst.Attribute
            and expr.func.attr.value == check
            and dotted_name(expr.func.value) == receiver)


def _says(test: cst.BaseExpression, receiver: str, check: str) -> bool:
    """The test is true whenever ``receiver.<check>()`` is (``q.empty()``, ``x or
    q.empty()``), so it being false means the check is false."""
    if _check_call(test, receiver, check):
        return True
    if type(test) is cst.BooleanOperation and type(test.operator) is cst.Or:
        return _says(test.left, receiver, check) or _says(test.right, receiver, check)
    return False


def _says_not(test: cst.BaseExpression, receiver: str, check: str) -> bool:
    """The test is true only when ``receiver.<check>()`` is false (``not q.empty()``,
    ``x and not q.empty()``)."""
    if (type(test) is cst.UnaryOperation and type(test.operator) is cst.Not
            and _check_call(test.expression, receiver, check)):
        return True
    if type(test) is cst.BooleanOperation and type(test.operator) is cst.And:
        return (_says_not(test.left, receiver, check)
                or _says_not(test.right, receiver, check))
    return False


# -- small helpers ----------------------------------------------------------------------------


def _literal_int(expr: cst.BaseExpression) -> int | None:
    negative = False
    if type(expr) is cst.UnaryOperation and type(expr.operator) is cst.Minus:
        negative, expr = True, expr.expression
    if type(expr) is cst.Integer:
        value = expr.evaluated_value
        return -value if negative else value
    return None


def _positive_literal(expr: cst.BaseExpression) -> bool:
    value = _literal_int(expr)
    return value is not None and value > 0


def _non_positive_literal(expr: cst.BaseExpression) -> bool:
    value = _literal_int(expr)
    return value is not None and value <= 0


def path_to(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode] | None:
    """The ancestors of ``target`` from ``root`` (included) down to its parent, searching
    ``root``'s own scope; None when it is not there."""
    for current, ancestors in _walk_with_paths([root], (), None, enter_roots=True):
        if current is target:
            return ancestors
    return None
