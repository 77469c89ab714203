"""Where a module's top-level statements start, and which of its lines may be too deep for
libcst's parser: one scan of the text, without parsing it.

String literals and comments are matched whole by a regular expression, brackets are counted,
and a line break outside brackets ends a logical line.  A logical line at column 0 starts a
top-level statement unless it continues one (``else:``, ``except:``, the ``def`` after a
decorator).  The scan is cheap next to a parse: it looks at brackets, quotes and line breaks
only, and counts the tokens of a long logical line with a regular expression.

libcst's native parser recurses once or more per level of an expression (each operand of
``a + a + ...``, each link of ``a.b.c...``, each bracket), and dies with a stack overflow,
or takes very long, on inputs thousands of levels deep.  A logical line that can hold such an
expression has many tokens that make one (operators, dots, brackets, ``and``, ``not``,
``lambda``...), and a chain of thousands of ``elif`` has as many ``elif`` lines: those are
the *suspects* that :mod:`asyncheck.syntax.limits` measures with CPython's parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: A string literal, matched whole (its prefix aside).
STRING_PATTERN = r"""
    '''[^'\\]*(?:(?:\\(?:\r\n|.)|'(?!''))[^'\\]*)*'''
  | \"\"\"[^"\\]*(?:(?:\\(?:\r\n|.)|"(?!""))[^"\\]*)*\"\"\"
  | '[^'\\\r\n]*(?:\\(?:\r\n|.)[^'\\\r\n]*)*'
  | "[^"\\\r\n]*(?:\\(?:\r\n|.)[^"\\\r\n]*)*"
"""
#: What the scan looks at: strings (matched whole), comments, line continuations, line
#: breaks (with the next line's indentation; group 1 is the line break) and brackets.  A
#: lone quote is a string that does not end: the scan gives up.
_TOKEN_RE = re.compile(STRING_PATTERN + r"""
  | ['"]
  | \#[^\r\n]*
  | \\(?:\r\n|\r|\n)
  | (\r\n|\r|\n)[ \t\f]*
  | [(\[{)\]}]
""", re.VERBOSE | re.DOTALL)
#: The tokens that add a level to an expression in libcst's tree: operators, attribute
#: dots, brackets, and the keywords of boolean operations, ``not``, conditional
#: expressions, lambdas and ``await`` (comparisons and commas keep it flat).
_LEVEL_RE = re.compile(r"[-+*/%@&|^~.(\[{]|<<|>>|\b(?:and|or|not|if|lambda|await)\b")
#: An ``elif`` line: a chain of them nests one ``If`` in another.
ELIF_RE = re.compile(r"^[ \t]*elif\b", re.MULTILINE)
#: What may come between the string literals of an implicit concatenation (besides
#: comments and line continuations): blanks, and the next literal's prefix.
_BLANK_RE = re.compile(r"[ \t\f\r\n]*[bBfFrRtTuU]{0,2}")
#: The indentation of the first line.
_INDENT_RE = re.compile(r"[ \t\f]*")
#: A logical line at column 0 that continues the statement before it.
_CLAUSE_RE = re.compile(r"(?:else|elif|except|finally)\b")

#: Logical lines shorter than this cannot hold an expression deep enough to matter.
LONG_LINE = 500
#: A logical line with this many level tokens (outside long strings) is a suspect.
SUSPECT_LEVELS = 500
#: Bracket nesting deeper than this makes a suspect (CPython stops at 200).
SUSPECT_BRACKETS = 100
#: A statement with more ``elif`` lines than this is a suspect.
SUSPECT_ELIFS = 1500
#: Strings at least this long have their level tokens counted, to be discounted.
_LONG_STRING = 200
#: An implicit concatenation of more string literals than this is a long run: libcst nests
#: it one level per literal, deeper than the analyses can follow (and rejects it from
#: about 4,000 literals on).
STRING_RUN = 2000


@dataclass
class Layout:
    """What one scan found out about a module's text."""

    #: Offsets where top-level statements start (the first one's leading comments excluded).
    starts: list[int] = field(default_factory=list)
    #: Offsets of logical lines that may hold an expression too deep for libcst's parser.
    suspects: list[int] = field(default_factory=list)
    #: Whether the file has more than :data:`SUSPECT_ELIFS` ``elif`` lines (a statement
    #: with that many is a suspect).
    many_elifs: bool = False
    #: Offsets where implicit concatenations of more than :data:`STRING_RUN` string
    #: literals start.
    string_runs: list[int] = field(default_factory=list)
    #: The first indented logical line: where its code starts, and its indentation (what
    #: libcst takes for the file's default indentation).
    first_indent: tuple[int, str] | None = None
    #: The starts (of :attr:`starts`) after an indented blank or comment line: a text cut
    #: there would end with it, and libcst drops blank lines before such a line at the end
    #: of a text (a parse of the whole keeps them).
    uncut: set[int] = field(default_factory=set)


def scan(text: str) -> Layout | None:
    """The layout of ``text``, or None when the scan cannot follow it (a string that does
    not end, a closing bracket without an opening one): then the text is checked whole."""
    layout = Layout(many_elifs=text.count("elif") > SUSPECT_ELIFS
                    and len(ELIF_RE.findall(text)) > SUSPECT_ELIFS)
    starts = layout.starts
    depth = 0
    deepest = 0  # the deepest brackets of the current logical line
    #: The long strings and comments of the current logical line (their level tokens do
    #: not count).
    texts: list[tuple[int, int]] = []
    decorated = False
    run = 0  # the string literals of the current implicit concatenation
    run_start = 0
    after_string = -1  # the end of its last literal (or of a comment after it)
    indented_filler = False  # an indented blank or comment line since the last code line
    indent = _INDENT_RE.match(text)
    assert indent is not None  # it matches the empty string
    code = indent.end()
    #: Where the code of the current logical line starts (None: no code yet).
    logical: int | None = None
    if code < len(text) and text[code] not in "#\r\n":
        logical = code
        if code == 0:
            starts.append(0)
            decorated = text.startswith("@")
    for match in _TOKEN_RE.finditer(text):
        start, end = match.span()
        char = text[start]
        if char == "\n" or char == "\r":
            if depth:
                continue
            after_string = -1
            if logical is not None:
                if (deepest > SUSPECT_BRACKETS or start - logical >= LONG_LINE) and _suspect(
                        text, logical, start, deepest, texts):
                    layout.suspects.append(logical)
                deepest = 0
                texts = []
            following = text[end:end + 1]
            line = match.end(1)
            if not following or following in "#\r\n":
                logical = None  # a blank line, or a comment
                indented_filler = indented_filler or end > line
                continue
            logical = end
            if end > line:
                if layout.first_indent is None and "\f" not in text[line:end]:
                    layout.first_indent = (end, text[line:end])
            else:
                # Column 0: a new top-level statement, unless it continues the one before.
                if not decorated and not _CLAUSE_RE.match(text, end):
                    starts.append(end)
                    if indented_filler:
                        layout.uncut.add(end)
                decorated = following == "@"
            indented_filler = False
        elif char == "'" or char == '"':
            if end - start == 1:
                return None  # a string that does not end
            if end - start >= _LONG_STRING:
                texts.append((start, end))
            if after_string >= 0 and _BLANK_RE.fullmatch(text, after_string, start):
                run += 1
                if run == STRING_RUN + 1:
                    layout.string_runs.append(run_start)
            else:
                run, run_start = 1, start
            after_string = end
        elif char in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif char == "#" or char == "\\":
            if char == "#" and end - start >= _LONG_STRING:
                texts.append((start, end))
            if after_string >= 0 and _BLANK_RE.fullmatch(text, after_string, start):
                after_string = end  # a comment or a continuation inside a run
    if logical is not None and _suspect(text, logical, len(text), deepest, texts):
        layout.suspects.append(logical)
    return layout


def _suspect(text: str, start: int, end: int, deepest: int,
             texts: list[tuple[int, int]]) -> bool:
    """Whether the logical line from ``start`` to ``end`` may hold an expression too deep
    for libcst: deep brackets, or many level tokens outside its long strings and
    comments (``texts``)."""
    if deepest > SUSPECT_BRACKETS:
        return True
    if end - start < LONG_LINE:
        return False
    levels = len(_LEVEL_RE.findall(text, start, end))
    if levels >= SUSPECT_LEVELS:
        levels -= sum(len(_LEVEL_RE.findall(text, a, b)) for a, b in texts)
    return levels >= SUSPECT_LEVELS
