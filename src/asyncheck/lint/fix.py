"""Fixes: what a rule proposes to change, and applying them safely.

A rule attaches a :class:`Fix` (replace one node of the linted tree by another, plus modules
that must be imported) to a finding.  :func:`fix_source` applies every fix of a file in one
libcst transform, re-parses the result, re-lints it and repeats until nothing changes
(bounded rounds).  A fix whose result does not parse, or that changed lines outside the
replaced nodes, is dropped with a message.  :func:`write_atomically` replaces a file keeping
its permissions; encoding, BOM and line endings are kept by the caller (libcst keeps every
byte it does not replace, including ``\\r\\n``).
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

if TYPE_CHECKING:
    from asyncheck.semantics.names import Scope
    from asyncheck.lint.engine import DecodedSource, FileResult

#: How many lint-and-fix rounds a file gets before we stop (fixes can enable other fixes).
MAX_ROUNDS = 10


@dataclass(frozen=True, eq=False)
class Fix:
    """Replace ``old`` (a node of the linted tree) by ``new``; add ``imports`` if missing.

    ``imports`` are module names that must be imported at module level (``"asyncio"``); the
    fixer adds ``import asyncio`` after the existing imports at the top of the module.
    """

    old: cst.CSTNode
    new: cst.CSTNode
    description: str
    imports: tuple[str, ...] = ()


def module_alias(module_scope: Scope, module: str) -> str | None:
    """The name ``module`` is imported as at module level (``import asyncio as aio`` -> ``aio``).

    None when it is not imported as a whole module there.
    """
    for name, bindings in module_scope.bindings.items():
        for binding in bindings:
            if (binding.kind == "import" and binding.qualname == module
                    and isinstance(binding.node, cst.Import)):
                return name
    return None


def name_is_free(module_scope: Scope, name: str) -> bool:
    """Nothing at module level binds ``name`` (so ``import name`` cannot clash)."""
    return name not in module_scope.bindings


# -- applying -------------------------------------------------------------------------------
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
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
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


def fix_source(
    lint: Callable[[DecodedSource], FileResult],
    source: DecodedSource,
    *,
    path: str,
) -> FixOutcome:
    """Lint, apply every fix, re-lint, until no fix applies (at most :data:`MAX_ROUNDS`)."""
    from asyncheck.lint.engine import DecodedSource, SourceError, parse_source

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
        new_text = new_module.code
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


def encode_source(text: str, encoding: str, bom: bool) -> bytes:
    """Text back to the file's bytes: same encoding, BOM kept."""
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


class WriteError(Exception):
    """A fixed file could not be written; the original is untouched."""


def _writable(path: Path) -> bool:
    """Honour write permissions even for root, who could write anyway."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    if os.geteuid() == 0 if hasattr(os, "geteuid") else False:
        return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return os.access(path, os.W_OK)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` via a temporary file in the same directory, keeping the
    file's permissions.  Raises :class:`WriteError` with a one-line reason."""
    if not _writable(path):
        raise WriteError(f"cannot write {path}: the file is read-only")
    if not _writable(path.parent):
        raise WriteError(f"cannot write {path}: its directory is read-only")
    mode = stat.S_IMODE(path.stat().st_mode)
    try:
        handle = tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}.", suffix=".asyncheck-tmp", delete=False)
    except OSError as error:
        raise WriteError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except OSError as error:
        try:
            os.unlink(handle.name)
        except OSError:
            pass
        raise WriteError(f"cannot write {path}: {error.strerror or error}") from None


def unified_diff(path: str, old: str, new: str) -> str:
    """A ``git diff``-style unified diff of one file."""
    return "".join(difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"a/{path}", tofile=f"b/{path}"))
