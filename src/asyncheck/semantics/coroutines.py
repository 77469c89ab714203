"""Where does a value go?  Data flow of coroutines, tasks and collections in one body.

ACK100-ACK102 all ask the same question about an expression (a coroutine call, a task, a
list of coroutines): is it awaited, returned, yielded, passed on, stored somewhere, or is it
dropped?  :func:`classify_use` answers it for one occurrence from the traversal stack: it
walks up from the expression through the few nodes that only pass the value along (a
conditional expression's branches, the right side of ``and``/``or``) and looks at what
receives it.

A value bound to a local name is followed to every later load of that name in the same
body by :func:`name_uses` (flow-insensitive: a name that is consumed on any path is fine).
Anything this module cannot follow (a closure reads the name, a tuple target, ``global``)
counts as consumed: the rules report only what they are sure of.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import libcst as cst

from asyncheck.semantics.names import Scope, dotted_name
from asyncheck.syntax.walk import NESTED_SCOPES, walk_batched

# Node tests are ``type(node) is ...``, not ``isinstance``: see semantics/names.py.


class UseKind(enum.Enum):
    """What happens to a value at one place it occurs."""

    #: ``await x``.
    AWAITED = "awaited"
    #: ``return x``, ``yield x``, the body of a ``lambda``.
    RETURNED = "returned"
    #: An argument of a call (``asyncio.run(x)``, ``create_task(x)``, ``helper(x)``).
    PASSED = "passed"
    #: Assigned to an attribute or a subscript (``self.task = x``, ``d[k] = x``).
    STORED = "stored"
    #: ``for ... in x``, ``async with x``: the value is consumed by the statement.
    ITERATED = "iterated"
    #: An expression statement: the value is thrown away.
    DROPPED = "dropped"
    #: Tested for truth (``if x:``, ``not x``, ``x and y``) or compared.
    TRUTH = "truth"
    #: Given to a builtin that only looks at it (``len``, ``print``, ``repr``...), or
    #: formatted into a string.
    INSPECTED = "inspected"
    #: Assigned to local names (``names``); follow them with :func:`name_uses`.
    BOUND = "bound"
    #: An element of a list/tuple/set display or comprehension (``node`` is the collection).
    COLLECTED = "collected"
    #: Added to the collection held by a local name: ``xs.append(v)``, ``xs.extend(v)``,
    #: ``xs.insert(i, v)``, ``xs.add(v)``, ``xs += v``, ``xs[k] = v`` (``names`` = ``(xs,)``).
    ADDED = "added"
    #: ``x.attr`` (``attribute``; ``called`` when it is ``x.attr(...)``).
    ATTRIBUTE = "attribute"
    #: ``x[...]``.
    SUBSCRIPTED = "subscripted"
    #: Anything else (subscripted, an operand, a walrus, a tuple target...): not followed.
    OTHER = "other"


@dataclass(frozen=True)
class Use:
    """One occurrence's fate; see :class:`UseKind`."""

    kind: UseKind
    names: tuple[str, ...] = ()
    node: cst.CSTNode | None = None
    attribute: str = ""
    called: bool = False
    #: For :attr:`UseKind.PASSED`: the argument (``node`` is then the call).
    argument: cst.Arg | None = None


#: Builtins that look at an object without running it: passing a coroutine to them does
#: not consume it (it is still never awaited).
INSPECTING_BUILTINS = frozenset({"len", "print", "repr", "str", "bool", "id", "type", "isinstance"})

#: Methods that add elements to a list, set or deque held by a name.
ADDING_METHODS = frozenset({"append", "extend", "insert", "add", "appendleft", "extendleft"})

#: Methods of a collection that change or inspect it without handing its elements out.
MUTATING_METHODS = ADDING_METHODS | frozenset(
    {"clear", "remove", "discard", "sort", "reverse", "count", "index"})

_DISPLAYS = frozenset({cst.List, cst.Tuple, cst.Set})
#: Nodes whose Name children are what they define or declare, not loads.
_NAME_DEFINERS = frozenset({cst.FunctionDef, cst.ClassDef, cst.Param, cst.ImportAlias,
                            cst.NameItem, cst.MatchAs, cst.MatchStar, cst.MatchKeywordElement})


def classify_use(stack: Sequence[cst.CSTNode], position: int | None = None) -> Use:
    """The fate of the value of ``stack[position]`` (default: the last node), judged from
    its ancestors ``stack[:position]``."""
    index = len(stack) - 1 if position is None else position
    node = stack[index]
    while index > 0:
        parent = stack[index - 1]
        if type(parent) is cst.Await:
            return Use(UseKind.AWAITED)
        if type(parent) in (cst.Return, cst.Yield, cst.Lambda):
            return Use(UseKind.RETURNED)
        if type(parent) is cst.Arg:
            call = stack[index - 2] if index >= 2 else None
            if type(call) is cst.Call and parent.value is node:
                return _argument_use(call, parent)
            return Use(UseKind.OTHER)
        if type(parent) in (cst.Element, cst.StarredElement):
            collection = stack[index - 2] if index >= 2 else None
            if type(collection) in _DISPLAYS:
                return Use(UseKind.COLLECTED, node=collection)
            return Use(UseKind.OTHER)
        if type(parent) is cst.ListComp or type(parent) is cst.SetComp or (
                type(parent) is cst.GeneratorExp):
            if parent.elt is node:
                return Use(UseKind.COLLECTED, node=parent)
            return Use(UseKind.ITERATED)  # the iterable of its first ``for``
        if type(parent) is cst.Expr:
            return Use(UseKind.DROPPED)
        if type(parent) is cst.Assign or type(parent) is cst.AnnAssign:
            return _assignment_use(parent, node)
        if type(parent) is cst.AugAssign:
            if parent.value is node and type(parent.target) is cst.Name:
                if type(parent.operator) in (cst.AddAssign, cst.BitOrAssign):
                    return Use(UseKind.ADDED, names=(parent.target.value,))
            return Use(UseKind.OTHER)
        # `is` tests, not a set: mypy narrows `parent` through them.
        if (type(parent) is cst.If or type(parent) is cst.While or type(parent) is cst.IfExp
                or type(parent) is cst.Assert):
            if parent.test is node:
                return Use(UseKind.TRUTH)
            if type(parent) is cst.IfExp:  # a branch: its value is the expression's
                node, index = parent, index - 1
                continue
            return Use(UseKind.OTHER)
        if type(parent) is cst.UnaryOperation and type(parent.operator) is cst.Not:
            return Use(UseKind.TRUTH)
        if type(parent) is cst.BooleanOperation:
            if parent.left is node:
                return Use(UseKind.TRUTH)
            node, index = parent, index - 1
            continue
        if type(parent) in (cst.Comparison, cst.ComparisonTarget):
            return Use(UseKind.TRUTH)
        if type(parent) is cst.FormattedStringExpression:
            return Use(UseKind.INSPECTED)
        if type(parent) is cst.Attribute:
            if parent.value is not node:
                return Use(UseKind.OTHER)
            grandparent = stack[index - 2] if index >= 2 else None
            called = type(grandparent) is cst.Call and grandparent.func is parent
            return Use(UseKind.ATTRIBUTE, attribute=parent.attr.value, called=called, node=parent)
        if type(parent) is cst.Subscript:
            return Use(UseKind.SUBSCRIPTED if parent.value is node else UseKind.OTHER)
        if type(parent) in (cst.For, cst.WithItem, cst.CompFor):
            return Use(UseKind.ITERATED)
        return Use(UseKind.OTHER)
    return Use(UseKind.OTHER)


def _argument_use(call: cst.Call, arg: cst.Arg) -> Use:
    func = call.func
    if type(func) is cst.Name and func.value in INSPECTING_BUILTINS and not arg.keyword:
        return Use(UseKind.INSPECTED)
    if (
        type(func) is cst.Attribute
        and func.attr.value in ADDING_METHODS
        and type(func.value) is cst.Name
        and arg.keyword is None
    ):
        return Use(UseKind.ADDED, names=(func.value.value,))
    return Use(UseKind.PASSED, node=call, argument=arg)


def _assignment_use(statement: cst.Assign | cst.AnnAssign, node: cst.CSTNode) -> Use:
    if statement.value is not node:
        return Use(UseKind.OTHER)
    if isinstance(statement, cst.Assign):
        targets = [t.target for t in statement.targets]
    else:
        targets = [statement.target]
    names: list[str] = []
    for target in targets:
        if type(target) in (cst.Attribute, cst.Subscript):
            if type(target) is cst.Subscript and type(target.value) is cst.Name:
                return Use(UseKind.ADDED, names=(target.value.value,))
            return Use(UseKind.STORED)
        if type(target) is not cst.Name:
            return Use(UseKind.OTHER)  # unpacking: not followed
        names.append(target.value)
    return Use(UseKind.BOUND, names=tuple(names))


def unwrap_name(use: Use) -> str | None:
    """The single name a BOUND/ADDED use refers to, if there is exactly one."""
    return use.names[0] if len(use.names) == 1 else None


def is_followable_name(scope: Scope, name: str) -> bool:
    """Whether loads of ``name`` in ``scope``'s body tell the whole story: a function
    scope where the name is only bound by plain assignments (not a parameter, not
    ``global``/``nonlocal``, not a loop or ``with`` target, not an import or def).  A
    module-level name may be imported by other modules: not followed."""
    if scope.kind != "function":
        return False
    if name in scope.global_names:
        return False
    bindings = scope.bindings.get(name)
    if not bindings:
        return False  # ``nonlocal``/``global`` in a nested function, or not bound here
    for binding in bindings:
        if binding.kind != "assign":
            return False
        if binding.value is None and binding.annotation is None:
            return False  # a for/with/except target or a tuple unpacking
    return True


class _NameLoadScanner:
    """Every load of some names in one scope body, with the fate of each."""

    def __init__(self, names: Collection[str], is_module: bool) -> None:
        self.names = names
        self.is_module = is_module
        self.uses: dict[str, list[Use]] = {name: [] for name in names}
        self.stack: list[cst.CSTNode] = []
        self.nested_depth = 0
        self.targets: set[int] = set()

    def on_visit(self, node: cst.CSTNode) -> None:
        """Enter ``node`` (every node of the scope body, in source order)."""
        self.stack.append(node)
        if type(node) in NESTED_SCOPES and len(self.stack) > 1:
            self.nested_depth += 1
        self._note_targets(node)
        if type(node) is cst.Name and node.value in self.uses:
            self._name(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        """Leave ``original_node``."""
        self.stack.pop()
        if type(original_node) in NESTED_SCOPES and self.stack:
            self.nested_depth -= 1

    def _note_targets(self, node: cst.CSTNode) -> None:
        target: cst.CSTNode | None = None
        if type(node) is cst.AssignTarget:
            target = node.target
        elif (type(node) is cst.AnnAssign or type(node) is cst.AugAssign or type(node) is cst.For
              or type(node) is cst.CompFor):
            target = node.target
        elif type(node) is cst.AsName:
            target = node.name
        elif type(node) is cst.NamedExpr:
            target = node.target
        elif type(node) is cst.Del:
            target = node.target
        if target is not None:
            self._add_targets(target)

    def _add_targets(self, target: cst.CSTNode) -> None:
        if type(target) is cst.Name:
            self.targets.add(id(target))
        elif type(target) is cst.Tuple or type(target) is cst.List:
            for element in target.elements:
                self._add_targets(element.value)
        elif type(target) is cst.StarredElement:
            self._add_targets(target.value)

    def _name(self, node: cst.Name) -> None:
        if id(node) in self.targets:
            return
        parent = self.stack[-2] if len(self.stack) > 1 else None
        if type(parent) is cst.Attribute and parent.attr is node:
            return
        if type(parent) is cst.Arg and parent.keyword is node:
            return
        if type(parent) in _NAME_DEFINERS:
            if type(parent) is cst.NameItem:
                # ``global x``/``nonlocal x`` elsewhere: somebody else may use it.
                self.uses[node.value].append(Use(UseKind.OTHER))
            return
        if self.nested_depth:
            # Read from a closure or another function: not followed.
            self.uses[node.value].append(Use(UseKind.OTHER))
            return
        self.uses[node.value].append(classify_use(self.stack))


def name_uses(scope_node: cst.CSTNode, names: Collection[str]) -> dict[str, list[Use]]:
    """For each of ``names``, the fate of every load in the body of ``scope_node`` (a
    ``FunctionDef`` or the ``Module``).  Loads inside nested functions, lambdas and classes
    are :attr:`UseKind.OTHER` (a closure or another function takes the value)."""
    scanner = _NameLoadScanner(names, type(scope_node) is cst.Module)
    # The fast walker: it skips formatting nodes, which hold no names and are never the
    # ancestors of one, so the scanner's stack of ancestors is the same.
    if type(scope_node) is cst.FunctionDef:
        scanner.stack.append(scope_node)
        walk_batched(scope_node.body, (), scanner.on_visit, scanner.on_leave)
    else:
        walk_batched(scope_node, (), scanner.on_visit, scanner.on_leave)
    return scanner.uses


def call_text(call: cst.Call) -> str:
    """How a call's callee is written (``self.fetch``, ``asyncio.sleep``), for messages."""
    text = dotted_name(call.func)
    if text is not None:
        return text
    if type(call.func) is cst.Attribute:
        return "..." + "." + call.func.attr.value
    return "..."


#: Qualified names of ``asyncio.gather``: its future is reported when discarded too.
GATHER = frozenset({"asyncio.gather", "asyncio.tasks.gather"})


#: Context managers of test frameworks whose body is expected to raise or warn: a call in
#: it is made to see it fail, not to run a coroutine or keep a task.
_EXPECTING_CONTEXTS = frozenset({
    "assertRaises", "assertRaisesRegex", "assertRaisesRegexp", "assertWarns",
    "assertWarnsRegex", "raises", "warns", "deprecated_call",
})


def in_expected_failure(stack: Sequence[cst.CSTNode]) -> bool:
    """Whether the node on top of ``stack`` is inside ``with self.assertRaises(...):`` or
    ``with pytest.raises(...):`` (also ``assertWarns``/``pytest.warns``) in the same
    function."""
    for node in reversed(stack):
        if type(node) in NESTED_SCOPES:
            return False
        if type(node) is cst.With:
            for item in node.items:
                call = item.item
                if type(call) is cst.Call:
                    func = call.func
                    name = func.attr.value if type(func) is cst.Attribute else (
                        func.value if type(func) is cst.Name else "")
                    if name in _EXPECTING_CONTEXTS:
                        return True
    return False
