"""Benchmark asyncheck against its peers on real code; print a Markdown table.

One invocation builds the corpora and the peers' virtualenv if they are missing (see
``corpora.py``) and measures, on each chosen corpus, the median wall time of several runs of:

- **asyncheck cold**: no cache (``--no-cache`` when the CLI has it, and the cache directory
  deleted before every run);
- **asyncheck warm**: the cache primed by one untimed run, nothing changed;
- **asyncheck one file**: one file named on the command line inside the primed project, the
  way pre-commit runs it: unchanged, and just edited (a comment appended before each run,
  the file restored afterwards), so that its own findings are computed again while the
  rest of the project is cached;
- **ruff** ``check --select ASYNC,RUF006 --no-cache``;
- **flake8** ``--select ASYNC`` with flake8-async, killed after ``--bound`` seconds and then
  reported as "> bound".

Every row also shows the peak resident memory: of the largest single process (from the
kernel's rusage of the waited-for process tree) and of the whole process tree (sampled every
50 ms, which matters once work is spread over a process pool).  Peers are compared with
asyncheck cold and warm on the same corpus (ratio = peer time / asyncheck time).

A missing or broken peer is shown as unavailable; an asyncheck without a cache gets "n/a"
for the warm row.  Usage: ``python benchmarks/bench.py --corpus both --runs 3``.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import (  # noqa: E402  (the script's own directory is not on sys.path when imported)
    CORPUS_NAMES,
    BuildError,
    Corpus,
    Peers,
    ensure_corpus,
    ensure_peers,
    selected_corpora,
)

TOOLS = ("cold", "warm", "one-file", "ruff", "flake8")
CACHE_DIR_NAME = ".asyncheck_cache"
#: The file linted by the one-file measurement: a typical async module of each corpus.
ONE_FILE = {"stdlib": "asyncio/tasks.py", "async-libs": "httpx/_client.py"}
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


@dataclass
class RunOutcome:
    """One timed run of a command."""

    seconds: float
    returncode: int | None  # None: killed at the time bound
    max_rss_kb: int  # the largest single process of the tree (kernel rusage)
    tree_rss_kb: int  # the largest sampled sum over the whole process tree
    cpu_seconds: float = 0.0  # user + system time of the whole process tree
    stderr_tail: str = ""  # the end of standard output, then of standard error

    @property
    def timed_out(self) -> bool:
        """Killed at the time bound."""
        return self.returncode is None


@dataclass
class Row:
    """One line of the table: a tool on a corpus."""

    tool: str
    corpus: str
    files: int
    lines: int
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)
    max_rss_kb: int = 0
    tree_rss_kb: int = 0
    unavailable: str | None = None  # why there is no figure
    timed_out_after: float | None = None  # the bound, when the run was killed
    note: str = ""

    @property
    def median(self) -> float | None:
        """Median wall seconds of the completed runs."""
        return statistics.median(self.times) if self.times else None

    @property
    def median_cpu(self) -> float | None:
        """Median CPU seconds (user + system, all processes) of the completed runs."""
        return statistics.median(self.cpu_times) if self.cpu_times else None


def _session_rss_kb(session: int) -> int:
    """Summed resident memory of every process in ``session`` (Linux /proc; else 0)."""
    total = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # Fields after the parenthesised command name, which may itself contain spaces.
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 21 and int(fields[3]) == session:
            total += int(fields[21]) * _PAGE_KB
    return total


def run_once(command: Sequence[str], cwd: Path, timeout: float | None = None) -> RunOutcome:
    """Run ``command`` in ``cwd`` in its own session; time it, measure its memory.

    On ``timeout`` the whole process group is killed (flake8 -j has worker processes).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, stdout=out, stderr=err,
                                   start_new_session=True)
        killed = threading.Event()
        done = threading.Event()
        tree_peak = [0]

        def kill() -> None:
            killed.set()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        def sample() -> None:
            while not done.wait(0.05):
                tree_peak[0] = max(tree_peak[0], _session_rss_kb(process.pid))

        timer = threading.Timer(timeout, kill) if timeout else None
        sampler = threading.Thread(target=sample, daemon=True)
        if timer is not None:
            timer.start()
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        if timer is not None:
            timer.cancel()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        tails = []
        for stream in (out, err):  # flake8 reports a failing plugin on standard output
            stream.seek(max(0, stream.seek(0, os.SEEK_END) - 4000))
            tails.append(stream.read().decode("utf-8", "replace"))
        tail = "\n".join(tails)
    return RunOutcome(seconds, None if killed.is_set() else process.returncode,
                      int(usage.ru_maxrss), max(tree_peak[0], int(usage.ru_maxrss)),
                      usage.ru_utime + usage.ru_stime, tail)


def asyncheck_command(option: str | None) -> list[str]:
    """How to start asyncheck: ``--asyncheck`` if given, else the one beside this Python."""
    if option:
        return option.split()
    beside = Path(sys.executable).with_name("asyncheck")
    return [str(beside)] if beside.is_file() else [sys.executable, "-m", "asyncheck"]


def cli_options(help_text: str) -> frozenset[str]:
    """The long options an ``--help`` text offers (``--no-cache``, ``--jobs`` ...)."""
    found = set()
    for word in help_text.replace(",", " ").replace("/", " ").split():
        if word.startswith("--"):
            found.add(word.split("=", 1)[0].split("[", 1)[0])
    return frozenset(found)


def _times(row: Row, outcome: RunOutcome, bound: float | None) -> bool:
    """Record one run in ``row``; False when the tool should not be run again."""
    row.max_rss_kb = max(row.max_rss_kb, outcome.max_rss_kb)
    row.tree_rss_kb = max(row.tree_rss_kb, outcome.tree_rss_kb)
    if outcome.timed_out:
        row.timed_out_after = bound
        return False
    if outcome.returncode not in (0, 1):
        row.note = f"exit {outcome.returncode}: {_last_line(outcome.stderr_tail)}"
    row.times.append(outcome.seconds)
    row.cpu_times.append(outcome.cpu_seconds)
    return True


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else "no message"


def measure(row: Row, command: Sequence[str], cwd: Path, *, runs: int, long_run: float,
            bound: float | None = None, prepare: Callable[[int], None] | None = None) -> Row:
    """Run ``command`` up to ``runs`` times (once if the first run exceeds ``long_run``).

    ``prepare``: called with the run's number before it, untimed.
    """
    print(f"  {row.tool} on {row.corpus}: {' '.join(command)}", file=sys.stderr, flush=True)
    for number in range(runs):
        if prepare is not None:
            prepare(number)
        try:
            outcome = run_once(command, cwd, bound)
        except OSError as error:
            row.unavailable = f"unavailable: cannot start {command[0]}: {error.strerror or error}"
            break
        print(f"    run {number + 1}: {outcome.seconds:.2f} s, exit {outcome.returncode}",
              file=sys.stderr, flush=True)
        if not _times(row, outcome, bound) or (number == 0 and outcome.seconds > long_run):
            break
    return row


@dataclass
class Settings:
    """What the command line asked for."""

    corpus: str
    runs: int
    bound: float
    long_run: float
    skip: frozenset[str]
    asyncheck: list[str]
    asyncheck_args: list[str]
    json_output: Path | None
    snapshot: bool = True


def bench_corpus(corpus: Corpus, settings: Settings, peers: Peers, options: frozenset[str]
                 ) -> list[Row]:
    """Every measurement on one corpus."""
    rows: list[Row] = []
    base = [*settings.asyncheck, *settings.asyncheck_args]
    has_cache_flag = "--no-cache" in options

    def row(tool: str, files: int | None = None, lines: int | None = None) -> Row:
        return Row(tool, corpus.name, corpus.files if files is None else files,
                   corpus.lines if lines is None else lines)

    cache = corpus.path / CACHE_DIR_NAME
    if "cold" not in settings.skip:
        cold = [*base, ".", *(["--no-cache"] if has_cache_flag else [])]
        rows.append(measure(row("asyncheck cold"), cold, corpus.path, runs=settings.runs,
                            long_run=settings.long_run,
                            prepare=lambda _run: shutil.rmtree(cache, ignore_errors=True)))
        if not has_cache_flag:
            rows[-1].note = rows[-1].note or "asyncheck has no --no-cache option"

    primed = False
    if not {"warm", "one-file"} <= settings.skip:
        shutil.rmtree(cache, ignore_errors=True)
        print(f"  priming the cache on {corpus.name}", file=sys.stderr, flush=True)
        run_once([*base, "."], corpus.path)
        primed = has_cache_flag or cache.exists()
    no_cache = ("n/a: this asyncheck has no cache (no --no-cache option, no "
                f"{CACHE_DIR_NAME} written)")
    if "warm" not in settings.skip:
        if primed:
            rows.append(measure(row("asyncheck warm"), [*base, "."], corpus.path,
                                runs=settings.runs, long_run=settings.long_run))
        else:
            rows.append(row("asyncheck warm"))
            rows[-1].unavailable = no_cache
    if "one-file" not in settings.skip:
        target = corpus.path / ONE_FILE[corpus.name]
        data = target.read_bytes()
        lines = data.count(b"\n")
        one = measure(row(f"asyncheck one file ({ONE_FILE[corpus.name]})", 1, lines),
                      [*base, ONE_FILE[corpus.name]], corpus.path, runs=settings.runs,
                      long_run=settings.long_run)
        if not primed:
            one.note = one.note or "no cache to prime yet"
        rows.append(one)

        def edit(number: int) -> None:
            # What a commit does to the file: its own findings are no longer cached, the
            # rest of the project (and the facts of the modules it imports) still is.
            target.write_bytes(data + f"\n# benchmark edit {number}\n".encode())

        try:
            edited = measure(
                row(f"asyncheck one file, just edited ({ONE_FILE[corpus.name]})", 1, lines),
                [*base, ONE_FILE[corpus.name]], corpus.path, runs=settings.runs,
                long_run=settings.long_run, prepare=edit)
        finally:
            target.write_bytes(data)
        if not primed:
            edited.note = edited.note or "no cache to prime yet"
        rows.append(edited)

    if "ruff" not in settings.skip:
        ruff_row = row("ruff check --select ASYNC,RUF006")
        if peers.ruff is None:
            ruff_row.unavailable = "unavailable: " + (peers.problem or "ruff not installed")
            rows.append(ruff_row)
        else:
            # --exclude '*.pyi' replaces ruff's default excludes (which skip the standard
            # library's venv package) and keeps it to the .py files the others read.
            command = [str(peers.ruff), "check", "--select", "ASYNC,RUF006", "--no-cache",
                       "--exclude", "*.pyi", "."]
            rows.append(measure(ruff_row, command, corpus.path, runs=settings.runs,
                                long_run=settings.long_run, bound=settings.bound))
    if "flake8" not in settings.skip:
        flake8_row = row("flake8 --select ASYNC (flake8-async)")
        if peers.flake8 is None:
            flake8_row.unavailable = "unavailable: " + (peers.problem or "flake8 not installed")
            rows.append(flake8_row)
        else:
            rows.append(measure_flake8(flake8_row, peers.flake8, corpus.path, settings))
    return rows


#: flake8's line when a plugin raised on a file: flake8 then aborts the whole run.
_PLUGIN_FAILED = re.compile(r'^(?P<path>.+?): "[^"]+" failed during execution', re.MULTILINE)
_MAX_ABORTS = 8


def measure_flake8(row: Row, flake8: Path, cwd: Path, settings: Settings) -> Row:
    """Time flake8-async; a file that makes it abort the run is excluded and the run redone.

    flake8-async raises on a file libcst's parser rejects and flake8 then stops the whole run
    (exit 1, like findings), so a plain timing would measure the time to the first such file.
    """
    excluded: list[str] = []
    while True:
        command = [str(flake8), "--select", "ASYNC", "."]
        if excluded:
            command[3:3] = ["--extend-exclude", ",".join(excluded)]
        print(f"  {row.tool} on {row.corpus}: {' '.join(command)}", file=sys.stderr, flush=True)
        try:
            outcome = run_once(command, cwd, settings.bound)
        except OSError as error:
            row.unavailable = f"unavailable: cannot start {flake8}: {error.strerror or error}"
            return row
        failed = _PLUGIN_FAILED.search(outcome.stderr_tail)
        if outcome.timed_out or failed is None or len(excluded) >= _MAX_ABORTS:
            break
        excluded.append(failed.group("path"))
        print(f"    aborted after {outcome.seconds:.2f} s on {excluded[-1]}; excluding it",
              file=sys.stderr, flush=True)
    print(f"    run 1: {outcome.seconds:.2f} s, exit {outcome.returncode}", file=sys.stderr,
          flush=True)
    if _times(row, outcome, settings.bound) and outcome.seconds <= settings.long_run:
        for number in range(1, settings.runs):
            outcome = run_once(command, cwd, settings.bound)
            print(f"    run {number + 1}: {outcome.seconds:.2f} s, exit {outcome.returncode}",
                  file=sys.stderr, flush=True)
            if not _times(row, outcome, settings.bound):
                break
    if excluded:
        note = (f"{len(excluded)} file(s) excluded because flake8-async aborts the whole run "
                f"on them: {', '.join(excluded)}")
        row.note = f"{row.note}; {note}" if row.note else note
    if failed is not None and not outcome.timed_out:
        row.note = f"{row.note}; still aborting after {_MAX_ABORTS} exclusions"
    return row


def _seconds(row: Row) -> str:
    if row.unavailable:
        return row.unavailable
    if row.timed_out_after is not None and not row.times:
        return f"> {row.timed_out_after:g}"
    median = row.median
    return "-" if median is None else f"{median:.2f}"


def _ratio(peer: Row, reference: Row | None) -> str:
    if reference is None or reference.median is None or peer.unavailable:
        return ""
    if peer.timed_out_after is not None and not peer.times:
        return f"> {peer.timed_out_after / reference.median:.1f}x"
    median = peer.median
    return "" if median is None else f"{median / reference.median:.3g}x"


def format_table(rows: list[Row]) -> str:
    """The Markdown table: one row per tool and corpus."""
    header = ("| tool | corpus | files | lines | runs | median s | peak RSS MB (largest process "
              "/ process tree) | median CPU s | peer / asyncheck cold | peer / asyncheck warm | note |")
    lines = [header, "|" + "---|" * 11]
    for row in rows:
        cold = next((r for r in rows if r.corpus == row.corpus and r.tool == "asyncheck cold"),
                    None)
        warm = next((r for r in rows if r.corpus == row.corpus and r.tool == "asyncheck warm"),
                    None)
        is_peer = not row.tool.startswith("asyncheck")
        memory = ("" if row.unavailable or not row.max_rss_kb
                  else f"{row.max_rss_kb / 1024:.0f} / {row.tree_rss_kb / 1024:.0f}")
        runs = "" if row.unavailable else str(len(row.times) or 1)
        cpu = "" if row.median_cpu is None else f"{row.median_cpu:.2f}"
        lines.append(
            f"| {row.tool} | {row.corpus} | {row.files:,} | {row.lines:,} | {runs} | "
            f"{_seconds(row)} | {memory} | {cpu} | {_ratio(row, cold) if is_peer else ''} | "
            f"{_ratio(row, warm) if is_peer else ''} | {row.note} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> Settings:
    """The command line; errors exit 2 with argparse's message."""
    parser = argparse.ArgumentParser(
        description="Benchmark asyncheck (cold, warm, one file) against ruff and flake8-async.")
    parser.add_argument("--corpus", choices=(*CORPUS_NAMES, "both"), default="both",
                        help="which corpus to measure (default: both)")
    parser.add_argument("--runs", type=_positive_int, default=3,
                        help="runs per measurement; the median is reported (default: 3)")
    parser.add_argument("--bound", type=_positive_float, default=300.0,
                        help="seconds after which a peer run is killed and shown as '> bound' "
                             "(default: 300)")
    parser.add_argument("--long-run", type=_positive_float, default=120.0,
                        help="a tool whose first run takes longer than this many seconds is "
                             "run once only (default: 120)")
    parser.add_argument("--skip", type=_tool_list, default=frozenset(),
                        help=f"comma-separated measurements to leave out: {','.join(TOOLS)}")
    parser.add_argument("--asyncheck", help="command that starts asyncheck (default: the "
                                            "asyncheck beside this Python)")
    parser.add_argument("--asyncheck-args", default="--select ALL",
                        help="extra asyncheck options for every asyncheck run "
                             "(default: '--select ALL', every rule)")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    parser.add_argument("--no-snapshot", dest="snapshot", action="store_false",
                        help="run the installed asyncheck package in place instead of a copy "
                             "taken at the start (the copy keeps edits made to the checkout "
                             "during a long run, which also change the cache key, out of it)")
    args = parser.parse_args(argv)
    return Settings(args.corpus, args.runs, args.bound, args.long_run, args.skip,
                    asyncheck_command(args.asyncheck), args.asyncheck_args.split(), args.json,
                    args.snapshot and not args.asyncheck)


def snapshot_command(directory: Path) -> list[str] | None:
    """Copy the importable asyncheck package into ``directory``; the command that runs the
    copy (with this Python and its dependencies), or None if it cannot be found."""
    spec = importlib.util.find_spec("asyncheck")
    if spec is None or not spec.submodule_search_locations:
        return None
    source = Path(next(iter(spec.submodule_search_locations)))
    shutil.copytree(source, directory / "asyncheck",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # Byte-compiled, as pip leaves an installed package (with PYTHONDONTWRITEBYTECODE set,
    # every run would otherwise compile asyncheck's modules again).
    compileall.compile_dir(directory / "asyncheck", quiet=1)
    # Like the console script: without the working directory at the front of sys.path
    # (`python -m` puts it there, and in the standard-library corpus its copies of the
    # standard library's modules would be imported, and compiled, instead of the real ones).
    return ["env", f"PYTHONPATH={directory}", sys.executable, "-c", _RUN_WITHOUT_CWD]


_RUN_WITHOUT_CWD = (
    "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
    "import runpy; runpy.run_module('asyncheck', run_name='__main__', alter_sys=True)")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _tool_list(text: str) -> frozenset[str]:
    tools = frozenset(t.strip() for t in text.split(",") if t.strip())
    unknown = tools - set(TOOLS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown measurement(s) {', '.join(sorted(unknown))} (known: {', '.join(TOOLS)})")
    return tools


def _version(command: Sequence[str]) -> str:
    try:
        completed = subprocess.run([*command, "--version"], capture_output=True, text=True,
                                   timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        return f"unavailable ({error})"
    return " ".join((completed.stdout or completed.stderr).split())[:120]


def main(argv: Sequence[str] | None = None) -> int:
    """Build what is missing, measure, print the table."""
    settings = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="asyncheck-bench-") as snapshot:
        if settings.snapshot:
            command = snapshot_command(Path(snapshot))
            if command is not None:
                settings.asyncheck = command
        return _main(settings)


def _main(settings: Settings) -> int:
    try:
        help_text = subprocess.run([*settings.asyncheck, "--help"], capture_output=True,
                                   text=True, timeout=120, check=False).stdout
    except (OSError, subprocess.SubprocessError) as error:
        print(f"bench: cannot start asyncheck ({' '.join(settings.asyncheck)}): {error}",
              file=sys.stderr)
        return 2
    options = cli_options(help_text)
    peers = (ensure_peers() if {"ruff", "flake8"} - settings.skip
             else Peers(None, None, "skipped"))
    rows: list[Row] = []
    load = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    try:
        corpora = [ensure_corpus(name) for name in selected_corpora(settings.corpus)]
    except BuildError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    for corpus in corpora:
        print(f"{corpus.name}: {corpus.files} files, {corpus.lines} lines", file=sys.stderr)
        rows.extend(bench_corpus(corpus, settings, peers, options))

    cpus = os.cpu_count()
    print(f"asyncheck: {_version(settings.asyncheck)} ({' '.join(settings.asyncheck_args)}; "
          f"cache option: {'yes' if '--no-cache' in options else 'no'}, "
          f"--jobs option: {'yes' if '--jobs' in options else 'no'})")
    for name, path in (("ruff", peers.ruff), ("flake8", peers.flake8)):
        absent = "skipped" if peers.problem == "skipped" else "unavailable"
        print(f"{name}: {_version([str(path)]) if path else absent}")
    print(f"Python {sys.version.split()[0]}, {cpus} CPUs, runs: {settings.runs}, "
          f"bound: {settings.bound:g} s, load average before: {load}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print()
    print(format_table(rows))
    if settings.json_output is not None:
        settings.json_output.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n",
                                        encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
