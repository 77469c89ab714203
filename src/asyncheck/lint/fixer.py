"""Applying fixes safely: every fix of a file in one transform, checked, until none applies.

:func:`fix_source` applies every :class:`~asyncheck.lint.fix.Fix` of a file in one libcst
transform, re-parses the result, re-lints it and repeats until nothing changes (bounded
rounds).  A fix whose result does not parse, or that changed lines outside the replaced
nodes, is dropped with a message.  Encoding, BOM and line endings are kept by the caller
(libcst keeps every byte it does not replace, including ``\\r\\n``).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from asyncheck.core.source import DecodedSource, SourceError
from asyncheck.lint.fix import Fix
from asyncheck.syntax.parse import parse_source

if TYPE_CHECKING:
    from asyncheck.lint.engine import FileResult

#: How many lint-and-fix rounds a file gets before we stop (fixes can enable other fixes).
MAX_ROUNDS = 10

#: Where a line ends for Python and for libcst's positions: ``str.splitlines`` also splits
#: at form feeds, vertical tabs and other characters that are whitespace inside a line.
_PYTHON_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
#: Where a line ends for ``diff`` and ``git apply``: at ``\n`` only (a ``\r`` before it,
#: or a lone one, is part of the line's text).
_DIFF_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_NO_NEWLINE = "\\ No newline at end of file\n"


def _python_lines(text: str) -> list[str]:
    """``text`` split into the lines Python numbers, each with its line ending."""
    return _PYTHON_LINE.findall(text)


class _Replacer(cst.CSTTransformer):
    def __init__(self, fixes: Sequence[tuple[str, Fix]]) -> None:
        super().__init__()
        self.pending = {id(fix.old): (code, fix) for code, fix in fixes}
        self.applied: list[tuple[str, Fix]] = []
        self._applied_before: dict[int, int] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        if id(node) in self.pending:
            self._applied_before[id(node)] = len(self.applied)
        return True

    def on_leave(  # type: ignore[override]  # replacements change node types
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode:
        entry = self.pending.get(id(original_node))
        if entry is None:
            return updated_node
        if len(self.applied) > self._applied_before.pop(id(original_node)):
            return updated_node  # a fix inside it was applied: this one waits for the next round
        self.applied.append(entry)
        return entry[1].new


def _add_imports(module: cst.Module, modules: Iterable[str]) -> cst.Module:
    """Insert ``import X`` after the module docstring, ``__future__`` imports and the
    leading block of imports."""
    wanted = sorted(set(modules))
    if not wanted:
        return module
    body = list(module.body)
    position = 0
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine):
            break
        small = statement.body
        is_docstring = (
            index == 0 and len(small) == 1 and isinstance(small[0], cst.Expr)
            and isinstance(small[0].value, (cst.SimpleString, cst.ConcatenatedString))
        )
        if is_docstring or all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in small):
            position = index + 1
        else:
            break
    new_lines = [cst.parse_statement(f"import {name}\n") for name in wanted]
    return module.with_changes(body=body[:position] + new_lines + body[position:])


@dataclass
class FixOutcome:
    """What fixing one file's text did."""

    text: str
    fixed: Counter[str] = field(default_factory=Counter)
    dropped: list[str] = field(default_factory=list)
    result: FileResult | None = None


def _line_spans(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> list[tuple[int, int]]:
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    spans = []
    for node in nodes:
        where = positions.get(node)
        if where is not None:
            spans.append((where.start.line, where.end.line))
    return spans


def _changes_stay_inside(old: str, new: str, spans: list[tuple[int, int]], imports: int) -> bool:
    """Every changed line of ``old`` lies in a replaced node's lines; only ``imports`` new
    lines were inserted elsewhere."""
    old_lines = _python_lines(old)
    new_lines = _python_lines(new)
    inserted_elsewhere = 0
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "insert":
            if not any(start <= i1 + 1 <= end + 1 for start, end in spans):
                inserted_elsewhere += j2 - j1
            continue
        for line in range(i1 + 1, i2 + 1):  # 1-based
            if not any(start <= line <= end for start, end in spans):
                return False
    return inserted_elsewhere <= imports


def _keep_final_line_break(old: str, new: str) -> str:
    """libcst drops the line break that ends a file whose lines end in a lone ``\\r``
    (its tree says there is none): put it back."""
    if old.endswith("\r") and not new.endswith(("\r", "\n")):
        return new + "\r"
    return new


def fix_source(
    lint: Callable[[DecodedSource], FileResult],
    source: DecodedSource,
    *,
    path: str,
) -> FixOutcome:
    """Lint, apply every fix, re-lint, until no fix applies (at most :data:`MAX_ROUNDS`)."""
    outcome = FixOutcome(source.text)
    current = source
    result = lint(current)
    rejected: set[tuple[str, int, int]] = set()
    for _ in range(MAX_ROUNDS):
        module = result.module
        candidates = [(d.code, d.fix) for d in result.diagnostics
                      if isinstance(d.fix, Fix) and (d.code, d.line, d.column) not in rejected]
        if module is None or not candidates:
            break
        keyed = {id(fix): (d.code, d.line, d.column) for d in result.diagnostics
                 if (fix := d.fix) is not None}
        replacer = _Replacer(candidates)
        new_module = module.visit(replacer)
        applied = replacer.applied
        if not applied:
            break
        imports = {name for _, fix in applied for name in fix.imports}
        new_module = _add_imports(new_module, imports)
        new_text = _keep_final_line_break(current.text, new_module.code)
        problem = None
        try:
            parse_source(new_text)
        except SourceError as error:
            problem = f"the result does not parse ({error.reason})"
        if problem is None:
            spans = _line_spans(module, [fix.old for _, fix in applied])
            if not _changes_stay_inside(current.text, new_text, spans, len(imports)):
                problem = "it changed code outside the replaced nodes"
        if problem is not None:
            codes = sorted({code for code, _ in applied})
            outcome.dropped.append(f"{path}: fix of {', '.join(codes)} dropped: {problem}")
            rejected.update(keyed[id(fix)] for _, fix in applied)
            continue
        outcome.fixed.update(code for code, _ in applied)
        current = DecodedSource(new_text, current.encoding, current.bom)
        result = lint(current)
    outcome.text = current.text
    outcome.result = result
    return outcome


def unified_diff(path: str, old: str, new: str) -> str:
    """A ``git diff``-style unified diff of one file, which ``patch`` and ``git apply``
    take: lines end at ``\\n`` only, and a last line without one is marked as such."""
    lines = difflib.unified_diff(_DIFF_LINE.findall(old), _DIFF_LINE.findall(new),
                                 fromfile=f"a/{path}", tofile=f"b/{path}")
    return "".join(line if line.endswith("\n") else f"{line}\n{_NO_NEWLINE}"
                   for line in lines)
