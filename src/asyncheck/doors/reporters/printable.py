"""Names and messages made safe to print: one finding is one line, and every report can be
encoded.

A file name is whatever bytes the file system holds.  A newline in it would start a line
that reads as a finding of its own, and bytes that are not UTF-8 reach Python as lone
surrogates (``os.fsdecode``'s ``surrogateescape``), which no UTF-8 stream can write.
"""

from __future__ import annotations

import re

#: Characters that end a line somewhere (C0 and C1 controls, DEL, Unicode's line and
#: paragraph separators) and lone surrogates (undecodable bytes of a file name).
_UNPRINTABLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(character: str) -> str:
    named = _NAMED.get(character)
    if named is not None:
        return named
    point = ord(character)
    if 0xDC80 <= point <= 0xDCFF:  # the byte surrogateescape stood in for
        return f"\\x{point - 0xDC00:02x}"
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def printable(text: str) -> str:
    """``text`` on one line and encodable: line breaks, other control characters and
    undecodable bytes become backslash escapes (``\\n``, ``\\x1b``, ``\\xff``)."""
    return _UNPRINTABLE_RE.sub(lambda match: _escape(match.group()), text)


def without_surrogates(text: str) -> str:
    """``text`` encodable as UTF-8: undecodable bytes of a file name become ``\\xNN``
    (for formats that escape line breaks their own way)."""
    return _SURROGATE_RE.sub(lambda match: _escape(match.group()), text)
