"""SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers.

One run, with every rule described in ``tool.driver.rules`` (id, kebab-case name, short and
full description, the rule's documentation as help, default level) and one result per finding.
Paths are URIs relative to the current directory (``%SRCROOT%``), which is what code scanning
resolves against the checkout; a file outside it keeps an absolute ``file:`` URI.  Columns
count Unicode code points, as the engine does, and the run says so (``columnKind``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from asyncheck import __version__
from asyncheck.app.registry import all_rules
from asyncheck.core.catalog import rule_page_url
from asyncheck.doors.reporters.options import ReportOptions
from asyncheck.doors.reporters.printable import without_surrogates
from asyncheck.lint.rule import Rule

if TYPE_CHECKING:
    from asyncheck.app.runner import RunResult

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"


def rule_level(rule: type[Rule]) -> str:
    """The SARIF default level: rules on by default find bugs (``error``); the opt-in ones
    are heuristics a team chooses to follow (``warning``)."""
    return "error" if rule.default_enabled else "warning"


def rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    """The ``reportingDescriptor`` of one rule, from its documentation."""
    sections = rule.sections()
    # Docstrings are hard-wrapped; viewers wrap text themselves, so keep paragraphs only.
    full = "\n\n".join(
        " ".join(paragraph.split())
        for title in ("What it does", "Why is this bad?")
        for paragraph in sections.get(title, "").split("\n\n")
        if paragraph.strip()
    )
    documentation = rule.documentation()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": full or rule.summary()},
        "help": {"text": documentation, "markdown": documentation},
        "helpUri": rule_page_url(rule.code),
        "defaultConfiguration": {"level": rule_level(rule)},
        "properties": {
            "tags": ["asyncio"],
            "fixable": rule.fixable,
            "enabledByDefault": rule.default_enabled,
        },
    }


def artifact_location(path: str, base: Path) -> dict[str, str]:
    """``path`` as a SARIF ``artifactLocation``: relative to ``base`` when it lies inside."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            relative = candidate.relative_to(base)
        except ValueError:
            return {"uri": candidate.as_uri()}
    else:
        relative = candidate
    # A relative URI reference uses "/" and percent-encodes what a URI cannot hold: the
    # name's own bytes (os.fsencode), so a name that is not UTF-8 keeps its bytes.
    return {"uri": quote(os.fsencode(relative.as_posix()), safe="/-._~!$&'()*+,;=@"),
            "uriBaseId": SRCROOT}


def _directory_uri(directory: Path) -> str:
    uri = directory.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def sarif_log(result: RunResult, *, base: Path | None = None) -> dict[str, Any]:
    """The SARIF log object for a run (``base``: the directory relative paths start from)."""
    base = (base or Path.cwd()).resolve()
    rules = list(all_rules().values())
    index = {rule.code: position for position, rule in enumerate(rules)}
    by_code = {rule.code: rule for rule in rules}
    results = []
    for d in result.diagnostics:
        rule = by_code.get(d.code)
        region = {
            "startLine": d.line,
            "startColumn": d.column,
            "endLine": max(d.end_line, d.line),
            "endColumn": d.end_column if d.end_line > d.line else max(d.end_column, d.column),
        }
        entry: dict[str, Any] = {
            "ruleId": d.code,
            "level": rule_level(rule) if rule is not None else "error",
            "message": {"text": without_surrogates(d.message)},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": artifact_location(d.path, base),
                    "region": region,
                },
            }],
        }
        if d.code in index:
            entry["ruleIndex"] = index[d.code]
        if d.fix is not None:
            entry["properties"] = {"fix": d.fix.description}
        results.append(entry)
    notifications = [{"level": "error", "message": {"text": without_surrogates(line)}}
                     for line in result.errors]
    invocation: dict[str, Any] = {
        "executionSuccessful": not result.errors and not result.internal_errors,
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {
                "driver": {
                    "name": "asyncheck",
                    "version": __version__,
                    "semanticVersion": __version__,
                    "rules": [rule_descriptor(rule) for rule in rules],
                },
            },
            "invocations": [invocation],
            # A base URI must end with "/" or its last segment is dropped when resolving.
            "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(base)}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(result: RunResult, options: ReportOptions) -> str:
    """The SARIF report (options do not change machine-readable output)."""
    return json.dumps(sarif_log(result), indent=2) + "\n"
