"""Lint source text in memory: what the rule-example tests and the docs use.

This goes through the same :class:`~asyncheck.lint.engine.Linter` as the command line; only the
project is made of strings instead of files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import libcst as cst

from asyncheck.app.assemble import build_linter
from asyncheck.app.registry import all_rules
from asyncheck.core.config import Settings
from asyncheck.core.diagnostic import Diagnostic
from asyncheck.core.source import DecodedSource
from asyncheck.lint.engine import FileResult, Linter
from asyncheck.lint.fixer import FixOutcome, fix_source
from asyncheck.syntax.parse import read_module


def module_name_of(path: str) -> str:
    """``app/client.py`` -> ``app.client``; ``app/__init__.py`` -> ``app``."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _linter(
    source: str,
    codes: Iterable[str] | None,
    options: Mapping[str, Any] | None,
    filename: str,
    other_files: Mapping[str, str] | None,
) -> Linter:
    rules = all_rules()
    selected = [rules[c] for c in codes] if codes is not None else list(rules.values())
    settings = replace(Settings(), **dict(options or {}))
    files = {filename: source, **dict(other_files or {})}
    sources = {module_name_of(path): text for path, text in files.items()}
    modules = {module_name_of(path): Path(path) for path in files}

    def parse(path: Path) -> cst.Module | None:
        return read_module(sources[module_name_of(path.as_posix())].encode("utf-8"))

    return build_linter(settings, rules=selected, modules=modules, parse=parse)


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
    :class:`~asyncheck.core.config.Settings` fields.
    """
    linter = _linter(source, codes, options, filename, other_files)
    return linter.lint_bytes(filename, source.encode("utf-8"), module_name=module_name_of(filename),
                             is_package=filename.endswith("__init__.py")).diagnostics


def fix_source_text(
    source: str,
    *,
    codes: Iterable[str] | None = None,
    options: Mapping[str, Any] | None = None,
    filename: str = "example.py",
    other_files: Mapping[str, str] | None = None,
) -> FixOutcome:
    """What ``asyncheck --fix`` makes of ``source`` (same arguments as :func:`lint_source`)."""
    linter = _linter(source, codes, options, filename, other_files)
    module_name = module_name_of(filename)

    def lint(decoded: DecodedSource) -> FileResult:
        return linter.lint_text(filename, decoded, module_name=module_name,
                                is_package=filename.endswith("__init__.py"))

    return fix_source(lint, DecodedSource(source, "utf-8", False), path=filename)
