"""Blocking calls: the table of library calls that freeze the event loop, and the rule base.

Tables, not code: each entry maps a qualified name (as resolved through imports and object
tracking, e.g. ``requests.Session.get``) to the rule that reports it and the asyncio way out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import libcst as cst

from asyncheck.rule import Rule


@dataclass(frozen=True)
class BlockingCall:
    """How a blocking call is reported: by which rule, with which way out."""

    code: str
    way_out: str


BLOCKING_CALLS: dict[str, BlockingCall] = {
    "time.sleep": BlockingCall("ACK200", "`await asyncio.sleep(...)`"),
}


def blocking_call(qualname: str) -> BlockingCall | None:
    """The table entry for a resolved qualified name, if it is a blocking call."""
    return BLOCKING_CALLS.get(qualname)


class BlockingCallRule(Rule):
    """Base of the ACK2xx rules: a call from the table, made directly inside ``async def``.

    Subclasses set ``code``, ``name``, ``message`` (with ``{call}``, ``{function}`` and
    ``{way_out}`` fields) and their examples; the table decides what each one reports.
    """

    message: ClassVar[str] = "`{call}(...)` blocks the event loop inside `async def {function}`; use {way_out}"

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        if not context.in_async_function:
            return
        qualname = context.qualified_name(node.func)
        if qualname is None:
            return
        entry = blocking_call(qualname)
        if entry is None or entry.code != self.code:
            return
        function = context.current_function
        self.report(
            node,
            call=qualname,
            function=function.name.value if function is not None else "?",
            way_out=entry.way_out,
        )
