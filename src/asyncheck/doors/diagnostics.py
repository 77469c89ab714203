"""``--show-settings`` and ``--show-files``: what a run would use, to answer "which
configuration, which environment, why is this file not linted?"."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from asyncheck.app.environment import resolve_environment
from asyncheck.core.catalog import default_enabled
from asyncheck.core.config import DEFAULT_EXCLUDES, Settings
from asyncheck.doors.reporters.printable import printable

#: Settings fields that are not ``[tool.asyncheck]`` keys of their own.
_NOT_KEYS = {"config_path", "root", "python_below", "python_origin"}


def _toml_value(name: str, value: Any) -> Any:
    if name == "exclude" and value is None:
        return list(DEFAULT_EXCLUDES)
    if name == "target_version" and value is not None:
        return f"py{value[0]}{value[1]}"
    if name in ("per_file_ignores", "blocking_calls"):
        return {key: list(v) if isinstance(v, tuple) else v for key, v in value}
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return value


def settings_table(settings: Settings) -> dict[str, Any]:
    """Every setting under its ``[tool.asyncheck]`` key, resolved (defaults included)."""
    return {f.name.replace("_", "-"): _toml_value(f.name, getattr(settings, f.name))
            for f in fields(settings) if f.name not in _NOT_KEYS}


def environment_of(settings: Settings) -> str:
    """The environment library knowledge is read from, found as a run finds it (SPEC §9)."""
    environment = resolve_environment(settings.python, settings.root,
                                      origin=settings.python_origin)
    return environment.source + (f" ({environment.location})" if environment.location else "")


def show_settings(settings: Settings, *, config_file: Path | None, root: Path,
                  cache_dir: Path | None, output_format: str) -> str:
    """The resolved configuration and where it came from."""
    enabled = sorted(settings.enabled_codes(default_enabled()))
    facts: dict[str, Any] = {
        "configuration file": str(config_file) if config_file is not None else None,
        "project root": str(root),
        "cache directory": str(cache_dir) if cache_dir is not None else None,
        "environment": environment_of(settings),
        "enabled rules": enabled,
        "settings": settings_table(settings),
    }
    if output_format == "json":
        return json.dumps(facts, indent=2) + "\n"
    lines = [
        f"configuration file: {printable(str(config_file)) if config_file else 'none (defaults)'}",
        f"project root: {printable(str(root))}",
        f"cache directory: {printable(str(cache_dir)) if cache_dir else 'none (--no-cache)'}",
        f"environment (library knowledge): {printable(facts['environment'])}",
        f"enabled rules: {', '.join(enabled)}",
        "",
        "[tool.asyncheck]",
    ]
    for key, value in facts["settings"].items():
        shown = "(not set)" if value is None else json.dumps(value, ensure_ascii=False)
        lines.append(f"{key} = {printable(shown)}")
    return "\n".join(lines) + "\n"


def show_files(files: list[Path], skipped: list[tuple[Path, str]], *, verbose: bool,
               output_format: str) -> str:
    """The files a run would lint (and with ``verbose`` those left out, and why)."""
    if output_format == "json":
        document: dict[str, Any] = {"files": [str(p) for p in files]}
        if verbose:
            document["excluded"] = [{"path": str(p), "reason": r} for p, r in skipped]
        return json.dumps(document, indent=2) + "\n"
    lines = [printable(str(p)) for p in files]
    if verbose:
        lines.extend(f"excluded: {printable(str(p))} ({reason})" for p, reason in skipped)
    return "\n".join(lines) + ("\n" if lines else "")
