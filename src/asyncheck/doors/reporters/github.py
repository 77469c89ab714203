"""GitHub Actions workflow commands: one ``::error`` line per finding.

``::error file=src/app.py,line=3,col=5,endLine=3,endColumn=18,title=ACK101::message``
makes the runner annotate the line in the pull request.  Workflow commands are one line each,
so the message escapes ``%``, CR and LF; property values also escape ``:`` and ``,``, which
separate the command's parts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from asyncheck.doors.reporters.options import ReportOptions
from asyncheck.doors.reporters.printable import without_surrogates

if TYPE_CHECKING:
    from asyncheck.app.runner import RunResult


def escape_data(text: str) -> str:
    """Escape a workflow command's message (the part after ``::``); undecodable bytes of a
    file name become ``\\xNN``, which the runner shows as they are."""
    return without_surrogates(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (``file=…``, ``title=…``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_path(path: str, base: Path) -> str:
    """The path GitHub matches against the checkout: relative to ``base`` when inside it."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix() if os.sep == "/" else path.replace(os.sep, "/")


def render(result: RunResult, options: ReportOptions) -> str:
    """One workflow command per finding, nothing else (errors go to standard error)."""
    base = Path.cwd().resolve()
    lines = []
    for d in result.diagnostics:
        properties = ",".join(
            f"{key}={escape_property(value)}" for key, value in (
                ("file", workflow_path(d.path, base)),
                ("line", str(d.line)),
                ("col", str(d.column)),
                ("endLine", str(max(d.end_line, d.line))),
                ("endColumn", str(d.end_column)),
                ("title", d.code),
            )
        )
        lines.append(f"::error {properties}::{escape_data(f'{d.message} ({d.name})')}")
    return "".join(line + "\n" for line in lines)
