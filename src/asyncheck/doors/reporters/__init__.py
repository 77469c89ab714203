"""Reporters turn a :class:`~asyncheck.app.runner.RunResult` into text for one output format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asyncheck.app.runner import RunResult


@dataclass(frozen=True)
class ReportOptions:
    """How the user asked for the report."""

    color: bool = False
    statistics: bool = False
    quiet: bool = False
    fixable_codes: frozenset[str] = frozenset()


Reporter = Callable[["RunResult", ReportOptions], str]


def get_reporter(name: str) -> Reporter:
    """The reporter for a ``--format`` value (imported only when used)."""
    if name == "json":
        from asyncheck.doors.reporters.json import render as render_json

        return render_json
    if name == "sarif":
        from asyncheck.doors.reporters.sarif import render as render_sarif

        return render_sarif
    if name == "github":
        from asyncheck.doors.reporters.github import render as render_github

        return render_github
    from asyncheck.doors.reporters.text import render as render_text

    return render_text


FORMATS = ("text", "json", "sarif", "github")
