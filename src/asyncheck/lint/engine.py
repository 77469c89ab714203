"""One file in, diagnostics out: decode, parse once, one batched visit, suppression.

The engine never imports or runs the code it reads.  A file it cannot decode or parse gets
an ACK000 diagnostic with the reason and position; a rule that raises gets an ACK000
internal-error diagnostic naming the rule, and the other rules still run on that file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import libcst as cst
from libcst.metadata import MetadataWrapper

from asyncheck.core.config import Settings
from asyncheck.core.diagnostic import UNPARSABLE_CODE, Diagnostic
from asyncheck.core.source import (
    MAX_FILE_BYTES,
    DecodedSource,
    SourceError,
    decode_source,
)
from asyncheck.core.suppression import is_suppressed, parse_suppressions
from asyncheck.lint.context import FileContext, RawFinding
from asyncheck.lint.rule import Rule
from asyncheck.semantics.project import ProjectIndex
from asyncheck.syntax.parse import parse_text
from asyncheck.syntax.positions import positions
from asyncheck.syntax.walk import walk_tracked


@dataclass
class FileResult:
    """What linting one file produced."""

    diagnostics: list[Diagnostic]
    module: cst.Module | None = None
    source: DecodedSource | None = None


class Linter:
    """Runs a fixed set of rule classes over files; build once, use for many files."""

    def __init__(
        self,
        rules: Sequence[type[Rule]],
        settings: Settings,
        index: ProjectIndex,
        *,
        apply_noqa: bool = True,
    ) -> None:
        self.rules = tuple(rules)
        self.settings = settings
        self.index = index
        self.apply_noqa = apply_noqa
        self.codes = frozenset(r.code for r in self.rules)
        self._peer_codes = {r.code: r.PEER_CODES for r in self.rules if r.PEER_CODES}
        self._needs_metadata = any(r.METADATA_DEPENDENCIES for r in self.rules)
        #: The rules that run on every file: they made no promise (TRIGGERS), or they
        #: also report calls of the project's coroutine functions by name, which the
        #: pre-filter knows and one file's text does not.
        self._everywhere = frozenset(
            rule for rule in self.rules
            if rule.TRIGGERS is None or rule.TRIGGERS_INCLUDE_COROUTINE_NAMES)

    def lint_bytes(
        self, path: str, data: bytes, *, module_name: str, is_package: bool = False
    ) -> FileResult:
        """Lint one file's bytes; ``path`` is how diagnostics name it."""
        if len(data) > MAX_FILE_BYTES:
            return FileResult(self._unparsable(path, _too_large(len(data))))
        try:
            source = decode_source(data)
        except SourceError as error:
            return FileResult(self._unparsable(path, error))
        return self.lint_text(path, source, module_name=module_name, is_package=is_package)

    def lint_text(
        self, path: str, source: DecodedSource, *, module_name: str, is_package: bool = False
    ) -> FileResult:
        """Lint already decoded source."""
        if len(source.text) > MAX_FILE_BYTES:  # the flake8 plugin's text
            return FileResult(self._unparsable(path, _too_large(len(source.text))),
                              source=source)
        try:
            parsed = parse_text(source.text)
        except SourceError as error:
            return FileResult(self._unparsable(path, error), source=source)
        module = parsed.module
        ignored = self.settings.ignored_for_path(Path(path))
        role = self.settings.role_of(Path(path))
        rules = self._may_report_in(source.text, [
            r for r in self.rules
            if not any(r.code.startswith(i) for i in ignored) and role not in r.QUIET_IN])
        try:
            with _deeper_recursion():
                self.index.add_module(module_name, module, is_package=is_package)
        except RecursionError:
            return FileResult(self._unparsable(path, SourceError("nested too deeply to analyse")),
                              source=source)
        diagnostics: list[Diagnostic] = []
        findings: list[RawFinding] = []
        while rules:
            context = FileContext(
                path=path, module=module, module_name=module_name, is_package=is_package,
                source=source.text, settings=self.settings, index=self.index,
            )
            instances = [rule(context) for rule in rules]
            try:
                if self._needs_metadata:
                    MetadataWrapper(module, unsafe_skip_copy=True).visit_batched(
                        instances, context.before_visit, context.after_leave)
                else:
                    with _deeper_recursion():
                        walk_tracked(module, [i.get_visitors() for i in instances],
                                     context.stack, *context.node_hooks())
            except RecursionError:
                diagnostics.extend(self._unparsable(path, SourceError("nested too deeply to analyse")))
                break
            except Exception as error:
                failed = _failing_rule(error.__traceback__)
                if failed is None or type(failed) not in rules:
                    raise
                rules.remove(type(failed))
                diagnostics.append(Diagnostic.unparsable(
                    path,
                    f"internal error in rule {failed.code} ({failed.name}): "
                    f"{type(error).__name__}: {error}; please report this with the file",
                    internal_error=True,
                ))
                continue
            finally:
                context.release()
            findings = context.findings
            break
        if findings:
            try:
                with _deeper_recursion():
                    diagnostics.extend(self._position(path, module, source.text, findings,
                                                      code=parsed.code,
                                                      fixes=not parsed.stands_in))
            except RecursionError:
                diagnostics.extend(self._unparsable(path, SourceError(
                    "nested too deeply to compute the positions of its findings")))
        diagnostics.sort(key=Diagnostic.sort_key)
        return FileResult(diagnostics, module, source)

    def _may_report_in(self, text: str, rules: list[type[Rule]]) -> list[type[Rule]]:
        """The rules that can report in a file with this text.

        A rule reports only in files that hold one of its triggers (the promise the
        pre-filter skips whole files on); in a file that holds none of them it is left out
        of the visit, whose cost is mostly the rules' calls.
        """
        present: dict[tuple[str, ...] | None, bool] = {}
        kept = []
        for rule in rules:
            if rule not in self._everywhere:
                found = present.get(rule.TRIGGERS)
                if found is None:
                    found = present[rule.TRIGGERS] = rule.triggered_by(text)
                if not found:
                    continue
            kept.append(rule)
        return kept

    def _position(
        self, path: str, module: cst.Module, text: str, findings: list[RawFinding], *,
        code: str, fixes: bool = True,
    ) -> list[Diagnostic]:
        """The findings as diagnostics.  ``code``: what the tree generates (``text``, unless
        it stands in for string literals it could not hold, in the same lines and columns);
        ``fixes``: whether fixes may be offered (not where the tree stands in: a fix
        generates the file's new text from it)."""
        ranges = positions(module, code, findings)
        suppressions = parse_suppressions(text, include_noqa=self.apply_noqa)
        # Another linter's code for the same check counts in every mode (flake8 reads only
        # its own codes from `# noqa`), so that both ways in report the same findings.
        peer_suppressions = suppressions if self.apply_noqa or not self._peer_codes else (
            parse_suppressions(text))
        result = []
        seen: set[tuple[str, int, int]] = set()
        for finding in findings:
            where = ranges.get(finding.node)
            if where is None:
                continue
            lines: tuple[int, ...] = (where.start.line,)
            if finding.statement is not None and finding.statement in ranges:
                lines += (ranges[finding.statement].start.line,)
            if is_suppressed(finding.code, lines, suppressions):
                continue
            peers = self._peer_codes.get(finding.code)
            if peers and any(is_suppressed(peer, lines, peer_suppressions) for peer in peers):
                continue
            key = (finding.code, where.start.line, where.start.column)
            if key in seen:
                continue
            seen.add(key)
            result.append(Diagnostic(
                path, where.start.line, where.start.column + 1, where.end.line,
                where.end.column + 1, finding.code, finding.name, finding.message,
                finding.fix if fixes else None,
            ))
        return result

    def _unparsable(self, path: str, error: SourceError) -> list[Diagnostic]:
        if UNPARSABLE_CODE not in self.codes:
            return []
        return [Diagnostic.unparsable(path, error.reason, error.line, error.column)]


def _too_large(size: int) -> SourceError:
    # The tree takes tens of bytes of memory per byte of source, and parsing a large file
    # takes long: say so instead of exhausting the machine.
    return SourceError(f"file too large to analyse ({size / 1e6:.1f} MB; the limit is "
                       f"{MAX_FILE_BYTES / 1e6:.0f} MB)")


@contextmanager
def _deeper_recursion(limit: int = 6000) -> Iterator[None]:
    """Room for deep but real trees (pydoc's topics.py chains ~1,000 implicitly concatenated
    strings).  Only the walk gets it, not the parse: libcst's native parser takes seconds and
    gigabytes on inputs that deep, and stops early at the normal limit."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _failing_rule(traceback: TracebackType | None) -> Rule | None:
    """The innermost rule instance on a traceback (whose method raised)."""
    found = None
    while traceback is not None:
        candidate = traceback.tb_frame.f_locals.get("self")
        if isinstance(candidate, Rule):
            found = candidate
        traceback = traceback.tb_next
    return found
