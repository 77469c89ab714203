"""A JSON list of findings: ``{code, name, message, path, line, column, end_line, end_column, fix}``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from asyncheck.doors.reporters.options import ReportOptions

if TYPE_CHECKING:
    from asyncheck.app.runner import RunResult


def render(result: RunResult, options: ReportOptions) -> str:
    """The JSON report (options do not change machine-readable output)."""
    return json.dumps([d.to_json() for d in result.diagnostics], indent=2) + "\n"
