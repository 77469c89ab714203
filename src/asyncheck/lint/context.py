"""Per-file state the rules share: scopes, async context, name resolution, findings.

The engine drives a :class:`FileContext` from libcst's ``before_visit``/``after_leave`` hooks,
which run before every rule's ``visit_*`` and after every rule's ``leave_*``, so rules always
see the scope and async context of the node they are looking at.

Scopes follow Python's rules: a function's *body* is its scope (decorators, defaults and
annotations belong to the enclosing one), lambdas and class bodies are scopes of their own, and
"inside ``async def``" means the innermost enclosing function is ``async def`` (a nested
``def``, ``lambda`` or class body resets it; this is a stack, not a flag).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import libcst as cst

# Node tests here are ``type(node) is cst.Name`` rather than ``isinstance``: every libcst node
# class has ABCMeta as metaclass, so an ``isinstance`` that fails runs a Python-level ABC
# check, and these tests run for most nodes of every file.  The concrete node classes have no
# subclasses (the parser builds exactly them), so both tests give the same answers.

from asyncheck.semantics.names import (
    Binding,
    Imported,
    LocalFunction,
    Resolver,
    Scope,
    Symbol,
    _find_class_scope,
    base_class,
    dotted_name,
    make_class_scope,
    make_function_scope,
    make_module_scope,
)
from asyncheck.semantics.project import ProjectIndex, has_own_yield
from asyncheck.core.tables import listed_coroutines
from asyncheck.core.config import Settings

T = TypeVar("T")
NodeHook = Callable[[cst.CSTNode], None]

if TYPE_CHECKING:
    from asyncheck.lint.fix import Fix
    from asyncheck.lint.rule import Rule


def _is_super_call(expr: cst.BaseExpression) -> bool:
    """``super()`` (with or without arguments)."""
    return type(expr) is cst.Call and type(expr.func) is cst.Name and expr.func.value == "super"


@dataclass(eq=False)
class RawFinding:
    """A finding before positions are known."""

    code: str
    name: str
    node: cst.CSTNode
    message: str
    statement: cst.CSTNode | None
    fix: Fix | None
    #: The traversal stack when the finding was made (module first): the engine computes
    #: positions only for the innermost statement on it that holds the finding.
    path: tuple[cst.CSTNode, ...] = ()


_STATEMENT_TYPES = (cst.SimpleStatementLine, cst.BaseCompoundStatement)


def is_type_checking_test(test: cst.BaseExpression) -> bool:
    """``if TYPE_CHECKING:`` / ``if typing.TYPE_CHECKING:``."""
    if type(test) is cst.Name:
        return test.value == "TYPE_CHECKING"
    return type(test) is cst.Attribute and test.attr.value == "TYPE_CHECKING"


class FileContext:
    """Everything a rule may ask about the file it is looking at."""

    def __init__(
        self,
        *,
        path: str,
        module: cst.Module,
        module_name: str,
        is_package: bool,
        source: str,
        settings: Settings,
        index: ProjectIndex,
    ) -> None:
        self.path = path
        self.module = module
        self.module_name = module_name
        self.source = source
        self.settings = settings
        self.index = index
        self.resolver = Resolver(project_return_type=index.return_type)
        self.module_scope = make_module_scope(module, module_name, is_package=is_package)
        self.findings: list[RawFinding] = []
        self.stack: list[cst.CSTNode] = []
        self._scopes: list[Scope] = [self.module_scope]
        self._scope_triggers: list[cst.CSTNode | None] = [None]
        self._type_checking_triggers: list[cst.CSTNode] = []
        self._listed_coroutines = listed_coroutines(settings)
        self._shared: dict[Callable[[FileContext], object], object] = {}
        self._coroutine_calls: dict[int, str | None] = {}
        self._coroutine_functions: dict[str, bool] = {}
        self._generator_defs: dict[int, bool] = {}

    def release(self) -> None:
        """Drop the shared analyses when the file's lint is done: they refer back to this
        context, a reference cycle that would keep the tree alive until the garbage
        collector runs (and walks it)."""
        self._shared.clear()

    # -- traversal hooks ------------------------------------------------------------------
    def before_visit(self, node: cst.CSTNode) -> None:
        """Enter ``node``: push it, and a scope when it is a function/class body or lambda."""
        self.stack.append(node)
        node_type = type(node)
        if node_type is cst.IndentedBlock or node_type is cst.SimpleStatementSuite:
            self._enter_block(node)
        elif node_type is cst.Lambda:
            self._enter_lambda(node)

    def after_leave(self, node: cst.CSTNode) -> None:
        """Leave ``node``: pop what :meth:`before_visit` pushed for it."""
        self.stack.pop()
        self._leave_scope_node(node)

    def node_hooks(self) -> tuple[dict[type, NodeHook], dict[type, NodeHook]]:
        """What :meth:`before_visit` and :meth:`after_leave` do beyond keeping
        :attr:`stack`, by node type (entering, leaving), for a walk that keeps the stack
        itself (:func:`~asyncheck.syntax.walk.walk_tracked`): two Python calls per node
        of every file are a sizeable part of a lint, and only blocks and lambdas need them.
        """
        leave = self._leave_scope_node
        return ({cst.IndentedBlock: self._enter_block, cst.SimpleStatementSuite: self._enter_block,
                 cst.Lambda: self._enter_lambda},
                {cst.IndentedBlock: leave, cst.SimpleStatementSuite: leave, cst.Lambda: leave})

    def _enter_block(self, node: cst.CSTNode) -> None:
        """A block was pushed: a function or class body is a scope; the body of
        ``if TYPE_CHECKING:`` drops findings."""
        parent = self.stack[-2]
        parent_type = type(parent)
        if parent_type is cst.FunctionDef:
            assert isinstance(parent, cst.FunctionDef)
            self._push_scope(make_function_scope(parent, self._scopes[-1]), node)
        elif parent_type is cst.ClassDef:
            assert isinstance(parent, cst.ClassDef)
            self._push_scope(make_class_scope(parent, self._scopes[-1]), node)
        elif parent_type is cst.If:
            assert isinstance(parent, cst.If)
            if parent.body is node and is_type_checking_test(parent.test):
                self._type_checking_triggers.append(node)

    def _enter_lambda(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.Lambda)
        self._push_scope(make_function_scope(node, self._scopes[-1]), node)

    def _leave_scope_node(self, node: cst.CSTNode) -> None:
        """A node was popped: the scope or ``if TYPE_CHECKING:`` block it began ends."""
        if self._scope_triggers[-1] is node:
            self._scopes.pop()
            self._scope_triggers.pop()
        if self._type_checking_triggers and self._type_checking_triggers[-1] is node:
            self._type_checking_triggers.pop()

    def _push_scope(self, scope: Scope, trigger: cst.CSTNode) -> None:
        self._scopes.append(scope)
        self._scope_triggers.append(trigger)

    def shared(self, factory: Callable[[FileContext], T]) -> T:
        """One instance per file of an analysis several rules use (``factory(self)``, made
        on first use), so that its caches serve all of them."""
        found = self._shared.get(factory)
        if found is None:
            found = self._shared[factory] = factory(self)
        return found  # type: ignore[return-value]

    # -- where are we ---------------------------------------------------------------------
    @property
    def scope(self) -> Scope:
        """The innermost scope at the current node."""
        return self._scopes[-1]

    @property
    def in_async_function(self) -> bool:
        """Directly in the body of an ``async def`` (not a nested def, lambda or class)."""
        node = self._scopes[-1].node
        return type(node) is cst.FunctionDef and node.asynchronous is not None

    @property
    def current_function(self) -> cst.FunctionDef | None:
        """The innermost function whose body we are in (None in a lambda, class or module)."""
        node = self._scopes[-1].node
        return node if type(node) is cst.FunctionDef else None

    @property
    def in_type_checking(self) -> bool:
        """Inside an ``if TYPE_CHECKING:`` block."""
        return bool(self._type_checking_triggers)

    def current_statement(self) -> cst.CSTNode | None:
        """The innermost statement on the traversal stack."""
        for node in reversed(self.stack):
            if isinstance(node, _STATEMENT_TYPES):
                return node
        return None

    def parent(self, depth: int = 1) -> cst.CSTNode | None:
        """The ancestor ``depth`` levels above the node being visited."""
        index = -1 - depth
        return self.stack[index] if len(self.stack) >= -index else None

    # -- names ----------------------------------------------------------------------------
    def lookup(self, name: str) -> Symbol | None:
        """What a bare name refers to at the current position."""
        return self.resolver.lookup(name, self.scope)

    def qualified_name(self, expr: cst.BaseExpression) -> str | None:
        """The dotted name an expression stands for at the current position
        (``t.sleep`` -> ``time.sleep``, ``session.get`` -> ``requests.Session.get``)."""
        return self.resolver.qualified_name(expr, self.scope)

    def expression_type(self, expr: cst.BaseExpression) -> str | None:
        """The qualified type of the object an expression evaluates to, if known."""
        return self.resolver.expression_type(expr, self.scope)

    def coroutine_function_name(self, call: cst.Call) -> str | None:
        """If ``call`` calls a known coroutine function, its name as written; else None.

        Known: ``async def`` of this file (also methods through ``self``/``cls`` or an
        instance of a known class), of other project files (through the project index,
        following relative and absolute imports and re-exports), the built-in table and
        config ``coroutine-functions``.  Async generators, defs whose decorators may turn
        them into something else, and names defined both sync and async are not known.
        """
        key = id(call)
        if key in self._coroutine_calls:
            return self._coroutine_calls[key]
        result = self._coroutine_function_name(call)
        self._coroutine_calls[key] = result
        return result

    def _coroutine_function_name(self, call: cst.Call) -> str | None:
        func = call.func
        scope = self.scope
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
                    func.attr.value) else None
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

    def _super_method_is_coroutine(self, attr: str) -> bool:
        """``super().attr(...)`` in a method: the first base (in order) that has ``attr``."""
        class_scope = self.scope.enclosing_class()
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
            class_scope = _find_class_scope(self.module_scope, current)
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
            return any(self._is_listed_coroutine_function(f"{base}.{attr}")
                       for base in self.index.class_lineage(owner)[1:])
        return False

    def _is_listed_coroutine_function(self, qualname: str) -> bool:
        return qualname in self._listed_coroutines

    def method_definition(self, class_qualname: str, name: str) -> cst.FunctionDef | None:
        """The ``def`` of a method of a class of this file, following this file's bases."""
        found = self._local_method(class_qualname, name)
        return found[0] if found is not None else None

    # -- findings -------------------------------------------------------------------------
    def add_finding(
        self,
        rule: Rule,
        node: cst.CSTNode,
        message: str,
        *,
        fix: Fix | None = None,
        statement: cst.CSTNode | None = None,
    ) -> None:
        """Record a finding (dropped inside ``if TYPE_CHECKING:``)."""
        if self._type_checking_triggers:
            return
        if statement is None:
            statement = self.current_statement()
        self.findings.append(RawFinding(rule.code, rule.name, node, message, statement, fix,
                                        tuple(self.stack)))
