"""Parameters that cannot take an awaitable (ACK100: a coroutine passed where its result
was meant, ``log(fetch_status())`` with ``def log(msg: str)``).

A call's argument is matched to the callee's parameter (a def of this file, of another
project file through the index's facts, or of the environment's libraries), and the
parameter's annotation is read as a union of classes.  It cannot take an awaitable when
every member surely is not one: ``None``, a concrete builtin (``str``, ``int``,
``bytes``, ``dict[...]``...), or a class of the project or of a library whose whole
lineage is known, that defines no ``__await__`` and is not a protocol.  Anything else
(``Any``, ``object``, no annotation, a type variable, ``Awaitable``, ``Callable``, an
unreadable base) is unsure, and unsure is no finding.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from asyncheck.semantics.library import LibClass, LibFunction, LibraryIndex, TypeExpr
from asyncheck.semantics.model import SemanticModel
from asyncheck.semantics.names import (
    LocalClass,
    LocalFunction,
    Resolver,
    Scope,
    annotation_members,
    find_class_scope,
    make_class_scope,
    make_module_scope,
)
from asyncheck.semantics.project import ProjectIndex

# Node tests are ``type(node) is ...``, not ``isinstance``: see semantics/names.py.

#: Classes no awaitable is an instance of (also as the head of a generic: ``dict[str, int]``).
CONCRETE_TYPES = frozenset({
    "None", "builtins.str", "builtins.int", "builtins.float", "builtins.bool",
    "builtins.bytes", "builtins.bytearray", "builtins.complex", "builtins.list",
    "builtins.dict", "builtins.set", "builtins.frozenset", "builtins.tuple",
    "builtins.memoryview", "builtins.range", "typing.List", "typing.Dict", "typing.Set",
    "typing.FrozenSet", "typing.Tuple", "typing.Text", "typing.Literal",
    "typing_extensions.Literal", "typing.Sequence", "typing.MutableSequence",
    "typing.Mapping", "typing.MutableMapping", "collections.abc.Sequence",
    "collections.abc.MutableSequence", "collections.abc.Mapping",
    "collections.abc.MutableMapping", "collections.OrderedDict", "collections.defaultdict",
    "collections.deque", "collections.Counter", "typing.DefaultDict", "typing.OrderedDict",
    "typing.Deque", "typing.Counter", "pathlib.Path", "pathlib.PurePath",
    "datetime.datetime", "datetime.date", "datetime.timedelta", "decimal.Decimal",
    "uuid.UUID",
})
_LITERALS = frozenset({"typing.Literal", "typing_extensions.Literal"})
#: Bases of project classes that add nothing awaitable.
_PLAIN_BASES = frozenset({"abc.ABC", "typing.Generic", "typing.NamedTuple", "enum.Enum",
                          "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag"})
_PROTOCOLS = frozenset({"typing.Protocol", "typing_extensions.Protocol"})
#: Library bases that make a class awaitable or structural: unsure.
_AWAITABLE_BASES = frozenset({
    "typing.Awaitable", "collections.abc.Awaitable", "typing.Coroutine",
    "collections.abc.Coroutine", "asyncio.Future", "asyncio.futures.Future", "asyncio.Task",
    "asyncio.tasks.Task", "typing.Protocol", "typing_extensions.Protocol",
})

#: Builtins whose first argument cannot be a coroutine, and what they expect instead.
BUILTIN_EXPECTATIONS = {
    "builtins.int": "a number or a string", "builtins.float": "a number or a string",
    "builtins.bytes": "bytes or an iterable", "builtins.list": "an iterable",
    "builtins.tuple": "an iterable", "builtins.set": "an iterable",
    "builtins.frozenset": "an iterable", "builtins.sorted": "an iterable",
    "builtins.sum": "an iterable", "builtins.enumerate": "an iterable",
    "builtins.dict": "a mapping or an iterable of pairs",
    "json.dumps": "a JSON-serialisable object", "json.dump": "a JSON-serialisable object",
}


@dataclass(frozen=True)
class Expectation:
    """The parameter a coroutine was passed to (``""`` for a builtin's argument), and what
    it expects instead (its annotation in backquotes, or words)."""

    callee: str
    parameter: str
    expects: str


#: A parameter: (kind, name, members of its annotation or None when unsure, its text).
#: Kinds: "p" positional-only, "a" positional or keyword, "*", "k" keyword-only, "**".
Param = tuple[str, str, "tuple[str, ...] | None", str]


def non_awaitable_parameter(model: SemanticModel, call: cst.Call, arg: cst.Arg,
                            callee_text: str, scope: Scope | None = None) -> Expectation | None:
    """When ``arg`` of ``call`` (made in ``scope``, by default the current one) goes to a
    parameter whose annotation cannot take an awaitable: which one and what it expects;
    else None."""
    if arg.star:
        return None
    if scope is None:
        scope = model.scope
    func = call.func
    qualname = model.resolver.qualified_name(func, scope)
    if qualname in BUILTIN_EXPECTATIONS:
        if arg.keyword is None and call.args and call.args[0] is arg:
            return Expectation(callee_text, "", BUILTIN_EXPECTATIONS[qualname])
        return None
    found = _signature(model, call, scope)
    if found is None:
        return None
    params, owner_scope = found
    param = _matching(params, call, arg)
    if param is None or param[2] is None:
        return None
    if not all(_rejects(model, member) for member in param[2]):
        return None
    return Expectation(callee_text, param[1], f"`{param[3].strip(chr(34) + chr(39))}`")


def _matching(params: Sequence[Param], call: cst.Call, arg: cst.Arg) -> Param | None:
    """The parameter that receives ``arg`` (None: unsure)."""
    if arg.keyword is None:
        position = 0
        for other in call.args:
            if other is arg:
                break
            if other.star:
                return None  # ``*rest`` before it: its position is unknown
            if other.keyword is None:
                position += 1
        positional = [p for p in params if p[0] in ("p", "a")]
        if position < len(positional):
            return positional[position]
        return next((p for p in params if p[0] == "*"), None)
    name = arg.keyword.value
    for param in params:
        if param[1] == name and param[0] in ("a", "k"):
            return param
    return next((p for p in params if p[0] == "**"), None)


def _signature(model: SemanticModel, call: cst.Call, scope: Scope
               ) -> tuple[list[Param], Scope] | None:
    """The callee's parameters (a bound method's first one dropped)."""
    func = call.func
    resolver = model.resolver
    if type(func) is cst.Name:
        symbol = resolver.lookup(func.value, scope)
        if isinstance(symbol, LocalFunction):
            return _local_params(resolver, symbol.node, symbol.scope, bound=False)
        if isinstance(symbol, LocalClass):
            return _local_constructor(model, symbol.qualname)
    elif type(func) is cst.Attribute:
        owner_type = resolver.expression_type(func.value, scope)
        if owner_type is not None:
            if owner_type.startswith(model.module_name + "."):
                method = model.method_definition(owner_type, func.attr.value)
                if method is None:
                    return None
                class_scope = _class_scope_of(model, method)
                if class_scope is None:
                    return None
                return _local_params(resolver, method, class_scope,
                                     bound=not _has_decorator(method, "staticmethod"))
            return _outside_params(model, f"{owner_type}.{func.attr.value}", instance=True)
    qualname = resolver.qualified_name(func, scope)
    if qualname is None:
        return None
    return _outside_params(model, qualname, instance=False)


def _class_scope_of(model: SemanticModel, method: cst.FunctionDef) -> Scope | None:
    """The scope of the class of this file that defines ``method``."""
    return _defining_scopes(model).get(id(method))


def _defining_scopes(model: SemanticModel) -> dict[int, Scope]:
    """Every method of this file's classes (any depth of nesting in classes) -> its class
    scope, made once per file."""
    return model.shared(_collect_class_scopes)


def _collect_class_scopes(model: SemanticModel) -> dict[int, Scope]:
    found: dict[int, Scope] = {}
    pending = [model.module_scope]
    while pending:
        scope = pending.pop()
        for bindings in scope.bindings.values():
            for binding in bindings:
                node = binding.node
                if binding.kind == "class" and type(node) is cst.ClassDef:
                    class_scope = make_class_scope(node, scope)
                    pending.append(class_scope)
                elif binding.kind == "def" and type(node) is cst.FunctionDef and \
                        scope.kind == "class":
                    found[id(node)] = scope
    return found


def _has_decorator(function: cst.FunctionDef, name: str) -> bool:
    for decorator in function.decorators:
        expr = decorator.decorator
        if type(expr) is cst.Name and expr.value == name:
            return True
    return False


#: Decorators of a def of this file that keep its signature.
_KEEPING_SIGNATURE = frozenset({"staticmethod", "classmethod", "abstractmethod", "override",
                                "final"})


def _local_params(resolver: Resolver, function: cst.FunctionDef, scope: Scope, *,
                  bound: bool) -> tuple[list[Param], Scope] | None:
    for decorator in function.decorators:
        expr = decorator.decorator
        name = expr.value if type(expr) is cst.Name else (
            expr.attr.value if type(expr) is cst.Attribute else "")
        if name not in _KEEPING_SIGNATURE:
            return None  # a decorator may change the signature
    params = function.params
    found: list[Param] = []
    groups: list[tuple[str, Sequence[cst.Param]]] = [
        ("p", params.posonly_params), ("a", params.params),
        ("*", [params.star_arg] if type(params.star_arg) is cst.Param else []),
        ("k", params.kwonly_params),
        ("**", [params.star_kwarg] if params.star_kwarg is not None else [])]
    module = scope.module_scope.node
    for kind, group in groups:
        for param in group:
            members = None
            text = ""
            if param.annotation is not None:
                annotation = param.annotation.annotation
                members = annotation_members(resolver, annotation, scope)
                if type(module) is cst.Module:
                    text = module.code_for_node(annotation)
            found.append((kind, param.name.value, members, text))
    if bound or _has_decorator(function, "classmethod"):
        if not found or found[0][0] not in ("p", "a"):
            return None
        found = found[1:]
    return found, scope


def _local_constructor(model: SemanticModel, class_qualname: str
                       ) -> tuple[list[Param], Scope] | None:
    """``Class(...)`` of a class of this file: its own ``__init__`` (not inherited: a
    dataclass decorator or a base may make another)."""
    method = model.method_definition(class_qualname, "__init__")
    if method is None:
        return None
    class_scope = _class_scope_of(model, method)
    if class_scope is None or class_scope.qualname != class_qualname:
        return None
    return _local_params(model.resolver, method, class_scope, bound=True)


def _outside_params(model: SemanticModel, qualname: str, *, instance: bool
                    ) -> tuple[list[Param], Scope] | None:
    """A function or method of another project file (the index's facts) or of a library."""
    index = model.index
    if index.split_module(qualname) is not None:
        return _project_params(model, qualname, instance=instance)
    library = index.library
    if library is None:
        return None
    found = library.resolve(qualname)
    if found is None:
        return None
    canonical, what = found
    bound = instance
    if isinstance(what, LibClass):
        # The constructor: the class's own ``__init__`` only.
        init = library.resolve(f"{canonical}.__init__")
        if init is None or init[0] != f"{canonical}.__init__":
            return None
        canonical, what = init
        bound = True
    assert isinstance(what, LibFunction)
    if what.opaque or what.params is None or what.kind not in ("function", "classmethod",
                                                               "staticmethod"):
        return None
    if what.kind == "classmethod":
        bound = True
    elif what.kind == "staticmethod":
        bound = False
    elif not instance and not bound:
        owner = canonical.rpartition(".")[0]
        if library.is_class(owner) is not None:
            return None  # ``Class.method(obj, ...)``: rare, and unsure which is self
    params: list[Param] = [
        (kind, name, _type_members(annotation), _render(annotation))
        for kind, name, annotation in what.params]
    if bound:
        if not params or params[0][0] not in ("p", "a"):
            return None
        params = params[1:]
    return params, model.module_scope


def _project_params(model: SemanticModel, qualname: str, *, instance: bool
                    ) -> tuple[list[Param], Scope] | None:
    """A def of another project file, read from its tree (parsed once per process for
    these questions, which are rare: a coroutine passed to a project function)."""
    index = model.index
    constructor = index.is_class(qualname)
    target = index.canonical(f"{qualname}.__init__" if constructor else qualname)
    facts = index.function(target)
    if facts is None or facts.qualname != target or "<locals>" in target:
        return None  # unknown, or inherited (a dataclass or a base may make another)
    decorators = set(facts.decorators)
    if decorators - {"builtins.staticmethod", "builtins.classmethod", "abc.abstractmethod",
                     "typing.override", "typing_extensions.override", "typing.final"}:
        return None
    split = index.split_module(target)
    if split is None:
        return None
    found = _project_def(index, split[0], split[1])
    if found is None:
        return None
    params, scope = found
    owner = target.rpartition(".")[0]
    is_method = owner != split[0] and index.is_class(owner)
    bound = constructor or "builtins.classmethod" in decorators or (
        instance and "builtins.staticmethod" not in decorators)
    if is_method and not bound and "builtins.staticmethod" not in decorators:
        return None  # ``Class.method(obj, ...)``
    if bound:
        if not params or params[0][0] not in ("p", "a"):
            return None
        params = params[1:]
    return params, scope


#: Per project index (per process): module -> its module scope, and the parameters of
#: its defs asked about.
_PROJECT_DEFS: weakref.WeakKeyDictionary[
    ProjectIndex, dict[str, tuple[Scope, Resolver] | None]] = weakref.WeakKeyDictionary()


def _project_def(index: ProjectIndex, module: str, path: str
                 ) -> tuple[list[Param], Scope] | None:
    """The parameters of the def ``path`` (``func`` or ``Class.method``) of a project
    module, with its annotations resolved where it is defined."""
    modules = _PROJECT_DEFS.setdefault(index, {})
    index.accessed.add(module)  # the asking file's result depends on that module
    if module not in modules:
        tree = index.module_tree(module)
        modules[module] = None if tree is None else (
            make_module_scope(tree, module, is_package=index.modules.get(
                module, Path("x.py")).name == "__init__.py"), Resolver())
    known = modules[module]
    if known is None:
        return None
    module_scope, resolver = known
    *classes, name = path.split(".")
    scope: Scope | None = module_scope
    if classes:
        scope = find_class_scope(module_scope, f"{module}.{'.'.join(classes)}")
    if scope is None:
        return None
    bindings = scope.bindings.get(name, [])
    if not bindings or bindings[-1].kind != "def" or type(bindings[-1].node) is not \
            cst.FunctionDef:
        return None
    return _local_params(resolver, bindings[-1].node, scope, bound=False)


def _type_members(annotation: TypeExpr | None) -> tuple[str, ...] | None:
    """The classes a library annotation admits (see :func:`annotation_members`)."""
    if annotation is None:
        return None
    if isinstance(annotation, str):
        return (annotation,) if annotation not in ("?", "Self") else None
    if not annotation or not isinstance(annotation[0], str):
        return None
    head = annotation[0]
    if head == "|":
        members: tuple[str, ...] = ()
        for part in annotation[1:]:
            found = _type_members(part)
            if found is None:
                return None
            members += found
        return members
    if head in _LITERALS:
        return ("typing.Literal",)
    return (head,)


def _render(annotation: TypeExpr | None) -> str:
    """A library annotation written back, short (``dict[str, Any]``)."""
    if annotation is None:
        return ""
    if isinstance(annotation, str):
        return annotation.rpartition(".")[2]
    if annotation and annotation[0] == "|":
        return " | ".join(_render(a) for a in annotation[1:])
    head = _render(annotation[0]) if annotation else ""
    return f"{head}[{', '.join(_render(a) for a in annotation[1:])}]"


def _rejects(model: SemanticModel, qualname: str) -> bool:
    """Whether no awaitable is an instance of the class ``qualname`` (sure answers only)."""
    if qualname in CONCRETE_TYPES:
        return True
    index = model.index
    if qualname.startswith("builtins.") or qualname.startswith("typing."):
        return False  # object, Any, and the rest: unsure
    if index.split_module(qualname) is not None:
        if not index.is_class(qualname):
            return False
        library = index.library
        for owner in index.class_lineage(qualname):
            if index.split_module(owner) is not None:
                if not index.is_class(owner) or index.function(f"{owner}.__await__") is not None:
                    return False
            elif owner in _PROTOCOLS:
                return False
            elif owner in _PLAIN_BASES or (owner.startswith("builtins.") and
                                           owner != "builtins.object"):
                continue
            elif owner == "builtins.object":
                continue
            elif library is None or not _library_class_rejects(library, owner):
                return False
        return True
    library = index.library
    return library is not None and _library_class_rejects(library, qualname)


def _library_class_rejects(library: LibraryIndex, qualname: str) -> bool:
    canonical = library.is_class(qualname)
    if canonical is None:
        return False
    for owner, facts in library.lineage_modules(canonical):
        lib_class = facts.classes.get(owner) if facts is not None else None
        if lib_class is None or any(base in _AWAITABLE_BASES for base in lib_class.bases):
            return False
    return library.has_method(canonical, "__await__") is False
