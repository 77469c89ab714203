"""A baseline: the findings a project has accepted for now, so that only new ones fail.

An entry is keyed by what a finding *is*, not where it is: the file's path relative to the
project root, the code, the reported code's text with its whitespace normalised, and its
occurrence among findings of the file with the same path, code and text (in line order).
Lines inserted above a finding move it without changing its key; a second identical
problem in the same file has the next occurrence, which the baseline does not hold.

The file is JSON, sorted and indented, with a ``version``: reviewable in a pull request
and stable from one ``--write-baseline`` to the next.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asyncheck.app.writing import WriteError, write_file
from asyncheck.core.diagnostic import Diagnostic
from asyncheck.core.source import SourceError, decode_source

BASELINE_VERSION = 1

_LINE_END = re.compile(r"\r\n|\r|\n")

#: (path relative to the root, code, normalised text, occurrence).
Key = tuple[str, str, str, int]

#: The lines of a file's text by its reported path (None: cannot be read).
LineReader = Callable[[str], "Sequence[str] | None"]


class BaselineError(Exception):
    """A baseline file that cannot be read or written (exit 2)."""


def relative_path(path: str, root: Path) -> str:
    """``path`` relative to the project ``root``, with ``/`` separators (as given when it
    is not under the root)."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        try:
            return Path(path).resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError, RuntimeError):
            return Path(path).as_posix()


def split_lines(text: str) -> list[str]:
    """The lines of a source text, as Python ends them (no line-end characters)."""
    return _LINE_END.split(text)


def read_lines(path: str) -> list[str] | None:
    """The lines of the file at ``path``; None when it cannot be read or decoded."""
    try:
        return split_lines(decode_source(Path(path).read_bytes()).text)
    except (OSError, SourceError):
        return None


def reported_text(d: Diagnostic, lines: Sequence[str] | None) -> str:
    """The code a finding reports (its span; the whole line for an empty span), with every
    run of whitespace made one space."""
    if lines is None or not 1 <= d.line <= len(lines):
        return ""
    if (d.end_line, d.end_column) <= (d.line, d.column) or d.end_line > len(lines):
        return " ".join(lines[d.line - 1].split())
    if d.line == d.end_line:
        span = lines[d.line - 1][d.column - 1:d.end_column - 1]
    else:
        span = "\n".join([lines[d.line - 1][d.column - 1:], *lines[d.line:d.end_line - 1],
                          lines[d.end_line - 1][:d.end_column - 1]])
    return " ".join(span.split())


def keyed(diagnostics: Iterable[Diagnostic], root: Path,
          read: LineReader = read_lines) -> list[tuple[Diagnostic, Key]]:
    """Each finding with its baseline key (findings in file and line order)."""
    counts: dict[tuple[str, str, str], int] = {}
    cached: dict[str, Sequence[str] | None] = {}
    result = []
    for d in sorted(diagnostics, key=Diagnostic.sort_key):
        if d.path not in cached:
            cached[d.path] = read(d.path)
        text = reported_text(d, cached[d.path])
        group = (relative_path(d.path, root), d.code, text)
        occurrence = counts.get(group, 0)
        counts[group] = occurrence + 1
        result.append((d, (*group, occurrence)))
    return result


@dataclass
class Baseline:
    """The accepted findings, read from ``path``."""

    path: Path
    entries: dict[Key, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read a baseline file; a :class:`BaselineError` says why it cannot be."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BaselineError(f"baseline {path}: no such file (write it with "
                                "--write-baseline)") from None
        except OSError as error:
            raise BaselineError(
                f"baseline {path}: cannot read: {error.strerror or error}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BaselineError(f"baseline {path}: not a baseline file: {error}") from None
        if not isinstance(document, dict) or document.get("version") != BASELINE_VERSION:
            raise BaselineError(f"baseline {path}: not a version {BASELINE_VERSION} "
                                "asyncheck baseline")
        findings = document.get("findings")
        if not isinstance(findings, list):
            raise BaselineError(f"baseline {path}: 'findings' must be a list")
        baseline = cls(path)
        for number, entry in enumerate(findings, start=1):
            try:
                key: Key = (entry["path"], entry["code"], entry["text"], entry["occurrence"])
                if not all(isinstance(part, str) for part in key[:3]) or not isinstance(
                        key[3], int) or isinstance(key[3], bool):
                    raise TypeError
            except (KeyError, TypeError):
                raise BaselineError(f"baseline {path}: entry {number} needs path, code, text "
                                    "(strings) and occurrence (an integer)") from None
            baseline.entries[key] = entry
        return baseline

    def split(self, keyed_findings: Sequence[tuple[Diagnostic, Key]]
              ) -> tuple[list[Diagnostic], set[Key]]:
        """(the findings the baseline does not hold, the keys it matched)."""
        new = []
        matched: set[Key] = set()
        for d, key in keyed_findings:
            if key in self.entries:
                matched.add(key)
            else:
                new.append(d)
        return new, matched

    def stale(self, matched: set[Key], checked_paths: Iterable[str]) -> list[Key]:
        """Entries of the checked files that no finding matched, sorted."""
        checked = set(checked_paths)
        return sorted(key for key in self.entries if key not in matched and key[0] in checked)


def render(keyed_findings: Sequence[tuple[Diagnostic, Key]]) -> str:
    """The baseline file's text for these findings."""
    entries = sorted(
        ({"path": key[0], "code": key[1], "text": key[2], "occurrence": key[3],
          "message": d.message} for d, key in keyed_findings),
        key=lambda e: (e["path"], e["code"], e["text"], e["occurrence"]))
    return json.dumps({"version": BASELINE_VERSION, "findings": entries}, indent=2,
                      ensure_ascii=False) + "\n"


def write(path: Path, keyed_findings: Sequence[tuple[Diagnostic, Key]]) -> int:
    """Write the baseline for these findings to ``path``; how many entries it holds."""
    text = render(keyed_findings)
    try:
        write_file(path, text.encode("utf-8"))
    except WriteError as error:
        raise BaselineError(str(error).replace("cannot write", "cannot write baseline", 1)
                            ) from None
    return len(keyed_findings)


def lines_of(texts: Mapping[str, str]) -> LineReader:
    """A line reader that knows some texts already (standard input's), else reads files."""
    def read(path: str) -> Sequence[str] | None:
        if path in texts:
            return split_lines(texts[path])
        return read_lines(path)
    return read
