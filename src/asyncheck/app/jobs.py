"""What a run hands its workers and gets back: one file to lint, and what came of it.

Apart from :mod:`asyncheck.app.pool`, which needs :mod:`multiprocessing` and
:mod:`concurrent.futures`: a run answered from the cache imports neither.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from asyncheck.core.diagnostic import Diagnostic


@dataclass(frozen=True)
class Job:
    """One file to lint: its path and module."""

    path: str
    module_name: str
    is_package: bool


@dataclass
class Outcome:
    """What linting (or fixing) one file came to; it crosses process boundaries."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str | None = None
    digest: str | None = None
    deps: tuple[str, ...] = ()
    fixed: Counter[str] = field(default_factory=Counter)
    dropped: list[str] = field(default_factory=list)
    diff: str | None = None
    new_text: str | None = None


@dataclass
class Triaged:
    """A file looked at before linting: finished already (the pre-filter skipped it, or it
    cannot be read), or to be linted after the project modules it imports."""

    job: Job
    outcome: Outcome | None = None
    imports: tuple[str, ...] = ()
    size: int = 0
