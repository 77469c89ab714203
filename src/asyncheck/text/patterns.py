"""The words of a file's bytes, a rule trigger's pattern, and the byte patterns the line
scans share (a line continuation, the gap between the parts of a statement)."""

from __future__ import annotations

import re

#: A backslash that continues a line: CPython ends lines at ``\r\n``, ``\r`` and ``\n``.
CONTINUATION = rb"\\(?:\r\n?|\n)"
#: Blanks and line continuations, as may stand between the parts of a statement.
GAP = rb"(?:[ \t\f]|" + CONTINUATION + rb")*"
#: The bytes that can be part of an identifier (bytes >= 128 are: they belong to non-ASCII
#: identifiers).
WORD_BYTES = frozenset(c for c in range(256) if c >= 128 or chr(c).isalnum() or c == ord("_"))
#: Maps every other byte to a space, so that ``split()`` gives the file's words.
_WORD_TABLE = bytes(c if c in WORD_BYTES else ord(" ") for c in range(256))


def trigger_pattern(word: str) -> str:
    """The regular expression of a rule trigger: the word as a substring, each space in it
    standing for any run of blanks and line continuations (``async \\<newline> def``).  The
    pre-filter and the engine (:meth:`asyncheck.lint.rule.Rule.triggered_by`) both use it."""
    return re.escape(word).replace("\\ ", f"(?:[ \\t\\f]|{CONTINUATION.decode()})+")


def whole_word(word: bytes, after: bytes = rb"(?![\w\x80-\xff])") -> re.Pattern[bytes]:
    """A pattern for ``word`` as a whole word, followed by what ``after`` matches.  The
    literal comes first and the look-behind for a word byte before it after: the regular
    expression engine then looks for the literal at memchr speed, about ten times faster
    than with a leading look-behind, which it tries at every byte.  A byte of a non-ASCII
    character counts as a word byte, as in :func:`words`."""
    literal = re.escape(word)
    return re.compile(literal + rb"(?<![\w\x80-\xff]" + literal + rb")" + after)


def words(data: bytes) -> frozenset[bytes]:
    """The identifier-like words of a file (and numbers: harmless)."""
    return frozenset(data.translate(_WORD_TABLE).split())

