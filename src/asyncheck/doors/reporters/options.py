"""What every reporter is given besides the run's result: how the user asked for the report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportOptions:
    """How the user asked for the report."""

    color: bool = False
    statistics: bool = False
    quiet: bool = False
    fixable_codes: frozenset[str] = frozenset()
