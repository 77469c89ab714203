"""What every reporter is given besides the run's result: how the user asked for the report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ReportOptions:
    """How the user asked for the report."""

    color: bool = False
    statistics: bool = False
    quiet: bool = False
    fixable_codes: frozenset[str] = frozenset()
    #: The project root (fingerprints of the GitLab report are relative to it).
    root: Path | None = None
    #: Texts that are not files on disk (standard input), by reported path.
    sources: Mapping[str, str] = field(default_factory=dict)
    #: The unified diff of each file's safe fixes, by reported path (``--format full``).
    diffs: Mapping[str, str] = field(default_factory=dict)
