"""The flake8 plugin: a thin adapter that runs asyncheck's engine inside flake8.

flake8 finds files, reads them, and owns ``--select``/``--ignore``/``# noqa``/``--jobs``; the
plugin lints the lines flake8 has already read with every asyncheck rule and yields what the
engine finds.  Off-by-default rules are registered as flake8's default-ignored codes, so plain
``flake8`` reports asyncheck's defaults and ``flake8 --select ACK`` reports everything, as
``asyncheck --select ALL`` does.

Settings come from ``[tool.asyncheck]`` of the nearest ``pyproject.toml`` with flake8's own
``--asyncheck-*`` options (command line, ``setup.cfg``, ``tox.ini``, ``.flake8``) winning.
The project index is the CLI's: built once per process for each project root, so pre-commit
and CI see the same cross-file facts.  The plugin never raises: whatever goes wrong is an
ACK000 finding, and flake8 carries on with the next file.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from asyncheck import __version__
from asyncheck.app.assemble import build_linter
from asyncheck.app.baseline import Baseline, BaselineError, keyed, split_lines
from asyncheck.app.discovery import find_project_root, module_name_for
from asyncheck.app.registry import all_rules
from asyncheck.core.config import (
    ConfigError,
    Settings,
    find_config_file,
    load_settings,
    with_overrides,
)
from asyncheck.core.diagnostic import UNPARSABLE_CODE, Diagnostic
from asyncheck.core.suppression import is_suppressed, parse_suppressions
from asyncheck.core.source import DecodedSource
from asyncheck.lint.engine import Linter

#: What flake8 wants from a plugin's ``run``: (line, 0-based column, "CODE message", type).
Flake8Result = tuple[int, int, str, type[Any]]

# A comma starts a new "pattern=suggestion" pair only when a pattern and "=" follow it, so
# suggestions may contain commas ("use aiofiles, or asyncio.to_thread").
_PAIR_SEPARATOR_RE = re.compile(r"\n|,(?=\s*[\w.*?\[\]!-]+\s*=)")


def parse_blocking_calls(text: str) -> dict[str, str]:
    """``"mylib.legacy.*=use mylib.aio, pkg.get=use pkg.aget"`` -> pattern -> suggestion.

    Pairs are separated by newlines (the usual multi-line ``setup.cfg`` value) or commas.
    """
    pairs: dict[str, str] = {}
    for item in _PAIR_SEPARATOR_RE.split(text):
        item = item.strip()
        if not item:
            continue
        pattern, equals, suggestion = item.partition("=")
        if not equals or not pattern.strip() or not suggestion.strip():
            raise ConfigError(
                f"flake8 option 'asyncheck-blocking-calls': '{item}' is not PATTERN=SUGGESTION")
        pairs[pattern.strip()] = suggestion.strip()
    return pairs


@dataclass(frozen=True)
class _Project:
    """The project linted files belong to: its root and configuration file, or why the
    configuration cannot be read."""

    root: Path
    config_file: Path | None
    error: str | None = None


class AsyncheckPlugin:
    """flake8 entry point ``ACK``: asyncheck's rules as a flake8 tree plugin."""

    name: ClassVar[str] = "asyncheck"
    version: ClassVar[str] = __version__

    # Set by parse_options (once per process, before any file is checked).
    _overrides: ClassVar[dict[str, Any]] = {}
    _option_error: ClassVar[str | None] = None
    _anchors: ClassVar[tuple[Path, ...]] = ()
    # Per-process caches: anchor -> project, (root, config) -> linter with its index.
    _projects: ClassVar[dict[Path, _Project]] = {}
    _linters: ClassVar[dict[tuple[Path, Path | None], Linter | str]] = {}
    _baselines: ClassVar[dict[str, Baseline | str]] = {}

    def __init__(self, tree: object, filename: str, lines: Sequence[str]) -> None:
        # flake8 hands every tree plugin the ast; asyncheck parses with libcst instead and
        # takes only the lines, which flake8 has already read and decoded.
        del tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        """Register the ``--asyncheck-*`` options and the off-by-default codes."""
        option_manager.add_option(
            "--asyncheck-max-fanout", type=int, default=None, metavar="N",
            parse_from_config=True,
            help="asyncheck: literal fan-out sizes up to N are fine (default 20).",
        )
        option_manager.add_option(
            "--asyncheck-blocking-calls", default=None, metavar="PATTERN=SUGGESTION,...",
            parse_from_config=True,
            help="asyncheck: calls whose qualified name matches PATTERN (fnmatch) block the "
                 "event loop; SUGGESTION is shown in the message.  Pairs are separated by "
                 "newlines or commas.",
        )
        option_manager.add_option(
            "--asyncheck-coroutine-functions", default=None, metavar="NAMES",
            parse_from_config=True, comma_separated_list=True,
            help="asyncheck: qualified names of further coroutine functions.",
        )
        option_manager.add_option(
            "--asyncheck-limiters", default=None, metavar="NAMES",
            parse_from_config=True, comma_separated_list=True,
            help="asyncheck: qualified names of further concurrency limiter types.",
        )
        option_manager.add_option(
            "--asyncheck-baseline", default=None, metavar="FILE",
            parse_from_config=True, normalize_paths=True,
            help="asyncheck: report only findings not in this baseline file (written by "
                 "asyncheck --write-baseline).",
        )
        option_manager.add_option(
            "--asyncheck-python", default=None, metavar="PATH",
            parse_from_config=True,
            help="asyncheck: the interpreter or virtualenv whose libraries to read, or "
                 "'none' (default: as the asyncheck command finds it).",
        )
        option_manager.extend_default_ignore(
            [code for code, rule in all_rules().items() if not rule.default_enabled])

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        """Keep the ``--asyncheck-*`` values given, validated, as ``[tool.asyncheck]`` keys."""
        cls._projects.clear()
        cls._linters.clear()
        cls._baselines.clear()
        cls._option_error = None
        # The CLI finds the project root and configuration from its first path; flake8's
        # paths are the same words, so both doors see the same project.
        cls._anchors = tuple(Path(p) for p in getattr(options, "filenames", None) or ()
                             if p != "-")
        overrides: dict[str, Any] = {}
        try:
            fanout = getattr(options, "asyncheck_max_fanout", None)
            if fanout is not None:
                overrides["max-fanout"] = fanout
            blocking = getattr(options, "asyncheck_blocking_calls", None)
            if blocking:
                overrides["blocking-calls"] = parse_blocking_calls(blocking)
            baseline = getattr(options, "asyncheck_baseline", None)
            if baseline:
                overrides["baseline"] = str(baseline)
            python = getattr(options, "asyncheck_python", None)
            if python:
                overrides["python"] = python
            for key in ("coroutine-functions", "limiters"):
                value = getattr(options, "asyncheck_" + key.replace("-", "_"), None)
                if value:
                    overrides[key] = list(value)
            # Validate now, so a bad value is reported the same way for every file.
            load_settings(None, known_codes=all_rules(), overrides=overrides)
        except ConfigError as error:
            cls._option_error = str(error).replace("command line: ", "flake8 options: ", 1)
            overrides = {}
        cls._overrides = overrides

    def run(self) -> Iterator[Flake8Result]:
        """Yield one flake8 result per finding; never raise."""
        try:
            results = list(self._lint())
        except Exception as error:  # a plugin that raises aborts the whole flake8 run
            results = [(1, 0, f"{UNPARSABLE_CODE} internal error in asyncheck: "
                              f"{type(error).__name__}: {error}; please report this with the "
                              "file", type(self))]
        yield from results

    def _lint(self) -> Iterator[Flake8Result]:
        if self._option_error is not None:
            yield (1, 0, f"{UNPARSABLE_CODE} configuration error: {self._option_error}",
                   type(self))
            return
        path = Path(self.filename)
        project = self._project_for(path)
        linter = self._linter_for(project)
        if isinstance(linter, str):
            yield (1, 0, f"{UNPARSABLE_CODE} configuration error: {linter}", type(self))
            return
        source = DecodedSource("".join(self.lines), "utf-8", bom=False)
        result = linter.lint_text(
            self.filename, source, module_name=module_name_for(path, project.root),
            is_package=path.name == "__init__.py",
        )
        diagnostics = result.diagnostics
        if linter.settings.baseline:
            baseline = self._baseline(linter.settings.baseline)
            if isinstance(baseline, str):
                yield (1, 0, f"{UNPARSABLE_CODE} configuration error: {baseline}", type(self))
                return
            lines = split_lines(source.text)
            # The CLI counts occurrences among the findings `# noqa` leaves; flake8 applies
            # `# noqa` after the plugin, so the ones it will drop are set aside here.
            noqa = parse_suppressions(source.text)
            silenced = [d for d in diagnostics if is_suppressed(d.code, (d.line,), noqa)]
            reported = [d for d in diagnostics if not is_suppressed(d.code, (d.line,), noqa)]
            new, _ = baseline.split(keyed(reported, project.root, lambda _: lines))
            diagnostics = sorted([*new, *silenced], key=Diagnostic.sort_key)
        for d in diagnostics:
            yield (d.line, max(d.column - 1, 0), f"{d.code} {d.message}", type(self))

    @classmethod
    def _baseline(cls, path: str) -> Baseline | str:
        """The baseline file at ``path`` (read once per process), or why it cannot be read."""
        baseline = cls._baselines.get(path)
        if baseline is None:
            try:
                baseline = Baseline.load(Path(path))
            except BaselineError as error:
                baseline = str(error)
            cls._baselines[path] = baseline
        return baseline

    @classmethod
    def _project_for(cls, path: Path) -> _Project:
        # Standard input (no path on the command line) is placed by its display name.
        anchor = cls._anchors[0] if cls._anchors else path.parent
        project = cls._projects.get(anchor)
        if project is None:
            root = find_project_root([anchor])
            try:
                project = _Project(root, find_config_file(
                    anchor if anchor.exists() else Path.cwd()))
            except ConfigError as error:  # a pyproject.toml that is not valid TOML
                project = _Project(root, None, str(error))
            cls._projects[anchor] = project
        return project

    @classmethod
    def _linter_for(cls, project: _Project) -> Linter | str:
        """The project's linter (all rules, the project index), or a configuration error."""
        if project.error is not None:
            return project.error
        key = (project.root, project.config_file)
        linter = cls._linters.get(key)
        if linter is None:
            try:
                settings = plugin_settings(project.config_file, cls._overrides, project.root)
            except ConfigError as error:
                linter = str(error)
            else:
                # plugin_settings turns every rule on; flake8 reads the noqa comments.
                linter = build_linter(settings, root=project.root, apply_noqa=False)
            cls._linters[key] = linter
        return linter


def plugin_settings(
    config_file: Path | None, overrides: Mapping[str, Any], root: Path
) -> Settings:
    """``[tool.asyncheck]`` with flake8's options on top, every rule on.

    flake8 decides which codes to show (``--select``, ``--extend-ignore``,
    ``--per-file-ignores``, ``# noqa``), so asyncheck's own selection keys are set aside: the
    plugin's linter runs every rule because these settings select them all.
    """
    settings = load_settings(config_file, known_codes=all_rules(), overrides=overrides,
                             root=root)
    return with_overrides(settings, select=("ALL",), ignore=(), extend_select=(),
                          per_file_ignores=())
