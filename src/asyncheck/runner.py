"""Paths in, diagnostics out: discovery, the project index, and linting each file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from asyncheck.analysis.project import ProjectIndex
from asyncheck.config import Settings
from asyncheck.discovery import (
    discover_files,
    find_project_root,
    iter_project_files,
    module_name_for,
)
from asyncheck.engine import Diagnostic, Linter, read_module
from asyncheck.rule import Rule
from asyncheck.rules import all_rules, rule_defaults

STDIN_PATH = "-"

#: Called with (files done, files to do) as the run goes, e.g. to draw a progress bar.
ProgressCallback = Callable[[int, int], None]


@dataclass
class RunResult:
    """Everything a reporter needs."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def internal_errors(self) -> int:
        """How many files a rule crashed on (the run then exits 2)."""
        return sum(1 for d in self.diagnostics if d.internal_error)


def enabled_rules(settings: Settings) -> list[type[Rule]]:
    """The rule classes the settings turn on."""
    codes = settings.enabled_codes(rule_defaults())
    return [rule for code, rule in all_rules().items() if code in codes]


def _parse_for_index(path: Path) -> cst.Module | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return read_module(data)


def build_index(root: Path, settings: Settings) -> ProjectIndex:
    """The lazy project index over every Python file of the project under ``root``."""
    modules: dict[str, Path] = {}
    for path in iter_project_files(root, settings):
        modules.setdefault(module_name_for(path, root), path)
    return ProjectIndex(modules, _parse_for_index)


def run(
    paths: Sequence[str],
    settings: Settings,
    *,
    stdin_data: bytes | None = None,
    stdin_filename: str | None = None,
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Lint ``paths`` (``-`` is standard input, already read into ``stdin_data``).

    ``progress`` is called with (files done, files to do) before each file read from disk
    and once when all are done.
    """
    result = RunResult()
    file_paths = [Path(p) for p in paths if p != STDIN_PATH]
    anchor_paths = list(file_paths)
    if stdin_filename:
        anchor_paths.append(Path(stdin_filename))
    root = find_project_root(anchor_paths or [Path.cwd()])
    discovered = discover_files(file_paths, settings, root=root) if file_paths else None
    if discovered is not None:
        result.errors.extend(discovered.errors)
    index = build_index(root, settings)
    linter = Linter(enabled_rules(settings), settings, index)

    if STDIN_PATH in paths and stdin_data is not None:
        display = stdin_filename or STDIN_PATH
        module_name = module_name_for(Path(stdin_filename), root) if stdin_filename else "stdin"
        file_result = linter.lint_bytes(
            display, stdin_data, module_name=module_name,
            is_package=bool(stdin_filename) and Path(display).name == "__init__.py",
        )
        result.diagnostics.extend(file_result.diagnostics)
        result.files_checked += 1

    files = discovered.files if discovered is not None else []
    for done, path in enumerate(files):
        if progress is not None:
            progress(done, len(files))
        try:
            data = path.read_bytes()
        except OSError as error:
            result.errors.append(f"asyncheck: cannot read {path}: {error.strerror or error}")
            continue
        file_result = linter.lint_bytes(
            str(path), data, module_name=module_name_for(path, root),
            is_package=path.name == "__init__.py",
        )
        result.diagnostics.extend(file_result.diagnostics)
        result.files_checked += 1
    if progress is not None and files:
        progress(len(files), len(files))
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result
