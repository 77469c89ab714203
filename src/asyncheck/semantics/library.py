"""Library knowledge: what the environment's third-party modules say about coroutines and
types (SPEC §9), read as text, never imported.

A library module is read only when the linted code asks about a name in it (a call of
``asyncpg.connect``, a method of a ``redis.asyncio.Redis``), and what is recorded is the
small part a linter needs: for each function and method, whether calling it makes a
coroutine and the type its annotation says it returns (or awaits to); for each class, its
bases, its annotated attributes and properties.  Function bodies are not walked (except a
glance for ``yield`` and ``return self``).  The facts are kept by the module's content hash
in the project index's facts store, so a warm run parses no library.

Types are kept as small JSON trees of qualified names (:data:`TypeExpr`): ``"pkg.Class"``,
``["typing.Coroutine", "typing.Any", "typing.Any", "pkg.Class"]`` for a generic,
``["|", a, b]`` for a union, ``"Self"`` for the class itself.  When anything is unsure the
answer is None: rules stay quiet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, Union

import libcst as cst

from asyncheck.core.tables import (
    LIBRARY_AWAITABLE_CONTEXT_DECORATORS,
    LIBRARY_AWAITABLE_METHODS,
    LIBRARY_COROUTINE_FUNCTIONS,
    LIBRARY_RETURN_TYPES,
)
from asyncheck.semantics.names import (
    Resolver,
    Scope,
    absolute_module,
    base_class,
    child_suites,
    dotted_name,
    make_class_scope,
    make_module_scope,
)

TypeExpr = Union[str, list["TypeExpr"]]

#: A library module larger than this is generated code (protobuf, API tables): skipped.
MAX_MODULE_BYTES = 1_500_000
#: How far re-exports and base classes are followed.
MAX_DEPTH = 12

_SELF = "Self"
_COROUTINE_TYPES = frozenset({"typing.Coroutine", "collections.abc.Coroutine",
                              "typing_extensions.Coroutine"})
_AWAITABLE_TYPES = frozenset({"typing.Awaitable", "collections.abc.Awaitable",
                              "typing_extensions.Awaitable"})
_SELF_NAMES = frozenset({"typing.Self", "typing_extensions.Self"})
_PROPERTY_DECORATORS = frozenset({"builtins.property", "functools.cached_property",
                                  "cached_property"})
_OVERLOAD = frozenset({"typing.overload", "typing_extensions.overload"})
#: Decorators after which a def is still what its signature says.
_TRANSPARENT_DECORATORS = frozenset({
    "builtins.staticmethod", "builtins.classmethod", "abc.abstractmethod", "typing.overload",
    "typing_extensions.overload", "typing.override", "typing_extensions.override",
    "typing.final", "typing_extensions.final", "functools.wraps()",
    "typing_extensions.deprecated()", "warnings.deprecated()",
})


@dataclass(frozen=True)
class LibFunction:
    """One function or method of a library module (several defs: the overloads agreed)."""

    is_async: bool
    returns: TypeExpr | None
    #: "function", "property", "classmethod", "staticmethod"; "acm"/"cm" for a function
    #: made an (async) context manager by ``contextlib.(async)contextmanager``.
    kind: str = "function"
    #: A decorator not known to keep the signature: what a call makes is unknown.
    opaque: bool = False
    #: An ``async def`` whose body yields: an async generator, not a coroutine.
    is_generator: bool = False

    def to_json(self) -> list[object]:
        return [self.is_async, self.returns, self.kind, self.opaque, self.is_generator]

    @classmethod
    def from_json(cls, data: list[object]) -> LibFunction:
        is_async, returns, kind, opaque, is_generator = data
        return cls(bool(is_async), returns, str(kind), bool(opaque),  # type: ignore[arg-type]
                   bool(is_generator))


@dataclass(frozen=True)
class LibClass:
    """One class of a library module."""

    bases: tuple[str, ...] = ()
    attributes: dict[str, TypeExpr] = field(default_factory=dict)


@dataclass(frozen=True)
class LibModule:
    """What one library module defines and re-exports."""

    module: str
    functions: dict[str, LibFunction] = field(default_factory=dict)
    classes: dict[str, LibClass] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    star_imports: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """Plain JSON data (kept in the facts store)."""
        return {
            "module": self.module,
            "functions": {k: f.to_json() for k, f in self.functions.items()},
            "classes": {k: [list(c.bases), c.attributes] for k, c in self.classes.items()},
            "exports": self.exports,
            "star": list(self.star_imports),
        }

    @classmethod
    def from_json(cls, data: object) -> LibModule:
        """What :meth:`to_json` wrote; raises on anything malformed."""
        if not isinstance(data, dict):
            raise ValueError("library facts must be an object")
        return cls(
            str(data["module"]),
            {str(k): LibFunction.from_json(v) for k, v in data["functions"].items()},
            {str(k): LibClass(tuple(v[0]), dict(v[1])) for k, v in data["classes"].items()},
            {str(k): str(v) for k, v in data["exports"].items()},
            tuple(str(s) for s in data["star"]),
        )


class LibraryStore(Protocol):
    """Where library facts are kept by content (the project index's facts store)."""

    def load(self, module: str, is_package: bool, digest: str) -> object | None:
        """The JSON data saved for this module version, or None."""

    def save(self, module: str, is_package: bool, digest: str, data: object) -> None:
        """Keep the JSON data of this module version."""


class LibraryIndex:
    """Questions about library names, answered from the modules that define them.

    ``find_module`` maps a dotted module name to its file in the environment (or None);
    ``parse`` turns bytes into a libcst module (None when it cannot)."""

    def __init__(
        self,
        find_module: Callable[[str], Path | None],
        parse: Callable[[bytes], cst.Module | None],
        *,
        store: LibraryStore | None = None,
        describe: str = "",
    ) -> None:
        self._find_module = find_module
        self._parse = parse
        self._store = store
        self.describe = describe
        self._modules: dict[str, LibModule | None] = {}
        self._splits: dict[str, tuple[str, str] | None] = {}
        self._resolved: dict[str, tuple[str, LibFunction | LibClass] | None] = {}
        #: Library modules read (from the store or parsed) in this process.
        self.read: list[str] = []

    # -- modules --------------------------------------------------------------------------
    def module(self, name: str) -> LibModule | None:
        """The facts of a library module, read on first use."""
        if name in self._modules:
            return self._modules[name]
        self._modules[name] = None
        path = self._find_module(name)
        facts = self._read(name, path) if path is not None else None
        self._modules[name] = facts
        return facts

    def _read(self, name: str, path: Path) -> LibModule | None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if len(data) > MAX_MODULE_BYTES:
            return None
        is_package = path.stem == "__init__"
        digest = hashlib.sha256(data).hexdigest()
        key = f"<library>{name}"
        self.read.append(name)
        if self._store is not None:
            stored = self._store.load(key, is_package, digest)
            if stored is not None:
                try:
                    return LibModule.from_json(stored)
                except (ValueError, TypeError, KeyError, IndexError):
                    pass
        tree = self._parse(data)
        if tree is None:
            return None
        facts = extract_library_module(tree, name, is_package=is_package,
                                       is_stub=path.suffix == ".pyi")
        if self._store is not None:
            self._store.save(key, is_package, digest, facts.to_json())
        return facts

    def split(self, qualname: str) -> tuple[str, str] | None:
        """``pkg.mod.Class.meth`` -> (``pkg.mod``, ``Class.meth``) for the longest prefix
        that is a library module, or None."""
        if qualname in self._splits:
            return self._splits[qualname]
        found = None
        parts = qualname.split(".")
        if self._find_module(parts[0]) is not None:
            for cut in range(len(parts) - 1, 0, -1):
                module = ".".join(parts[:cut])
                if self._find_module(module) is not None:
                    found = module, ".".join(parts[cut:])
                    break
        self._splits[qualname] = found
        return found

    # -- resolution -----------------------------------------------------------------------
    def resolve(self, qualname: str, depth: int = 0) -> tuple[str, LibFunction | LibClass] | None:
        """What a qualified name denotes: (canonical name, :class:`LibFunction` or
        :class:`LibClass`), following re-exports, star imports and, for a method, the
        class's bases.  None when unknown."""
        if depth == 0 and qualname in self._resolved:
            return self._resolved[qualname]
        found = self._resolve(qualname, depth)
        if depth == 0:
            self._resolved[qualname] = found
        return found

    def _resolve(self, qualname: str, depth: int) -> tuple[str, LibFunction | LibClass] | None:
        if depth > MAX_DEPTH:
            return None
        split = self.split(qualname)
        if split is None:
            return None
        module_name, rest = split
        facts = self.module(module_name)
        if facts is None:
            return None
        head, _, tail = rest.partition(".")
        head_qualname = f"{module_name}.{head}"
        if head_qualname in facts.classes:
            if not tail:
                return head_qualname, facts.classes[head_qualname]
            return self._member(head_qualname, tail, depth)
        if head_qualname in facts.functions:
            return (head_qualname, facts.functions[head_qualname]) if not tail else None
        target = facts.exports.get(head)
        if target is not None and target != head_qualname:
            return self._resolve(f"{target}.{tail}" if tail else target, depth + 1)
        for source in facts.star_imports:
            found = self._resolve(f"{source}.{rest}", depth + 1)
            if found is not None:
                return found
        return None

    def _member(self, class_qualname: str, rest: str, depth: int) -> tuple[str, LibFunction | LibClass] | None:
        """A method (or nested class) of a class, looked up along its bases."""
        attr, _, tail = rest.partition(".")
        for owner in self.lineage(class_qualname, depth):
            split = self.split(owner)
            facts = self.module(split[0]) if split is not None else None
            if facts is None:
                continue
            member = f"{owner}.{attr}"
            if member in facts.functions:
                return (member, facts.functions[member]) if not tail else None
            if member in facts.classes:
                return self._resolve(f"{member}.{tail}", depth + 1) if tail else (
                    member, facts.classes[member])
            if attr in facts.classes[owner].attributes if owner in facts.classes else False:
                return None  # an attribute, not a method
        return None

    def lineage(self, class_qualname: str, depth: int = 0) -> list[str]:
        """The class and its (library) bases, depth first, left to right, each once."""
        lineage: list[str] = []
        pending = [class_qualname]
        while pending and len(lineage) < 80:
            current = pending.pop(0)
            if current in lineage:
                continue
            found = self._resolve(current, depth + 1) if current != class_qualname else None
            if found is not None:
                current = found[0]
            split = self.split(current)
            facts = self.module(split[0]) if split is not None else None
            if facts is None or current not in facts.classes:
                continue
            lineage.append(current)
            pending[0:0] = list(facts.classes[current].bases)
        return lineage

    # -- questions the linter asks --------------------------------------------------------
    def is_class(self, qualname: str) -> str | None:
        """The canonical name of the library class ``qualname`` denotes, if it is one."""
        found = self.resolve(qualname)
        return found[0] if found is not None and isinstance(found[1], LibClass) else None

    def makes_coroutine(self, qualname: str) -> bool | None:
        """Whether calling the library function or method ``qualname`` makes a coroutine
        (an ``async def``, not an async generator, or annotated to return a
        ``Coroutine``).  None when the name is unknown to the environment."""
        listed = self._listed_awaitable(qualname)
        if listed is not None:
            return listed
        found = self.resolve(qualname)
        if found is None:
            return None
        if found[0] in LIBRARY_COROUTINE_FUNCTIONS:
            return True
        function = found[1]
        if not isinstance(function, LibFunction):
            return False
        if function.opaque or function.kind == "property" or function.is_generator:
            return False
        if function.is_async:
            return True
        return _head(function.returns) in _COROUTINE_TYPES

    def _listed_awaitable(self, qualname: str) -> bool | None:
        """The table of methods whose annotations do not say they are awaitable
        (:data:`~asyncheck.core.tables.LIBRARY_AWAITABLE_METHODS`)."""
        owner, _, attr = qualname.rpartition(".")
        if not owner or not LIBRARY_AWAITABLE_METHODS:
            return None
        canonical_owner = self.is_class(owner)
        if canonical_owner is None:
            return None
        lineage = self.lineage(canonical_owner)
        for class_name in lineage:
            if class_name not in LIBRARY_AWAITABLE_METHODS:
                continue
            rule = LIBRARY_AWAITABLE_METHODS[class_name]
            if rule is None:
                return None
            defined_in, excluded = rule
            if attr in excluded or attr.startswith("_"):
                return None
            found = self.resolve(f"{canonical_owner}.{attr}")
            if found is None or not isinstance(found[1], LibFunction):
                return None
            if found[1].kind not in ("function", "awaitable-cm"):
                return None
            if any(found[0].startswith(prefix) for prefix in defined_in):
                return True
            return None
        return None

    def call_type(self, qualname: str) -> str | None:
        """The type calling ``qualname`` gives: a class's instance, what a sync function or
        a classmethod factory is annotated to return."""
        table = LIBRARY_RETURN_TYPES.get(qualname)
        if table is not None:
            return table or None
        found = self.resolve(qualname)
        if found is None:
            return None
        canonical, what = found
        table = LIBRARY_RETURN_TYPES.get(canonical)
        if table is not None:
            return table or None
        if isinstance(what, LibClass):
            return canonical
        assert isinstance(what, LibFunction)
        if what.is_async or what.opaque or what.kind == "property":
            return None
        returns = what.returns
        if _head(returns) in _COROUTINE_TYPES or _head(returns) in _AWAITABLE_TYPES:
            return None
        return self._plain_type(returns, canonical.rpartition(".")[0], self_type=qualname)

    def awaited_type(self, qualname: str) -> str | None:
        """The type ``await qualname(...)`` gives."""
        table = LIBRARY_RETURN_TYPES.get(f"await {qualname}")
        if table is not None:
            return table or None
        found = self.resolve(qualname)
        if found is None or not isinstance(found[1], LibFunction):
            return None
        canonical, function = found
        assert isinstance(function, LibFunction)
        table = LIBRARY_RETURN_TYPES.get(f"await {canonical}")
        if table is not None:
            return table or None
        if function.opaque or function.is_generator:
            return None
        returns = function.returns
        owner = canonical.rpartition(".")[0]
        if function.is_async:
            return self._plain_type(returns, owner, self_type=qualname)
        head = _head(returns)
        if head in _COROUTINE_TYPES and isinstance(returns, list) and len(returns) == 4:
            return self._plain_type(returns[3], owner, self_type=qualname)
        if head in _AWAITABLE_TYPES and isinstance(returns, list) and len(returns) == 2:
            return self._plain_type(returns[1], owner, self_type=qualname)
        return None

    def attribute_type(self, owner_type: str, attr: str) -> str | None:
        """The type of ``obj.attr`` for an instance of the library class ``owner_type``:
        a property's or an annotated attribute's."""
        canonical = self.is_class(owner_type)
        if canonical is None:
            return None
        table = LIBRARY_RETURN_TYPES.get(f"{canonical}.{attr}")
        if table is not None:
            return table or None
        for owner in self.lineage(canonical):
            split = self.split(owner)
            facts = self.module(split[0]) if split is not None else None
            if facts is None:
                continue
            member = f"{owner}.{attr}"
            function = facts.functions.get(member)
            if function is not None:
                if function.kind != "property" or function.opaque:
                    return None
                return self._plain_type(function.returns, owner, self_type=owner_type)
            lib_class = facts.classes.get(owner)
            if lib_class is not None and attr in lib_class.attributes:
                return self._plain_type(lib_class.attributes[attr], owner, self_type=owner_type)
            if member in facts.classes:
                return None
        return None

    def entered_type(self, owner_type: str, is_async: bool) -> str | None:
        """What ``async with obj as x`` (``with``) binds for an instance of ``owner_type``.
        ``""`` when the class is known but what it enters is not."""
        method = "__aenter__" if is_async else "__enter__"
        table = LIBRARY_RETURN_TYPES.get(f"{owner_type}.{method}")
        if table is not None:
            return table
        canonical = self.is_class(owner_type)
        if canonical is None:
            return None
        table = LIBRARY_RETURN_TYPES.get(f"{canonical}.{method}")
        if table is not None:
            return table
        found = self.resolve(f"{canonical}.{method}")
        if found is None or not isinstance(found[1], LibFunction):
            return ""
        table = LIBRARY_RETURN_TYPES.get(f"{found[0]}")
        if table is not None:
            return table
        function = found[1]
        if function.opaque:
            return ""
        if is_async:
            entered = self.awaited_type(f"{canonical}.{method}")
        else:
            entered = self._plain_type(function.returns, found[0].rpartition(".")[0],
                                       self_type=owner_type)
        return entered or ""

    def call_entered_type(self, qualname: str, is_async: bool) -> str | None:
        """What ``(async) with qualname(...) as x`` binds when ``qualname`` is a
        ``contextlib.(async)contextmanager`` function: the ``T`` of its
        ``AsyncIterator[T]``/``Iterator[T]``/``Generator[T, ...]`` annotation."""
        found = self.resolve(qualname)
        if found is None or not isinstance(found[1], LibFunction):
            return None
        function = found[1]
        if function.kind == "awaitable-cm" and is_async and function.is_async:
            return self.awaited_type(qualname)
        if function.kind != ("acm" if is_async else "cm"):
            return None
        returns = function.returns
        if isinstance(returns, list) and len(returns) >= 2:
            return self._plain_type(returns[1], found[0].rpartition(".")[0],
                                    self_type=qualname.rpartition(".")[0])
        return None

    def has_method(self, owner_type: str, method: str) -> bool | None:
        """Whether a library class (or a base) defines ``method``; None when the class is
        unknown or a base is outside the environment."""
        canonical = self.is_class(owner_type)
        if canonical is None:
            return None
        for owner in self.lineage(canonical):
            split = self.split(owner)
            facts = self.module(split[0]) if split is not None else None
            if facts is None:
                return None
            lib_class = facts.classes[owner]
            if f"{owner}.{method}" in facts.functions or method in lib_class.attributes:
                return True
            for base in lib_class.bases:
                if self.is_class(base) is None and base not in ("builtins.object", "object",
                                                                "typing.Generic"):
                    return None
        return False

    def _plain_type(self, returns: TypeExpr | None, owner: str, *, self_type: str
                    ) -> str | None:
        """The class a return annotation names, once ``Optional``/``| None`` is dropped:
        ``Self`` is the class asked about (``self_type``'s owner for a method)."""
        returns = _drop_none(returns)
        if returns is None:
            return None
        if returns == _SELF:
            owner_of_self = self_type.rpartition(".")[0] if self.is_class(self_type) is None \
                else self_type
            return owner_of_self or None
        if isinstance(returns, list):
            head = returns[0]
            if not isinstance(head, str) or head == "|":
                return None
            if head.startswith(("typing.", "collections.abc.", "typing_extensions.")):
                return None  # AsyncIterator[T], Optional of a union...: not one class
            returns = head
        if returns.startswith(("typing.", "typing_extensions.", "builtins.")) or \
                returns in ("None", "Any"):
            return None
        if self.split(returns) is not None and self.is_class(returns) is None:
            return None  # a type variable or an alias the index cannot follow: unsure
        return returns


def _head(expr: TypeExpr | None) -> str | None:
    expr = _drop_none(expr)
    if isinstance(expr, list) and expr and isinstance(expr[0], str):
        return expr[0]
    return None


def _drop_none(expr: TypeExpr | None) -> TypeExpr | None:
    """``X | None`` and ``Optional[X]`` -> ``X``; other unions stay."""
    if isinstance(expr, list) and expr:
        if expr[0] in ("typing.Optional", "typing_extensions.Optional") and len(expr) == 2:
            return expr[1]
        if expr[0] in ("|", "typing.Union", "typing_extensions.Union"):
            rest = [e for e in expr[1:] if e != "None"]
            if len(rest) == 1:
                return rest[0]
    return expr


# -- extraction ---------------------------------------------------------------------------

def extract_library_module(tree: cst.Module, module_name: str, *, is_package: bool,
                           is_stub: bool) -> LibModule:
    """Read the defs, classes and imports of a library module (not function bodies)."""
    resolver = Resolver()
    scope = make_module_scope(tree, module_name, is_package=is_package)
    extractor = _Extractor(resolver, module_name, is_stub)
    exports: dict[str, str] = {}
    stars: list[str] = []
    for statement in _simple_statements(tree.body):
        if type(statement) is cst.ImportFrom and isinstance(statement.names, cst.ImportStar):
            source = absolute_module(scope, statement)
            if source:
                stars.append(source)
    for name, bindings in scope.bindings.items():
        for binding in bindings:
            if binding.kind == "import" and binding.qualname:
                exports.setdefault(name, binding.qualname)
            elif binding.kind == "assign" and binding.value is not None and \
                    type(binding.value) in (cst.Name, cst.Attribute):
                # ``Client = AsyncClient`` aliases in a package's namespace.
                target = resolver.qualified_name(binding.value, scope)
                if target is not None and target != f"{module_name}.{name}":
                    exports.setdefault(name, target)
    extractor.block(tree.body, scope)
    return LibModule(module_name, extractor.functions(), extractor.classes, exports,
                     tuple(stars))


class _Extractor:
    def __init__(self, resolver: Resolver, module_name: str, is_stub: bool) -> None:
        self.resolver = resolver
        self.module_name = module_name
        self.is_stub = is_stub
        self.defs: dict[str, list[tuple[LibFunction, bool]]] = {}
        self.classes: dict[str, LibClass] = {}

    def functions(self) -> dict[str, LibFunction]:
        """One entry per name: overloads only when they agree, else an opaque entry."""
        result = {}
        for qualname, variants in self.defs.items():
            overloads = [f for f, is_overload in variants if is_overload]
            chosen = overloads or [variants[-1][0]]
            first = chosen[0]
            if all(f == first for f in chosen):
                result[qualname] = first
            elif len({f.is_async for f in chosen}) == 1 and len({f.kind for f in chosen}) == 1:
                # Overloads that differ in their return types only: a coroutine either way.
                result[qualname] = LibFunction(first.is_async, None, first.kind,
                                               any(f.opaque for f in chosen),
                                               any(f.is_generator for f in chosen))
                if not first.is_async and len({_head(f.returns) for f in chosen}) == 1 and \
                        _head(first.returns) in _COROUTINE_TYPES:
                    result[qualname] = LibFunction(False, ["typing.Coroutine", "typing.Any",
                                                           "typing.Any", "typing.Any"],
                                                   first.kind)
            else:
                result[qualname] = LibFunction(False, None, first.kind, opaque=True)
        return result

    def block(self, statements: Iterable[cst.BaseStatement], scope: Scope) -> None:
        for statement in _compound(statements):
            if type(statement) is cst.FunctionDef:
                self.function(statement, scope)
            elif type(statement) is cst.ClassDef:
                self.class_(statement, scope)

    def class_(self, node: cst.ClassDef, scope: Scope) -> None:
        class_scope = make_class_scope(node, scope)
        bases = []
        for arg in node.bases:
            expr = base_class(arg)
            base = self.resolver.qualified_name(expr, scope)
            if base is None and type(expr) is cst.Name and scope.kind == "module":
                # ``AsyncHashCommands = HashCommands`` above: followed as an alias.
                base = f"{scope.qualname}.{expr.value}"
            if base is not None and base not in ("typing.Generic", "typing.Protocol",
                                                 "builtins.object"):
                bases.append(base)
        attributes: dict[str, TypeExpr] = {}
        for statement in _simple_statements(_suite(node.body)):
            if type(statement) is cst.AnnAssign and type(statement.target) is cst.Name:
                annotation = _type_expr(statement.annotation.annotation, self.resolver,
                                        class_scope, _first_param_annotation=None)
                if annotation is not None:
                    name = statement.target.value
                    attributes[name] = _unwrap_classvar(annotation)
        self.classes[class_scope.qualname] = LibClass(tuple(bases), attributes)
        self.block(_suite(node.body), class_scope)
        # ``incr = incrby``: a method under a second name.
        for statement in _simple_statements(_suite(node.body)):
            if type(statement) is cst.Assign and type(statement.value) is cst.Name and \
                    len(statement.targets) == 1 and type(statement.targets[0].target) is cst.Name:
                aliased = self.defs.get(class_scope.child_qualname(statement.value.value))
                alias = class_scope.child_qualname(statement.targets[0].target.value)
                if aliased is not None and alias not in self.defs:
                    self.defs[alias] = list(aliased)
        # ``self.x: T = ...`` in ``__init__`` of a .py module.
        init = class_scope.bindings.get("__init__")
        if init and type(init[-1].node) is cst.FunctionDef:
            for statement in _simple_statements_deep(init[-1].node.body):
                if type(statement) is cst.AnnAssign and type(statement.target) is cst.Attribute \
                        and type(statement.target.value) is cst.Name \
                        and statement.target.value.value == "self":
                    annotation = _type_expr(statement.annotation.annotation, self.resolver,
                                            class_scope, _first_param_annotation=None)
                    if annotation is not None:
                        attributes.setdefault(statement.target.attr.value, annotation)

    def function(self, node: cst.FunctionDef, scope: Scope) -> None:
        qualname = scope.child_qualname(node.name.value)
        if scope.kind not in ("module", "class"):
            return
        kind = "function"
        opaque = False
        is_overload = False
        for decorator in node.decorators:
            expr = decorator.decorator
            suffix = ""
            if type(expr) is cst.Call:
                expr, suffix = expr.func, "()"
            name = self.resolver.qualified_name(expr, scope)
            full = (name or "?") + suffix
            if name in _PROPERTY_DECORATORS or (name or "").endswith(".cached_property") or \
                    full.endswith(".getter"):
                kind = "property"
            elif name == "builtins.classmethod":
                kind = "classmethod"
            elif name == "builtins.staticmethod":
                kind = "staticmethod"
            elif name == "contextlib.asynccontextmanager":
                kind = "acm"
            elif name == "contextlib.contextmanager":
                kind = "cm"
            elif name in _OVERLOAD:
                is_overload = True
            elif full in _TRANSPARENT_DECORATORS:
                pass
            elif name in LIBRARY_AWAITABLE_CONTEXT_DECORATORS:
                kind = "awaitable-cm"
            elif name is not None and (name.endswith((".setter", ".deleter"))):
                return  # the property's other half
            else:
                opaque = True
        params = [*node.params.posonly_params, *node.params.params]
        first_annotation = None
        if scope.kind == "class" and kind != "staticmethod" and params and \
                params[0].annotation is not None:
            first_annotation = params[0].annotation.annotation
        returns = None
        if node.returns is not None:
            returns = _type_expr(node.returns.annotation, self.resolver, scope,
                                 _first_param_annotation=first_annotation)
        elif scope.kind == "class" and not self.is_stub and node.name.value in (
                "__aenter__", "__enter__") and _returns_only_self(node):
            returns = _SELF
        is_async = node.asynchronous is not None
        is_generator = is_async and not self.is_stub and _has_own_yield(node)
        if kind in ("acm", "cm"):
            is_async, is_generator = False, False  # calling it makes a context manager
        if is_async and self.is_stub and _head(returns) in ("typing.AsyncIterator",
                                                             "typing.AsyncGenerator",
                                                             "collections.abc.AsyncIterator",
                                                             "collections.abc.AsyncGenerator"):
            # A stub cannot show the body: ``async def f() -> AsyncIterator`` is usually an
            # async generator written as a stub; unsure.
            opaque = True
        self.defs.setdefault(qualname, []).append(
            (LibFunction(is_async, returns, kind, opaque, is_generator), is_overload))


def _type_expr(annotation: cst.BaseExpression, resolver: Resolver, scope: Scope, *,
               _first_param_annotation: cst.BaseExpression | None, depth: int = 0
               ) -> TypeExpr | None:
    """An annotation as a tree of qualified names (see the module docstring)."""
    if depth > 6:
        return None
    if type(annotation) is cst.SimpleString:
        try:
            value = annotation.evaluated_value
            parsed = cst.parse_expression(value) if isinstance(value, str) else None
        except Exception:
            return None
        if parsed is None:
            return None
        return _type_expr(parsed, resolver, scope, _first_param_annotation=None,
                          depth=depth + 1)
    if type(annotation) is cst.Name and annotation.value == "None":
        return "None"
    if _first_param_annotation is not None and _same_expression(
            annotation, _first_param_annotation):
        return _SELF  # ``def __aenter__(self: T) -> T``
    if type(annotation) is cst.BinaryOperation and type(annotation.operator) is cst.BitOr:
        left = _type_expr(annotation.left, resolver, scope, _first_param_annotation=None,
                          depth=depth + 1)
        right = _type_expr(annotation.right, resolver, scope, _first_param_annotation=None,
                           depth=depth + 1)
        if left is None or right is None:
            return None
        parts: list[TypeExpr] = ["|"]
        for side in (left, right):
            if isinstance(side, list) and side and side[0] == "|":
                parts.extend(side[1:])
            else:
                parts.append(side)
        return parts
    if type(annotation) is cst.Subscript:
        head = resolver.qualified_name(annotation.value, scope)
        if head is None:
            return None
        args: list[TypeExpr] = [head]
        for element in annotation.slice:
            if type(element.slice) is not cst.Index:
                return None
            arg = _type_expr(element.slice.value, resolver, scope, _first_param_annotation=None,
                             depth=depth + 1)
            args.append(arg if arg is not None else "?")
        if head in ("typing.Optional", "typing_extensions.Optional"):
            return ["|", args[1], "None"] if len(args) == 2 else None
        if head in ("typing.Union", "typing_extensions.Union"):
            return ["|", *args[1:]]
        if head in ("typing.Annotated", "typing_extensions.Annotated", "typing.Final",
                    "typing.ClassVar", "typing_extensions.Final") and len(args) >= 2:
            return args[1]
        return args
    if type(annotation) in (cst.Name, cst.Attribute):
        name = resolver.qualified_name(annotation, scope)
        if name in _SELF_NAMES:
            return _SELF
        return name
    return None


def _unwrap_classvar(expr: TypeExpr) -> TypeExpr:
    return expr


def _same_expression(a: cst.BaseExpression, b: cst.BaseExpression) -> bool:
    name_a, name_b = dotted_name(a), dotted_name(b)
    if name_a is not None:
        return name_a == name_b
    if type(a) is cst.SimpleString and type(b) is cst.SimpleString:
        return a.value == b.value
    return False


def _suite(body: cst.BaseSuite) -> Iterable[cst.BaseStatement]:
    return body.body if type(body) is cst.IndentedBlock else ()


def _compound(statements: Iterable[cst.BaseStatement]) -> Iterator[cst.BaseStatement]:
    """Defs and classes of a block, also under if/try (``if sys.version_info``), not under
    ``else`` of a version test (the first branch is taken to be the newest)."""
    for statement in statements:
        if type(statement) in (cst.FunctionDef, cst.ClassDef):
            yield statement
        elif isinstance(statement, (cst.If, cst.Try, cst.TryStar)):
            yield from _compound(_suite(statement.body))


def _simple_statements(statements: Iterable[cst.BaseStatement]
                       ) -> Iterator[cst.BaseSmallStatement]:
    for statement in statements:
        if type(statement) is cst.SimpleStatementLine:
            yield from statement.body
        elif type(statement) is cst.If:
            yield from _simple_statements(_suite(statement.body))


def _simple_statements_deep(body: cst.BaseSuite) -> Iterator[cst.BaseSmallStatement]:
    for statement in _suite(body):
        if type(statement) is cst.SimpleStatementLine:
            yield from statement.body
        elif type(statement) not in (cst.FunctionDef, cst.ClassDef):
            for suite in child_suites(statement):
                yield from _simple_statements_deep(suite)


class _OwnBody(cst.CSTVisitor):
    def __init__(self) -> None:
        self.yields = False
        self.returns: list[cst.Return] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yields = True

    def visit_Return(self, node: cst.Return) -> None:
        self.returns.append(node)


def _own_body(node: cst.FunctionDef) -> _OwnBody:
    visitor = _OwnBody()
    node.body.visit(visitor)
    return visitor


def _has_own_yield(node: cst.FunctionDef) -> bool:
    return _own_body(node).yields


def _returns_only_self(node: cst.FunctionDef) -> bool:
    """An unannotated method whose every ``return`` is ``return self`` (``__aenter__``)."""
    params = [*node.params.posonly_params, *node.params.params]
    if not params:
        return False
    body = _own_body(node)
    self_name = params[0].name.value
    return bool(body.returns) and all(
        type(r.value) is cst.Name and r.value.value == self_name for r in body.returns)


def explain_name(library: LibraryIndex, qualname: str) -> list[str]:
    """What the library knowledge says about a dotted name (for ``--explain-env``)."""
    found = library.resolve(qualname)
    if found is None:
        split = library.split(qualname)
        where = f"module {split[0]} has no such name" if split is not None else \
            "no module of the environment defines it"
        return [f"{qualname}: unknown ({where})"]
    canonical, what = found
    lines = [f"{qualname}: defined as {canonical}"]
    if isinstance(what, LibClass):
        lines.append("  a class; bases: " + (", ".join(what.bases) or "none"))
        lineage = library.lineage(canonical)
        if len(lineage) > 1:
            lines.append("  lineage: " + " -> ".join(lineage))
        for method, is_async in (("__aenter__", True), ("__enter__", False)):
            entered = library.entered_type(canonical, is_async)
            if library.has_method(canonical, method):
                lines.append(f"  {'async with' if is_async else 'with'} binds: "
                             f"{entered or 'unknown'}")
        if library.has_method(canonical, "__aiter__"):
            lines.append("  an async iterable")
        for name, annotation in sorted(what.attributes.items()):
            lines.append(f"  attribute {name}: {annotation}")
        return lines
    lines.append(f"  {what.kind}, {'async def' if what.is_async else 'def'}"
                 + (", async generator" if what.is_generator else "")
                 + (", decorated (unsure)" if what.opaque else ""))
    lines.append(f"  return annotation: {what.returns}")
    coroutine = library.makes_coroutine(qualname)
    lines.append(f"  calling it makes a coroutine: {'yes' if coroutine else 'no'}")
    if coroutine:
        lines.append(f"  awaiting it gives: {library.awaited_type(qualname) or 'unknown'}")
    else:
        lines.append(f"  calling it gives: {library.call_type(qualname) or 'unknown'}")
    return lines
