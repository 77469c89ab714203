"""``--format full``: each finding with the code around it, a caret line under the reported
span, the chain of helpers (ACK290, ACK400) and the safe fix as a small diff.

::

    app.py:13:5: ACK200 `time.sleep(...)` blocks the event loop inside `async def f`; ...
       |
    12 |     runner()
    13 |     time.sleep(2)
       |     ^^^^^^^^^^^^^ ACK200
    14 |
       = fix: replace `time.sleep(...)` by `await asyncio.sleep(...)`
       |   @@ -13 +13 @@
       |   -    time.sleep(2)
       |   +    await asyncio.sleep(2)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from asyncheck.app.baseline import read_lines, split_lines
from asyncheck.core.diagnostic import Diagnostic
from asyncheck.doors.reporters.options import ReportOptions
from asyncheck.doors.reporters.printable import printable
from asyncheck.doors.reporters.text import summary_lines

if TYPE_CHECKING:
    from asyncheck.app.runner import RunResult

#: Lines shown before and after the reported ones.
CONTEXT = 2
#: At most this many lines of a multi-line span are shown.
MAX_SPAN_LINES = 6

_CHAIN_RE = re.compile(r"`?[\w.]+`?(?: -> `?[\w.]+`?)+")
_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def chain(message: str) -> str | None:
    """The helper chain a message names (``f -> helper -> time.sleep``), if any."""
    match = _CHAIN_RE.search(message)
    return match.group() if match else None


def hunks(diff: str) -> list[tuple[int, int, list[str]]]:
    """A unified diff's hunks: (first old line, last old line, the hunk's lines)."""
    found: list[tuple[int, int, list[str]]] = []
    for line in diff.splitlines():
        match = _HUNK_RE.match(line)
        if match:
            start = int(match.group(1))
            count = int(match.group(2)) if match.group(2) is not None else 1
            found.append((start, start + max(count, 1) - 1, [line]))
        elif found and not line.startswith(("--- ", "+++ ")):
            found[-1][2].append(line)
    return found


def _frame(d: Diagnostic, lines: Sequence[str], style: _Style) -> list[str]:
    last = min(d.end_line, d.line + MAX_SPAN_LINES - 1, len(lines))
    first_shown = max(1, d.line - CONTEXT)
    last_shown = min(len(lines), max(last, d.line) + CONTEXT)
    width = len(str(last_shown))
    gutter = style.dim(f"{'':>{width}} |")
    out = [gutter]
    for number in range(first_shown, last_shown + 1):
        text = _shown(lines[number - 1])
        out.append(f"{style.dim(f'{number:>{width}} |')} {text}".rstrip())
        if number == d.line:
            raw = lines[number - 1]
            start = d.column - 1
            end = d.end_column - 1 if d.end_line == d.line else len(raw.rstrip())
            end = max(end, start + 1)
            indent = len(_shown(raw[:start]))
            length = max(1, len(_shown(raw[start:end])))
            carets = style.red("^" * length + (" ..." if d.end_line > d.line else ""))
            out.append(f"{gutter} {' ' * indent}{carets} {style.red(d.code)}")
    out.append(gutter)
    return out


def _shown(text: str) -> str:
    """Source text as the frame prints it: tabs as four spaces, control characters escaped."""
    return printable(text.replace("\t", "    "))


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def dim(self, text: str) -> str:
        return click.style(text, fg="blue", bold=True) if self.color else text

    def red(self, text: str) -> str:
        return click.style(text, fg="red", bold=True) if self.color else text

    def bold(self, text: str) -> str:
        return click.style(text, bold=True) if self.color else text

    def diff_line(self, text: str) -> str:
        if not self.color:
            return text
        if text.startswith("+"):
            return click.style(text, fg="green")
        if text.startswith("-"):
            return click.style(text, fg="red")
        return text


def render(result: RunResult, options: ReportOptions) -> str:
    """The full report: the text report's finding lines, each followed by its code frame,
    then the text report's summary."""
    style = _Style(options.color)
    sources: dict[str, Sequence[str] | None] = {}
    blocks = []
    for d in result.diagnostics:
        if d.path not in sources:
            known = options.sources.get(d.path)
            found = split_lines(known) if known is not None else read_lines(d.path)
            if found and found[-1] == "":  # what follows the last line end is no line
                found = found[:-1]
            sources[d.path] = found
        lines = sources[d.path]
        head = f"{style.bold(printable(f'{d.path}:{d.line}:{d.column}:'))} " \
               f"{style.red(d.code)} {printable(d.message)}"
        block = [head]
        if lines is not None and 1 <= d.line <= len(lines):
            block.extend(_frame(d, lines, style))
        found_chain = chain(d.message) if d.code in ("ACK290", "ACK400") else None
        if found_chain is not None:
            block.append(f"   = chain: {found_chain.replace('`', '')}")
        if d.fix is not None:
            block.append(f"   = fix: {printable(d.fix.description)}")
            for start, end, hunk in hunks(options.diffs.get(d.path, "")):
                if start <= d.line <= end:
                    block.extend(f"   |   {style.diff_line(printable(h))}" for h in hunk)
        blocks.append("\n".join(block))
    parts = ["\n\n".join(blocks)] if blocks else []
    summary = summary_lines(result, options)
    if summary:
        parts.append("\n".join(summary))
    return "\n\n".join(parts) + ("\n" if parts else "")
