"""Name resolution without libcst's scope analysis.

``QualifiedNameProvider`` and ``ScopeProvider`` cost several times the parse itself.  Rules
only need to know what a *called* name refers to, so scopes here are built lazily: a scope's
bindings are collected by one walk over its statements (never into expressions, never into
nested functions or classes) the first time a name is looked up in it.

What a name can resolve to is a :class:`Symbol`:

* ``Imported("time.sleep")`` for ``from time import sleep`` (also inside function bodies, and
  relative imports made absolute);
* ``Builtin("open")`` for an unbound name that is a builtin;
* ``LocalFunction``/``LocalClass`` for a ``def``/``class`` of this file;
* ``Instance("requests.Session")`` for a name bound to a constructor or factory call, a
  ``with ... as`` target, or declared by an annotation;
* ``Local()`` for anything else bound in the file: a parameter, an assignment of unknown type.
  A local shadows a library name: a parameter named ``requests`` is not the module.

Lookups are flow-insensitive within a scope, which is what a linter wants: a name is what all
its bindings in that scope agree on.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, Union

import libcst as cst

from asyncheck.core.tables import FACTORY_RETURN_TYPES

# Node tests here are ``type(node) is cst.Name`` rather than ``isinstance``: every libcst node
# class has ABCMeta as metaclass, so an ``isinstance`` that fails runs a Python-level ABC
# check, and these tests run for most nodes of every file.  The concrete node classes have no
# subclasses (the parser builds exactly them), so both tests give the same answers.

BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass(frozen=True)
class Imported:
    """A name bound by an import: ``qualname`` is the absolute dotted name."""

    qualname: str


@dataclass(frozen=True)
class Builtin:
    """An unbound name that is one of Python's builtins."""

    name: str


@dataclass(frozen=True, eq=False)
class LocalFunction:
    """A ``def``/``async def`` of this file; ``qualname`` is module-qualified."""

    node: cst.FunctionDef
    qualname: str
    scope: Scope  # the scope the def statement is in

    @property
    def is_async(self) -> bool:
        """Whether calling it makes a coroutine."""
        return self.node.asynchronous is not None


@dataclass(frozen=True, eq=False)
class LocalClass:
    """A ``class`` of this file."""

    node: cst.ClassDef
    qualname: str
    scope: Scope  # the scope the class statement is in


@dataclass(frozen=True)
class Instance:
    """An object whose type is known by qualified name (``requests.Session``)."""

    type_qualname: str


@dataclass(frozen=True)
class Local:
    """Bound in this file, nothing more known (a parameter, an untyped assignment)."""


Symbol = Union[Imported, Builtin, LocalFunction, LocalClass, Instance, Local]

_LOCAL = Local()


@dataclass(eq=False)
class Binding:
    """One binding of a name in a scope, kept unresolved until somebody asks."""

    kind: str  # "import", "def", "class", "param", "assign", "other"
    node: cst.CSTNode | None = None
    qualname: str | None = None
    value: cst.BaseExpression | None = None
    annotation: cst.BaseExpression | None = None
    #: For a name unpacked from a call (``conn, addr = sock.accept()``): the call and the
    #: name's position; ``value`` stays None because the name is not the whole value.
    unpacked_from: tuple[cst.Call, int] | None = None
    #: For a ``with``/``async with ... as name`` target: ``"sync"``/``"async"`` (``value``
    #: is then the context manager, and the name is what its ``__enter__``/``__aenter__``
    #: gives).
    entered: str | None = None
    #: For a ``for``/``async for`` target: the iterable and whether the loop is async
    #: (``value`` stays None: the name is one element, not the iterable).
    iterated: tuple[cst.BaseExpression, bool] | None = None


@dataclass(eq=False)
class Scope:
    """A module, function, lambda or class body."""

    kind: str  # "module", "function", "lambda", "class"
    node: cst.CSTNode
    parent: Scope | None
    qualname: str  # "pkg.mod", "pkg.mod.Class", "pkg.mod.func", "pkg.mod.f.<locals>.g"
    module_name: str
    package: str  # the package relative imports start from
    _bindings: dict[str, list[Binding]] | None = None
    _global_names: set[str] = field(default_factory=set)
    #: What other analyses computed once for this scope's node, keyed by the function that
    #: computed it: it lives exactly as long as the tree it describes.
    facts: dict[Callable[[cst.CSTNode], object], object] = field(default_factory=dict)
    #: On a module scope: the bindings and ``global`` names of its classes by node id, for
    #: the class scopes :func:`find_class_scope` makes afresh for every question.
    _class_bindings: dict[int, tuple[dict[str, list[Binding]], set[str]]] = field(
        default_factory=dict)

    @property
    def bindings(self) -> dict[str, list[Binding]]:
        """The names bound directly in this scope (collected on first use)."""
        if self._bindings is None:
            self._bindings = {}
            _BindingCollector(self).collect()
        return self._bindings

    @property
    def global_names(self) -> set[str]:
        """The names this scope declares ``global`` (collected with the bindings)."""
        self.bindings  # noqa: B018 - collecting the bindings records the declarations
        return self._global_names

    def binding_scope(self, name: str) -> tuple[Scope, list[Binding]] | None:
        """The scope that binds ``name`` as seen from this one, and its bindings there:
        ``global`` goes to the module, class bodies are not visible from nested scopes."""
        current: Scope | None = self.module_scope if name in self.global_names else self
        while current is not None:
            if current.kind == "class" and current is not self:
                current = current.parent
                continue
            bindings = current.bindings.get(name)
            if bindings:
                return current, bindings
            current = current.parent
        return None

    @property
    def module_scope(self) -> Scope:
        """The outermost scope."""
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def child_qualname(self, name: str) -> str:
        """Qualified name of something named ``name`` defined directly in this scope."""
        if self.kind in ("function", "lambda"):
            return f"{self.qualname}.<locals>.{name}"
        return f"{self.qualname}.{name}" if self.qualname else name

    def enclosing_class(self) -> Scope | None:
        """For a method's scope, the class scope it is defined in."""
        if self.kind == "function" and self.parent is not None and self.parent.kind == "class":
            return self.parent
        return None


def make_function_scope(node: cst.FunctionDef | cst.Lambda, parent: Scope) -> Scope:
    """The scope of a function or lambda body defined in ``parent``."""
    if type(node) is cst.FunctionDef:
        return Scope("function", node, parent, parent.child_qualname(node.name.value),
                     parent.module_name, parent.package)
    return Scope("lambda", node, parent, parent.child_qualname("<lambda>"),
                 parent.module_name, parent.package)


def make_class_scope(node: cst.ClassDef, parent: Scope) -> Scope:
    """The scope of a class body defined in ``parent``."""
    return Scope("class", node, parent, parent.child_qualname(node.name.value),
                 parent.module_name, parent.package)


def make_module_scope(module: cst.Module, module_name: str, *, is_package: bool = False) -> Scope:
    """The module scope; ``is_package`` for ``__init__.py`` (relative imports start there)."""
    package = module_name if is_package else module_name.rpartition(".")[0]
    return Scope("module", module, None, module_name, module_name, package)


def base_class(arg: cst.Arg) -> cst.BaseExpression:
    """The class a base in a class statement names: ``Mixin`` for a generic ``Mixin[T]``."""
    value = arg.value
    return value.value if type(value) is cst.Subscript else value


def dotted_name(expr: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while type(expr) is cst.Attribute:
        parts.append(expr.attr.value)
        expr = expr.value
    if type(expr) is cst.Name:
        parts.append(expr.value)
        return ".".join(reversed(parts))
    return None


def absolute_module(scope: Scope, node: cst.ImportFrom) -> str | None:
    """The absolute module an ``ImportFrom`` reads from (None if it climbs above the top)."""
    module = dotted_name(node.module) if node.module is not None else ""
    level = len(node.relative)
    if level == 0:
        return module
    base = scope.package.split(".") if scope.package else []
    if level - 1 > len(base):
        return None
    base = base[: len(base) - (level - 1)]
    if module:
        base.append(module)
    return ".".join(base) if base else None


class _BindingCollector:
    """Collects the bindings of one scope by walking its statements only."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        assert scope._bindings is not None
        self.bindings = scope._bindings

    def add(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    def collect(self) -> None:
        node = self.scope.node
        if type(node) is cst.Module:
            self.statements(node.body)
        elif type(node) is cst.FunctionDef:
            self.parameters(node.params)
            self.signature_comment(node)
            self.suite(node.body)
        elif type(node) is cst.Lambda:
            self.parameters(node.params)
        elif type(node) is cst.ClassDef:
            self.suite(node.body)

    def parameters(self, params: cst.Parameters) -> None:
        all_params: list[cst.Param] = [*params.posonly_params, *params.params, *params.kwonly_params]
        for star in (params.star_arg, params.star_kwarg):
            if type(star) is cst.Param:
                all_params.append(star)
        for param in all_params:
            annotation = param.annotation.annotation if param.annotation is not None else None
            self.add(param.name.value, Binding("param", param, annotation=annotation))

    def signature_comment(self, function: cst.FunctionDef) -> None:
        """``def f(conn):  # type: (Connection) -> None``: the parameters' annotations."""
        signature = function_type_comment(function)
        if signature is None:
            return
        params = function.params
        ordered: list[cst.Param] = [*params.posonly_params, *params.params]
        if type(params.star_arg) is cst.Param:
            ordered.append(params.star_arg)
        ordered.extend(params.kwonly_params)
        if params.star_kwarg is not None:
            ordered.append(params.star_kwarg)
        types = signature[0]
        if types is None:
            return
        if len(types) == len(ordered) - 1 and self.scope.parent is not None and \
                self.scope.parent.kind == "class":
            ordered = ordered[1:]  # a method's comment may leave ``self`` out
        if len(types) != len(ordered):
            return
        for param, annotation in zip(ordered, types, strict=True):
            bindings = self.bindings.get(param.name.value)
            if annotation is not None and bindings and bindings[0].annotation is None:
                bindings[0].annotation = annotation

    def suite(self, body: cst.BaseSuite) -> None:
        if type(body) is cst.IndentedBlock:
            self.statements(body.body)
        elif type(body) is cst.SimpleStatementSuite:
            self.small_statements(body.body)

    def statements(self, statements: Sequence[cst.BaseStatement]) -> None:
        for statement in statements:
            if type(statement) is cst.SimpleStatementLine:
                self.small_statements(statement.body)
                comment = statement.trailing_whitespace.comment
                if comment is not None and len(statement.body) == 1:
                    single = statement.body[0]
                    if type(single) is cst.Assign and len(single.targets) == 1:
                        self.annotate(single.targets[0].target, comment)
            else:
                self.compound(statement)

    def annotate(self, target: cst.BaseExpression, comment: cst.Comment) -> None:
        """``name = value  # type: T``: the name's binding just added is annotated ``T``."""
        if type(target) is not cst.Name:
            return
        annotation = type_comment(comment)
        bindings = self.bindings.get(target.value)
        if annotation is not None and bindings:
            bindings[-1].annotation = annotation

    def compound(self, node: cst.BaseStatement) -> None:
        if type(node) is cst.FunctionDef:
            self.add(node.name.value, Binding("def", node))
            return
        if type(node) is cst.ClassDef:
            self.add(node.name.value, Binding("class", node))
            return
        if type(node) is cst.For:
            if type(node.target) is cst.Name:
                self.add(node.target.value, Binding(
                    "assign", node.target,
                    iterated=(node.iter, node.asynchronous is not None)))
                header = _header_comment(node)
                if header is not None:
                    self.annotate(node.target, header)
            else:
                self.targets(node.target, None)
        elif type(node) is cst.With:
            entered = "async" if node.asynchronous is not None else "sync"
            for item in node.items:
                if item.asname is not None:
                    if type(item.asname.name) is cst.Name:
                        self.add(item.asname.name.value, Binding(
                            "assign", item.asname.name, value=item.item, entered=entered))
                        header = _header_comment(node)
                        if header is not None and len(node.items) == 1:
                            self.annotate(item.asname.name, header)
                    else:
                        self.targets(item.asname.name, item.item)
        elif type(node) is cst.Try or type(node) is cst.TryStar:
            for handler in node.handlers:
                if handler.name is not None:
                    self.targets(handler.name.name, None)
        for suite in child_suites(node):
            self.suite(suite)

    def small_statements(self, statements: Sequence[cst.BaseSmallStatement]) -> None:
        for statement in statements:
            if type(statement) is cst.Import:
                for alias in statement.names:
                    full = dotted_name(alias.name)
                    if full is None:
                        continue
                    if alias.asname is not None and type(alias.asname.name) is cst.Name:
                        self.add(alias.asname.name.value,
                                 Binding("import", node=statement, qualname=full))
                    else:
                        first = full.split(".")[0]
                        self.add(first, Binding("import", node=statement, qualname=first))
            elif type(statement) is cst.ImportFrom:
                if isinstance(statement.names, cst.ImportStar):
                    continue
                module = absolute_module(self.scope, statement)
                for alias in statement.names:
                    name = dotted_name(alias.name)
                    if name is None:
                        continue
                    bound = name
                    if alias.asname is not None and type(alias.asname.name) is cst.Name:
                        bound = alias.asname.name.value
                    qualname = f"{module}.{name}" if module else None
                    self.add(bound, Binding("import", node=statement, qualname=qualname))
            elif type(statement) is cst.Assign:
                for target in statement.targets:
                    self.targets(target.target, statement.value)
            elif type(statement) is cst.AnnAssign:
                if type(statement.target) is cst.Name:
                    self.add(statement.target.value, Binding(
                        "assign", statement, value=statement.value,
                        annotation=statement.annotation.annotation))
            elif type(statement) in (cst.Global, cst.Nonlocal):
                if type(statement) is cst.Global:
                    self.scope._global_names.update(n.name.value for n in statement.names)

    def targets(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if type(target) is cst.Name:
            self.add(target.value, Binding("assign", target, value=value))
        elif type(target) is cst.Tuple or type(target) is cst.List:
            starred = False
            for position, element in enumerate(target.elements):
                inner = element.value
                if type(inner) is cst.StarredElement:
                    inner = inner.value
                    starred = True
                if type(inner) is cst.Name and type(value) is cst.Call and not starred:
                    self.add(inner.value, Binding("assign", inner,
                                                  unpacked_from=(value, position)))
                else:
                    self.targets(inner, None)
        elif type(target) is cst.StarredElement:
            self.targets(target.value, None)


def child_suites(node: cst.BaseStatement) -> Iterator[cst.BaseSuite]:
    """The statement blocks directly inside a compound statement (not nested defs)."""
    body = getattr(node, "body", None)
    if type(body) is cst.IndentedBlock or type(body) is cst.SimpleStatementSuite:
        yield body
    if type(node) is cst.Try or type(node) is cst.TryStar:
        for handler in node.handlers:
            yield handler.body
        if node.orelse is not None:
            yield node.orelse.body
        if node.finalbody is not None:
            yield node.finalbody.body
        return
    if type(node) is cst.Match:
        for case in node.cases:
            yield case.body
        return
    orelse = getattr(node, "orelse", None)
    while orelse is not None:
        yield orelse.body
        # ``elif`` chains are nested If nodes.
        orelse = getattr(orelse, "orelse", None) if type(orelse) is cst.If else None


#: ``# type: T`` (PEP 484 type comments), not ``# type: ignore``.
_TYPE_COMMENT = re.compile(r"#\s*type:\s*(?!ignore\b)([^#]*[^#\s])")


def _parse_type(text: str) -> cst.BaseExpression | None:
    try:
        return cst.parse_expression(text)
    except Exception:  # libcst raises its own errors and RecursionError alike
        return None


def type_comment(comment: cst.Comment) -> cst.BaseExpression | None:
    """The type a ``# type: T`` comment gives (parsed), or None."""
    text = comment.value
    if "type:" not in text:
        return None
    match = _TYPE_COMMENT.match(text)
    if match is None or match.group(1).startswith("("):
        return None  # a signature: only after a def's colon
    return _parse_type(match.group(1))


def _header_comment(node: cst.CSTNode) -> cst.Comment | None:
    """The comment after a compound statement's colon (``for x in y:  # type: T``)."""
    body = getattr(node, "body", None)
    if type(body) is cst.IndentedBlock:
        return body.header.comment
    return None


def function_type_comment(
    function: cst.FunctionDef,
) -> tuple[list[cst.BaseExpression | None] | None, cst.BaseExpression | None] | None:
    """``def f(a, b):  # type: (A, B) -> R``: the parameters' types (None for ``...``,
    ``*A`` for a star parameter given as ``A``) and the return type; None without one."""
    comment = _header_comment(function)
    if comment is None:
        # Also on the body's first line (PEP 484), before the docstring.
        body = function.body
        if type(body) is cst.IndentedBlock and body.body:
            leading: Sequence[cst.EmptyLine] = getattr(body.body[0], "leading_lines", ())
            first = [line.comment for line in leading if line.comment is not None]
            comment = first[0] if first else None
    if comment is None or "type:" not in comment.value:
        return None
    match = _TYPE_COMMENT.match(comment.value)
    if match is None:
        return None
    text = match.group(1)
    depth, close = 0, -1
    for position, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0:
                close = position
                break
    if not text.startswith("(") or close < 0 or not text[close + 1:].strip().startswith("->"):
        return None
    returns = _parse_type(text[close + 1:].strip()[2:].strip())
    inner = text[1:close].strip()
    if not inner:
        return [], returns
    if inner == "...":
        return None, returns  # the parameters are not said
    parsed = _parse_type(f"({inner},)".replace("**", "*"))
    if type(parsed) is not cst.Tuple:
        return None
    types: list[cst.BaseExpression | None] = []
    for element in parsed.elements:
        value = element.value
        types.append(value.value if type(value) is cst.StarredElement else value)
    return types, returns


def _is_none(expr: cst.BaseExpression | None) -> bool:
    return type(expr) is cst.Name and expr.value == "None"


class LibraryTypes(Protocol):
    """What the environment's libraries say about types
    (:class:`asyncheck.semantics.library.LibraryIndex`)."""

    def call_type(self, qualname: str) -> str | None:
        """The type calling ``qualname`` gives."""

    def awaited_type(self, qualname: str) -> str | None:
        """The type ``await qualname(...)`` gives."""

    def attribute_type(self, owner_type: str, attr: str) -> str | None:
        """The type of ``obj.attr`` for an instance of ``owner_type``."""

    def entered_type(self, owner_type: str, is_async: bool) -> str | None:
        """What ``(async) with obj as x`` binds; ``""``: the class is known, that is not."""

    def call_entered_type(self, qualname: str, is_async: bool) -> str | None:
        """What ``(async) with qualname(...) as x`` binds for a context-manager function."""

    def is_class(self, qualname: str) -> str | None:
        """The canonical name of the class ``qualname`` denotes, if it is one."""

    def iterated_type(self, owner_type: str, is_async: bool) -> str | None:
        """What ``(async) for x in obj`` binds for an instance of ``owner_type``."""

    def iterated_call_type(self, qualname: str, is_async: bool) -> str | None:
        """What ``(async) for x in qualname(...)`` binds (an iterator-returning function)."""


class Resolver:
    """Answers what names, attribute chains and call results refer to, scope by scope."""

    def __init__(
        self,
        extra_return_types: Iterable[tuple[str, str]] = (),
        *,
        project_return_type: Callable[[str], str | None] | None = None,
        library: LibraryTypes | None = None,
    ) -> None:
        self.return_types = dict(FACTORY_RETURN_TYPES)
        self.return_types.update(extra_return_types)
        # What a function of another project file is annotated to return (the project index).
        self.project_return_type = project_return_type
        # What the environment's libraries say (SPEC §9); None: no library knowledge.
        self.library = library
        self._attribute_memo: dict[tuple[int, str], str | None] = {}
        # ``self.<attr> = ...`` assignments of a class's methods, by class node id and attr.
        self._self_assignments: dict[int, dict[str, list[SelfAssignment]]] = {}
        self._in_progress: set[tuple[int, str]] = set()
        # Per scope: what names used in it resolve to (:meth:`lookup`), and the symbols of
        # the names it binds (:meth:`_symbol_for`).  Kept here rather than on the scopes:
        # symbols refer to scopes (``LocalFunction.scope``), so memos on the scopes would
        # make reference cycles, which keep the whole tree alive until the garbage
        # collector runs (and walks it).
        self._lookups: dict[Scope, dict[str, Symbol | None]] = {}
        self._memos: dict[Scope, dict[str, Symbol | None]] = {}

    # -- names ----------------------------------------------------------------------------
    def lookup(self, name: str, scope: Scope) -> Symbol | None:
        """What ``name`` refers to when used in ``scope`` (None: unbound, not a builtin)."""
        lookups = self._lookups.get(scope)
        if lookups is None:
            lookups = self._lookups[scope] = {}
        elif name in lookups:
            return lookups[name]
        found = scope.binding_scope(name)
        if found is not None:
            symbol: Symbol | None = self._symbol_for(name, *found)
        else:
            symbol = Builtin(name) if name in BUILTIN_NAMES else None
        # Remembered only when no classification is under way: inside one, a name on the
        # cycle being resolved reads as Local for the moment, not for good.
        if not self._in_progress:
            lookups[name] = symbol
        return symbol

    def _symbol_for(self, name: str, scope: Scope, bindings: list[Binding]) -> Symbol:
        memo = self._memos.get(scope)
        if memo is None:
            memo = self._memos[scope] = {}
        elif name in memo:
            symbol = memo[name]
            return symbol if symbol is not None else _LOCAL
        key = (id(scope), name)
        if key in self._in_progress:
            return _LOCAL
        self._in_progress.add(key)
        try:
            symbol = self._classify(name, scope, bindings)
        finally:
            self._in_progress.discard(key)
        memo[name] = symbol
        return symbol

    def _classify(self, name: str, scope: Scope, bindings: list[Binding]) -> Symbol:
        strong = [b for b in bindings if b.kind in ("def", "class", "param")]
        if strong:
            last = strong[-1]
            if last.kind == "def":
                assert type(last.node) is cst.FunctionDef
                return LocalFunction(last.node, scope.child_qualname(name), scope)
            if last.kind == "class":
                assert type(last.node) is cst.ClassDef
                return LocalClass(last.node, scope.child_qualname(name), scope)
            return self._param_symbol(last, scope)
        imports = [b for b in bindings if b.kind == "import"]
        if imports:
            qualname = imports[0].qualname
            return Imported(qualname) if qualname else _LOCAL
        types: set[str | None] = set()
        for binding in bindings:
            if binding.kind != "assign":
                types.add(None)
                continue
            if binding.annotation is not None:
                types.add(self.annotation_type(binding.annotation, scope))
            elif binding.entered is not None and binding.value is not None:
                types.add(self._entered_type(binding.value, binding.entered == "async", scope))
            elif binding.value is not None and not _is_none(binding.value):
                types.add(self.expression_type(binding.value, scope))
            elif binding.unpacked_from is not None:
                types.add(self._element_type(*binding.unpacked_from, scope))
            elif binding.iterated is not None:
                types.add(self.iterated_type(*binding.iterated, scope))
        only = self._agreed(types)
        return Instance(only) if only is not None else _LOCAL

    def _entered_type(self, manager: cst.BaseExpression, is_async: bool, scope: Scope
                      ) -> str | None:
        """What ``with manager as name`` binds: what the library says ``__enter__``/
        ``__aenter__`` gives, else (a project or unknown class) the manager's own type."""
        if self.library is not None and type(manager) is cst.Call:
            qualname = self.qualified_name(manager.func, scope)
            if qualname is not None:
                entered = self.library.call_entered_type(qualname, is_async)
                if entered is not None:
                    return entered
        manager_type = self.expression_type(manager, scope)
        if manager_type is None or self.library is None:
            return manager_type
        entered = self.library.entered_type(manager_type, is_async)
        if entered is None:
            return manager_type
        return entered or None

    def iterated_type(self, iterable: cst.BaseExpression, is_async: bool, scope: Scope
                      ) -> str | None:
        """What ``async for x in iterable`` (``for``) binds: the ``T`` of an
        ``AsyncIterator[T]``/``AsyncGenerator[T, ...]`` a function is annotated to return,
        or what the iterable's class's ``__aiter__``/``__anext__`` give (``Self`` and
        library classes followed).  A plain ``for`` over a name or attribute annotated
        ``list[T]``/``Sequence[T]``/... gives ``T``."""
        if type(iterable) is cst.Call:
            found = self._iterated_call(iterable, is_async, scope)
            if found is not None:
                return found or None
        if not is_async:
            annotation = self._collection_annotation(iterable, scope)
            element = _collection_element(annotation, self, scope) if annotation is not None \
                else None
            if element is not None:
                return element
        iterable_type = self.expression_type(iterable, scope)
        if iterable_type is None:
            return None
        class_scope = self._class_scope_for(iterable_type, scope)
        if class_scope is not None:
            return self._local_iterated(class_scope, is_async)
        if self.library is not None:
            return self.library.iterated_type(iterable_type, is_async)
        return None

    def _iterated_call(self, call: cst.Call, is_async: bool, scope: Scope) -> str | None:
        """For ``for x in f(...)``: what ``f``'s ``(Async)Iterator[T]`` annotation says
        (``""``: ``f`` is known and says nothing; None: ask the call's type instead)."""
        callee = call.func
        function: cst.FunctionDef | None = None
        function_scope = scope
        if type(callee) is cst.Name:
            symbol = self.lookup(callee.value, scope)
            if isinstance(symbol, LocalFunction):
                function, function_scope = symbol.node, symbol.scope
        elif type(callee) is cst.Attribute:
            owner_type = self.expression_type(callee.value, scope)
            class_scope = self._class_scope_for(owner_type, scope) if owner_type else None
            if class_scope is not None:
                function = _method_def(class_scope, callee.attr.value)
                function_scope = class_scope
        if function is not None:
            if function.returns is None:
                return ""
            element = _iterator_annotation_element(
                function.returns.annotation, is_async, self, function_scope)
            return self.annotation_type(element, function_scope) or "" if element is not None \
                else ""
        if self.library is None:
            return None
        qualname = self.qualified_name(callee, scope)
        if qualname is None:
            return None
        return self.library.iterated_call_type(qualname, is_async)

    def _local_iterated(self, class_scope: Scope, is_async: bool) -> str | None:
        """For a class of this file: its ``__aiter__`` annotated ``AsyncIterator[T]``, or
        returning ``self`` with ``__anext__`` annotated ``T`` (``__iter__``/``__next__``)."""
        iter_name, next_name = ("__aiter__", "__anext__") if is_async else \
            ("__iter__", "__next__")
        iterator = _method_def(class_scope, iter_name)
        if iterator is None:
            return None
        if iterator.returns is not None:
            element = _iterator_annotation_element(
                iterator.returns.annotation, is_async, self, class_scope)
            if element is not None:
                return self.annotation_type(element, class_scope)
        if not _returns_self(iterator) and not (
                iterator.returns is not None and self.annotation_type(
                    iterator.returns.annotation, class_scope) == class_scope.qualname):
            return None
        step = _method_def(class_scope, next_name)
        if step is None or step.returns is None or \
                (step.asynchronous is not None) != is_async:
            return None
        return self.annotation_type(step.returns.annotation, class_scope)

    def _collection_annotation(self, expr: cst.BaseExpression, scope: Scope
                               ) -> cst.BaseExpression | None:
        """The annotation a name (a parameter, ``x: list[T] = ...``) or ``self.attr``
        is declared with, when it is the only one."""
        if type(expr) is cst.Name:
            found = scope.binding_scope(expr.value)
            if found is None:
                return None
            bindings = found[1]
            return bindings[0].annotation if len(bindings) == 1 else None
        if type(expr) is cst.Attribute:
            owner_type = self.expression_type(expr.value, scope)
            class_scope = self._class_scope_for(owner_type, scope) if owner_type else None
            if class_scope is None:
                return None
            attr = expr.attr.value
            by_attr = self._self_assignments.get(id(class_scope.node))
            if by_attr is None:
                by_attr = self._self_assignments[id(class_scope.node)] = \
                    _self_assignments(class_scope)
            declared = [b.annotation for b in class_scope.bindings.get(attr, [])]
            declared += [annotation for _method, _value, annotation in by_attr.get(attr, ())]
            annotated = [a for a in declared if a is not None]
            if len(annotated) == 1 and len(declared) >= 1:
                # Other assignments without an annotation keep the declared type.
                return annotated[0]
            return None
        return None

    def _element_type(self, value: cst.Call, position: int, scope: Scope) -> str | None:
        """The type of one element of a call's tuple result (``Type.method[0]`` in the tables)."""
        qualname = self.qualified_name(value.func, scope)
        if qualname is None:
            return None
        return self.return_types.get(f"{qualname}[{position}]") or None

    def _param_symbol(self, binding: Binding, scope: Scope) -> Symbol:
        param = binding.node
        assert type(param) is cst.Param
        if binding.annotation is not None:
            annotated = self.annotation_type(binding.annotation, scope)
            if annotated is not None:
                return Instance(annotated)
        # ``self``/``cls``: the first parameter of a method.
        class_scope = scope.enclosing_class()
        function = scope.node
        if class_scope is not None and type(function) is cst.FunctionDef:
            positional = [*function.params.posonly_params, *function.params.params]
            if positional and positional[0] is param and not _is_staticmethod(function):
                return Instance(class_scope.qualname)
        return _LOCAL

    # -- expressions ----------------------------------------------------------------------
    def qualified_name(self, expr: cst.BaseExpression, scope: Scope) -> str | None:
        """The dotted name an expression stands for: ``t.sleep`` -> ``time.sleep``,
        ``session.get`` -> ``requests.Session.get`` when ``session`` is a Session,
        ``open`` -> ``builtins.open``; None for anything local or unknown."""
        if type(expr) is cst.Name:
            symbol = self.lookup(expr.value, scope)
            if isinstance(symbol, Imported):
                return symbol.qualname
            if isinstance(symbol, Builtin):
                return f"builtins.{symbol.name}"
            if isinstance(symbol, (LocalFunction, LocalClass)):
                return symbol.qualname
            return None
        if type(expr) is cst.Attribute:
            attr = expr.attr.value
            base = expr.value
            owner_type = self.expression_type(base, scope)
            if owner_type is not None:
                return f"{owner_type}.{attr}"
            owner = self.qualified_name(base, scope)
            if owner is not None:
                return f"{owner}.{attr}"
            return None
        return None

    def expression_type(self, expr: cst.BaseExpression, scope: Scope) -> str | None:
        """The qualified type name of the object an expression evaluates to, if known."""
        if type(expr) is cst.Name:
            symbol = self.lookup(expr.value, scope)
            return symbol.type_qualname if isinstance(symbol, Instance) else None
        if type(expr) is cst.Call:
            return self.call_type(expr, scope)
        if type(expr) is cst.Attribute:
            owner_type = self.expression_type(expr.value, scope)
            if owner_type is not None:
                found = self.attribute_type(owner_type, expr.attr.value, scope)
                if found is None:
                    # Properties of library types (``path.parent``) come from the tables.
                    found = self.return_types.get(f"{owner_type}.{expr.attr.value}") or None
                if found is None and self.library is not None and \
                        self._class_scope_for(owner_type, scope) is None:
                    found = self.library.attribute_type(owner_type, expr.attr.value)
                return found
        if type(expr) is cst.Await and self.library is not None:
            awaited = expr.expression
            if type(awaited) is cst.Call:
                qualname = self.qualified_name(awaited.func, scope)
                if qualname is not None:
                    return self.library.awaited_type(qualname)
            return None
        if type(expr) is cst.BinaryOperation and type(expr.operator) is cst.Divide:
            # ``base / "name"`` on a path is a path of the same kind.
            left = self.expression_type(expr.left, scope)
            if left is not None and left in _PATH_TYPES:
                return left
        return None

    def call_type(self, call: cst.Call, scope: Scope) -> str | None:
        """The type a call returns: a factory from the tables, or the class constructed."""
        callee = call.func
        if type(callee) is cst.Name:
            symbol = self.lookup(callee.value, scope)
            if isinstance(symbol, LocalClass):
                return symbol.qualname
            if isinstance(symbol, LocalFunction):
                # A function of this file returns what its annotation says (``-> Path``).
                return self._returns(symbol.node, symbol.scope)
        elif type(callee) is cst.Attribute:
            owner_type = self.expression_type(callee.value, scope)
            if owner_type is not None:
                class_scope = self._class_scope_for(owner_type, scope)
                if class_scope is not None:
                    method = _method_def(class_scope, callee.attr.value)
                    if method is not None:
                        return self._returns(method, class_scope)
        qualname = self.qualified_name(callee, scope)
        if qualname is None:
            if type(callee) is cst.Name:
                # Calling an instance of a library class (a session factory): its __call__.
                return self._instance_call_type(callee, scope, ask_library=True)
            return None
        if qualname in self.return_types:
            if any(arg.keyword is not None and arg.keyword.value == "class_" for arg in call.args):
                # ``sessionmaker(class_=AsyncSession)``: the factory makes another class.
                return None
            return self.return_types[qualname] or None
        if type(callee) is cst.Attribute:
            # A session factory kept in an attribute (``self.sessions()``).
            called = self._instance_call_type(callee, scope, ask_library=False)
            if called is not None:
                return called
        if self.project_return_type is not None:
            returned = self.project_return_type(qualname)
            if returned is not None:
                return returned
        if self.library is not None:
            if self.library.is_class(qualname) is not None:
                # A library class keeps the name it is written with (the tables use
                # those), lower-case ones too (``async_sessionmaker``).
                return qualname
            # A library function or factory method: what its annotation says.
            returned = self.library.call_type(qualname)
            if returned is not None:
                return returned
        last = qualname.rpartition(".")[2]
        if last[:1].isupper() and not last.isupper():
            return qualname
        if self.library is not None and type(callee) is cst.Attribute:
            # Calling an instance kept in an attribute (``self.sessions()``): its __call__.
            instance_type = self.expression_type(callee, scope)
            if instance_type is not None:
                return self.library.call_type(f"{instance_type}.__call__")
        return None

    def _instance_call_type(self, callee: cst.BaseExpression, scope: Scope, *,
                            ask_library: bool) -> str | None:
        """What calling ``callee``, an instance, returns: its type's ``__call__`` in the
        table of return types (a session factory), or in the library's facts when
        ``ask_library``."""
        instance_type = self.expression_type(callee, scope)
        if instance_type is None:
            return None
        called = self.return_types.get(f"{instance_type}.__call__")
        if called:
            return called
        if ask_library and self.library is not None:
            return self.library.call_type(f"{instance_type}.__call__")
        return None

    def _returns(self, function: cst.FunctionDef, scope: Scope) -> str | None:
        """The type a function of this file is annotated to return (not for ``async def``,
        whose call makes a coroutine)."""
        if function.asynchronous is not None:
            return None
        if function.returns is None:
            signature = function_type_comment(function)
            if signature is None or signature[1] is None:
                return None
            return self.annotation_type(signature[1], scope)
        return self.annotation_type(function.returns.annotation, scope)

    def attribute_type(self, owner_type: str, attr: str, scope: Scope) -> str | None:
        """The type of ``obj.attr`` for an object of a class of this file (``self.session``)."""
        class_scope = self._class_scope_for(owner_type, scope)
        if class_scope is None:
            return None
        # Keyed by the class's node: _class_scope_for makes a new Scope object per call, so
        # its id neither memoises nor breaks cycles (self.a typed from self.b typed from self.a).
        key = (id(class_scope.node), attr)
        if key in self._attribute_memo:
            return self._attribute_memo[key]
        if key in self._in_progress:
            return None
        self._in_progress.add(key)
        try:
            result = self._infer_attribute(class_scope, attr)
        finally:
            self._in_progress.discard(key)
        self._attribute_memo[key] = result
        return result

    def bound_values(self, expr: cst.BaseExpression, scope: Scope
                     ) -> list[tuple[cst.BaseExpression, Scope]]:
        """Every value a name or ``obj.attr`` (of a class of this file) is assigned, with
        the scope each is evaluated in: a name's assignments in the scope that binds it;
        an attribute's class-body assignments and ``self.attr = ...`` in the class's
        methods.  Declarations without a value (``x: int``) are skipped; empty when a
        binding's value is unknown (a parameter, an import, unpacking) or nothing is found.
        """
        found: list[tuple[cst.BaseExpression, Scope]] = []
        if type(expr) is cst.Name:
            binding = scope.binding_scope(expr.value)
            if binding is None:
                return []
            binding_scope, bindings = binding
            for item in bindings:
                if item.kind != "assign":
                    return []
                if item.value is not None:
                    found.append((item.value, binding_scope))
                elif type(item.node) is not cst.AnnAssign:
                    return []
            return found
        if type(expr) is not cst.Attribute:
            return []
        owner_type = self.expression_type(expr.value, scope)
        class_scope = self._class_scope_for(owner_type, scope) if owner_type else None
        if class_scope is None:
            return []
        attr = expr.attr.value
        for item in class_scope.bindings.get(attr, []):
            if item.kind != "assign":
                return []
            if item.value is not None:
                found.append((item.value, class_scope))
            elif type(item.node) is not cst.AnnAssign:
                return []
        by_attr = self._self_assignments.get(id(class_scope.node))
        if by_attr is None:
            by_attr = self._self_assignments[id(class_scope.node)] = _self_assignments(class_scope)
        for method, value, _annotation in by_attr.get(attr, ()):
            if value is not None:
                found.append((value, make_function_scope(method, class_scope)))
        return found

    def _class_scope_for(self, type_qualname: str, scope: Scope) -> Scope | None:
        module = scope.module_scope
        if not type_qualname.startswith(module.qualname + "."):
            return None
        return find_class_scope(module, type_qualname)

    def _infer_attribute(self, class_scope: Scope, attr: str) -> str | None:
        types: set[str | None] = set()
        for binding in class_scope.bindings.get(attr, []):
            if binding.kind == "assign":
                if binding.annotation is not None:
                    types.add(self.annotation_type(binding.annotation, class_scope))
                elif binding.value is not None and not _is_none(binding.value):
                    types.add(self.expression_type(binding.value, class_scope))
        by_attr = self._self_assignments.get(id(class_scope.node))
        if by_attr is None:
            by_attr = self._self_assignments[id(class_scope.node)] = _self_assignments(class_scope)
        # A fresh scope per method for each question, as a name of the method may have been
        # classified as Local while a cycle through another attribute was being resolved.
        method_scopes: dict[int, Scope] = {}
        for method, value, annotation in by_attr.get(attr, ()):
            method_scope = method_scopes.get(id(method))
            if method_scope is None:
                method_scope = method_scopes[id(method)] = make_function_scope(method, class_scope)
            if annotation is not None:
                types.add(self.annotation_type(annotation, method_scope))
            elif value is not None and not _is_none(value):
                types.add(self.expression_type(value, method_scope))
        return self._agreed(types)

    def _agreed(self, types: set[str | None]) -> str | None:
        """The one type all bindings agree on; names of one library class count as one
        (``redis.asyncio.Redis`` annotated, ``redis.asyncio.client.Redis`` made by a
        factory): the shortest name is kept."""
        if len(types) == 1:
            (only,) = types
            return only
        if None in types or self.library is None or len(types) > 4:
            return None
        named = sorted((t for t in types if t is not None), key=len)
        canonical = {self.library.is_class(t) for t in named}
        return named[0] if len(canonical) == 1 and None not in canonical else None

    def annotation_type(self, annotation: cst.BaseExpression, scope: Scope) -> str | None:
        """The class an annotation names: ``requests.Session``, ``"Session"``,
        ``Optional[Session]``, ``Session | None``."""
        if type(annotation) is cst.SimpleString:
            try:
                parsed = cst.parse_expression(annotation.evaluated_value)  # type: ignore[arg-type]
            except Exception:
                return None
            return self.annotation_type(parsed, scope)
        if type(annotation) is cst.BinaryOperation and type(annotation.operator) is cst.BitOr:
            sides = [s for s in (annotation.left, annotation.right) if not _is_none(s)]
            return self.annotation_type(sides[0], scope) if len(sides) == 1 else None
        if type(annotation) is cst.Subscript:
            outer = self.qualified_name(annotation.value, scope)
            if outer is None:
                return None
            typing_name = outer.rpartition(".")
            if typing_name[0] not in ("typing", "typing_extensions"):
                # A generic class: ``queue.Queue[str]`` is a ``queue.Queue``.
                return outer
            elements = [
                element.slice.value for element in annotation.slice
                if type(element.slice) is cst.Index
            ]
            if typing_name[2] == "Union":
                # ``Union[Session, None]`` is an optional Session; other unions are unknown.
                elements = [e for e in elements if not _is_none(e)]
                return self.annotation_type(elements[0], scope) if len(elements) == 1 else None
            if typing_name[2] in ("Optional", "Final", "ClassVar") and len(elements) == 1:
                return self.annotation_type(elements[0], scope)
            if typing_name[2] == "Annotated" and elements:
                return self.annotation_type(elements[0], scope)
            return None
        if type(annotation) in (cst.Name, cst.Attribute):
            return self.qualified_name(annotation, scope)
        return None


#: Path types whose ``/`` operator makes another path of the same type.
_PATH_TYPES = frozenset({
    "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath",
    "pathlib.PurePosixPath", "pathlib.PureWindowsPath", "anyio.Path", "trio.Path",
})


#: Annotations whose first argument is what ``async for`` gives.
_ASYNC_ITERATOR_ANNOTATIONS = frozenset({
    "typing.AsyncIterator", "typing.AsyncIterable", "typing.AsyncGenerator",
    "collections.abc.AsyncIterator", "collections.abc.AsyncIterable",
    "collections.abc.AsyncGenerator", "typing_extensions.AsyncIterator",
    "typing_extensions.AsyncGenerator",
})
_ITERATOR_ANNOTATIONS = frozenset({
    "typing.Iterator", "typing.Iterable", "typing.Generator", "collections.abc.Iterator",
    "collections.abc.Iterable", "collections.abc.Generator",
})
#: Collections whose (first) type argument is what a plain ``for`` gives.
_COLLECTION_ANNOTATIONS = _ITERATOR_ANNOTATIONS | frozenset({
    "builtins.list", "builtins.set", "builtins.frozenset", "typing.List", "typing.Set",
    "typing.FrozenSet", "typing.Sequence", "typing.MutableSequence", "typing.Collection",
    "typing.AbstractSet", "typing.MutableSet", "typing.Deque", "collections.deque",
    "collections.abc.Sequence", "collections.abc.MutableSequence",
    "collections.abc.Collection", "collections.abc.Set", "collections.abc.MutableSet",
})


def _subscript_arguments(annotation: cst.BaseExpression, resolver: Resolver, scope: Scope
                         ) -> tuple[str, list[cst.BaseExpression]] | None:
    """``Head[A, B]`` -> (qualified ``Head``, [A, B]); a string annotation is parsed."""
    if type(annotation) is cst.SimpleString:
        text = annotation.evaluated_value
        parsed = _parse_type(text) if isinstance(text, str) else None
        return _subscript_arguments(parsed, resolver, scope) if parsed is not None else None
    if type(annotation) is not cst.Subscript:
        return None
    head = resolver.qualified_name(annotation.value, scope)
    if head is None:
        return None
    elements = [e.slice.value for e in annotation.slice if type(e.slice) is cst.Index]
    return head, elements


def _iterator_annotation_element(annotation: cst.BaseExpression, is_async: bool,
                                 resolver: Resolver, scope: Scope) -> cst.BaseExpression | None:
    """``T`` of an ``AsyncIterator[T]``/``AsyncGenerator[T, S]`` annotation (the plain
    ones for a plain ``for``)."""
    found = _subscript_arguments(annotation, resolver, scope)
    if found is None or not found[1]:
        return None
    heads = _ASYNC_ITERATOR_ANNOTATIONS if is_async else _COLLECTION_ANNOTATIONS
    return found[1][0] if found[0] in heads else None


def _collection_element(annotation: cst.BaseExpression, resolver: Resolver, scope: Scope
                        ) -> str | None:
    """The class of the elements of a ``list[T]``/``Sequence[T]``/... annotation."""
    found = _subscript_arguments(annotation, resolver, scope)
    if found is None or len(found[1]) != 1 or found[0] not in _COLLECTION_ANNOTATIONS:
        return None
    return resolver.annotation_type(found[1][0], scope)


def _returns_self(function: cst.FunctionDef) -> bool:
    """``def __aiter__(self): return self`` (its only statement), or annotated ``Self`` or
    with the class's own name."""
    params = [*function.params.posonly_params, *function.params.params]
    if not params:
        return False
    if function.returns is not None:
        annotation = function.returns.annotation
        return type(annotation) is cst.Name and annotation.value == "Self" or (
            type(annotation) is cst.Attribute and annotation.attr.value == "Self")
    body = function.body
    statements = body.body if type(body) is cst.IndentedBlock else []
    if len(statements) != 1 or type(statements[0]) is not cst.SimpleStatementLine:
        return False
    small = statements[0].body
    return len(small) == 1 and type(small[0]) is cst.Return and \
        type(small[0].value) is cst.Name and small[0].value.value == params[0].name.value


def _method_def(class_scope: Scope, name: str) -> cst.FunctionDef | None:
    """The ``def`` of a method defined directly in a class body (the last one wins)."""
    bindings = class_scope.bindings.get(name, [])
    if bindings and bindings[-1].kind == "def" and type(bindings[-1].node) is cst.FunctionDef:
        return bindings[-1].node
    return None


def _is_staticmethod(function: cst.FunctionDef) -> bool:
    return any(
        type(d.decorator) is cst.Name and d.decorator.value == "staticmethod"
        for d in function.decorators
    )


def find_class_scope(module: Scope, type_qualname: str) -> Scope | None:
    """The scope of a (possibly nested) class of this module, from its qualified name."""
    rest = type_qualname[len(module.qualname) + 1:] if module.qualname else type_qualname
    scope = module
    for part in rest.split("."):
        bindings = scope.bindings.get(part, [])
        classes = [b for b in bindings if b.kind == "class"]
        if not classes:
            return None
        node = classes[-1].node
        assert type(node) is cst.ClassDef
        scope = make_class_scope(node, scope)
        # A fresh scope (its name memos must not outlive the question), the same bindings.
        known = module._class_bindings.get(id(node))
        if known is not None:
            scope._bindings, scope._global_names = known
        else:
            module._class_bindings[id(node)] = (scope.bindings, scope.global_names)
    return scope


#: A ``self.<attr> = value`` (or annotated) assignment: the method, value and annotation.
SelfAssignment = tuple[cst.FunctionDef, Union[cst.BaseExpression, None],
                       Union[cst.BaseExpression, None]]


def _self_assignments(class_scope: Scope) -> dict[str, list[SelfAssignment]]:
    """``self.<attr> = value`` (and annotated) assignments in the class's methods, by attr,
    each attr's in source order.  Collected for all attrs at once: asking per attribute
    walked every method again for each one."""
    found: dict[str, list[SelfAssignment]] = {}
    for bindings in class_scope.bindings.values():
        for binding in bindings:
            if binding.kind != "def" or not type(binding.node) is cst.FunctionDef:
                continue
            function = binding.node
            params = [*function.params.posonly_params, *function.params.params]
            if not params:
                continue
            self_name = params[0].name.value
            for statement, comment in _walk_small_statements(function.body):
                if type(statement) is cst.Assign:
                    annotation = type_comment(comment) if comment is not None and \
                        len(statement.targets) == 1 else None
                    for target in statement.targets:
                        attr = _self_attr(target.target, self_name)
                        if attr is not None:
                            found.setdefault(attr, []).append(
                                (function, statement.value, annotation))
                elif type(statement) is cst.AnnAssign:
                    attr = _self_attr(statement.target, self_name)
                    if attr is not None:
                        found.setdefault(attr, []).append(
                            (function, statement.value, statement.annotation.annotation))
    return found


def _self_attr(target: cst.BaseExpression, self_name: str) -> str | None:
    """``attr`` for a target ``<self_name>.attr``, else None."""
    if (type(target) is cst.Attribute and type(target.value) is cst.Name
            and target.value.value == self_name):
        return target.attr.value
    return None


def _walk_small_statements(body: cst.BaseSuite
                           ) -> Iterator[tuple[cst.BaseSmallStatement, cst.Comment | None]]:
    """Small statements of a block and its nested blocks, not of nested defs/classes, each
    with the comment of its line when it is the line's only statement (a type comment)."""
    if type(body) is cst.SimpleStatementSuite:
        for small in body.body:
            yield small, None
        return
    assert type(body) is cst.IndentedBlock
    for statement in body.body:
        if type(statement) is cst.SimpleStatementLine:
            comment = statement.trailing_whitespace.comment \
                if len(statement.body) == 1 else None
            for small in statement.body:
                yield small, comment
        elif type(statement) not in (cst.FunctionDef, cst.ClassDef):
            for suite in child_suites(statement):
                yield from _walk_small_statements(suite)


_UNIONS = frozenset({"typing.Union", "typing.Optional", "typing_extensions.Union",
                     "typing_extensions.Optional"})
_WRAPPERS = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_LITERALS = frozenset({"typing.Literal", "typing_extensions.Literal"})


def annotation_members(resolver: Resolver, annotation: cst.BaseExpression, scope: Scope,
                       depth: int = 0) -> tuple[str, ...] | None:
    """The classes a parameter annotation admits, as qualified names (``"None"`` for
    None; a generic's head for ``dict[str, int]``); None for anything else (a type
    variable, ``Callable[...]``, an unknown name)."""
    if depth > 5:
        return None
    if type(annotation) is cst.SimpleString:
        text = annotation.evaluated_value
        if not isinstance(text, str):
            return None
        parsed = _parse_type(text)
        if parsed is None:
            return None
        return annotation_members(resolver, parsed, scope, depth + 1)
    if type(annotation) is cst.Name and annotation.value == "None":
        return ("None",)
    if type(annotation) is cst.BinaryOperation and type(annotation.operator) is cst.BitOr:
        left = annotation_members(resolver, annotation.left, scope, depth + 1)
        right = annotation_members(resolver, annotation.right, scope, depth + 1)
        return left + right if left is not None and right is not None else None
    if type(annotation) is cst.Subscript:
        head = resolver.qualified_name(annotation.value, scope)
        if head is None:
            return None
        elements = [e.slice.value for e in annotation.slice if type(e.slice) is cst.Index]
        if head in _UNIONS:
            members: tuple[str, ...] = () if head.endswith("Union") else ("None",)
            for element in elements:
                found = annotation_members(resolver, element, scope, depth + 1)
                if found is None:
                    return None
                members += found
            return members
        if head in _WRAPPERS:
            return annotation_members(resolver, elements[0], scope, depth + 1) \
                if elements else None
        if head in _LITERALS:
            return ("typing.Literal",)
        return (head,)
    if type(annotation) is cst.Name or type(annotation) is cst.Attribute:
        qualname = resolver.qualified_name(annotation, scope)
        return (qualname,) if qualname is not None else None
    return None
