"""``# noqa`` and ``# asyncheck: ignore`` comments (SPEC §5)."""

from __future__ import annotations

import re
from collections.abc import Mapping

_NOQA = re.compile(r"#\s*noqa(?::[\s]*(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*))?", re.IGNORECASE)
_IGNORE = re.compile(r"#\s*asyncheck:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)

_LINE_END = re.compile(r"\r\n|\r|\n")

#: Codes suppressed on a line; None means every code.
Suppressions = Mapping[int, "frozenset[str] | None"]


def parse_suppressions(source: str, *, include_noqa: bool = True) -> dict[int, frozenset[str] | None]:
    """Map 1-based line numbers to the codes their comments suppress.

    ``include_noqa=False`` leaves ``# noqa`` to flake8, which handles it itself in the plugin.
    """
    result: dict[int, frozenset[str] | None] = {}
    if "#" not in source:
        return result
    patterns = (_NOQA, _IGNORE) if include_noqa else (_IGNORE,)
    # Only \r\n, \r and \n end lines for Python; str.splitlines() also splits on form feeds.
    for number, line in enumerate(_LINE_END.split(source), start=1):
        if "#" not in line:
            continue
        for pattern in patterns:
            for match in pattern.finditer(line):
                codes = match.group("codes")
                if codes is None or not codes.strip():
                    result[number] = None
                    continue
                parsed = frozenset(c.upper() for c in re.split(r"[\s,]+", codes.strip()) if c)
                previous = result.get(number, frozenset())
                if previous is not None:
                    result[number] = previous | parsed
    return result


def is_suppressed(code: str, lines: tuple[int, ...], suppressions: Suppressions) -> bool:
    """Whether a comment on any of ``lines`` suppresses ``code`` (prefixes match, as in flake8)."""
    for line in lines:
        if line not in suppressions:
            continue
        codes = suppressions[line]
        if codes is None or any(code.startswith(c) for c in codes):
            return True
    return False
