"""Text to libcst tree: the one parse of a file, with the reason and position when it fails.

A tree the project index parsed is kept for the lint of the same text in the same process
(:func:`parse_source` with ``keep``), so a file is parsed once even when the index reads it
first.  A failure raises :class:`~asyncheck.core.source.SourceError` with CPython's message
and position when the text is not valid Python, libcst's otherwise.

Every parse is survivable: libcst's native parser overflows its stack (killing the process),
or takes very long, on expressions thousands of levels deep, so a scan of the text
(:mod:`~asyncheck.syntax.layout`) finds the lines that could hold one and CPython's parser
measures them first (:mod:`~asyncheck.syntax.limits`); a text too deep is refused with the
reason, never handed to libcst.

A large file is parsed a group of top-level statements at a time (:func:`_parse_segments`):
libcst's parser needs hundreds of bytes of memory per byte of source while it works, many
times what the tree it returns keeps.  The groups' statements make one module, the same as
a parse of the whole file gives.

libcst nests an implicit concatenation of string literals one level per literal, and rejects
thousands of them (valid Python): a run of more than :data:`STRING_RUN` is stood in for by
one string literal spanning the same lines and columns, so that every position stays right
(:func:`_stand_in`); the tree's code then differs from the file's text, which
:class:`Parsed` says, and no fix is offered in such a file.
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import libcst as cst

from asyncheck.core.source import SourceError, decode_source
from asyncheck.syntax.fastinit import trusting_the_parser
from asyncheck.syntax.layout import STRING_PATTERN, STRING_RUN, Layout, scan
from asyncheck.syntax.limits import python_syntax_error, too_deep

_NATIVE_POSITION_RE = re.compile(r"(?:parser error: )?error at (\d+):(\d+): ")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
_STRING_RE = re.compile(STRING_PATTERN, re.VERBOSE | re.DOTALL)
#: The parts of a stood-in run that are kept: line breaks, and the backslashes that
#: continue a line; anything else becomes blanks.
_STAND_IN_PART_RE = re.compile(r"\\(?:\r\n|\r|\n)|\r\n|\r|\n|[^\\\r\n]+|\\")
_NOT_LINE_BREAK_RE = re.compile(r"[^\r\n]+")

#: Texts longer than this are parsed a group of top-level statements at a time.
SEGMENT_ABOVE = 100_000
#: The size a group of statements grows to before the next one starts.
SEGMENT_CHARS = 20_000
#: The longest top-level statement parsed: libcst's parser needs about 500 bytes of memory
#: per byte of what it parses at once.
MAX_STATEMENT_CHARS = 2_000_000


@dataclass(frozen=True)
class Parsed:
    """A parsed text: the tree, and the code it generates, which is the text itself unless
    a run of string literals was stood in for (:func:`_stand_in`)."""

    module: cst.Module
    code: str
    #: Whether :attr:`code` differs from the parsed text.
    stands_in: bool = False


class _KeptTrees:
    """Trees the project index parsed, kept for the lint of the same text.

    The index parses a module when a lint asks about it; when that module's own lint comes
    later in the same process (import cycles, the pool's other chunks), it takes the tree
    from here instead of parsing the file again.  Bounded by source size: a tree takes about
    25 bytes of memory per byte of source.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._trees: OrderedDict[str, Parsed] = OrderedDict()
        self._size = 0

    def keep(self, text: str, tree: Parsed) -> None:
        if len(text) > self.budget or text in self._trees:
            return
        self._trees[text] = tree
        self._size += len(text)
        while self._size > self.budget:
            oldest, _ = self._trees.popitem(last=False)
            self._size -= len(oldest)

    def take(self, text: str) -> Parsed | None:
        tree = self._trees.pop(text, None)
        if tree is not None:
            self._size -= len(text)
        return tree


_KEPT_TREES = _KeptTrees(budget=2_000_000)


def parse_source(text: str, *, keep: bool = False) -> cst.Module:
    """Parse with libcst; raises :class:`SourceError` with the reason and position.

    ``keep``: the project index is parsing; keep the tree for this text's lint.
    """
    return parse_text(text, keep=keep).module


def parse_text(text: str, *, keep: bool = False) -> Parsed:
    """:func:`parse_source`, saying also whether the tree stands in for part of the text."""
    kept = _KEPT_TREES.take(text)
    if kept is not None:
        if keep:
            _KEPT_TREES.keep(text, kept)  # the index took a tree parsed ahead for a lint
        return kept
    parsed = _parse_source(text)
    if keep:
        _KEPT_TREES.keep(text, parsed)
    return parsed


def _parse_source(text: str) -> Parsed:
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SourceError("source contains a NUL byte", line, 1)
    layout = scan(text)
    problem = too_deep(text, layout)
    if problem is not None:
        raise problem
    if len(text) > MAX_STATEMENT_CHARS:
        _refuse_long_statements(text, layout)
    if layout is not None and len(text) > SEGMENT_ABOVE and len(layout.starts) > 1:
        try:
            return _parse_segments(text, layout)
        except _SplitFailed:
            pass  # the scan split a statement (it cannot, with CPython's grammar)
    return _parse_piece(text, stand_in=layout is not None and bool(layout.string_runs))


def _refuse_long_statements(text: str, layout: Layout | None) -> None:
    """Raise when a top-level statement is longer than :data:`MAX_STATEMENT_CHARS`."""
    bounds = [0, *(layout.starts[1:] if layout is not None else ()), len(text)]
    for start, end in zip(bounds, bounds[1:]):
        if end - start > MAX_STATEMENT_CHARS:
            line = len(_LINE_BREAK_RE.findall(text, 0, start)) + 1
            raise SourceError(
                f"too large to analyse: a statement of {(end - start) / 1e6:.1f} MB (the "
                f"limit is {MAX_STATEMENT_CHARS / 1e6:.0f} MB per top-level statement)", line)


class _SplitFailed(Exception):
    """A group of statements does not parse on its own, although the whole text may."""


def _parse_segments(text: str, layout: Layout) -> Parsed:
    """Parse ``text`` a group of top-level statements at a time, into one module.

    Each group after the first is parsed behind a two-line prefix that makes libcst choose
    the file's default newline and indentation (the first newline and the first indented
    line's indentation: the tree leaves out the newlines and indents equal to those, so
    all groups must agree), and its statements join the first group's.  The comment and
    blank lines that end a group belong, in a parse of the whole text, to the next
    statement: they are moved there.  A group never ends with an indented blank or comment
    line (:attr:`~asyncheck.syntax.layout.Layout.uncut`).
    """
    cuts = [start for start in layout.starts if start not in layout.uncut]
    bounds = [0]
    while True:
        number = bisect.bisect_left(cuts, bounds[-1] + SEGMENT_CHARS)
        if number >= len(cuts) or len(text) - cuts[number] < SEGMENT_CHARS // 2:
            break
        bounds.append(cuts[number])
    bounds.append(len(text))
    if len(bounds) == 2:
        return _parse_piece(text, stand_in=bool(layout.string_runs))

    def runs_in(start: int, end: int) -> bool:
        return any(start <= run < end for run in layout.string_runs)

    first = _parse_piece(text[:bounds[1]], whole=text, stand_in=runs_in(0, bounds[1]))
    newline, indent = first.module.default_newline, first.module.default_indent
    if layout.first_indent is not None:
        # libcst's default indentation is the file's first: the first group holds it, or
        # has no indented block (nothing of it depends on the default) and takes it.
        where, first_indent = layout.first_indent
        if where < bounds[1] and indent != first_indent:
            raise _SplitFailed
        indent = first_indent
    prefix = f"if 1:{newline}{indent}pass{newline}"
    body = list(first.module.body)
    codes = [first.code]
    footer = first.module.footer
    last = first.module
    stands_in = first.stands_in
    for start, end in zip(bounds[1:], bounds[2:]):
        piece = _parse_piece(prefix + text[start:end], whole=text, at=(start, 2),
                             stand_in=runs_in(start, end))
        module = piece.module
        if (module.default_newline != newline or module.default_indent != indent
                or len(module.body) < 2):
            raise _SplitFailed
        statements = list(module.body[1:])
        if footer:
            statements[0] = statements[0].with_changes(
                leading_lines=[*footer, *statements[0].leading_lines])
        body.extend(statements)
        codes.append(piece.code[len(prefix):])
        footer = module.footer
        last = module
        stands_in = stands_in or piece.stands_in
    module = first.module.with_changes(
        body=body, footer=footer, has_trailing_newline=last.has_trailing_newline,
        default_indent=indent)
    return Parsed(module, "".join(codes), stands_in=stands_in)


def _parse_piece(piece: str, *, whole: str | None = None, at: tuple[int, int] = (0, 0),
                 stand_in: bool = False) -> Parsed:
    """Parse the whole text, or (``whole`` given) a group of its statements that starts at
    offset ``at[0]`` of it, behind a prefix of ``at[1]`` lines.  ``stand_in``: the piece
    holds a long run of string literals (or may), to stand in for first."""
    if stand_in:
        stood_in = _stand_in(piece)
        if stood_in is not None:
            try:
                return Parsed(_libcst(stood_in), stood_in, stands_in=True)
            except (cst.ParserSyntaxError, RecursionError):
                pass  # the text's own error, below
    try:
        return Parsed(_libcst(piece), piece)
    except cst.ParserSyntaxError as error:
        python_error = python_syntax_error(piece)
        if python_error is not None:
            if whole is None:
                raise python_error from None
            # The file's first error, as CPython gives it; if CPython takes the whole
            # text, the scan split a statement.
            raise (python_syntax_error(whole) or _SplitFailed()) from None
        stood_in = None if stand_in else _stand_in(piece)  # else tried above
        if stood_in is not None:
            try:
                return Parsed(_libcst(stood_in), stood_in, stands_in=True)
            except (cst.ParserSyntaxError, RecursionError):
                pass
        raise _libcst_error(error, whole, at) from None
    except RecursionError:
        raise SourceError("cannot parse: nested too deeply") from None
    except Exception as error:  # libcst's native parser reports some failures otherwise
        reason = " ".join(str(error).split()) or type(error).__name__
        raise SourceError(f"cannot parse: {reason}") from None


def _libcst(text: str) -> cst.Module:
    with trusting_the_parser():
        return cst.parse_module(text)


def _libcst_error(error: cst.ParserSyntaxError, whole: str | None,
                  at: tuple[int, int]) -> SourceError:
    reason = " ".join(error.message.split()) or "syntax error"
    line, column = error.raw_line, error.raw_column + 1
    # The native parser puts the real position in the message: "... error at 2:0: ...".
    located = _NATIVE_POSITION_RE.match(reason)
    if located is not None:
        line, column = int(located.group(1)), int(located.group(2)) + 1
        reason = reason[located.end():] or "syntax error"
    if whole is not None:
        start, prefix_lines = at
        line += len(_LINE_BREAK_RE.findall(whole, 0, start)) - prefix_lines
    return SourceError(f"cannot parse: {reason}", max(line, 1), column)


def _stand_in(text: str) -> str | None:
    """``text`` with each implicit concatenation of more than :data:`STRING_RUN` string
    literals replaced by one literal of the same lines and columns (:func:`_stand_in_for`),
    so that everything else keeps its place; None when there is none.  CPython's parser
    places the runs: a run is one constant (or f-string) node of its tree.

    libcst nests a concatenation one level per literal: it rejects thousands of them, and
    the analyses' walks run out of room on fewer."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about the analysed code
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    line_starts = [0, *(m.end() for m in _LINE_BREAK_RE.finditer(text))]

    def offset(line: int, column: int) -> int:
        # CPython's columns count UTF-8 bytes.
        start = line_starts[line - 1]
        return start + len(text[start:start + column].encode("utf-8")[:column].decode(
            "utf-8", errors="ignore"))

    runs: list[tuple[int, int]] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and node.end_lineno is not None \
                and node.end_col_offset is not None and (
                    node.end_lineno > node.lineno
                    or node.end_col_offset - node.col_offset > 2 * STRING_RUN):
            start = offset(node.lineno, node.col_offset)
            end = offset(node.end_lineno, node.end_col_offset)
            if len(_STRING_RE.findall(text, start, end)) > STRING_RUN:
                runs.append((start, end))
                continue
        pending.extend(ast.iter_child_nodes(node))
    if not runs:
        return None
    parts = []
    done = 0
    for start, end in sorted(runs):
        parts += [text[done:start], _stand_in_for(text[start:end])]
        done = end
    parts.append(text[done:])
    return "".join(parts)


def _stand_in_for(run: str) -> str:
    """One string literal as long as ``run``, with line breaks where it has them: a
    triple-quoted string of blanks when its first and last lines have room for the quotes,
    else ``""`` followed by blanks (and the backslashes that continue its lines)."""
    blank = _NOT_LINE_BREAK_RE.sub(lambda part: " " * len(part.group()), run)
    lines = _LINE_BREAK_RE.split(run)
    if len(lines[0]) >= 3 and len(lines[-1]) >= 3:
        return '"""' + blank[3:-3] + '"""'
    parts = ['""']
    for part in _STAND_IN_PART_RE.finditer(run, 2):
        kept = part.group()
        parts.append(kept if kept[0] in "\r\n" or len(kept) > 1 and kept[0] == "\\"
                     else " " * len(kept))
    return "".join(parts)


def read_module(data: bytes) -> cst.Module | None:
    """Decode and parse, or None (for the project index, which reports nothing itself)."""
    try:
        return parse_source(decode_source(data).text, keep=True)
    except SourceError:
        return None
