"""``--format gitlab``: a GitLab Code Quality report (a JSON list of issues).

Each issue has ``description``, ``check_name``, ``fingerprint``, ``severity`` and
``location.path`` (relative to the project root, which GitLab reads as the repository's) /
``location.lines.begin``, as GitLab's merge-request widget reads them.
The fingerprint is the finding's baseline key (path relative to the project root, code,
reported text, occurrence) hashed: it survives lines moving, so GitLab shows a finding that
only moved as the same, not as fixed and new.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asyncheck.app.baseline import keyed, lines_of
from asyncheck.core.catalog import CATALOG
from asyncheck.core.diagnostic import UNPARSABLE_CODE
from asyncheck.doors.reporters.options import ReportOptions
from asyncheck.doors.reporters.printable import without_surrogates

if TYPE_CHECKING:
    from asyncheck.app.runner import RunResult


def severity(code: str) -> str:
    """Code Quality severity: a file that could not be analysed is ``critical``, findings of
    rules on by default ``major``, of the opt-in heuristics ``minor``."""
    if code == UNPARSABLE_CODE:
        return "critical"
    info = CATALOG.get(code)
    return "major" if info is None or info.default_enabled else "minor"


def render(result: RunResult, options: ReportOptions) -> str:
    """The Code Quality JSON report."""
    root = options.root or Path.cwd()
    issues: list[dict[str, Any]] = []
    for d, key in keyed(result.diagnostics, root, lines_of(options.sources)):
        fingerprint = hashlib.sha256(json.dumps(key).encode()).hexdigest()
        issues.append({
            "type": "issue",
            "check_name": d.code,
            "description": without_surrogates(f"{d.code} {d.message}"),
            "categories": ["Bug Risk"],
            "severity": severity(d.code),
            "fingerprint": fingerprint,
            "location": {
                "path": without_surrogates(key[0]),
                "lines": {"begin": d.line, "end": d.end_line},
            },
        })
    return json.dumps(issues, indent=2) + "\n"
