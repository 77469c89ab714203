"""A read-only traversal of libcst trees, several times cheaper than ``CSTNode.visit``.

libcst's visitors rebuild every node they pass (``_visit_and_replace_children`` creates and
validates a new node even when nothing changes) and call hooks for every attribute of every
node.  Lint rules only read, so this walker follows each node type's child fields directly,
skipping the fields that hold only whitespace and punctuation, in source order.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeVar

import libcst as cst

#: Fields that hold only formatting (whitespace, parentheses, commas, colons, comments).
_FORMATTING = frozenset({
    "lpar", "rpar", "lbrace", "rbrace", "lbracket", "rbracket", "comma", "semicolon",
    "colon", "first_colon", "second_colon", "equal", "dot", "relative", "leading_lines",
    "lines_after_decorators", "header", "footer", "empty_lines", "trailing_whitespace",
    "newline", "comment", "leading_whitespace", "asynchronous", "operator", "trailing_comma",
    "posonly_ind", "separator",
})
#: Where the dataclass field order is not the source order.
_ORDER: dict[type[cst.CSTNode], tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.Arg: ("keyword", "value"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.Parameters: ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
}
_CHILD_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def _child_fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields of ``node_type`` that can hold code-carrying nodes, in source order.

    Fields annotated as plain values (``Name.value: str``, ``Arg.star: Literal[...]``,
    ``EmptyLine.indent: bool``) never hold a node and are left out, so the walk does not
    fetch and test them on every node.
    """
    fields = _CHILD_FIELDS.get(node_type)
    if fields is None:
        hints = typing.get_type_hints(node_type)
        names = tuple(f.name for f in dataclasses.fields(node_type)
                      if f.name not in _FORMATTING and not f.name.startswith("whitespace")
                      and not _is_plain_value(hints.get(f.name)))
        ordered = _ORDER.get(node_type)
        if ordered is not None:
            names = tuple(n for n in ordered if n in names) + tuple(
                n for n in names if n not in ordered)
        fields = _CHILD_FIELDS[node_type] = names
    return fields


def _is_plain_value(hint: object) -> bool:
    return hint in (str, bool) or typing.get_origin(hint) is typing.Literal


#: What a field's value is, by its class (see :class:`_ValueKinds`).
_OTHER, _NODE, _SEQUENCE = 0, 1, 2


class _ValueKinds(dict[type, int]):
    """``class -> _NODE, _SEQUENCE or _OTHER``, filled on first sight.

    ``isinstance(x, CSTNode)`` goes through ``ABCMeta.__instancecheck__`` (CSTNode is an
    ABC), and the walk asks for every field of every node; a dict lookup is several times
    cheaper.
    """

    def __missing__(self, cls: type) -> int:
        if issubclass(cls, cst.CSTNode):
            kind = _NODE
        elif issubclass(cls, (tuple, list)):
            kind = _SEQUENCE
        else:
            kind = _OTHER
        self[cls] = kind
        return kind


_VALUE_KINDS = _ValueKinds()


class _WalkKinds(dict[type, int]):
    """:data:`_VALUE_KINDS` for one kind of walk, where a node type without child fields
    that the walk does not handle (``handles``: no visit, leave or hook for it) counts as a
    plain value, so that the walk does not enter it.  Such leaves (``Name``, strings,
    numbers) are about 40% of a tree's nodes, and entering one is a Python call that does
    nothing."""

    def __init__(self, handles: Callable[[type], bool]) -> None:
        super().__init__()
        self._handles = handles

    def __missing__(self, cls: type) -> int:
        kind = _VALUE_KINDS[cls]
        if kind == _NODE and not _child_fields(cls) and not self._handles(cls):
            kind = _OTHER
        self[cls] = kind
        return kind


def iter_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The child nodes that carry code (not formatting), in source order."""
    kinds = _VALUE_KINDS
    children: list[cst.CSTNode] = []
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        kind = kinds[value.__class__]
        if kind == _NODE:
            children.append(value)
        elif kind == _SEQUENCE:
            children.extend(item for item in value if kinds[item.__class__] == _NODE)
    return children


#: How a visitor class handles one node type: visit, leave, the node's child fields.
_Plan = tuple[Callable[..., object] | None, Callable[..., object] | None, tuple[str, ...]]


class FastVisitor:
    """Drop-in for read-only ``cst.CSTVisitor`` subclasses: ``visit_X`` (return False to skip
    the children) and ``leave_X`` methods, run by :meth:`walk` instead of ``node.visit``."""

    def walk(self, node: cst.CSTNode) -> None:
        """Visit ``node`` and everything below it."""
        # Per node type: the visit and leave functions and the node's fields, kept on the
        # visitor class itself (some are defined inside functions: the table goes with them).
        cls = self.__class__
        plans: dict[type, _Plan] | None = cls.__dict__.get("_fast_plans")
        kinds: _WalkKinds | None = cls.__dict__.get("_fast_kinds")
        if plans is None or kinds is None:
            plans = {}
            setattr(cls, "_fast_plans", plans)
            kinds = _WalkKinds(lambda node_type: hasattr(cls, f"visit_{node_type.__name__}")
                               or hasattr(cls, f"leave_{node_type.__name__}"))
            setattr(cls, "_fast_kinds", kinds)

        def walk(node: cst.CSTNode) -> None:
            # This runs for every node: the children are found inline (as iter_children
            # finds them), and the table is looked up once per walk, not once per node.
            plan = plans.get(node.__class__)
            if plan is None:
                type_name = node.__class__.__name__
                plan = plans[node.__class__] = (
                    getattr(cls, f"visit_{type_name}", None),
                    getattr(cls, f"leave_{type_name}", None), _child_fields(node.__class__))
            visit, leave, fields = plan
            if visit is None or visit(self, node) is not False:
                for field in fields:
                    value = getattr(node, field)
                    kind = kinds[value.__class__]
                    if kind == _NODE:
                        walk(value)
                    elif kind == _SEQUENCE:
                        for item in value:
                            if kinds[item.__class__] == _NODE:
                                walk(item)
            if leave is not None:
                leave(self, node)

        try:
            walk(node)
        finally:
            # `walk` refers to itself through its closure: a reference cycle that would keep
            # the visitor (and the nodes it holds) alive until the garbage collector runs.
            del walk


class BodyVisitor(FastVisitor):
    """A :class:`FastVisitor` that stays in one scope: the bodies of nested ``def``,
    ``lambda`` and ``class`` run elsewhere (later, in a thread, never), so they are skipped.
    Subclasses that override these visits return False too."""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


#: Where a :class:`BodyVisitor` stops: code that runs in another scope.
NESTED_SCOPES = frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})
_Found = TypeVar("_Found", bound=cst.CSTNode)


def walk_body(node: cst.CSTNode, *, own_scope: bool = True) -> Iterator[cst.CSTNode]:
    """Every node under ``node`` (not ``node`` itself) in source order.  ``own_scope``:
    only what runs as part of the same body; nested ``def``/``lambda``/class nodes are
    yielded but not entered."""
    pending = iter_children(node)  # a fresh list: reversed in place, used as a stack
    pending.reverse()
    while pending:
        current = pending.pop()
        yield current
        if not own_scope or type(current) not in NESTED_SCOPES:
            pending.extend(reversed(iter_children(current)))


def find_all(root: cst.CSTNode, kinds: tuple[type[_Found], ...], *,
             own_scope: bool = False) -> list[_Found]:
    """The nodes of exactly these types at or below ``root``, in source order;
    ``own_scope``: not inside a ``def``, ``lambda`` or ``class`` below ``root``, as a
    :class:`BodyVisitor` sees them."""
    return [typing.cast(_Found, node)
            for node in (root, *walk_body(root, own_scope=own_scope)) if type(node) in kinds]


Hook = Callable[[cst.CSTNode], object]


def walk_batched(
    root: cst.CSTNode,
    visitors: Sequence[Mapping[str, Hook]],
    before_visit: Callable[[cst.CSTNode], None],
    after_leave: Callable[[cst.CSTNode], None],
) -> None:
    """libcst's ``visit_batched`` without rebuilding the tree: every ``visit_X`` of every
    visitor (children are always visited), then the children, then every ``leave_X``."""
    _walk(root, visitors, [], lambda node_type: before_visit, lambda node_type: after_leave)


def walk_tracked(
    root: cst.CSTNode,
    visitors: Sequence[Mapping[str, Hook]],
    stack: list[cst.CSTNode],
    on_enter: Mapping[type, Hook],
    on_exit: Mapping[type, Hook],
) -> None:
    """:func:`walk_batched` that keeps ``stack`` itself: the node being visited is pushed
    before its visits and popped after its leaves, and the hooks of its type, if any, run
    right after the push (``on_enter``) and right after the pop (``on_exit``).

    A ``before_visit``/``after_leave`` pair costs two Python calls for every node, and the
    file context needs them only for blocks and lambdas.
    """
    _walk(root, visitors, stack, on_enter.get, on_exit.get)


def _walk(
    root: cst.CSTNode,
    visitors: Sequence[Mapping[str, Hook]],
    stack: list[cst.CSTNode],
    enter_hook: Callable[[type], Hook | None],
    exit_hook: Callable[[type], Hook | None],
) -> None:
    visits: dict[str, list[Hook]] = {}
    leaves: dict[str, list[Hook]] = {}
    for methods in visitors:
        for name, method in methods.items():
            kind, _, type_name = name.partition("_")
            (visits if kind == "visit" else leaves).setdefault(type_name, []).append(method)
    #: Per node type: its enter hook, visits, leaves, exit hook and child fields, found once.
    plan: dict[type, tuple[Hook | None, tuple[Hook, ...], tuple[Hook, ...], Hook | None,
                           tuple[str, ...]]] = {}
    handled = {*visits, *leaves}
    kinds = _WalkKinds(lambda node_type: node_type.__name__ in handled
                       or enter_hook(node_type) is not None or exit_hook(node_type) is not None)
    push = stack.append
    pop = stack.pop

    def walk(node: cst.CSTNode) -> None:
        # This runs for every node of every file: the children are found inline (as
        # iter_children finds them) rather than through a list per node.
        push(node)
        node_type = node.__class__
        steps = plan.get(node_type)
        if steps is None:
            name = node_type.__name__
            steps = plan[node_type] = (
                enter_hook(node_type), tuple(visits.get(name, ())), tuple(leaves.get(name, ())),
                exit_hook(node_type), _child_fields(node_type))
        on_enter, on_visit, on_leave, on_exit, fields = steps
        if on_enter is not None:
            on_enter(node)
        if on_visit:
            for method in on_visit:
                method(node)
        for field in fields:
            value = getattr(node, field)
            kind = kinds[value.__class__]
            if kind == _NODE:
                walk(value)
            elif kind == _SEQUENCE:
                for item in value:
                    if kinds[item.__class__] == _NODE:
                        walk(item)
        if on_leave:
            for method in on_leave:
                method(node)
        pop()
        if on_exit is not None:
            on_exit(node)

    try:
        walk(root)
    finally:
        # `walk` refers to itself through its closure: a reference cycle that would keep
        # the tree, the rules and their context alive until the garbage collector runs.
        del walk


def ends_block(body: cst.BaseSuite) -> bool:
    """The block's last statement returns, raises, breaks or continues."""
    statements = body.body
    if not statements:
        return False
    last = statements[-1]
    if type(last) is cst.SimpleStatementLine:
        last = last.body[-1]
    return type(last) in (cst.Return, cst.Raise, cst.Break, cst.Continue)
