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

import ast
import builtins
import hashlib
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, Union

from asyncheck.core.tables import (
    LIBRARY_AWAITABLE_CONTEXT_DECORATORS,
    LIBRARY_AWAITABLE_METHODS,
    LIBRARY_COROUTINE_FUNCTIONS,
    LIBRARY_DYNAMIC_COROUTINE_CLASSES,
    LIBRARY_RETURN_TYPES,
)

TypeExpr = Union[str, list["TypeExpr"]]

#: A library module larger than this is generated code (protobuf, API tables): skipped.
MAX_MODULE_BYTES = 1_500_000
#: How far re-exports and base classes are followed.
MAX_DEPTH = 12

_SELF = "Self"
_OVERLOADS = "<overloads>"
_COROUTINE_TYPES = frozenset({"typing.Coroutine", "collections.abc.Coroutine",
                              "typing_extensions.Coroutine"})
_AWAITABLE_TYPES = frozenset({"typing.Awaitable", "collections.abc.Awaitable",
                              "typing_extensions.Awaitable"})
_SELF_NAMES = frozenset({"typing.Self", "typing_extensions.Self"})
_GENERATOR_TYPES = frozenset({"typing.Generator", "collections.abc.Generator"})
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
    #: Its parameters, in order, as (kind, name, annotation): kind ``"p"`` positional-only,
    #: ``"a"`` positional or keyword, ``"*"``/``"**"`` the star ones, ``"k"`` keyword-only.
    #: None when no parameter is annotated (or the overloads disagree).
    params: tuple[tuple[str, str, TypeExpr | None], ...] | None = None

    def to_json(self) -> list[object]:
        data: list[object] = [self.is_async, self.returns, self.kind, self.opaque,
                              self.is_generator]
        if self.params is not None:
            data.append([list(p) for p in self.params])
        return data

    @classmethod
    def from_json(cls, data: list[object]) -> LibFunction:
        is_async, returns, kind, opaque, is_generator, *rest = data
        params = tuple((str(p[0]), str(p[1]), p[2]) for p in rest[0]  # type: ignore[attr-defined]
                       ) if rest else None
        return cls(bool(is_async), returns, str(kind), bool(opaque),  # type: ignore[arg-type]
                   bool(is_generator), params)


@dataclass(frozen=True)
class LibClass:
    """One class of a library module."""

    bases: tuple[str, ...] = ()
    attributes: dict[str, TypeExpr] = field(default_factory=dict)
    #: Its type parameters (qualified type variables), in order: ``Generic[T]``'s, else
    #: those its bases are subscripted with (``class Context(Awaitable[T])``).
    params: tuple[str, ...] = ()
    #: The subscripted bases and their arguments: ``StartableContext["AsyncConnection"]``
    #: binds the base's first type parameter.
    base_args: tuple[tuple[str, tuple[TypeExpr, ...]], ...] = ()


@dataclass(frozen=True)
class LibModule:
    """What one library module defines and re-exports."""

    module: str
    functions: dict[str, LibFunction] = field(default_factory=dict)
    classes: dict[str, LibClass] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    star_imports: tuple[str, ...] = ()
    #: ``T = TypeVar("T", bound=X)``: the qualified type variable -> its bound.
    type_bounds: dict[str, TypeExpr] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """Plain JSON data (kept in the facts store)."""
        return {
            "module": self.module,
            "functions": {k: f.to_json() for k, f in self.functions.items()},
            "classes": {k: [list(c.bases), c.attributes, list(c.params),
                            [[h, list(a)] for h, a in c.base_args]]
                        for k, c in self.classes.items()},
            "exports": self.exports,
            "star": list(self.star_imports),
            "bounds": self.type_bounds,
        }

    @classmethod
    def from_json(cls, data: object) -> LibModule:
        """What :meth:`to_json` wrote; raises on anything malformed."""
        if not isinstance(data, dict):
            raise ValueError("library facts must be an object")
        return cls(
            str(data["module"]),
            {str(k): LibFunction.from_json(v) for k, v in data["functions"].items()},
            {str(k): LibClass(tuple(v[0]), dict(v[1]), tuple(v[2]),
                              tuple((str(h), tuple(a)) for h, a in v[3]))
             for k, v in data["classes"].items()},
            {str(k): str(v) for k, v in data["exports"].items()},
            tuple(str(s) for s in data["star"]),
            dict(data.get("bounds", {})),
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
    ``parse`` turns bytes into a tree (by default :func:`parse_library_source`)."""

    def __init__(
        self,
        find_module: Callable[[str], Path | None],
        parse: Callable[[bytes], ast.Module | None] | None = None,
        *,
        store: LibraryStore | None = None,
        describe: str = "",
        bundled: Callable[[], Mapping[str, object]] | None = None,
        bundled_packages: frozenset[str] = frozenset(),
    ) -> None:
        self._find_module = find_module
        #: The bundled knowledge (module -> facts JSON), loaded on first use, for the
        #: top-level packages in ``bundled_packages`` the environment does not hold.
        self._bundled = bundled
        self._bundled_packages = bundled_packages
        self._bundled_tops: dict[str, bool] = {}
        self._parse = parse if parse is not None else parse_library_source
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
        if self._from_bundle(name):
            assert self._bundled is not None
            try:
                facts: LibModule | None = LibModule.from_json(self._bundled()[name])
            except (ValueError, TypeError, KeyError, IndexError):
                facts = None
        else:
            path = self._find_module(name)
            facts = self._read(name, path) if path is not None else None
        self._modules[name] = facts
        return facts

    def _from_bundle(self, name: str) -> bool:
        """Whether module ``name`` comes from the bundled knowledge: its top-level package
        is bundled and the environment does not have it (the environment wins)."""
        top = name.partition(".")[0]
        if top not in self._bundled_packages or self._bundled is None:
            return False
        known = self._bundled_tops.get(top)
        if known is None:
            known = self._bundled_tops[top] = self._find_module(top) is None
        return known

    def _has_module(self, name: str) -> bool:
        if self._from_bundle(name):
            assert self._bundled is not None
            return name in self._bundled()
        return self._find_module(name) is not None

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
        if self._has_module(parts[0]):
            for cut in range(len(parts) - 1, 0, -1):
                module = ".".join(parts[:cut])
                if self._has_module(module):
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
        for owner, facts in self.lineage_modules(class_qualname, depth):
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

    def lineage_modules(self, class_qualname: str, depth: int = 0
                        ) -> Iterator[tuple[str, LibModule | None]]:
        """:meth:`lineage` with the facts of the module defining each class (None when
        it cannot be read)."""
        for owner in self.lineage(class_qualname, depth):
            split = self.split(owner)
            yield owner, self.module(split[0]) if split is not None else None

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
            return self._dynamic_coroutine(qualname)
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

    def _dynamic_coroutine(self, qualname: str) -> bool | None:
        """A method made at run time on a class of
        :data:`~asyncheck.core.tables.LIBRARY_DYNAMIC_COROUTINE_CLASSES`."""
        owner, _, attr = qualname.rpartition(".")
        if not owner or attr.startswith("_"):
            return None
        canonical = self.is_class(owner)
        if canonical is None:
            return None
        for class_name in self.lineage(canonical):
            sync = LIBRARY_DYNAMIC_COROUTINE_CLASSES.get(class_name)
            if sync is not None:
                if attr in sync or self.has_method(canonical, attr) is not False:
                    return None
                return True
        return None

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
        if function.kind == "property":
            return None
        # A call giving an awaitable object (``await connection.channel()``): what its
        # class's ``__await__`` is annotated to give, ``Generator[Any, Any, T]``.
        made = self._plain_type(returns, owner, self_type=qualname)
        if made is None:
            return None
        waited = self.resolve(f"{made}.__await__")
        if waited is None or not isinstance(waited[1], LibFunction):
            return None
        generator = waited[1].returns
        if isinstance(generator, list) and len(generator) == 4 and \
                _head(generator) in _GENERATOR_TYPES:
            return self._plain_type(generator[3], waited[0].rpartition(".")[0], self_type=made)
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
        for owner, facts in self.lineage_modules(canonical):
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

    def iterated_type(self, owner_type: str, is_async: bool) -> str | None:
        """What ``async for x in obj`` (``for``) binds for an instance of ``owner_type``:
        the ``T`` of ``__aiter__``'s ``AsyncIterator[T]``, else what ``__anext__`` gives
        when ``__aiter__`` returns the object itself (or another class of the library)."""
        canonical = self.is_class(owner_type)
        if canonical is None:
            return None
        iter_method, next_method = ("__aiter__", "__anext__") if is_async else \
            ("__iter__", "__next__")
        iterable = self.resolve(f"{canonical}.{iter_method}")
        if iterable is None or not isinstance(iterable[1], LibFunction) or \
                iterable[1].opaque:
            return None
        owner = iterable[0].rpartition(".")[0]
        function = iterable[1]
        element = _iterator_element(function.returns, is_async)
        if element is not None:
            return self._plain_type(element, owner, self_type=owner_type)
        if function.is_async and not function.is_generator:
            return None  # ``async def __aiter__`` is a mistake the library would not make
        if function.is_generator or (not is_async and function.is_async):
            return None
        iterator = owner_type if function.returns == _SELF else \
            self._plain_type(function.returns, owner, self_type=owner_type)
        if iterator is None:
            return None
        if is_async:
            return self.awaited_type(f"{iterator}.{next_method}")
        return self.call_type(f"{iterator}.{next_method}")

    def iterated_call_type(self, qualname: str, is_async: bool) -> str | None:
        """What ``async for x in qualname(...)`` binds when the function is annotated to
        return ``AsyncIterator[T]``/``AsyncGenerator[T, ...]`` (also an async generator
        function so annotated): ``T``."""
        found = self.resolve(qualname)
        if found is None or not isinstance(found[1], LibFunction):
            return None
        function = found[1]
        if function.kind in ("acm", "cm", "property"):
            return None
        if function.is_async and not function.is_generator and not function.opaque:
            return None  # a coroutine function: its coroutine is not iterable
        element = _iterator_element(function.returns, is_async)
        if element is None:
            return None
        return self._plain_type(element, found[0].rpartition(".")[0],
                                self_type=qualname.rpartition(".")[0])

    def call_kind(self, qualname: str) -> str | None:
        """What calling a library function makes, when it is not a plain call:
        ``"acm"``/``"cm"`` (a ``contextlib`` context manager function), ``"async-generator"``,
        ``"coroutine"``; None otherwise or when unknown."""
        found = self.resolve(qualname)
        if found is None or not isinstance(found[1], LibFunction) or found[1].opaque:
            return None
        function = found[1]
        if function.kind in ("acm", "cm"):
            return function.kind
        if function.is_async:
            return "async-generator" if function.is_generator else "coroutine"
        return None

    def has_method(self, owner_type: str, method: str) -> bool | None:
        """Whether a library class (or a base) defines ``method``; None when the class is
        unknown or a base is neither in the environment nor a known standard protocol."""
        canonical = self.is_class(owner_type)
        if canonical is None:
            return None
        for owner, facts in self.lineage_modules(canonical):
            if facts is None:
                return None
            lib_class = facts.classes[owner]
            if f"{owner}.{method}" in facts.functions or method in lib_class.attributes:
                return True
            for base in lib_class.bases:
                if self.is_class(base) is None:
                    protocol = _STANDARD_PROTOCOL_METHODS.get(base)
                    if protocol is None:
                        return None  # a base nobody can read: unsure
                    if method in protocol:
                        return True
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
        if isinstance(returns, list) and returns and returns[0] == _OVERLOADS:
            candidates = [self._plain_type(r, owner, self_type=self_type) for r in returns[1:]]
            if not candidates or any(c is None for c in candidates):
                return None
            lineages = [self.lineage(self.is_class(c) or c) for c in candidates if c]
            for candidate in candidates:
                canonical = self.is_class(candidate) if candidate else None
                if canonical and all(canonical in lineage for lineage in lineages):
                    return candidate  # the most general: what every overload gives
            return None
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
            # A type variable bound by a subclass (``AsyncConnection(StartableContext[
            # "AsyncConnection"])``), else an alias the index cannot follow: unsure.
            receiver = self_type if self.is_class(self_type) is not None else \
                self_type.rpartition(".")[0]
            bound = self._bound_type_variable(receiver, returns) if receiver else None
            if bound is None:
                # ``T = TypeVar("T", bound=Connection)``: at least a Connection.
                split = self.split(returns)
                facts = self.module(split[0]) if split is not None else None
                limit = facts.type_bounds.get(returns) if facts is not None else None
                if limit is not None and limit != returns:
                    return self._plain_type(limit, owner, self_type=self_type)
            return bound
        return returns

    def _bound_type_variable(self, class_qualname: str, variable: str) -> str | None:
        """The class a subclass in ``class_qualname``'s lineage binds ``variable`` to."""
        canonical = self.is_class(class_qualname)
        if canonical is None:
            return None
        for owner, facts in self.lineage_modules(canonical):
            lib_class = facts.classes.get(owner) if facts is not None else None
            if lib_class is None:
                continue
            for head, args in lib_class.base_args:
                base = self.is_class(head)
                base_split = self.split(base) if base is not None else None
                base_facts = self.module(base_split[0]) if base_split is not None else None
                base_class = base_facts.classes.get(base) if base_facts is not None and \
                    base is not None else None
                if base_class is None or variable not in base_class.params:
                    continue
                position = base_class.params.index(variable)
                if position < len(args):
                    bound = args[position]
                    if isinstance(bound, str) and self.is_class(bound) is not None:
                        return bound
                return None
        return None


#: Methods of standard-library bases that library classes inherit (for ACK103): what a
#: class deriving from them has without defining it.
_AIO = frozenset({"__aenter__", "__aexit__"})
_SYNC_CM = frozenset({"__enter__", "__exit__"})
_AITER = frozenset({"__aiter__", "__anext__"})
_ITER = frozenset({"__iter__", "__next__"})
_STANDARD_PROTOCOL_METHODS: dict[str, frozenset[str]] = {
    "builtins.object": frozenset(), "object": frozenset(), "typing.Generic": frozenset(),
    "typing.Protocol": frozenset(), "abc.ABC": frozenset(), "typing.Awaitable": frozenset(),
    "collections.abc.Awaitable": frozenset(), "typing.Coroutine": frozenset(),
    "collections.abc.Coroutine": frozenset(), "builtins.Exception": frozenset(),
    "contextlib.AbstractAsyncContextManager": _AIO,
    "typing.AsyncContextManager": _AIO,
    "contextlib.AbstractContextManager": _SYNC_CM,
    "typing.ContextManager": _SYNC_CM,
    "typing.AsyncIterator": _AITER, "collections.abc.AsyncIterator": _AITER,
    "typing.AsyncIterable": frozenset({"__aiter__"}),
    "collections.abc.AsyncIterable": frozenset({"__aiter__"}),
    "typing.AsyncGenerator": _AITER, "collections.abc.AsyncGenerator": _AITER,
    "typing.Iterator": _ITER, "collections.abc.Iterator": _ITER,
    "typing.Iterable": frozenset({"__iter__"}), "collections.abc.Iterable": frozenset({"__iter__"}),
}


_ASYNC_ITERATORS = frozenset({
    "typing.AsyncIterator", "typing.AsyncIterable", "typing.AsyncGenerator",
    "collections.abc.AsyncIterator", "collections.abc.AsyncIterable",
    "collections.abc.AsyncGenerator", "typing_extensions.AsyncIterator",
    "typing_extensions.AsyncGenerator",
})
_SYNC_ITERATORS = frozenset({
    "typing.Iterator", "typing.Iterable", "typing.Generator", "collections.abc.Iterator",
    "collections.abc.Iterable", "collections.abc.Generator", "builtins.list", "typing.List",
    "typing.Sequence", "collections.abc.Sequence", "builtins.set", "typing.Set",
    "builtins.frozenset", "typing.FrozenSet",
})


def _iterator_element(returns: TypeExpr | None, is_async: bool) -> TypeExpr | None:
    """``T`` of ``AsyncIterator[T]``/``AsyncGenerator[T, S]`` (``Iterator[T]``,
    ``Generator[T, S, R]`` for a plain ``for``), else None."""
    if not isinstance(returns, list) or len(returns) < 2:
        return None
    if returns[0] in (_ASYNC_ITERATORS if is_async else _SYNC_ITERATORS):
        element = returns[1]
        return element if element != "?" else None
    return None


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
# Library modules are read with the standard library's ``ast``, not libcst: only their defs,
# classes, imports and annotations matter, and ``ast`` parses them ten times faster.

def parse_library_source(data: bytes) -> ast.Module | None:
    """A library module's tree, or None when it is not Python this interpreter reads
    (``ast`` compiles nothing and runs nothing)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the library's invalid escapes are not ours
            return ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def extract_library_module(tree: ast.Module, module_name: str, *, is_package: bool,
                           is_stub: bool) -> LibModule:
    """Read the defs, classes and imports of a library module (not function bodies)."""
    names = _ModuleNames(module_name, is_package)
    names.collect(tree.body)
    exports: dict[str, str] = {}
    for name, target in names.imports.items():
        exports[name] = target
    for name, value in names.aliases.items():
        if name in names.defined:
            continue
        aliased = names.qualify(value)
        if aliased is not None and aliased != f"{module_name}.{name}":
            exports.setdefault(name, aliased)
    extractor = _Extractor(names, module_name, is_stub)
    extractor.block(tree.body, module_name, in_class=False)
    bounds: dict[str, TypeExpr] = {}
    for variable, bound in names.type_variable_bounds.items():
        expr = extractor.type_expr(bound)
        if expr is not None:
            bounds[variable] = expr
    return LibModule(module_name, extractor.functions(), extractor.classes, exports,
                     tuple(names.stars), bounds)


class _ModuleNames:
    """What the module-level names of a library module refer to."""

    def __init__(self, module_name: str, is_package: bool) -> None:
        self.module_name = module_name
        self.package = module_name if is_package else module_name.rpartition(".")[0]
        self.imports: dict[str, str] = {}
        self.defined: set[str] = set()
        self.aliases: dict[str, ast.expr] = {}
        self.stars: list[str] = []
        #: Module-level ``T = TypeVar("T")``: qualified names, and their ``bound=``.
        self.type_variables: set[str] = set()
        self.type_variable_bounds: dict[str, ast.expr] = {}

    def collect(self, statements: Iterable[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, ast.Import):
                for alias in statement.names:
                    if alias.asname:
                        self.imports.setdefault(alias.asname, alias.name)
                    else:
                        first = alias.name.split(".")[0]
                        self.imports.setdefault(first, first)
            elif isinstance(statement, ast.ImportFrom):
                module = self._absolute(statement)
                if module is None:
                    continue
                for alias in statement.names:
                    if alias.name == "*":
                        self.stars.append(module)
                    else:
                        self.imports.setdefault(alias.asname or alias.name,
                                                f"{module}.{alias.name}")
            elif isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                self.defined.add(statement.name)
            elif isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
                    isinstance(statement.targets[0], ast.Name) and \
                    isinstance(statement.value, (ast.Name, ast.Attribute)):
                self.aliases.setdefault(statement.targets[0].id, statement.value)
            elif isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
                    isinstance(statement.targets[0], ast.Name) and \
                    isinstance(statement.value, ast.Call) and \
                    isinstance(statement.value.func, (ast.Name, ast.Attribute)) and \
                    (statement.value.func.attr if isinstance(statement.value.func, ast.Attribute)
                     else statement.value.func.id) == "TypeVar":
                variable = f"{self.module_name}.{statement.targets[0].id}"
                self.type_variables.add(variable)
                for keyword in statement.value.keywords:
                    if keyword.arg == "bound":
                        self.type_variable_bounds[variable] = keyword.value
            elif isinstance(statement, ast.If):
                self.collect(statement.body)
                self.collect(statement.orelse)
            elif isinstance(statement, ast.Try):
                self.collect(statement.body)
                for handler in statement.handlers:
                    self.collect(handler.body)
                self.collect(statement.orelse)

    def _absolute(self, node: ast.ImportFrom) -> str | None:
        if not node.level:
            return node.module
        base = self.package.split(".") if self.package else []
        if node.level - 1 > len(base):
            return None
        base = base[: len(base) - (node.level - 1)]
        if node.module:
            base.append(node.module)
        return ".".join(base) if base else None

    def qualify(self, expr: ast.expr) -> str | None:
        """The qualified name a Name/Attribute chain denotes in this module."""
        if isinstance(expr, ast.Name):
            name = expr.id
            if name in self.defined:
                return f"{self.module_name}.{name}"
            if name in self.imports:
                return self.imports[name]
            if name in self.aliases or f"{self.module_name}.{name}" in self.type_variables:
                return f"{self.module_name}.{name}"
            if name in _BUILTIN_NAMES:
                return f"builtins.{name}"
            return None
        if isinstance(expr, ast.Attribute):
            owner = self.qualify(expr.value)
            return f"{owner}.{expr.attr}" if owner is not None else None
        return None


_BUILTIN_NAMES = frozenset(dir(builtins))


class _Extractor:
    def __init__(self, names: _ModuleNames, module_name: str, is_stub: bool) -> None:
        self.names = names
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
            elif all(replace(f, params=None) == replace(first, params=None) for f in chosen):
                result[qualname] = replace(first, params=None)  # the parameters differ
            elif len({f.is_async for f in chosen}) == 1 and len({f.kind for f in chosen}) == 1:
                # Overloads that differ in their return types only: a coroutine either way;
                # the type is the one class all the others derive from, if any (decided
                # when asked: the classes may live in other modules).
                returns: TypeExpr | None = None
                if all(isinstance(f.returns, str) for f in chosen):
                    returns = [_OVERLOADS, *[f.returns for f in chosen if f.returns]]
                result[qualname] = LibFunction(first.is_async, returns, first.kind,
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

    def block(self, statements: Iterable[ast.stmt], owner: str, *, in_class: bool) -> None:
        for statement in _defs(statements):
            if isinstance(statement, ast.ClassDef):
                self.class_(statement, owner)
            else:
                self.function(statement, owner, in_class=in_class)

    def class_(self, node: ast.ClassDef, owner: str) -> None:
        qualname = f"{owner}.{node.name}"
        bases = []
        generic_params: list[str] | None = None
        implied_params: list[str] = []
        base_args: list[tuple[str, tuple[TypeExpr, ...]]] = []
        for base_expr in node.bases:
            if isinstance(base_expr, ast.Subscript):
                subscripted = self.type_expr(base_expr)
                if isinstance(subscripted, list) and isinstance(subscripted[0], str):
                    args = tuple(subscripted[1:])
                    names = [a for a in args if isinstance(a, str)]
                    if subscripted[0] in ("typing.Generic", "typing.Protocol",
                                          "typing_extensions.Protocol"):
                        generic_params = names
                    else:
                        base_args.append((subscripted[0], args))
                        implied_params.extend(n for n in names
                                              if n in self.names.type_variables
                                              and n not in implied_params)
                base_expr = base_expr.value  # ``Mixin[T]`` is a ``Mixin``
            base = self.names.qualify(base_expr)
            if base is not None and base not in ("typing.Generic", "builtins.object"):
                bases.append(base)
        attributes: dict[str, TypeExpr] = {}
        for statement in _simple(node.body):
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                annotation = self.type_expr(statement.annotation)
                if annotation is not None:
                    attributes[statement.target.id] = annotation
        params = generic_params if generic_params is not None else implied_params
        self.classes[qualname] = LibClass(tuple(bases), attributes, tuple(params),
                                          tuple(base_args))
        self.block(node.body, qualname, in_class=True)
        init = [s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"]
        if init:
            for found in ast.walk(init[-1]):
                if isinstance(found, ast.AnnAssign) and \
                        isinstance(found.target, ast.Attribute) and \
                        isinstance(found.target.value, ast.Name) and \
                        found.target.value.id == "self":
                    annotation = self.type_expr(found.annotation)
                    if annotation is not None:
                        attributes.setdefault(found.target.attr, annotation)
        # ``incr = incrby``: a method under a second name.
        for statement in _simple(node.body):
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Name) and \
                    len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
                aliased = self.defs.get(f"{qualname}.{statement.value.id}")
                alias = f"{qualname}.{statement.targets[0].id}"
                if aliased is not None and alias not in self.defs:
                    self.defs[alias] = list(aliased)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, owner: str, *,
                 in_class: bool) -> None:
        qualname = f"{owner}.{node.name}"
        kind = "function"
        opaque = False
        is_overload = False
        for decorator in node.decorator_list:
            expr = decorator
            suffix = ""
            if isinstance(expr, ast.Call):
                expr, suffix = expr.func, "()"
            name = self.names.qualify(expr)
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
            elif isinstance(expr, ast.Attribute) and expr.attr in ("setter", "deleter"):
                return  # the property's other half
            else:
                opaque = True
        params = [*node.args.posonlyargs, *node.args.args]
        first_annotation = None
        if in_class and kind != "staticmethod" and params and params[0].annotation is not None:
            first_annotation = ast.dump(params[0].annotation)
        returns: TypeExpr | None = None
        if node.returns is not None:
            if first_annotation is not None and ast.dump(node.returns) == first_annotation:
                returns = _SELF  # ``def __aenter__(self: T) -> T``
            else:
                returns = self.type_expr(node.returns)
        elif in_class and not self.is_stub and \
                node.name in ("__aenter__", "__enter__", "__aiter__", "__iter__") and \
                _returns_only_self(node):
            returns = _SELF
        elif not self.is_stub:
            returns = self._returned_class(node, kind)
        is_async = isinstance(node, ast.AsyncFunctionDef)
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
            (LibFunction(is_async, returns, kind, opaque, is_generator,
                         self._parameters(node.args)), is_overload))

    def _parameters(self, args: ast.arguments
                    ) -> tuple[tuple[str, str, TypeExpr | None], ...] | None:
        """The parameters with their annotations; None when none is annotated."""
        found: list[tuple[str, str, TypeExpr | None]] = []
        annotated = False
        groups: list[tuple[str, list[ast.arg]]] = [
            ("p", args.posonlyargs), ("a", args.args),
            ("*", [args.vararg] if args.vararg is not None else []),
            ("k", args.kwonlyargs), ("**", [args.kwarg] if args.kwarg is not None else [])]
        for kind, group in groups:
            for arg in group:
                annotation = self.type_expr(arg.annotation) if arg.annotation is not None \
                    else None
                annotated = annotated or annotation is not None
                found.append((kind, arg.arg, annotation))
        return tuple(found) if annotated else None

    def _returned_class(self, node: ast.FunctionDef | ast.AsyncFunctionDef, kind: str
                        ) -> TypeExpr | None:
        """For an unannotated def: the class every ``return`` constructs
        (``return AioSession(env_vars)``; ``cls(...)`` in a classmethod is ``Self``).  The
        name is checked to be a class when asked about."""
        found: set[str] = set()
        returns = 0
        for child in _own_nodes(node):
            if not isinstance(child, ast.Return):
                continue
            returns += 1
            value = child.value
            if not isinstance(value, ast.Call) or not isinstance(value.func,
                                                                 (ast.Name, ast.Attribute)):
                return None
            if kind == "classmethod" and isinstance(value.func, ast.Name) and \
                    node.args.args and value.func.id == node.args.args[0].arg:
                found.add(_SELF)
                continue
            name = self.names.qualify(value.func)
            last = name.rpartition(".")[2] if name is not None else ""
            if name is None or not last[:1].isupper() or name.startswith("builtins."):
                return None
            found.add(name)
            if len(found) > 1:
                return None
        return found.pop() if returns and len(found) == 1 else None

    def type_expr(self, annotation: ast.expr, depth: int = 0) -> TypeExpr | None:
        """An annotation as a tree of qualified names (see the module docstring)."""
        if depth > 6:
            return None
        if isinstance(annotation, ast.Constant):
            if annotation.value is None:
                return "None"
            if isinstance(annotation.value, str):
                try:
                    parsed = ast.parse(annotation.value.strip(), mode="eval").body
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    return None
                return self.type_expr(parsed, depth + 1)
            return None
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            left = self.type_expr(annotation.left, depth + 1)
            right = self.type_expr(annotation.right, depth + 1)
            if left is None or right is None:
                return None
            parts: list[TypeExpr] = ["|"]
            for side in (left, right):
                if isinstance(side, list) and side and side[0] == "|":
                    parts.extend(side[1:])
                else:
                    parts.append(side)
            return parts
        if isinstance(annotation, ast.Subscript):
            head = self.names.qualify(annotation.value)
            if head is None:
                return None
            elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) \
                else [annotation.slice]
            args: list[TypeExpr] = [head]
            for element in elements:
                arg = self.type_expr(element, depth + 1)
                args.append(arg if arg is not None else "?")
            if head in ("typing.Optional", "typing_extensions.Optional"):
                return ["|", args[1], "None"] if len(args) == 2 else None
            if head in ("typing.Union", "typing_extensions.Union"):
                return ["|", *args[1:]]
            if head in ("typing.Annotated", "typing_extensions.Annotated", "typing.Final",
                        "typing.ClassVar", "typing_extensions.Final") and len(args) >= 2:
                return args[1]
            return args
        if isinstance(annotation, (ast.Name, ast.Attribute)):
            name = self.names.qualify(annotation)
            if name in _SELF_NAMES or (name or "").endswith("._compat.Self") or \
                    (isinstance(annotation, ast.Name) and annotation.id == "Self"):
                return _SELF  # also re-exported (``from ._compat import Self``)
            return name
        return None


def _defs(statements: Iterable[ast.stmt]
          ) -> Iterator[ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef]:
    """Defs and classes of a block, also under if/try (``if sys.version_info``), only the
    first branch of an ``if`` (taken to be the newest Python's)."""
    for statement in statements:
        if isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            yield statement
        elif isinstance(statement, (ast.If, ast.Try)):
            yield from _defs(statement.body)


def _simple(statements: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    for statement in statements:
        if isinstance(statement, ast.If):
            yield from _simple(statement.body)
        elif not isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef,
                                        ast.Try, ast.For, ast.While, ast.With)):
            yield statement


def _own_nodes(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of a function's own body, not of nested defs, classes or lambdas."""
    pending: list[ast.AST] = list(node.body)
    while pending:
        current = pending.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                      ast.Lambda)):
                pending.append(child)


def _has_own_yield(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(node))


def _returns_only_self(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """An unannotated method whose every ``return`` is ``return self`` (``__aenter__``)."""
    params = [*node.args.posonlyargs, *node.args.args]
    if not params:
        return False
    returns = [n for n in _own_nodes(node) if isinstance(n, ast.Return)]
    self_name = params[0].arg
    return bool(returns) and all(
        isinstance(r.value, ast.Name) and r.value.id == self_name for r in returns)


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
