"""Configuration: ``[tool.asyncheck]`` (or flake8 options) -> one frozen :class:`Settings`.

Selection follows ruff's semantics: ``select`` replaces the default set, ``extend-select``
adds to it, ``ignore`` removes from it; every entry is a code prefix (``ACK2`` selects the
blocking-call family) or ``ALL``.  Every key, type and code is validated; an error names the
key and the file.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path, PurePath
from typing import Any

from asyncheck.core.catalog import default_enabled

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

#: Directories never walked unless named on the command line.
DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".venv", "venv", "__pycache__", "build", "dist", ".tox", ".nox",
    "node_modules", "site-packages", ".mypy_cache", ".pytest_cache", ".asyncheck_cache",
)

DEFAULT_MAX_FANOUT = 20
#: Where test code lives by the conventions of pytest and unittest.
DEFAULT_TEST_PATHS = (
    "test_*.py", "*_test.py", "tests.py", "conftest.py", "tests/*", "test/*", "testing/*",
)
#: Where one-shot command-line entry code lives by common convention.
DEFAULT_SCRIPT_PATHS = ("__main__.py", "cli.py", "cli/*", "scripts/*")

_CODE_PREFIX_RE = re.compile(r"ACK[0-9]{0,3}|ALL")


class ConfigError(Exception):
    """A configuration problem the user must fix (exit status 2)."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved and validated.  Rules read it, never change it."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    max_fanout: int = DEFAULT_MAX_FANOUT
    blocking_calls: tuple[tuple[str, str], ...] = ()
    coroutine_functions: tuple[str, ...] = ()
    limiters: tuple[str, ...] = ()
    #: Globs naming test code and command-line entry code, matched against every tail of a
    #: path relative to the project root (``tests/*`` matches ``pkg/tests/unit/x.py``).
    #: Rules about the *cost* of a call (blocking the loop, fan-out) do not report there: a
    #: test reading its JSON fixture or a one-shot command writing its output file has no
    #: other work on the loop to stall (SPEC §10).
    test_paths: tuple[str, ...] = DEFAULT_TEST_PATHS
    script_paths: tuple[str, ...] = DEFAULT_SCRIPT_PATHS
    #: The oldest Python the project supports, ``(3, 10)``: ``target-version`` in
    #: ``[tool.asyncheck]`` (``"py310"``), else the lower bound of ``requires-python``.  Advice
    #: must work there (SPEC §1 "Trust").  None: not declared.
    target_version: tuple[int, int] | None = None
    #: The first Python the project does not support, from an upper bound of
    #: ``requires-python`` (``<3.16`` -> ``(3, 16)``).  None: no bound.
    python_below: tuple[int, int] | None = None
    #: ``baseline = "..."``: the baseline file of accepted findings, relative to the
    #: configuration file's directory (resolved by :func:`load_settings`).  It filters the
    #: report, never what a file's lint finds, so it is not part of the cache key.
    baseline: str | None = field(default=None, compare=False)
    #: The environment whose libraries are read (SPEC §9): an interpreter or a virtualenv
    #: directory, ``"none"`` for no library knowledge; None: found as the environment says
    #: (``--python``, ``python = "..."``; relative to the configuration file).
    python: str | None = None
    #: Where ``python`` was set, as ``--explain-env`` and ``--show-settings`` name it:
    #: ``--python`` or ``python in <config file>`` (None: not set, or set in code).
    python_origin: str | None = field(default=None, compare=False)
    config_path: Path | None = field(default=None, compare=False)
    root: Path | None = field(default=None, compare=False)

    def enabled_codes(self, defaults: Mapping[str, bool] | None = None) -> frozenset[str]:
        """The codes to run, given every known code and whether it is on by default (by
        default the rule catalogue's)."""
        if defaults is None:
            defaults = default_enabled()
        if self.select is None:
            enabled = {code for code, on in defaults.items() if on}
        else:
            enabled = {code for code in defaults if _matches_any(code, self.select)}
        enabled |= {code for code in defaults if _matches_any(code, self.extend_select)}
        # An explicit, more specific select wins over a broader ignore (ruff's rule).
        explicit = tuple(self.select or ()) + self.extend_select
        return frozenset(
            code for code in enabled
            if not _matches_any(code, self.ignore)
            or _specificity(code, explicit) > _specificity(code, self.ignore)
        )

    def ignored_for_path(self, path: PurePath) -> frozenset[str]:
        """Code prefixes that ``per-file-ignores`` switch off for ``path``."""
        if not self.per_file_ignores:
            return frozenset()
        candidates = {path.as_posix(), path.name}
        if self.root is not None:
            try:
                candidates.add(Path(path).resolve().relative_to(self.root.resolve()).as_posix())
            except (ValueError, OSError, RuntimeError):
                pass
        ignored: set[str] = set()
        for pattern, codes in self.per_file_ignores:
            if any(fnmatch.fnmatch(c, pattern) for c in candidates):
                ignored.update("ACK" if code == "ALL" else code for code in codes)
        return frozenset(ignored)

    def role_of(self, path: PurePath) -> str | None:
        """``"test"`` or ``"script"`` when ``test-paths``/``script-paths`` name ``path``,
        else None (library or application code)."""
        tails = _path_tails(path, self.root)
        if any(fnmatch.fnmatchcase(tail, pattern) for pattern in self.test_paths for tail in tails):
            return "test"
        if any(fnmatch.fnmatchcase(tail, pattern) for pattern in self.script_paths for tail in tails):
            return "script"
        return None

    def blocking_call_suggestion(self, qualname: str) -> str | None:
        """The configured suggestion for a qualified name matching a ``blocking-calls`` pattern."""
        for pattern, suggestion in self.blocking_calls:
            if fnmatch.fnmatchcase(qualname, pattern):
                return suggestion
        return None

    def cache_key(self) -> str:
        """A digest of every setting that can change findings."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.compare}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _path_tails(path: PurePath, root: Path | None) -> list[str]:
    """``a/tests/b.py`` -> ``["a/tests/b.py", "tests/b.py", "b.py"]``, relative to ``root``
    when the path is inside it (so the folders above the project never count)."""
    relative = PurePath(path)
    if root is not None and relative.is_absolute():
        try:
            relative = relative.relative_to(root)
        except ValueError:
            try:
                relative = Path(path).resolve().relative_to(root.resolve())
            except (ValueError, OSError, RuntimeError):
                relative = PurePath(relative.name)
    elif relative.is_absolute():
        try:
            relative = relative.relative_to(Path.cwd())
        except (ValueError, OSError):
            relative = PurePath(relative.name)
    parts = [part for part in relative.parts if part not in ("", ".", "/")]
    return ["/".join(parts[i:]) for i in range(len(parts))]


def _matches_any(code: str, prefixes: Iterable[str]) -> bool:
    return any(p == "ALL" or code.startswith(p) for p in prefixes)


def _specificity(code: str, prefixes: Iterable[str]) -> int:
    return max((0 if p == "ALL" else len(p) for p in prefixes if p == "ALL" or code.startswith(p)),
               default=-1)


# -- reading --------------------------------------------------------------------------------
_KEYS = {
    "select": "select",
    "ignore": "ignore",
    "extend-select": "extend_select",
    "per-file-ignores": "per_file_ignores",
    "exclude": "exclude",
    "extend-exclude": "extend_exclude",
    "max-fanout": "max_fanout",
    "blocking-calls": "blocking_calls",
    "coroutine-functions": "coroutine_functions",
    "limiters": "limiters",
    "target-version": "target_version",
    "test-paths": "test_paths",
    "script-paths": "script_paths",
    "baseline": "baseline",
    "python": "python",
}


def find_config_file(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that has ``[tool.asyncheck]``."""
    try:
        start = start.resolve()
    except (OSError, RuntimeError):  # a symlink loop: look from where it sits
        start = start.absolute().parent
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory, *directory.parents):
        candidate = candidate_dir / "pyproject.toml"
        if candidate.is_file():
            tool = _read_toml(candidate).get("tool")
            if isinstance(tool, dict) and "asyncheck" in tool:
                return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    """The parsed document; anything that keeps it from being read is a :class:`ConfigError`
    naming the file, since every ``pyproject.toml`` on the way is read, even one that only
    other tools use."""
    try:
        with path.open("rb") as handle:
            document: dict[str, Any] = tomllib.load(handle)
            return document
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError as error:  # a binary file: TOML is UTF-8 text
        raise ConfigError(f"{path}: not valid TOML: not UTF-8 text (byte {error.start})") from None
    except RecursionError:  # the parser recurses once per level of nested arrays or tables
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None


def load_settings(
    config_file: Path | None,
    *,
    known_codes: Iterable[str],
    overrides: Mapping[str, Any] | None = None,
    root: Path | None = None,
) -> Settings:
    """Settings from ``[tool.asyncheck]`` of ``config_file`` (if any), then ``overrides``.

    ``overrides`` use the TOML key names (``extend-select``) and come from the command line.
    """
    known = frozenset(known_codes)
    table: Mapping[str, Any] = {}
    if config_file is not None:
        document = _read_toml(config_file)
        tool = document.get("tool", {})
        table = tool.get("asyncheck", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise ConfigError(f"{config_file}: [tool.asyncheck] must be a table")
    where = str(config_file) if config_file is not None else "configuration"
    values = _validate(table, where, known)
    if "baseline" in values and config_file is not None:
        values["baseline"] = str(config_file.parent / values["baseline"])
    if config_file is not None and "python" in values:
        # A configured path is relative to the configuration file, not to the working
        # directory (the command line's is relative to the working directory).
        values["python"] = locate_python(values["python"], config_file.parent)
        values["python_origin"] = f"python in {config_file}"
    if overrides:
        values.update(_validate(overrides, "command line", known))
        if "python" in overrides:
            values["python"] = locate_python(values["python"], None)
            values["python_origin"] = "--python"
    if root is None and config_file is not None:
        root = config_file.parent
    values.update(_declared_pythons(config_file, root, values.get("target_version")))
    return Settings(**values, config_path=config_file, root=root)


def locate_python(value: str, base: Path | None) -> str:
    """The interpreter or virtualenv a ``python`` setting names: ``none``; a path,
    relative to ``base`` (the configuration file's directory; the working directory when
    None); or a command name without a directory (``python3.12``), looked up on ``PATH``
    when no such file or directory sits in ``base``."""
    if value.strip().lower() == "none":
        return "none"
    path = Path(value).expanduser()
    candidate = base / path if base is not None and not path.is_absolute() else path
    if candidate.exists() or any(sep in value for sep in ("/", os.sep, os.altsep) if sep):
        return str(candidate)
    # Imported here: only a command name needs it (start-up time).
    import shutil

    found = shutil.which(value)
    return found if found is not None else str(candidate)


_TARGET_VERSION_RE = re.compile(r"py3(\d{1,2})")
_SPECIFIER_RE = re.compile(r"\s*(~=|===|==|!=|<=|>=|<|>)\s*(\d+)(?:\.(\d+|\*))?(?:\.(\d+|\*))?")


def _declared_pythons(
    config_file: Path | None, root: Path | None, target: tuple[int, int] | None
) -> dict[str, tuple[int, int] | None]:
    """``target_version`` and ``python_below`` from ``[project] requires-python`` of the
    project's ``pyproject.toml`` (the configuration file, else the one at the root); an
    explicit ``target-version`` wins for the lower bound."""
    candidates = [config_file] if config_file is not None else []
    if root is not None:
        candidates.append(root / "pyproject.toml")
    requires: object = None
    for candidate in candidates:
        try:
            if not candidate.is_file():
                continue
        except OSError:
            continue
        project = _read_toml(candidate).get("project")
        if isinstance(project, dict) and isinstance(project.get("requires-python"), str):
            requires = project["requires-python"]
            break
    lower, upper = parse_requires_python(requires) if isinstance(requires, str) else (None, None)
    return {"target_version": target or lower, "python_below": upper}


def parse_requires_python(text: str) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """``">=3.10, <3.16"`` -> ``((3, 10), (3, 16))``: the oldest supported ``(major, minor)``
    and the first one excluded (None where the specifier says nothing, or cannot be read)."""
    lower: tuple[int, int] | None = None
    upper: tuple[int, int] | None = None
    for part in text.split(","):
        match = _SPECIFIER_RE.fullmatch(part.strip())
        if match is None:
            continue
        operator, major_text, minor_text, micro_text = match.groups()
        major = int(major_text)
        minor = int(minor_text) if minor_text and minor_text != "*" else 0
        micro = int(micro_text) if micro_text and micro_text != "*" else 0
        low: tuple[int, int] | None = None
        high: tuple[int, int] | None = None
        if operator in (">=", ">", "~=", "==", "==="):
            low = (major, minor)
        if operator == "<":
            high = (major, minor + 1) if micro else (major, minor)
        elif operator == "<=":
            high = (major, minor + 1)
        elif operator in ("==", "===") and minor_text:
            high = (major, minor + 1)
        if low is not None and (lower is None or low > lower):
            lower = low
        if high is not None and (upper is None or high < upper):
            upper = high
    return lower, upper


def settings_from_mapping(
    table: Mapping[str, Any], *, known_codes: Iterable[str], where: str = "configuration"
) -> Settings:
    """Settings from an already-read mapping with TOML key names (for tests and flake8)."""
    return Settings(**_validate(table, where, frozenset(known_codes)))


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    """A copy of ``settings`` with snake_case fields replaced."""
    return replace(settings, **changes)


def _validate(table: Mapping[str, Any], where: str, known: frozenset[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _KEYS:
            import difflib  # imported here, for a misspelt key only: start-up time

            hint = difflib.get_close_matches(key, list(_KEYS), n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ConfigError(f"{where}: unknown key '{key}'{suggestion}")
        attr = _KEYS[key]
        if attr in ("select", "ignore", "extend_select"):
            values[attr] = tuple(_codes(value, key, where, known))
        elif attr in ("exclude", "extend_exclude", "coroutine_functions", "limiters",
                      "test_paths", "script_paths"):
            values[attr] = tuple(_strings(value, key, where))
        elif attr == "target_version":
            match = _TARGET_VERSION_RE.fullmatch(value) if isinstance(value, str) else None
            if match is None:
                raise ConfigError(f"{where}: '{key}' must be a version such as \"py310\", "
                                  f"not {value!r}")
            values[attr] = (3, int(match.group(1)))
        elif attr == "baseline":
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where}: '{key}' must be a file name, not {_kind(value)}")
            values[attr] = value
        elif attr == "python":
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where}: '{key}' must be a path to an interpreter or a "
                                  f"virtualenv, or \"none\", not {value!r}")
            values[attr] = value.strip()
        elif attr == "max_fanout":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{where}: '{key}' must be a positive integer, not {value!r}")
            values[attr] = value
        elif attr == "per_file_ignores":
            values[attr] = tuple(
                (pattern, tuple(_codes(codes, f"{key}.{pattern}", where, known)))
                for pattern, codes in _table(value, key, where).items()
            )
        elif attr == "blocking_calls":
            pairs = []
            for pattern, suggestion in _table(value, key, where).items():
                if not isinstance(suggestion, str):
                    raise ConfigError(
                        f"{where}: '{key}.{pattern}' must be a string (the suggestion shown)")
                pairs.append((pattern, suggestion))
            values[attr] = tuple(pairs)
    return values


def _table(value: Any, key: str, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: '{key}' must be a table, not {_kind(value)}")
    return value


def _strings(value: Any, key: str, where: str) -> list[str]:
    # A lone string is a wrong type too (the README says so): `ignore = "ACK200"` reads as
    # meant, but accepting it would make `exclude = "a, b"` one odd pattern.
    if isinstance(value, str):
        raise ConfigError(f"{where}: '{key}' must be a list of strings, not a string "
                          f"(write [{json.dumps(value)}])")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings, not {_kind(value)}")
    return [v.strip() for v in value if v.strip()]


def _kind(value: Any) -> str:
    """What a wrong TOML value is, for an error message."""
    if isinstance(value, (list, tuple)):
        wrong = [v for v in value if not isinstance(v, str)]
        return f"a list holding {_kind(wrong[0])}" if wrong else "a list"
    names = {bool: "a boolean", int: "an integer", float: "a number", dict: "a table"}
    return next((name for kind, name in names.items() if isinstance(value, kind)),
                f"a {type(value).__name__}")


def parse_code_list(text: str) -> list[str]:
    """``"ACK1, ACK200"`` -> ``["ACK1", "ACK200"]`` (command-line and flake8 style)."""
    return [part.strip() for part in re.split(r"[,\s]+", text) if part.strip()]


def _codes(value: Any, key: str, where: str, known: frozenset[str]) -> list[str]:
    codes = _strings(value, key, where)
    for code in codes:
        if not _CODE_PREFIX_RE.fullmatch(code) or (
            code != "ALL" and not any(k.startswith(code) for k in known)
        ):
            import difflib  # imported here, for a misspelt code only: start-up time

            hint = difflib.get_close_matches(code, sorted(known), n=1)
            suggestion = f" (did you mean {hint[0]}?)" if hint else ""
            raise ConfigError(f"{where}: '{key}' has unknown rule code '{code}'{suggestion}")
    return codes
