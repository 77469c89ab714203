"""The README's copy-paste snippets, so that tests can run exactly what users copy."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
_FENCE_RE = re.compile(r"^```(\w+)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


def readme_section(title: str, level: int = 3) -> str:
    """The text under the README heading ``title`` (up to the next heading of its level or
    above)."""
    text = README.read_text(encoding="utf-8")
    heading = re.search(rf"^{'#' * level} {re.escape(title)}\s*$", text, re.MULTILINE)
    assert heading is not None, f"README has no '{'#' * level} {title}' section"
    rest = text[heading.end():]
    following = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: following.start()] if following else rest


def readme_snippet(title: str, language: str) -> str:
    """The one fenced ``language`` block under the README heading ``title``."""
    blocks = [body for lang, body in _FENCE_RE.findall(readme_section(title)) if lang == language]
    assert len(blocks) == 1, (
        f"expected one ```{language} block under '{title}', found {len(blocks)}")
    return blocks[0]
