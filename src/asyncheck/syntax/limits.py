"""Whether libcst's parser can take a text: the expressions too deep for it, measured with
CPython's parser first.

libcst's native parser recurses for every level of an expression and of an ``elif`` chain.
Thousands of levels overflow its stack, which kills the process (no exception to catch),
and long before that its time grows with the cube of the depth.  CPython's parser is iterative where libcst's recurses (boolean
operations, string concatenations) and stops cleanly where its own limits are reached, so
the lines :func:`~asyncheck.syntax.layout.scan` suspects are parsed by CPython first and
measured in libcst's levels; a text over :data:`MAX_LEVELS` never reaches libcst.
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings
from collections import Counter

from asyncheck.core.source import SourceError
from asyncheck.syntax.layout import ELIF_RE, SUSPECT_ELIFS, Layout

#: How deep an expression (in libcst's levels) may be: well within libcst's native stack,
#: and shallow enough for its cubic time to stay small.
MAX_LEVELS = 1000
#: What one level costs, in quarters: an operand of ``and``/``or`` or an ``elif`` is a
#: quarter of a level (libcst nests them but parses them in a loop, without the cost of the
#: expression grammar's rules).
_LEVEL = 4
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")


def too_deep(text: str, layout: Layout | None) -> SourceError | None:
    """Why libcst's parser must not be given ``text``, or None when it can take it.

    ``layout`` is the text's scan; with None (the scan could not follow the text), the
    whole text is measured.  The error is CPython's when CPython rejects the suspect
    statement (it rejects the whole file then), else says how deep the expression is.
    """
    if layout is None:
        pieces = [(0, len(text))]
    else:
        suspects = list(layout.suspects)
        if layout.many_elifs:
            suspects += _crowded_by_elifs(text, layout)
        if not suspects:
            return None
        pieces = _statements_holding(layout, suspects, len(text))
    for start, end in pieces:
        problem = _measure(text, start, end)
        if problem is not None:
            return problem
    return None


def _crowded_by_elifs(text: str, layout: Layout) -> list[int]:
    """Offsets of the top-level statements with more than :data:`SUSPECT_ELIFS` ``elif``
    lines (only those can hold a chain that long)."""
    starts = layout.starts or [0]
    counts = Counter(max(bisect.bisect_right(starts, match.start()) - 1, 0)
                     for match in ELIF_RE.finditer(text))
    return [starts[number] for number, count in counts.items() if count > SUSPECT_ELIFS]


def _statements_holding(layout: Layout, offsets: list[int], size: int) -> list[tuple[int, int]]:
    """The (start, end) of the top-level statements holding ``offsets``."""
    starts = layout.starts or [0]
    found: dict[int, int] = {}
    for offset in offsets:
        number = max(bisect.bisect_right(starts, offset) - 1, 0)
        start = starts[number] if number else 0
        found[start] = starts[number + 1] if number + 1 < len(starts) else size
    return sorted(found.items())


def _measure(text: str, start: int, end: int) -> SourceError | None:
    first_line = len(_LINE_BREAK_RE.findall(text, 0, start))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about the analysed code
            tree = ast.parse(text[start:end])
    except SyntaxError as error:
        # The file's first error, as for any other file CPython rejects.
        whole = python_syntax_error(text) if (start, end) != (0, len(text)) else None
        return whole or SourceError(f"syntax error: {error.msg}",
                                    first_line + (error.lineno or 1), max(error.offset or 1, 1))
    except (RecursionError, MemoryError):
        line = first_line + 1
        return SourceError("cannot parse: nested too deeply (Python's own parser gives up "
                           "too)", line)
    except ValueError:
        return None  # a NUL byte: the parse says so
    cost, line = _deepest(tree)
    if cost <= MAX_LEVELS * _LEVEL:
        return None
    return SourceError(
        "cannot parse: an expression or `elif` chain nested too deeply for the parser (the "
        f"limit is about {MAX_LEVELS:,} levels)", first_line + line)


def _deepest(tree: ast.AST) -> tuple[int, int]:
    """The cost of the deepest path in ``tree`` (in quarters of libcst's levels) and the
    line (within the tree) where it ends."""
    worst, where = 0, 1
    pending: list[tuple[ast.AST, int, int]] = [(tree, 0, 1)]
    while pending:
        node, cost, line = pending.pop()
        line = getattr(node, "lineno", line)
        if cost > worst:
            worst, where = cost, line
        if type(node) is ast.If and len(node.orelse) == 1 and type(node.orelse[0]) is ast.If:
            # An ``elif`` (or an ``else:`` holding just an ``if``) nests one If in another.
            for child in ast.iter_child_nodes(node):
                step = 1 if child is node.orelse[0] else _LEVEL
                pending.append((child, cost + step, line))
            continue
        step = _LEVEL
        if type(node) is ast.BoolOp:
            # libcst nests ``a and b and c`` one operation per operand.
            step += len(node.values) - 2
        for child in ast.iter_child_nodes(node):
            pending.append((child, cost + step, line))
    return worst, where


def python_syntax_error(text: str) -> SourceError | None:
    """CPython's own message and position when the text is not valid Python (they are more
    precise than libcst's); None when it is valid Python (that libcst may reject).

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
