"""A read-only traversal of libcst trees, several times cheaper than ``CSTNode.visit``.

libcst's visitors rebuild every node they pass (``_visit_and_replace_children`` creates and
validates a new node even when nothing changes) and call hooks for every attribute of every
node.  Lint rules only read, so this walker follows each node type's child fields directly,
skipping the fields that hold only whitespace and punctuation, in source order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence

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
    fields = _CHILD_FIELDS.get(node_type)
    if fields is None:
        names = tuple(f.name for f in dataclasses.fields(node_type)
                      if f.name not in _FORMATTING and not f.name.startswith("whitespace"))
        ordered = _ORDER.get(node_type)
        if ordered is not None:
            names = tuple(n for n in ordered if n in names) + tuple(
                n for n in names if n not in ordered)
        fields = _CHILD_FIELDS[node_type] = names
    return fields


def iter_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The child nodes that carry code (not formatting), in source order."""
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


class FastVisitor:
    """Drop-in for read-only ``cst.CSTVisitor`` subclasses: ``visit_X`` (return False to skip
    the children) and ``leave_X`` methods, run by :meth:`walk` instead of ``node.visit``."""

    _dispatch: dict[tuple[type[FastVisitor], type[cst.CSTNode]],
                    tuple[str | None, str | None]] = {}

    def walk(self, node: cst.CSTNode) -> None:
        """Visit ``node`` and everything below it."""
        key = (type(self), type(node))
        names = FastVisitor._dispatch.get(key)
        if names is None:
            type_name = type(node).__name__
            visit, leave = f"visit_{type_name}", f"leave_{type_name}"
            names = FastVisitor._dispatch[key] = (
                visit if hasattr(self, visit) else None, leave if hasattr(self, leave) else None)
        visit_name, leave_name = names
        if visit_name is None or getattr(self, visit_name)(node) is not False:
            for child in iter_children(node):
                self.walk(child)
        if leave_name is not None:
            getattr(self, leave_name)(node)


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


Hook = Callable[[cst.CSTNode], object]


def walk_batched(
    root: cst.CSTNode,
    visitors: Sequence[Mapping[str, Hook]],
    before_visit: Callable[[cst.CSTNode], None],
    after_leave: Callable[[cst.CSTNode], None],
) -> None:
    """libcst's ``visit_batched`` without rebuilding the tree: every ``visit_X`` of every
    visitor (children are always visited), then the children, then every ``leave_X``."""
    visits: dict[str, list[Hook]] = {}
    leaves: dict[str, list[Hook]] = {}
    for methods in visitors:
        for name, method in methods.items():
            kind, _, type_name = name.partition("_")
            (visits if kind == "visit" else leaves).setdefault(type_name, []).append(method)
    empty: list[Hook] = []

    def walk(node: cst.CSTNode) -> None:
        before_visit(node)
        type_name = type(node).__name__
        for method in visits.get(type_name, empty):
            method(node)
        for child in iter_children(node):
            walk(child)
        for method in leaves.get(type_name, empty):
            method(node)
        after_leave(node)

    walk(root)
