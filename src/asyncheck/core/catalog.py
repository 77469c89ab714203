"""The rule catalogue, read from the rule classes' own source: what settings, the cache and
``--list-rules`` need to know without importing the rules (and libcst, whose import is most of
the start-up time of a run).

The rule class is the one source of a rule's metadata: its ``code``, ``name``,
``default_enabled`` and ``fixable`` class attributes are read here from the text of
``asyncheck/rules/ack*.py``.  ``tests/test_catalog.py`` checks that this reading agrees with the
imported classes, so adding a rule is adding its module and nothing else.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

_SECTION_RE = re.compile(r"^## (.+?)\s*$", re.MULTILINE)
#: Where the rule modules live (``asyncheck/rules``); read as text, never imported here.
RULES_DIRECTORY = Path(__file__).resolve().parent.parent / "rules"
#: A metadata attribute assigned in a rule's class body (one indent level).
_ATTRIBUTE_RE = re.compile(
    r'^    (code|name|default_enabled|fixable)(?:[ \t]*:[^=\n]*)?[ \t]*=[ \t]*'
    r'("[^"\n]*"|True|False)[ \t]*(?:#.*)?$', re.MULTILINE)
#: A top-level class: its header line, then its body (the indented and blank lines after it).
_CLASS_RE = re.compile(r"^class [^\n]*\n((?:[ \t]*\n|[ \t]+[^\n]*\n)*)", re.MULTILINE)


#: Where a rule's generated page lives in the repository (``docs/rules/ACK200.md``).
RULE_PAGE_PATH = "docs/rules/{code}.md"
#: The published address of a rule's page: SARIF's ``helpUri`` and ``--explain`` link it.
#: The repository's address, as in the README's pre-commit example.
RULE_PAGE_URL = "https://github.com/OWNER/asyncheck/blob/main/" + RULE_PAGE_PATH


def rule_page_url(code: str) -> str:
    """The address of the generated documentation page of rule ``code``."""
    return RULE_PAGE_URL.format(code=code)


class RuleInfo(NamedTuple):
    """A rule's name and flags."""

    name: str
    default_enabled: bool
    fixable: bool


def _rule_infos(text: str) -> dict[str, RuleInfo]:
    """The rules a module's text defines: each class body's metadata attributes, with the
    defaults of :class:`asyncheck.lint.Rule` (on by default, not fixable) where it sets none."""
    found: dict[str, RuleInfo] = {}
    for body in _CLASS_RE.finditer(text):
        values: dict[str, str] = {}
        for match in _ATTRIBUTE_RE.finditer(body.group(1)):
            values.setdefault(match.group(1), match.group(2))
        if "code" in values and "name" in values:
            found[values["code"].strip('"')] = RuleInfo(
                values["name"].strip('"'),
                default_enabled=values.get("default_enabled", "True") == "True",
                fixable=values.get("fixable", "False") == "True",
            )
    return found


@lru_cache(maxsize=1)
def _catalog() -> dict[str, RuleInfo]:
    found: dict[str, RuleInfo] = {}
    for path in sorted(RULES_DIRECTORY.glob("ack*.py")):
        found.update(_rule_infos(path.read_text(encoding="utf-8")))
    return dict(sorted(found.items()))


#: Every rule's metadata by code, in code order.
CATALOG: dict[str, RuleInfo] = _catalog()


def default_enabled() -> dict[str, bool]:
    """Code -> on by default: what :meth:`Settings.enabled_codes` selects from."""
    return {code: info.default_enabled for code, info in CATALOG.items()}


def documentation(code: str) -> str:
    """A rule's docstring, dedented, read from its module's source: ``--explain`` prints it
    without importing the rules (and libcst).  Empty if the module cannot be read."""
    import ast  # imported here, for --explain and the rule pages only: start-up time

    for path in sorted(RULES_DIRECTORY.glob(f"{code.lower()}_*.py")):
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
