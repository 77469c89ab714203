"""A file's bytes as text and back: PEP 263 decoding, and encoding a fixed text the same way.

Nothing here parses: a :class:`SourceError` says why bytes are not a source we can analyse
(too large, undecodable), with the position when there is one; the parser raises it too.
"""

from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass

#: Larger files get ACK000 instead of being parsed (see
#: :meth:`asyncheck.lint.engine.Linter.lint_bytes`).
MAX_FILE_BYTES = 5_000_000


class SourceError(Exception):
    """The bytes of a file are not a Python source we can analyse."""

    def __init__(self, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


@dataclass(frozen=True)
class DecodedSource:
    """A file's text and how to turn it back into the same bytes."""

    text: str
    encoding: str
    bom: bool


def decode_source(data: bytes) -> DecodedSource:
    """Decode per PEP 263: BOM, then an encoding cookie on line 1 or 2, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        # detect_encoding says "invalid or missing encoding declaration" for any non-UTF-8
        # byte in the first two lines; the decode error below gives the position.
        if "encoding" not in str(error) or "declaration" not in str(error):
            raise SourceError(str(error)) from None
        encoding = "utf-8"
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        if isinstance(error, UnicodeDecodeError):
            line = data.count(b"\n", 0, error.start) + 1
            column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
            raise SourceError(f"cannot decode as {encoding}: {error.reason}", line, column) from None
        raise SourceError(f"unknown encoding: {encoding}") from None
    if bom and text.startswith("\ufeff"):
        text = text[1:]
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    return DecodedSource(text, encoding, bom)


def encode_source(text: str, encoding: str, bom: bool) -> bytes:
    """Text back to the file's bytes: same encoding, BOM kept."""
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data
