"""Skip parsing files that cannot produce a finding, decided from their bytes.

Parsing is most of the cost, and most files of a code base never mention ``async``.  Every
rule declares ``TRIGGERS``: words at least one of which a file must contain for the rule to
report anything in it (``None``: no such promise, the file is always parsed).  Rules that
report calls of coroutine functions outside ``async def`` (``main()`` at module level) add
what a caller's text must contain to reach one: the name of a module-level ``async def`` of
the project, the name of the class that defines an ``async def`` method (an instance must be
made or annotated with it; subclasses name it as a base), and the top-level package of the
built-in and configured coroutine functions (``asyncio``), all found by a line scan.

ACK000 cannot be decided from bytes: a skipped file is still checked with CPython's parser
(several times cheaper than libcst), and a file CPython rejects, or that holds a construct
libcst is known to reject (a parenthesised annotated target, ``(x): int = 1``), is linted in
full so that it gets its ACK000.  What is left is a construct libcst rejects that we do not
know of, in a file with none of the triggers.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from asyncheck.config import Settings
from asyncheck.diagnostic import UNPARSABLE_CODE

if TYPE_CHECKING:
    from asyncheck.rule import Rule

#: A line that starts with a parenthesised expression followed by a colon: the only place
#: `(x): int = 1` can be, so that the tree is walked only when this matches.
_PARENTHESISED_TARGET_RE = re.compile(rb"^[ \t]*\(.*\)[ \t]*:", re.MULTILINE)
_DEFINITION_RE = re.compile(
    rb"^([ \t]*)(?:(class)|(async[ \t]+def)|def)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


def coroutine_function_names(files: Iterable[Path]) -> set[bytes]:
    """Words a caller must contain to call a project coroutine function: module-level
    ``async def`` names and the names of classes with ``async def`` methods."""
    names: set[bytes] = set()
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if b"async" not in data:
            continue
        top_class: bytes | None = None
        for match in _DEFINITION_RE.finditer(data):
            indent, is_class, is_async, name = match.groups()
            if not indent:
                top_class = name if is_class else None
                if is_async:
                    names.add(name)
            elif is_async and top_class is not None:
                # A method: callers reach it through the class (or a nested async def,
                # called only inside its own file, which mentions `async` anyway).
                names.add(top_class)
    return names


class PreFilter:
    """Decides, from a file's bytes, whether the enabled rules could report anything in it."""

    def __init__(self, rules: Sequence[type[Rule]], settings: Settings,
                 project_files: Iterable[Path]) -> None:
        self.check_syntax = any(rule.code == UNPARSABLE_CODE for rule in rules)
        checked = [rule for rule in rules if rule.code != UNPARSABLE_CODE]
        self.active = all(rule.TRIGGERS is not None for rule in checked)
        self._words: set[bytes] = set()
        self._names: set[bytes] = set()
        self._patterns: list[re.Pattern[bytes]] = []
        if not self.active:
            return
        for rule in checked:
            self._words.update(word.encode() for word in rule.TRIGGERS or ())
        if any(rule.TRIGGERS_INCLUDE_COROUTINE_NAMES for rule in checked):
            from asyncheck.analysis.tables import BUILTIN_COROUTINE_FUNCTIONS

            self._names.update(coroutine_function_names(project_files))
            # A library's coroutine function is reached through an import of its package.
            self._names.update(name.partition(".")[0].encode()
                               for name in (*BUILTIN_COROUTINE_FUNCTIONS,
                                            *settings.coroutine_functions))
        if self._words:
            # Rule triggers are substrings: "EventLoopPolicy" in "WindowsSelectorEventLoopPolicy".
            self._patterns.append(re.compile(b"|".join(re.escape(w) for w in sorted(self._words))))
        if self._names:
            # Names are whole words: `async def f` must not make every file with an "f" count.
            self._patterns.append(re.compile(
                rb"(?<![A-Za-z0-9_])(?:" + b"|".join(re.escape(w) for w in sorted(self._names))
                + rb")(?![A-Za-z0-9_])"))

    def may_report(self, data: bytes) -> bool:
        """False when no enabled rule can report anything in a file with these bytes."""
        if not self.active:
            return True
        if any(pattern.search(data) for pattern in self._patterns):
            return True
        return self.check_syntax and not _cpython_accepts(data)


def _cpython_accepts(data: bytes) -> bool:
    """Whether CPython parses the file and libcst is expected to (``ast.parse`` compiles and
    runs nothing)."""
    try:
        with warnings.catch_warnings():
            # CPython warns about the analysed code (`"a" is "b"`): not ours to print.
            warnings.simplefilter("ignore")
            tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if _PARENTHESISED_TARGET_RE.search(data):
        for node in ast.walk(tree):
            # `(x): int = 1` is valid Python that libcst's parser rejects.
            if isinstance(node, ast.AnnAssign) and not node.simple and isinstance(node.target, ast.Name):
                return False
    return True
