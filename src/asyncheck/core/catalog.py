"""The rule catalogue as plain data: what settings, the cache and ``--list-rules`` need to
know without importing the rules (and libcst, which costs a third of a second).

It mirrors the rule classes; ``tests/test_catalog.py`` fails when the two disagree, so adding
a rule is its module plus one line here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import NamedTuple

_SECTION_RE = re.compile(r"^## (.+?)\s*$", re.MULTILINE)


class RuleInfo(NamedTuple):
    """A rule's name and flags."""

    name: str
    default_enabled: bool
    fixable: bool


CATALOG: dict[str, RuleInfo] = {
    "ACK000": RuleInfo("unparsable-file", default_enabled=True, fixable=False),
    "ACK100": RuleInfo("unawaited-coroutine", default_enabled=True, fixable=True),
    "ACK101": RuleInfo("coroutine-collection-never-awaited", default_enabled=True, fixable=False),
    "ACK102": RuleInfo("dangling-task", default_enabled=True, fixable=False),
    "ACK200": RuleInfo("blocking-sleep", default_enabled=True, fixable=True),
    "ACK210": RuleInfo("blocking-http", default_enabled=True, fixable=False),
    "ACK220": RuleInfo("blocking-subprocess", default_enabled=True, fixable=False),
    "ACK230": RuleInfo("blocking-file-io", default_enabled=True, fixable=False),
    "ACK231": RuleInfo("blocking-filesystem-query", default_enabled=False, fixable=False),
    "ACK240": RuleInfo("blocking-network", default_enabled=True, fixable=False),
    "ACK250": RuleInfo("blocking-input", default_enabled=True, fixable=False),
    "ACK260": RuleInfo("blocking-database", default_enabled=True, fixable=False),
    "ACK270": RuleInfo("blocking-wait", default_enabled=True, fixable=False),
    "ACK280": RuleInfo("blocking-call-configured", default_enabled=True, fixable=False),
    "ACK290": RuleInfo("blocking-via-helper", default_enabled=True, fixable=False),
    "ACK300": RuleInfo("unbounded-gather", default_enabled=True, fixable=False),
    "ACK301": RuleInfo("unbounded-task-spawn", default_enabled=True, fixable=False),
    "ACK310": RuleInfo("sequential-await-in-loop", default_enabled=False, fixable=False),
    "ACK400": RuleInfo("nested-event-loop", default_enabled=True, fixable=False),
    "ACK401": RuleInfo("get-event-loop", default_enabled=True, fixable=True),
    "ACK402": RuleInfo("event-loop-policy", default_enabled=True, fixable=False),
    "ACK403": RuleInfo("unclosed-session", default_enabled=True, fixable=False),
    "ACK500": RuleInfo("cancellation-swallowed", default_enabled=True, fixable=False),
}


def documentation(code: str) -> str:
    """A rule's docstring, dedented, read from its module's source: ``--explain`` prints it
    without importing the rules (and libcst).  Empty if the module cannot be read."""
    for path in sorted(Path(__file__).parent.parent.joinpath("rules").glob(f"{code.lower()}_*.py")):
        try:
            tree = ast.parse(path.read_bytes())
        except (OSError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(item, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "code" for t in item.targets)
                    and isinstance(item.value, ast.Constant) and item.value.value == code
                    for item in node.body):
                return ast.get_docstring(node) or ""
    return ""


def sections(doc: str) -> dict[str, str]:
    """A rule docstring's ``## Title`` sections, title -> body text."""
    matches = list(_SECTION_RE.finditer(doc))
    result: dict[str, str] = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(doc)
        result[match.group(1)] = doc[match.end():end].strip()
    return result


def summary(doc: str) -> str:
    """One sentence: the first paragraph of *What it does*."""
    body = sections(doc).get("What it does", "")
    return " ".join(body.split("\n\n")[0].split())
