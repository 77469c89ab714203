"""Reporters turn a :class:`~asyncheck.app.runner.RunResult` into text for one output format."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from asyncheck.doors.reporters.github import render as render_github
from asyncheck.doors.reporters.json import render as render_json
from asyncheck.doors.reporters.options import ReportOptions
from asyncheck.doors.reporters.text import render as render_text

if TYPE_CHECKING:
    from asyncheck.app.runner import RunResult


Reporter = Callable[["RunResult", ReportOptions], str]


def get_reporter(name: str) -> Reporter:
    """The reporter for a ``--format`` value."""
    if name == "json":
        return render_json
    if name == "sarif":
        # Imported only when chosen, to save start-up time: it describes every rule, so
        # it imports them all (and libcst).
        from asyncheck.doors.reporters.sarif import render as render_sarif

        return render_sarif
    if name == "github":
        return render_github
    if name == "full":
        from asyncheck.doors.reporters.full import render as render_full  # start-up time

        return render_full
    if name == "gitlab":
        from asyncheck.doors.reporters.gitlab import render as render_gitlab  # start-up time

        return render_gitlab
    if name == "junit":
        from asyncheck.doors.reporters.junit import render as render_junit  # start-up time

        return render_junit
    return render_text


FORMATS = ("text", "full", "json", "sarif", "github", "gitlab", "junit")
