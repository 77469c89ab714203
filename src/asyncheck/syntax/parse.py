"""Text to libcst tree: the one parse of a file, with the reason and position when it fails.

A tree the project index parsed is kept for the lint of the same text in the same process
(:func:`parse_source` with ``keep``), so a file is parsed once even when the index reads it
first.  A failure raises :class:`~asyncheck.core.source.SourceError` with CPython's message
and position when the text is not valid Python, libcst's otherwise.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections import OrderedDict

import libcst as cst

from asyncheck.core.source import SourceError, decode_source
from asyncheck.syntax.fastinit import trusting_the_parser

_NATIVE_POSITION_RE = re.compile(r"(?:parser error: )?error at (\d+):(\d+): ")


class _KeptTrees:
    """Trees the project index parsed, kept for the lint of the same text.

    The index parses a module when a lint asks about it; when that module's own lint comes
    later in the same process (import cycles, the pool's other chunks), it takes the tree
    from here instead of parsing the file again.  Bounded by source size: a tree takes about
    25 bytes of memory per byte of source.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._trees: OrderedDict[str, cst.Module] = OrderedDict()
        self._size = 0

    def keep(self, text: str, tree: cst.Module) -> None:
        if len(text) > self.budget or text in self._trees:
            return
        self._trees[text] = tree
        self._size += len(text)
        while self._size > self.budget:
            oldest, _ = self._trees.popitem(last=False)
            self._size -= len(oldest)

    def take(self, text: str) -> cst.Module | None:
        tree = self._trees.pop(text, None)
        if tree is not None:
            self._size -= len(text)
        return tree


_KEPT_TREES = _KeptTrees(budget=2_000_000)


def parse_source(text: str, *, keep: bool = False) -> cst.Module:
    """Parse with libcst; raises :class:`SourceError` with libcst's reason and position.

    ``keep``: the project index is parsing; keep the tree for this text's lint.
    """
    kept = _KEPT_TREES.take(text)
    if kept is not None:
        if keep:
            _KEPT_TREES.keep(text, kept)  # the index took a tree parsed ahead for a lint
        return kept
    tree = _parse_source(text)
    if keep:
        _KEPT_TREES.keep(text, tree)
    return tree


def _parse_source(text: str) -> cst.Module:
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SourceError("source contains a NUL byte", line, 1)
    try:
        with trusting_the_parser():
            return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        python_error = _python_syntax_error(text)
        if python_error is not None:
            raise python_error from None
        reason = " ".join(error.message.split()) or "syntax error"
        line, column = error.raw_line, error.raw_column + 1
        # The native parser puts the real position in the message: "... error at 2:0: ...".
        located = _NATIVE_POSITION_RE.match(reason)
        if located is not None:
            line, column = int(located.group(1)), int(located.group(2)) + 1
            reason = reason[located.end():] or "syntax error"
        raise SourceError(f"cannot parse: {reason}", line, column) from None
    except RecursionError:
        raise SourceError("cannot parse: nested too deeply") from None
    except Exception as error:  # libcst's native parser reports some failures otherwise
        reason = " ".join(str(error).split()) or type(error).__name__
        raise SourceError(f"cannot parse: {reason}") from None


def _python_syntax_error(text: str) -> SourceError | None:
    """CPython's own message and position when the text is not valid Python (they are more
    precise than libcst's); None when it is valid Python that libcst rejects.

    ``ast.parse`` compiles nothing and runs nothing.
    """
    try:
        with warnings.catch_warnings():
            # CPython warns about the analysed code (`"a" is "b"`): not ours to print.
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as error:
        line = error.lineno or 1
        column = error.offset or 1
        return SourceError(f"syntax error: {error.msg}", line, max(column, 1))
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


def read_module(data: bytes) -> cst.Module | None:
    """Decode and parse, or None (for the project index, which reports nothing itself)."""
    try:
        return parse_source(decode_source(data).text, keep=True)
    except SourceError:
        return None
