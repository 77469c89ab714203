"""Per-file state the analyses and rules share: scopes, async context, name resolution.

The engine drives a file's model from libcst's ``before_visit``/``after_leave`` hooks, which
run before every rule's ``visit_*`` and after every rule's ``leave_*``, so rules always see
the scope and async context of the node they are looking at.  The rules' view of it,
:class:`~asyncheck.lint.context.FileContext`, adds the findings.

Scopes follow Python's rules: a function's *body* is its scope (decorators, defaults and
annotations belong to the enclosing one), lambdas and class bodies are scopes of their own, and
"inside ``async def``" means the innermost enclosing function is ``async def`` (a nested
``def``, ``lambda`` or class body resets it; this is a stack, not a flag).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import libcst as cst

from asyncheck.core.config import Settings
from asyncheck.semantics.coroutine_functions import CoroutineFunctions
from asyncheck.semantics.names import (
    Resolver,
    Scope,
    Symbol,
    make_class_scope,
    make_function_scope,
    make_module_scope,
)
from asyncheck.semantics.project import ProjectIndex

# Node tests are ``type(node) is ...``, not ``isinstance``: see semantics/names.py.

T = TypeVar("T")
NodeHook = Callable[[cst.CSTNode], None]

_STATEMENT_TYPES = (cst.SimpleStatementLine, cst.BaseCompoundStatement)


def is_type_checking_test(test: cst.BaseExpression) -> bool:
    """``if TYPE_CHECKING:`` / ``if typing.TYPE_CHECKING:``."""
    if type(test) is cst.Name:
        return test.value == "TYPE_CHECKING"
    return type(test) is cst.Attribute and test.attr.value == "TYPE_CHECKING"


class SemanticModel:
    """Everything an analysis may ask about the file being walked, at the current node."""

    def __init__(
        self,
        *,
        module: cst.Module,
        module_name: str,
        is_package: bool,
        source: str,
        settings: Settings,
        index: ProjectIndex,
    ) -> None:
        self.module = module
        self.module_name = module_name
        self.source = source
        self.settings = settings
        self.index = index
        self.resolver = Resolver(project_return_type=index.return_type, library=index.library)
        self.module_scope = make_module_scope(module, module_name, is_package=is_package)
        self.coroutine_functions = CoroutineFunctions(
            resolver=self.resolver, index=index, module_scope=self.module_scope,
            settings=settings)
        self.stack: list[cst.CSTNode] = []
        self._scopes: list[Scope] = [self.module_scope]
        self._scope_triggers: list[cst.CSTNode | None] = [None]
        self._type_checking_triggers: list[cst.CSTNode] = []
        self._shared: dict[Callable[[SemanticModel], object], object] = {}

    def release(self) -> None:
        """Drop the shared analyses when the file's lint is done: they refer back to this
        model, a reference cycle that would keep the tree alive until the garbage
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
        ``if TYPE_CHECKING:`` is noted (findings there are dropped)."""
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

    def shared(self, factory: Callable[[SemanticModel], T]) -> T:
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

    # -- coroutine functions (see semantics/coroutine_functions.py) ------------------------
    def coroutine_function_name(self, call: cst.Call) -> str | None:
        """If ``call`` calls a known coroutine function, its name as written; else None.

        Known: ``async def`` of this file (also methods through ``self``/``cls`` or an
        instance of a known class), of other project files (through the project index,
        following relative and absolute imports and re-exports), the built-in table and
        config ``coroutine-functions``.  Async generators, defs whose decorators may turn
        them into something else, and names defined both sync and async are not known.
        """
        return self.coroutine_functions.coroutine_function_name(call, self._scopes[-1])

    def referenced_coroutine_function(self, expr: cst.BaseExpression) -> str | None:
        """If ``expr`` names a known coroutine function (``close``, ``self.close``,
        ``session.close`` of a known type) without calling it, its name as written."""
        return self.coroutine_functions.referenced_coroutine_function(expr, self._scopes[-1])

    def is_coroutine_function(self, qualname: str) -> bool:
        """Whether calling what ``qualname`` names makes a coroutine: the built-in table,
        config ``coroutine-functions``, or a project function or method (methods looked up
        along the class's bases, project and library ones)."""
        return self.coroutine_functions.is_coroutine_function(qualname)

    def method_definition(self, class_qualname: str, name: str) -> cst.FunctionDef | None:
        """The ``def`` of a method of a class of this file, following this file's bases."""
        return self.coroutine_functions.method_definition(class_qualname, name)
