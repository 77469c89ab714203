"""Rule bases: what families of rules share beyond :class:`~asyncheck.lint.rule.Rule`.

:class:`BlockingCallRule` reports the calls the blocking-call tables
(:mod:`asyncheck.semantics.blocking`) give to its code; :class:`FlowRule` follows values bound
to local names to the end of their scope (:mod:`asyncheck.semantics.coroutines`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

import libcst as cst

from asyncheck.lint.fix import Fix
from asyncheck.lint.rule import Rule
from asyncheck.semantics.blocking import (
    BlockingMatch,
    describe_call,
    match_blocking_call,
    match_blocking_with,
)
from asyncheck.semantics.coroutines import Use, is_followable_name, name_uses
from asyncheck.semantics.names import Scope, dotted_name
from asyncheck.semantics.waits import may_be_harmless, wait_cannot_block

if TYPE_CHECKING:
    from asyncheck.lint.context import FileContext
    from asyncheck.semantics.model import SemanticModel


def _call_matches(model: SemanticModel) -> dict[int, BlockingMatch | None]:
    """Per file (see :meth:`SemanticModel.shared`): what each call matched, by its node's id
    (the tree outlives the context, so ids are not reused meanwhile)."""
    return {}


class BlockingCallRule(Rule):
    """Base of the table-driven ACK2xx rules: a blocking call made directly inside ``async def``.

    Subclasses set ``code``, ``name`` and their docs and examples; the table decides what
    each one reports.  The message template has ``{call}``, ``{function}`` and ``{way_out}``.
    """

    message: ClassVar[str] = "{call} blocks the event loop inside `async def {function}`; use {way_out}"
    # Only calls directly inside `async def` are reported: no `async`, nothing to find.
    TRIGGERS: ClassVar[tuple[str, ...] | None] = ("async def",)  # reports only inside `async def`
    QUIET_IN: ClassVar[frozenset[str]] = frozenset({"test", "script"})
    with_message: ClassVar[str] = (
        "`with {item}:` waits for a `{type}` and blocks the event loop inside "
        "`async def {function}`; use {way_out}"
    )

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        if not context.in_async_function:
            return
        stack = context.stack
        if len(stack) >= 2 and type(stack[-2]) is cst.Await:
            # ``await session.execute(q)``: awaited, so the object is an async one whatever
            # its annotation says (``session: Session`` holding an ``AsyncSession``).
            return
        # Every ACK2xx rule asks about every call: the table is searched once per call.
        matches = context.shared(_call_matches)
        key = id(node)
        if key in matches:
            found = matches[key]
        else:
            found = match_blocking_call(context.resolver, context.scope, node)
            if found is not None and may_be_harmless(found) and wait_cannot_block(
                    context.resolver, context.scope, found, node, context.stack[:-1]):
                found = None  # a short critical section, a queue that cannot fill, ...
            matches[key] = found
        if found is None or found.entry.code != self.code:
            return
        self.report(
            node,
            call=describe_call(node.func, found.qualname),
            function=self._function_name(),
            way_out=found.entry.way_out,
            fix=self.fix_for(node),
        )

    def fix_for(self, call: cst.Call) -> Fix | None:
        """The fix a fixable subclass offers for a reported call (none by default)."""
        return None

    def visit_With(self, node: cst.With) -> None:
        context = self.context
        if node.asynchronous is not None or not context.in_async_function:
            return
        for item in node.items:
            found = match_blocking_with(context.resolver, context.scope, item.item)
            if found is None or found.entry.code != self.code:
                continue
            if may_be_harmless(found) and wait_cannot_block(
                    context.resolver, context.scope, found, node, context.stack[:-1]):
                continue  # a short critical section: no await, no blocking call
            self.report(
                item.item,
                message=self.with_message.format(
                    item=dotted_name(item.item) or "...",
                    type=found.qualname.rpartition(".")[0],
                    function=self._function_name(),
                    way_out=found.entry.way_out,
                ),
            )

    def _function_name(self) -> str:
        function = self.context.current_function
        return function.name.value if function is not None else "?"


RecordT = TypeVar("RecordT")


class FlowRule(Rule, Generic[RecordT]):
    """Base of rules that follow values bound to local names to the end of their scope.

    A subclass calls :meth:`defer` when a value it watches is bound to a name; when the
    traversal leaves that function (or the module), :meth:`names_resolved` gets every
    deferred record with the fate of every load of its name.
    """

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._deferred: dict[int, dict[str, list[RecordT]]] = {}

    def defer(self, scope: Scope, name: str, record: RecordT) -> bool:
        """Follow ``name`` in ``scope`` at the end of the scope; False when the name cannot
        be followed there (nothing is deferred)."""
        if not is_followable_name(scope, name):
            return False
        self._deferred.setdefault(id(scope.node), {}).setdefault(name, []).append(record)
        return True

    def names_resolved(self, name: str, records: list[RecordT], uses: list[Use]) -> None:
        """Called once per deferred name with its records and the uses of its loads."""
        raise NotImplementedError

    def _resolve(self, node: cst.CSTNode) -> None:
        deferred = self._deferred.pop(id(node), None)
        if not deferred:
            return
        uses = name_uses(node, deferred)
        for name, records in deferred.items():
            self.names_resolved(name, records, uses.get(name, []))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._resolve(original_node)

    def leave_Module(self, original_node: cst.Module) -> None:
        self._resolve(original_node)
