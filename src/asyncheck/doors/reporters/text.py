"""``path:line:col: CODE message`` lines and a summary, the way flake8 and ruff print."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import click

from asyncheck.doors.reporters.options import ReportOptions
from asyncheck.doors.reporters.printable import printable

if TYPE_CHECKING:
    from asyncheck.app.runner import RunResult


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def render(result: RunResult, options: ReportOptions) -> str:
    """The text report; ``--quiet`` keeps only the finding lines."""
    color = options.color
    lines = []
    for d in result.diagnostics:
        # A newline in a file name (or message) must not start a line of its own.
        location = f"{printable(d.path)}:{d.line}:{d.column}:"
        code = d.code
        if color:
            location = click.style(location, bold=True)
            code = click.style(code, fg="red", bold=True)
        lines.append(f"{location} {code} {printable(d.message)}")
    lines.extend(summary_lines(result, options))
    return "\n".join(lines) + ("\n" if lines else "")


def summary_lines(result: RunResult, options: ReportOptions) -> list[str]:
    """What follows the findings: the statistics (``--statistics``) and the summary line
    (not with ``--quiet``)."""
    lines = []
    if options.statistics and result.diagnostics:
        counts = Counter((d.code, d.name) for d in result.diagnostics)
        width = len(str(max(counts.values())))
        for (code, name), count in sorted(counts.items()):
            lines.append(f"{count:>{width}}  {code}  {name}")
    if not options.quiet and result.fix_mode == "fix":
        fixed = sum(result.fixed.values())
        lines.append(f"Fixed {_plural(fixed, 'problem')}, {len(result.diagnostics)} remaining.")
    elif not options.quiet:
        total = len(result.diagnostics)
        files = len({d.path for d in result.diagnostics})
        if total:
            fixable = sum(1 for d in result.diagnostics if d.fix is not None)
            lines.append(
                f"Found {_plural(total, 'problem')} in {_plural(files, 'file')} "
                f"({fixable} fixable with --fix)."
            )
        else:
            lines.append(f"All checks passed ({_plural(result.files_checked, 'file')} checked).")
    return lines
