"""What CPython's parser tells of a file, more cheaply than libcst: its code without its
strings and comments (:func:`code_text`), and whether it parses at all (:func:`cpython_accepts`)."""

from __future__ import annotations

import ast
import re
import symtable
import warnings

#: A parenthesised name annotated at the start of a line, ``(x): int = 1``: valid Python that
#: libcst's parser rejects (such a file is linted, so that it gets its ACK000).
PARENTHESISED_TARGET_RE = re.compile(rb"^[ \t]*\(+[ \t]*[A-Za-z_]\w*[ \t]*\)+[ \t]*:",
                                      re.MULTILINE)
_ASYNC_SYNTAX = (ast.AsyncFunctionDef, ast.Await, ast.AsyncFor, ast.AsyncWith)
#: A PEP 263 encoding declaration (on one of the first two lines), and where lines end
#: for CPython.
_CODING_RE = re.compile(rb"[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_LINE_BREAK_RE = re.compile(rb"\r\n|\r|\n")
#: A comment, up to where CPython ends its line (a lone carriage return too).
_CODE_COMMENT_RE = re.compile(rb"#[^\r\n]*")
_UTF8_NAMES = (b"utf-8", b"utf8", b"utf-8-sig")
#: Where CPython's lines end (``str.splitlines`` also splits at form feeds and others).
_LINE_END_RE = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")


def code_text(data: bytes) -> bytes | None:
    """The module's code without its strings and comments, or None when it has async
    syntax (``async def``, ``await``, ``async for``/``with``, async comprehensions) or
    CPython cannot parse it as UTF-8 source.

    CPython's parser places every string literal; they are blanked out of the text, and
    what follows a ``#`` outside them is a comment.  An f-string is blanked whole (a ``#``
    may be in its text, and Python 3.11 does not place its parts): the names its
    expressions use are added at the end, and so is the text of the strings in
    annotations (``"ClientSession"`` names a type).
    """
    for line in _LINE_BREAK_RE.split(data, maxsplit=2)[:2]:
        cookie = _CODING_RE.match(line)
        if cookie is not None and (cookie.group(1).lower().replace(b"_", b"-")
                                   not in _UTF8_NAMES):
            return None  # CPython's columns count UTF-8 bytes of the text it decoded
    try:
        text = data.decode("utf-8-sig")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in the analysed code
            tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    annotations: set[int] = set()  # the nodes of annotations
    spans: list[tuple[int, int, int, int]] = []
    added: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, _ASYNC_SYNTAX) or (isinstance(node, ast.comprehension)
                                               and node.is_async):
            return None
        if isinstance(node, (ast.arg, ast.AnnAssign)):
            if node.annotation is not None:
                annotations.update(id(n) for n in ast.walk(node.annotation))
        elif isinstance(node, ast.FunctionDef):
            if node.returns is not None:
                annotations.update(id(n) for n in ast.walk(node.returns))
        elif isinstance(node, ast.JoinedStr):
            spans.append(_span(node))
            added.extend(n.id if isinstance(n, ast.Name) else n.attr
                         for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            spans.append(_span(node))
            if id(node) in annotations and isinstance(node.value, str):
                added.append(node.value)
    lines = _LINE_END_RE.split(text)
    encoded = [line.encode() for line in lines]
    for first, start, last, end in spans:
        if first == last:
            line = encoded[first]
            encoded[first] = line[:start] + b" " * (end - start) + line[end:]
        else:
            encoded[first] = encoded[first][:start] + b"\n"
            for number in range(first + 1, last):
                encoded[number] = b"\n"
            encoded[last] = b" " * end + encoded[last][end:]
    code = _CODE_COMMENT_RE.sub(b"", b"".join(encoded))
    return code + b"\n" + " ".join(added).encode()


def _span(node: ast.expr) -> tuple[int, int, int, int]:
    """First line, start column, last line, end column of a node (lines from 0, columns in
    UTF-8 bytes, as CPython gives them)."""
    assert node.end_lineno is not None and node.end_col_offset is not None
    return node.lineno - 1, node.col_offset, node.end_lineno - 1, node.end_col_offset


def cpython_accepts(data: bytes) -> bool:
    """Whether CPython's parser accepts the file and libcst is expected to parse it.

    ``symtable`` parses with CPython's parser and builds the symbol tables, in C: it runs
    nothing, builds no Python object per node (``ast.parse`` does) and generates no bytecode
    (``compile`` does), so it costs less than ``ast.parse``.  It also rejects a few things
    only the symbol table checks (``nonlocal`` at module level): such a file is linted in
    full, which is merely slower.
    """
    try:
        with warnings.catch_warnings():
            # CPython warns about the analysed code (invalid escapes): not ours to print.
            warnings.simplefilter("ignore")
            symtable.symtable(data, "<checked>", "exec")  # type: ignore[arg-type]
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return PARENTHESISED_TARGET_RE.search(data) is None
