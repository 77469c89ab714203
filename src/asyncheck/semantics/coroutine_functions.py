"""Which calls make coroutines: the coroutine-function inference of one file.

A call makes a coroutine when it calls an ``async def`` of this file (also a method through
``self``/``cls``, ``super()`` or an instance of a known class), of another project file
(through the project index), or a function of the built-in table or config
``coroutine-functions``.  The :class:`~asyncheck.semantics.model.SemanticModel` of a file
holds one :class:`CoroutineFunctions` and passes it the scope of the node being visited.
"""

from __future__ import annotations

import libcst as cst

from asyncheck.core.config import Settings
from asyncheck.core.tables import listed_coroutines
from asyncheck.semantics.names import (
    Binding,
    Imported,
    LocalFunction,
    Resolver,
    Scope,
    base_class,
    dotted_name,
    find_class_scope,
)
from asyncheck.semantics.project import ProjectIndex, has_own_yield

# Node tests are ``type(node) is ...``, not ``isinstance``: see semantics/names.py.


def _is_super_call(expr: cst.BaseExpression) -> bool:
    """``super()`` (with or without arguments)."""
    return type(expr) is cst.Call and type(expr.func) is cst.Name and expr.func.value == "super"


class CoroutineFunctions:
    """The coroutine functions one file calls, with its answers memoised for the file."""

    def __init__(
        self, *, resolver: Resolver, index: ProjectIndex, module_scope: Scope, settings: Settings
    ) -> None:
        self.resolver = resolver
        self.index = index
        self.module_scope = module_scope
        self.module_name = module_scope.qualname
        self._listed_coroutines = listed_coroutines(settings)
        self._coroutine_calls: dict[int, str | None] = {}
        self._coroutine_functions: dict[str, bool] = {}
        self._generator_defs: dict[int, bool] = {}

    def coroutine_function_name(self, call: cst.Call, scope: Scope) -> str | None:
        """If ``call`` (made in ``scope``) calls a known coroutine function, its name as
        written; else None.

        Known: ``async def`` of this file (also methods through ``self``/``cls`` or an
        instance of a known class), of other project files (through the project index,
        following relative and absolute imports and re-exports), the built-in table and
        config ``coroutine-functions``.  Async generators, defs whose decorators may turn
        them into something else, and names defined both sync and async are not known.
        """
        key = id(call)
        if key in self._coroutine_calls:
            return self._coroutine_calls[key]
        result = self._coroutine_function_name(call, scope)
        self._coroutine_calls[key] = result
        return result

    def _coroutine_function_name(self, call: cst.Call, scope: Scope) -> str | None:
        return self.referenced_coroutine_function(call.func, scope)

    def referenced_coroutine_function(self, func: cst.BaseExpression, scope: Scope
                                      ) -> str | None:
        """If ``func`` (an expression in ``scope``, called or not) names a known coroutine
        function, its name as written; else None (the same knowledge as
        :meth:`coroutine_function_name`, for a function handed over rather than called)."""
        if type(func) is cst.Name:
            symbol = self.resolver.lookup(func.value, scope)
            if isinstance(symbol, LocalFunction):
                known = self._local_def_makes_coroutine(
                    symbol.node, symbol.scope, symbol.scope.bindings.get(func.value, []))
                return func.value if known else None
            if isinstance(symbol, Imported):
                return func.value if self.is_coroutine_function(symbol.qualname) else None
            return None
        if type(func) is cst.Attribute:
            written = dotted_name(func) or func.attr.value
            if _is_super_call(func.value):
                return f"super().{func.attr.value}" if self._super_method_is_coroutine(
                    func.attr.value, scope) else None
            owner_type = self.resolver.expression_type(func.value, scope)
            if owner_type is not None:
                attr = func.attr.value
                local = self._local_method(owner_type, attr)
                if local is not None:
                    return written if self._local_def_makes_coroutine(*local) else None
                return written if self.is_coroutine_function(f"{owner_type}.{attr}") else None
            qualname = self.resolver.qualified_name(func, scope)
            if qualname is not None and self.is_coroutine_function(qualname):
                return written
        return None

    def _super_method_is_coroutine(self, attr: str, scope: Scope) -> bool:
        """``super().attr(...)`` in a method: the first base (in order) that has ``attr``."""
        class_scope = scope.enclosing_class()
        if class_scope is None or class_scope.parent is None:
            return False
        class_node = class_scope.node
        assert type(class_node) is cst.ClassDef
        bases = class_node.bases  # libcst keeps `metaclass=...` in `keywords`
        last = bases[-1] if bases else None
        for arg in bases:
            base = self.resolver.qualified_name(base_class(arg), class_scope.parent)
            if base is None:
                return False  # an unknown base may define it: unsure
            local = self._local_method(base, attr)
            if local is not None:
                return self._local_def_makes_coroutine(*local)
            if self.is_coroutine_function(f"{base}.{attr}"):
                return True
            if arg is not last and self.index.function(f"{base}.{attr}") is not None:
                # Found here, not a coroutine function: later bases do not count.  (After
                # the last base the answer is no either way: its module is not parsed.)
                return False
        return False

    def _local_def_makes_coroutine(
        self, node: cst.FunctionDef, scope: Scope, bindings: list[Binding]
    ) -> bool:
        """The index's rule (:meth:`ProjectIndex.makes_coroutine`) for a def of this file,
        decided from the tree so that the file's own facts need not be extracted."""
        if node.asynchronous is None:
            return False
        if any(b.kind != "def" or (type(b.node) is cst.FunctionDef
                                   and b.node.asynchronous is None) for b in bindings):
            return False  # also defined as a plain def, or rebound (``f = wrap(f)``)
        is_generator = self._generator_defs.get(id(node))
        if is_generator is None:
            is_generator = self._generator_defs[id(node)] = has_own_yield(node)
        if is_generator:
            return False
        for decorator in node.decorators:
            expr = decorator.decorator
            suffix = ""
            if type(expr) is cst.Call:
                expr, suffix = expr.func, "()"
            qualname = self.resolver.qualified_name(expr, scope)
            if qualname is None or not self.index.preserves_coroutines(qualname + suffix):
                return False
        return True

    def _local_method(
        self, class_qualname: str, name: str
    ) -> tuple[cst.FunctionDef, Scope, list[Binding]] | None:
        """A method's def, the scope its decorators resolve in and the class's bindings of
        its name, when a class of this file (or a base in this file) defines it."""
        seen: set[str] = set()
        pending = [class_qualname]
        while pending:
            current = pending.pop(0)
            if current in seen or not current.startswith(self.module_name + "."):
                continue
            seen.add(current)
            class_scope = find_class_scope(self.module_scope, current)
            if class_scope is None:
                continue
            bindings = class_scope.bindings.get(name, [])
            if bindings:
                last = bindings[-1]
                if last.kind == "def" and type(last.node) is cst.FunctionDef:
                    return last.node, class_scope, bindings
                return None
            class_node = class_scope.node
            assert type(class_node) is cst.ClassDef and class_scope.parent is not None
            for arg in class_node.bases:
                base = self.resolver.qualified_name(base_class(arg), class_scope.parent)
                if base is not None:
                    pending.append(base)
        return None

    def is_coroutine_function(self, qualname: str) -> bool:
        """Whether calling what ``qualname`` names makes a coroutine: the built-in table,
        config ``coroutine-functions``, or a project function or method (methods looked up
        along the class's bases, project and library ones)."""
        # Half the questions of a file repeat one (``self.client.get`` on every line of a
        # test); the index's answers do not change while a file is linted.
        known_here = self._coroutine_functions.get(qualname)
        if known_here is None:
            known_here = self._coroutine_functions[qualname] = self._is_coroutine_function(
                qualname)
        return known_here

    def _is_coroutine_function(self, qualname: str) -> bool:
        if self._is_listed_coroutine_function(qualname):
            return True
        known = self.index.makes_coroutine(qualname)
        if known is not None:
            return known
        if self.index.split_module(qualname) is None:
            library = self.index.library
            if library is not None:
                known = library.makes_coroutine(qualname)
                if known is not None:
                    return known
            # A script importing a sibling file (``from helpers import fetch``): Python finds
            # it through the script's directory, the index names it from the project root.
            # Only when such a sibling module exists: ``os.path.join`` must not make the
            # index parse the package's ``__init__`` looking for ``os``.
            package = self.module_name.rpartition(".")[0]
            sibling = f"{package}.{qualname.partition('.')[0]}"
            candidate = f"{package}.{qualname}"
            split = self.index.split_module(candidate) if package else None
            if split is None or not (split[0] + ".").startswith(sibling + "."):
                return False
            return self.index.makes_coroutine(candidate) is True
        owner, _, attr = qualname.rpartition(".")
        if owner and self.index.is_class(owner):
            library = self.index.library
            for base in self.index.class_lineage(owner)[1:]:
                if self._is_listed_coroutine_function(f"{base}.{attr}"):
                    return True
                if library is not None and self.index.split_module(base) is None and \
                        library.makes_coroutine(f"{base}.{attr}"):
                    return True  # a project class inheriting a library's coroutine method
            return False
        return False

    def _is_listed_coroutine_function(self, qualname: str) -> bool:
        return qualname in self._listed_coroutines

    def method_definition(self, class_qualname: str, name: str) -> cst.FunctionDef | None:
        """The ``def`` of a method of a class of this file, following this file's bases."""
        found = self._local_method(class_qualname, name)
        return found[0] if found is not None else None
