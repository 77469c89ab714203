"""flake8-async's own cases for the checks ACK510-ACK530 share with it, in asyncio spelling.

``tests/flake8_async_cases/`` holds our transcription of flake8-async's test files (see its
README.md for the credit and the mapping of names).  A line flake8-async reports carries
``# ASYNCnnn``; asyncheck should report the rule that checks the same thing on that line.
The catch rate (caught / flake8-async's findings) must stay at 90 % or more over all
five checks, and at 85 % or more for each.  ASYNC119 (a ``yield`` in *any* context manager
of an async generator) is ACK513, which is off by default and selected here; a ``yield``
inside a cancel scope or a task group is ACK511's (ASYNC101's) finding.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from asyncheck.doors.testing import lint_source

CASES = Path(__file__).resolve().parent / "flake8_async_cases"
#: flake8-async's code -> the asyncheck rule of the same check.
MAPPING = {
    "ASYNC100": "ACK512",
    "ASYNC101": "ACK511",
    "ASYNC110": "ACK520",
    "ASYNC119": "ACK513",
    "ASYNC124": "ACK530",
}
#: Checks held to the catch rate.
HELD = ("ASYNC100", "ASYNC101", "ASYNC110", "ASYNC119", "ASYNC124")
CATCH_RATE = 0.90
_MARK = re.compile(r"#\s*(ASYNC\d{3})\s*$")

#: asyncheck findings on lines flake8-async leaves alone, each judged here (none so far).
EXPECTED_EXTRAS: set[tuple[str, int, str]] = set()


def _expected() -> dict[tuple[str, int], str]:
    """(file, line) -> flake8-async's code, from the ``# ASYNCnnn`` marks."""
    marks: dict[tuple[str, int], str] = {}
    for path in sorted(CASES.glob("async*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = _MARK.search(line)
            if match:
                marks[(path.name, number)] = match.group(1)
    return marks


def _found() -> set[tuple[str, int, str]]:
    """(file, line, code) found by the rule of each file's check (``async100.py``: ACK512)."""
    found: set[tuple[str, int, str]] = set()
    for path in sorted(CASES.glob("async*.py")):
        code = MAPPING["ASYNC" + path.stem.removeprefix("async")]
        diagnostics = lint_source(path.read_text(encoding="utf-8"), filename=path.name,
                                  codes=[code])
        assert not [d for d in diagnostics if d.code == "ACK000"], diagnostics
        found.update((path.name, d.line, d.code) for d in diagnostics)
    return found


@pytest.fixture(scope="module")
def results() -> tuple[dict[tuple[str, int], str], set[tuple[str, int, str]]]:
    return _expected(), _found()


def test_catch_rate_of_flake8_async_cases(
    results: tuple[dict[tuple[str, int], str], set[tuple[str, int, str]]],
) -> None:
    expected, found = results
    totals: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    misses = []
    for (name, line), peer_code in sorted(expected.items()):
        totals[peer_code] += 1
        if (name, line, MAPPING[peer_code]) in found:
            caught[peer_code] += 1
        else:
            misses.append(f"{name}:{line} {peer_code}")
    rates = {code: f"{caught[code]}/{totals[code]}" for code in sorted(totals)}
    held_total = sum(totals[c] for c in HELD)
    held_caught = sum(caught[c] for c in HELD)
    print(f"\ncatch rates: {rates}; held checks {held_caught}/{held_total}")
    print("misses:\n  " + "\n  ".join(misses))
    assert held_caught / held_total >= CATCH_RATE, (rates, misses)
    for code in HELD:
        assert totals[code] and caught[code] / totals[code] >= 0.85, (code, rates, misses)


def test_no_unjudged_findings_on_lines_flake8_async_leaves_alone(
    results: tuple[dict[tuple[str, int], str], set[tuple[str, int, str]]],
) -> None:
    expected, found = results
    extras = {f for f in found if (f[0], f[1]) not in expected}
    assert extras == EXPECTED_EXTRAS
