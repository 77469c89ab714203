"""Lint source text in memory: what the rule-example tests and the docs use.

This goes through the same :class:`~asyncheck.engine.Linter` as the command line; only the
project is made of strings instead of files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import libcst as cst

from asyncheck.analysis.project import ProjectIndex
from asyncheck.config import Settings
from asyncheck.engine import Diagnostic, Linter, read_module
from asyncheck.rules import all_rules


def module_name_of(path: str) -> str:
    """``app/client.py`` -> ``app.client``; ``app/__init__.py`` -> ``app``."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def lint_source(
    source: str,
    *,
    codes: Iterable[str] | None = None,
    options: Mapping[str, Any] | None = None,
    filename: str = "example.py",
    other_files: Mapping[str, str] | None = None,
) -> list[Diagnostic]:
    """Diagnostics for ``source`` as file ``filename`` of a project made of ``other_files``.

    ``codes`` are the rules to run (default: every rule); ``options`` are snake_case
    :class:`~asyncheck.config.Settings` fields.
    """
    rules = all_rules()
    selected = [rules[c] for c in codes] if codes is not None else list(rules.values())
    settings = replace(Settings(), **dict(options or {}))
    files = {filename: source, **dict(other_files or {})}
    sources = {module_name_of(path): text for path, text in files.items()}
    modules = {name: Path(path) for path, name in
               ((p, module_name_of(p)) for p in files)}

    def parse(path: Path) -> cst.Module | None:
        return read_module(sources[module_name_of(path.as_posix())].encode("utf-8"))

    index = ProjectIndex(modules, parse)
    linter = Linter(selected, settings, index)
    return linter.lint_bytes(filename, source.encode("utf-8"), module_name=module_name_of(filename),
                             is_package=filename.endswith("__init__.py")).diagnostics
