"""The ``asyncheck`` command: parse options, call the runner, pick a reporter.

Exit status: 0 nothing found, 1 problems found, 2 usage, configuration or internal error.
Errors are one line on standard error, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from asyncheck import __version__
from asyncheck.core import catalog
from asyncheck.core.catalog import CATALOG
from asyncheck.core.config import (
    ConfigError,
    Settings,
    find_config_file,
    load_settings,
    parse_code_list,
)
from asyncheck.doors.reporters import FORMATS, get_reporter
from asyncheck.doors.reporters.options import ReportOptions
from asyncheck.core.diagnostic import Diagnostic
from asyncheck.core.source import SourceError, decode_source
from asyncheck.doors.reporters.printable import printable

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

#: Runs over fewer files end too soon for a progress bar to be worth drawing.
PROGRESS_MIN_FILES = 100

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


def _fail(message: str) -> None:
    try:
        click.echo(f"asyncheck: error: {printable(message)}", err=True)
    except OSError:  # standard error is gone too: the exit status still says it
        _discard(sys.stderr)
    sys.exit(EXIT_ERROR)


class OutputError(Exception):
    """Standard output (or error) cannot be written, e.g. the disk is full (exit 2)."""


def _out(text: str | bytes, *, nl: bool = True, err: bool = False,
         color: bool | None = None) -> None:
    """Print ``text`` (``click.echo``; bytes go out as they are).  A reader that went away (``| head -1``) ends the
    output quietly, as in flake8 and ruff; any other failure is an :class:`OutputError`."""
    stream = sys.stderr if err else sys.stdout
    try:
        # color=True keeps the styles of --color on a pipe (click strips them otherwise).
        click.echo(text, nl=nl, err=err, color=color)
    except BrokenPipeError:
        _discard(stream)
    except OSError as error:
        _discard(stream)
        raise OutputError(f"cannot write to standard {'error' if err else 'output'}: "
                          f"{error.strerror or error}") from None


def _discard(stream: Any) -> None:
    """Send the rest of ``stream``'s output to the null device: what is still buffered
    would fail again when Python flushes it at exit, with a message and status 120."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, stream.fileno())
        finally:
            os.close(null)
    except (OSError, ValueError):  # not a real file (a test runner's capture)
        pass


def _explain(code: str, output_format: str) -> None:
    # From the catalogue and the rule module's source: no rules, no libcst imported.
    code = code.upper()
    info = CATALOG.get(code)
    if info is None:
        _fail(f"unknown rule code '{code}' (see asyncheck --list-rules)")
        return
    if output_format == "json":
        _out(json.dumps(_rule_json(code), indent=2))
    else:
        _out(f"{code} {info.name} ({'on' if info.default_enabled else 'off'} by default"
             f"{', fixable' if info.fixable else ''})\n")
        _out(catalog.documentation(code))
        _out(f"\nDocumentation: {catalog.rule_page_url(code)}")


def _rule_json(code: str) -> dict[str, Any]:
    info = CATALOG[code]
    doc = catalog.documentation(code)
    return {
        "code": code,
        "name": info.name,
        "default": info.default_enabled,
        "fixable": info.fixable,
        "summary": catalog.summary(doc),
        "documentation": doc,
        "url": catalog.rule_page_url(code),
    }


def _list_rules(output_format: str) -> None:
    if output_format == "json":
        _out(json.dumps([_rule_json(code) for code in CATALOG], indent=2))
        return
    width = max(len(info.name) for info in CATALOG.values())
    _out(f"{'code':<7} {'name':<{width}}  default  fixable")
    for code, info in CATALOG.items():
        _out(f"{code:<7} {info.name:<{width}}  {'on' if info.default_enabled else 'off':<7}  "
             f"{'yes' if info.fixable else 'no'}")


class _Command(click.Command):
    """The command, with click's own output (``--help``, ``--version``, usage errors)
    held to the same rule as the report: a write that fails is a one-line error, exit 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command (see :class:`click.Command`)."""
        try:
            return super().main(*args, **kwargs)
        except OSError as error:  # click lets everything but a broken pipe through
            _discard(sys.stdout)
            _fail(f"cannot write to standard output: {error.strerror or error}")


@click.command(cls=_Command, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--select", metavar="CODES", help="Rule codes or prefixes to enable (replaces the defaults).")
@click.option("--ignore", metavar="CODES", help="Rule codes or prefixes to disable.")
@click.option("--extend-select", metavar="CODES", help="Rule codes or prefixes to enable on top of the defaults.")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=str),
              help="Write the report to FILE instead of standard output.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Read [tool.asyncheck] from FILE instead of the nearest pyproject.toml.")
@click.option("--stdin-filename", metavar="PATH", help="The file name to report for standard input.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes in place.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Print the fixes as a unified diff and change nothing (exit 1 if any).")
@click.option("--add-noqa", is_flag=True,
              help="Add a '# noqa: CODE' comment to every line with a finding.")
@click.option("--baseline", "baseline_file", metavar="FILE", default=None,
              help="Report only findings not in the baseline FILE.")
@click.option("--write-baseline", metavar="FILE", default=None,
              help="Record the current findings in the baseline FILE and exit.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of CPUs).")
@click.option("--no-cache", is_flag=True,
              help="Neither read nor write the cache (findings, and the project index's facts).")
@click.option("--no-prefilter", is_flag=True, hidden=True,
              help="Parse every file, even those no rule can report in (for benchmarks).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the cache lives (default: .asyncheck_cache in the project root).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when problems are found.")
@click.option("--statistics", is_flag=True, help="Count findings per rule.")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
@click.option("--explain", metavar="CODE", help="Print the documentation of a rule and exit.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--show-settings", is_flag=True,
              help="Print the resolved configuration, its file, the project root, the cache "
                   "directory and the environment, and exit.")
@click.option("--show-files", is_flag=True,
              help="Print the files that would be checked (with --verbose, also those "
                   "excluded, and why), and exit.")
@click.option("--python", "python", metavar="PATH",
              help="The interpreter or virtualenv whose libraries to read, or 'none' "
                   "(default: VIRTUAL_ENV, .venv/venv at the project root, this interpreter).")
@click.option("--explain-env", is_flag=True,
              help="Show which environment's libraries are read, and what is known about "
                   "the dotted names given as arguments (asyncpg.connect), and exit.")
@click.option("--verbose", is_flag=True,
              help="List stale baseline entries and excluded files; show tracebacks of "
                   "internal errors (for bug reports).")
@click.version_option(__version__, "--version", prog_name="asyncheck")
def main(
    paths: tuple[str, ...],
    select: str | None,
    ignore: str | None,
    extend_select: str | None,
    output_format: str,
    output: str | None,
    config_file: Path | None,
    stdin_filename: str | None,
    fix: bool,
    show_diff: bool,
    add_noqa: bool,
    baseline_file: str | None,
    write_baseline: str | None,
    jobs: int | None,
    no_cache: bool,
    no_prefilter: bool,
    cache_dir: Path | None,
    exit_zero: bool,
    statistics: bool,
    quiet: bool,
    color: bool | None,
    explain: str | None,
    list_rules: bool,
    show_settings: bool,
    show_files: bool,
    python: str | None,
    explain_env: bool,
    verbose: bool,
) -> None:
    """Find asyncio pitfalls in PATHS (files or directories; default '.'; '-' reads stdin)."""
    if explain_env:
        try:
            _explain_env(paths, python=python, config_file=config_file)
        except ConfigError as error:
            _fail(str(error))
        return
    try:
        if explain:
            _explain(explain, output_format)
            return
        if list_rules:
            _list_rules(output_format)
            return
        if sum((fix, show_diff, add_noqa)) > 1:
            raise ConfigError("--fix, --diff and --add-noqa cannot be combined")
        if write_baseline is not None and (fix or show_diff or add_noqa):
            raise ConfigError("--write-baseline records findings; it cannot be combined with "
                              "--fix, --diff or --add-noqa")
        code = _check(paths, select=select, ignore=ignore, extend_select=extend_select,
                      output_format=output_format, output=output, config_file=config_file,
                      stdin_filename=stdin_filename, statistics=statistics, quiet=quiet,
                      color=color, fix_mode=("diff" if show_diff else "fix" if fix else
                                                "noqa" if add_noqa else None),
                      jobs=jobs, cache_dir=None if no_cache else (cache_dir or Path()),
                      prefilter=not no_prefilter, baseline_file=baseline_file, python=python,
                      write_baseline=write_baseline, verbose=verbose,
                      show=("settings" if show_settings else "files" if show_files else None))
    except (ConfigError, OutputError) as error:
        _fail(str(error))
        return
    except KeyboardInterrupt:
        click.echo("asyncheck: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # never a traceback unless asked for
        if verbose:
            raise
        _fail(f"internal error: {type(error).__name__}: {error} (rerun with --verbose and "
              "report it)")
        return
    sys.exit(EXIT_OK if exit_zero and code == EXIT_FINDINGS else code)


def _explain_env(names: Sequence[str], *, python: str | None, config_file: Path | None
                 ) -> None:
    """``--explain-env``: the environment found from the working directory, then what its
    libraries say about each dotted name."""
    from asyncheck.app.assemble import project_environment  # start-up time
    from asyncheck.app.environment import bundled_modules, bundled_packages  # likewise
    from asyncheck.app.discovery import find_project_root  # likewise
    from asyncheck.semantics.library import LibraryIndex, explain_name  # likewise

    root = find_project_root([Path.cwd()])
    config_path = config_file if config_file is not None else find_config_file(Path.cwd())
    overrides: dict[str, Any] = {"python": python} if python is not None else {}
    settings = load_settings(config_path, known_codes=CATALOG, overrides=overrides, root=root)
    environment = project_environment(settings, root)
    click.echo(environment.describe())
    if environment.source == "none":
        return
    bundled = sorted(p for p in bundled_packages() if environment.module_file(p) is None)
    if bundled:
        click.echo("  bundled knowledge for: " + ", ".join(bundled))
    if not names:
        return
    library = LibraryIndex(environment.module_file, bundled=bundled_modules,
                           bundled_packages=bundled_packages())
    for name in names:
        click.echo("\n".join(explain_name(library, name)))


class _Progress:
    """A progress bar on standard error, drawn once a run turns out to have many files."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._bar: ProgressBar[int] | None = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            if total < PROGRESS_MIN_FILES:
                return
            self._bar = self._stack.enter_context(click.progressbar(
                length=total, label="Checking", file=sys.stderr, show_pos=True))
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        """Finish the bar's line so that what follows starts on a fresh one."""
        self._stack.close()


def _is_an_input(output: Path, inputs: Sequence[Path]) -> bool:
    """Whether the report file ``output`` is one of the files ``inputs`` name: one of them
    (the same file, by another name too), or a Python file under one of the directories."""
    if not output.is_file():
        return False
    resolved = output.resolve()
    for path in inputs:
        try:
            if path.is_dir():
                if resolved.suffix == ".py" and path.resolve() in resolved.parents:
                    return True
            elif path.exists() and output.samefile(path):
                return True
        except OSError:
            continue
    return False


def _fix_diffs(diagnostics: Sequence[Diagnostic], settings: Settings, *,
                jobs: int | None) -> dict[str, str]:
    """The diff of the safe fixes of each file with a fixable finding (``--format full``
    shows the hunk of each fix); files only, not standard input."""
    from asyncheck.app.runner import STDIN_PATH, run  # start-up time, as in _check

    paths = sorted({d.path for d in diagnostics if d.fix is not None and d.path != STDIN_PATH
                    and Path(d.path).is_file()})
    if not paths:
        return {}
    diffs: dict[str, str] = {}
    for diff in run(paths, settings, jobs=jobs, fix_mode="diff").diffs:
        first = diff.split("\n", 1)[0]
        if first.startswith("--- a/"):
            diffs[first[len("--- a/"):]] = diff
    return diffs


def _show(what: str, paths: Sequence[str], settings: Settings, *, config_path: Path | None,
          root: Path, cache_dir: Path | None, output_format: str, verbose: bool) -> int:
    """``--show-settings`` / ``--show-files``."""
    from asyncheck.app.discovery import discover_files  # start-up time, as in _check
    from asyncheck.doors import diagnostics  # likewise

    if what == "settings":
        _out(diagnostics.show_settings(settings, config_file=config_path, root=root,
                                       cache_dir=cache_dir, output_format=output_format),
             nl=False)
        return EXIT_OK
    found = discover_files([Path(p) for p in paths if p != "-"], settings, root=root,
                           explain=verbose)
    for line in found.errors:
        _out(printable(line), err=True)
    _out(diagnostics.show_files(found.files, found.skipped, verbose=verbose,
                                output_format=output_format), nl=False)
    return EXIT_ERROR if found.errors else EXIT_OK


def _entries(count: int) -> str:
    return (f"{count} baseline entry no longer matches" if count == 1 else
            f"{count} baseline entries no longer match")


def _check(
    paths: Sequence[str],
    *,
    select: str | None,
    ignore: str | None,
    extend_select: str | None,
    output_format: str,
    output: str | None,
    config_file: Path | None,
    stdin_filename: str | None,
    statistics: bool,
    quiet: bool,
    color: bool | None,
    fix_mode: str | None = None,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    prefilter: bool = True,
    baseline_file: str | None = None,
    write_baseline: str | None = None,
    verbose: bool = False,
    show: str | None = None,
    python: str | None = None,
) -> int:
    # Imported late, to save start-up time: --version, --explain and --list-rules need
    # neither discovery (nor pathspec) nor the runner.
    from asyncheck.app.discovery import find_project_root
    from asyncheck.app.runner import STDIN_PATH, run  # likewise: start-up time

    paths = list(paths) or ["."]
    anchors = [Path(p) for p in paths if p != STDIN_PATH]
    if stdin_filename:
        anchors.append(Path(stdin_filename))
    if output is not None and _is_an_input(Path(output), anchors):
        raise ConfigError(f"--output {output} is one of the files to check; the report would "
                         "overwrite it")
    if write_baseline is not None and _is_an_input(Path(write_baseline), anchors):
        raise ConfigError(f"--write-baseline {write_baseline} is one of the files to check; "
                          "the baseline would overwrite it")
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"{config_file}: no such configuration file")
        config_path: Path | None = config_file
    else:
        config_path = find_config_file(anchors[0] if anchors else Path.cwd())
    overrides: dict[str, Any] = {}
    for key, value in (("select", select), ("ignore", ignore), ("extend-select", extend_select)):
        if value is not None:
            overrides[key] = parse_code_list(value)
    if python is not None:
        overrides["python"] = python
    root = find_project_root(anchors or [Path.cwd()])
    settings = load_settings(config_path, known_codes=CATALOG, overrides=overrides, root=root)
    # The files the run reads besides the code: a report written over one loses it.
    kept = [Path(f) for f in (config_path, baseline_file or settings.baseline) if f is not None]
    for option, target in (("--output", output), ("--write-baseline", write_baseline)):
        if target is not None and _is_an_input(Path(target), kept):
            raise ConfigError(f"{option} {target} is a file this run reads (the configuration "
                              "or the baseline); it would be overwritten")
    if output is not None and write_baseline is not None and Path(output) == Path(write_baseline):
        raise ConfigError("--output and --write-baseline name the same file")

    if fix_mode == "noqa" and STDIN_PATH in paths:
        raise ConfigError("--add-noqa changes files in place; it does not read standard input")
    # An empty cache_dir means "the default place": the project root's .asyncheck_cache.
    if cache_dir is not None and cache_dir == Path():
        cache_dir = root / ".asyncheck_cache"
    if show is not None:
        return _show(show, paths, settings, config_path=config_path, root=root,
                     cache_dir=cache_dir, output_format=output_format, verbose=verbose)
    if write_baseline is not None or baseline_file or settings.baseline:
        from asyncheck.app import baseline as baselines  # likewise: start-up time
    accepted: baselines.Baseline | None = None
    if write_baseline is None and (baseline_file or settings.baseline):
        try:
            accepted = baselines.Baseline.load(Path(baseline_file or settings.baseline or ""))
        except baselines.BaselineError as error:
            raise ConfigError(str(error)) from None
    stdin_data = sys.stdin.buffer.read() if STDIN_PATH in paths else None
    # Only a person watching a terminal wants a bar; the report itself never contains it.
    progress = _Progress() if not quiet and sys.stderr.isatty() else None
    try:
        result = run(paths, settings, stdin_data=stdin_data, stdin_filename=stdin_filename,
                     progress=progress, jobs=jobs, cache_dir=cache_dir, fix_mode=fix_mode,
                     prefilter=prefilter)
    finally:
        if progress is not None:
            progress.close()
    for line in result.errors:
        _out(printable(line), err=True)  # a file name's newline must not start a line
    if write_baseline is not None or accepted is not None:
        texts: dict[str, str] = {}
        if stdin_data is not None:
            try:
                texts[stdin_filename or STDIN_PATH] = decode_source(stdin_data).text
            except SourceError:
                pass
        keyed = baselines.keyed(result.diagnostics, root, baselines.lines_of(texts))
        if write_baseline is not None:
            try:
                count = baselines.write(Path(write_baseline), keyed)
            except baselines.BaselineError as error:
                raise ConfigError(str(error)) from None
            _out(f"Wrote {count} finding{'s' if count != 1 else ''} to the baseline "
                 f"{printable(write_baseline)}.", err=True)
            return EXIT_ERROR if result.errors or result.internal_errors else EXIT_OK
        assert accepted is not None
        result.diagnostics, matched = accepted.split(keyed)
        stale = accepted.stale(matched, (baselines.relative_path(p, root)
                                         for p in result.paths_checked))
        if stale and verbose:
            _out(f"asyncheck: {_entries(len(stale))} (--write-baseline drops them):", err=True)
            for path, code, text, _ in stale:
                _out(printable(f"  {path}: {code} {text}"), err=True)
        elif stale:
            _out(f"asyncheck: {_entries(len(stale))} (--verbose lists them)", err=True)
    if fix_mode == "diff":
        for diff in result.diffs:
            _out(diff, nl=False)
        fixable = sum(result.fixed.values())
        _out(f"Would fix {fixable} problem{'s' if fixable != 1 else ''} "
             f"in {len(result.diffs)} file{'s' if len(result.diffs) != 1 else ''}.", err=True)
        return EXIT_ERROR if result.errors or result.internal_errors else (
            EXIT_FINDINGS if result.diffs else EXIT_OK)
    if fix_mode == "noqa":
        added = sum(result.fixed.values())
        _out(f"Added {added} noqa comment{'s' if added != 1 else ''}.", err=True)
    if fix_mode == "fix" and STDIN_PATH in paths and stdin_data is not None:
        # The fixed source goes to standard output (as editors expect), as bytes in the
        # input's encoding (the input itself when nothing was fixed); the report to stderr.
        _out(result.fixed_stdin if result.fixed_stdin is not None else stdin_data, nl=False)
        output_to_stderr = True
    else:
        output_to_stderr = False

    use_color = color if color is not None else (output is None and sys.stdout.isatty())
    sources: dict[str, str] = {}
    if stdin_data is not None:
        try:
            sources[stdin_filename or STDIN_PATH] = decode_source(stdin_data).text
        except SourceError:
            pass
    diffs: dict[str, str] = {}
    if output_format == "full" and fix_mode is None:
        diffs = _fix_diffs(result.diagnostics, settings, jobs=jobs)
    options = ReportOptions(color=use_color and output_format in ("text", "full"),
                            statistics=statistics, quiet=quiet, root=root, sources=sources,
                            diffs=diffs)
    report = get_reporter(output_format)(result, options)
    if output is not None:
        from asyncheck.app.writing import WriteError, write_file  # start-up time, as in _check

        try:
            # As bytes: the report's own line ends, on every platform; a file name that is
            # not UTF-8 as it was (as the standard output writes it).
            write_file(Path(output), report.encode("utf-8", "surrogateescape"))
        except WriteError as error:
            raise ConfigError(str(error)) from None
    else:
        _out(report, nl=False, err=output_to_stderr, color=options.color or None)

    if result.errors or result.internal_errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.diagnostics else EXIT_OK
