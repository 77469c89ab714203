"""``--add-noqa``: a ``# noqa: ACKnnn`` comment on each line that holds a finding.

The comment goes where suppression reads it (SPEC §5): the reported line, or the first line
of the reported statement when the reported line cannot take a comment (it ends inside a
string, or with a backslash).  An existing ``# noqa: CODES`` on that line gets the new
codes added to it; any other comment stays and the ``# noqa`` follows it.  Every other byte
of the file stays as it was: the text is changed by inserting characters only, and written
back in its own encoding, BOM and line endings.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from asyncheck.core.diagnostic import UNPARSABLE_CODE, Diagnostic
from asyncheck.core.suppression import parse_suppressions

_LINE_END = re.compile(r"\r\n|\r|\n")
_NOQA_CODES = re.compile(
    r"#\s*noqa:[\s]*(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*)", re.IGNORECASE)


@dataclass
class NoqaEdit:
    """What adding ``# noqa`` comments to one text came to."""

    text: str
    added: Counter[str] = field(default_factory=Counter)
    #: Findings no comment could be placed for (they stay reported).
    unplaced: list[Diagnostic] = field(default_factory=list)


def _commentable_lines(text: str) -> tuple[set[int], dict[int, int], dict[int, int]] | None:
    """The lines whose end can take a comment, each line's logical-line start, and where
    each line's comment starts; None when the text does not tokenize (nothing is added)."""
    commentable: set[int] = set()
    starts: dict[int, int] = {}
    comments: dict[int, int] = {}
    start: int | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            kind = token.type
            if kind in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
                commentable.add(token.start[0])
            if kind == tokenize.COMMENT:
                comments[token.start[0]] = token.start[1]
            if kind in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
                        tokenize.ENDMARKER):
                continue
            if start is None:
                start = token.start[0]
            for line in range(token.start[0], token.end[0] + 1):
                starts.setdefault(line, start)
            if kind == tokenize.NEWLINE:
                start = None
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return commentable, starts, comments


def add_noqa(text: str, diagnostics: Sequence[Diagnostic]) -> NoqaEdit:
    """``text`` with a ``# noqa: CODE`` for each finding in ``diagnostics`` (findings of
    this text).  Nothing is added when the text could not be analysed (an ACK000)."""
    edit = NoqaEdit(text)
    if not diagnostics or any(d.code == UNPARSABLE_CODE or d.internal_error
                              for d in diagnostics):
        edit.unplaced = list(diagnostics)
        return edit
    lines_info = _commentable_lines(text)
    if lines_info is None:
        edit.unplaced = list(diagnostics)
        return edit
    commentable, starts, comments = lines_info
    wanted: dict[int, set[str]] = {}
    for d in diagnostics:
        line = d.line
        if line not in commentable:
            line = starts.get(d.line, d.line)
        if line not in commentable:
            edit.unplaced.append(d)
            continue
        wanted.setdefault(line, set()).add(d.code)
    suppressions = parse_suppressions(text)
    parts = _LINE_END.split(text)
    ends = _LINE_END.findall(text)
    for number, codes in wanted.items():
        present = suppressions.get(number, frozenset())
        if present is None:
            continue
        new = sorted(c for c in codes if not any(c.startswith(p) for p in present))
        if not new:
            continue
        parts[number - 1] = _with_codes(parts[number - 1], comments.get(number), new)
        edit.added.update(new)
    edit.text = "".join(part + end for part, end in zip(parts, [*ends, ""]))
    return edit


def _with_codes(line: str, comment: int | None, codes: Iterable[str]) -> str:
    """``line`` with ``codes`` in the ``# noqa:`` of its comment (which starts at column
    ``comment``; a ``# noqa`` inside a string is not one), or in a new comment."""
    joined = ", ".join(codes)
    match = None
    if comment is not None:
        for match in _NOQA_CODES.finditer(line, comment):
            pass
    if match is not None:
        end = match.end("codes")
        return f"{line[:end]}, {joined}{line[end:]}"
    stripped = line.rstrip(" \t")
    return f"{stripped}  # noqa: {joined}{line[len(stripped):]}"
