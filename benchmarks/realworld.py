"""Run asyncheck over real code and report whether it held up (issue 10, real-world corpora).

For each corpus (the standard library copy and the pinned async libraries, built by
``corpora.py`` if missing) this runs the CLI the way a user would::

    asyncheck . --select ALL --format json --output FILE   (plus --no-cache when available)

and reports:

- **crashes**: an exit status other than 0, 1 and 2, a traceback on standard error, a
  whole-run "internal error" line, or no readable JSON report;
- **internal errors**: ACK000 diagnostics saying a rule raised on a file (with the file);
- **ACK000 reasons**: the files asyncheck could not analyse, grouped by reason, and among
  them those that the running Python compiles: there asyncheck's limits (libcst's grammar,
  recursion depth) lost every finding of a valid file, not the file's own fault;
- **coverage**: every ``.py`` file of the corpus must be either among the files asyncheck's
  discovery hands to the linter or named in an error line ("cannot read ...").  The JSON
  report lists findings, not the files checked, so the set of linted files is taken from
  asyncheck's own discovery (``asyncheck.app.discovery``) with the same configuration;
- **findings per rule**, with the packages (top-level directories) that have the most.

The full JSON report of each corpus is kept in ``benchmarks/.corpus/<corpus>.findings.json``.
Exit status: 0 when nothing crashed, no internal error and no file unaccounted for; else 1
(2 for a usage error or a corpus that could not be built).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import (  # noqa: E402  (the script's own directory is not on sys.path when imported)
    CORPUS_NAMES,
    CORPUS_ROOT,
    BuildError,
    Corpus,
    ensure_corpus,
    python_files,
    selected_corpora,
)
from bench import asyncheck_command, cli_options  # noqa: E402

UNPARSABLE = "ACK000"
INTERNAL_PREFIX = "internal error"


@dataclass
class CorpusReport:
    """What one corpus run showed."""

    corpus: Corpus
    seconds: float = 0.0
    returncode: int | None = None
    crash: str | None = None  # why the run counts as a crash
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    error_lines: list[str] = field(default_factory=list)
    unaccounted: list[str] = field(default_factory=list)  # files neither linted nor reported
    coverage_problem: str | None = None  # the coverage could not be checked
    valid_but_unanalysed: set[str] = field(default_factory=set)  # ACK000 on files Python compiles

    @property
    def internal_errors(self) -> list[dict[str, Any]]:
        """ACK000 diagnostics that say a rule raised."""
        return [d for d in self.diagnostics
                if d.get("code") == UNPARSABLE and INTERNAL_PREFIX in str(d.get("message"))]

    @property
    def unparsable(self) -> list[dict[str, Any]]:
        """ACK000 diagnostics for files that could not be decoded or parsed."""
        return [d for d in self.diagnostics
                if d.get("code") == UNPARSABLE and INTERNAL_PREFIX not in str(d.get("message"))]

    @property
    def failed(self) -> bool:
        """Whether this corpus makes the script exit non-zero."""
        return bool(self.crash or self.internal_errors or self.unaccounted
                    or self.coverage_problem)


def reason_group(message: str) -> str:
    """An ACK000 message with its specifics (positions, quoted tokens) blanked, for grouping."""
    text = re.sub(r"\d+", "N", message)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    return text[:140]


def python_accepts(path: Path) -> bool:
    """Whether the running Python compiles the file (to an AST; nothing is executed)."""
    try:
        compile(path.read_bytes(), str(path), "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
        return False
    return True


def discovered_files(corpus: Path) -> set[str] | str:
    """The files asyncheck's discovery lints in ``corpus`` (relative POSIX paths), or why
    that cannot be known (its internal API changed)."""
    try:
        from asyncheck.core.config import find_config_file, load_settings, parse_code_list
        from asyncheck.app.discovery import discover_files, find_project_root
        from asyncheck.app.registry import all_rules

        root = find_project_root([corpus])
        settings = load_settings(find_config_file(corpus), known_codes=all_rules(),
                                 overrides={"select": parse_code_list("ALL")}, root=root)
        found = discover_files([corpus], settings, root=root)
    except Exception as error:  # any API drift: report it, do not guess
        return f"cannot ask asyncheck's discovery which files it lints: {type(error).__name__}: {error}"
    return {path.resolve().relative_to(corpus.resolve()).as_posix() for path in found.files}


def check_corpus(corpus: Corpus, command: list[str], options: frozenset[str]) -> CorpusReport:
    """Run asyncheck over one corpus and judge the outcome."""
    report = CorpusReport(corpus)
    output = CORPUS_ROOT / f"{corpus.name}.findings.json"
    output.unlink(missing_ok=True)
    shutil.rmtree(corpus.path / ".asyncheck_cache", ignore_errors=True)
    run = [*command, ".", "--select", "ALL", "--format", "json", "--output", str(output)]
    if "--no-cache" in options:
        run.append("--no-cache")
    print(f"{corpus.name}: {' '.join(run)}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    completed = subprocess.run(run, cwd=corpus.path, capture_output=True, text=True,
                               errors="replace", check=False)
    report.seconds = time.perf_counter() - start
    report.returncode = completed.returncode
    stderr_lines = [line for line in completed.stderr.splitlines() if line.strip()]
    report.error_lines = [line for line in stderr_lines if line.startswith("asyncheck:")]
    try:
        loaded = json.loads(output.read_text(encoding="utf-8"))
        report.diagnostics = loaded if isinstance(loaded, list) else []
        readable = isinstance(loaded, list)
    except (OSError, ValueError):
        readable = False
    if "Traceback (most recent call last)" in completed.stderr:
        report.crash = "traceback on standard error:\n" + "\n".join(stderr_lines[-15:])
    elif completed.returncode not in (0, 1, 2):
        report.crash = f"exit status {completed.returncode}: " + "\n".join(stderr_lines[-5:])
    elif any(INTERNAL_PREFIX in line for line in report.error_lines):
        report.crash = "the whole run failed: " + " / ".join(report.error_lines[-3:])
    elif not readable:
        report.crash = (f"no JSON report (exit {completed.returncode}): "
                        + " / ".join(stderr_lines[-3:]))

    report.valid_but_unanalysed = {
        str(d["path"]) for d in report.unparsable
        if python_accepts(corpus.path / str(d["path"]))}
    expected = {p.relative_to(corpus.path).as_posix() for p in python_files(corpus.path)}
    linted = discovered_files(corpus.path)
    if isinstance(linted, str):
        report.coverage_problem = linted
    else:
        named = {path for path in expected
                 if any(f" {path}:" in line or f"/{path}:" in line for line in report.error_lines)}
        report.unaccounted = sorted(expected - linted - named)
    return report


def copy_crashers(report: CorpusReport, target: Path) -> list[Path]:
    """Copy the files with internal errors to ``target`` (named ``<corpus>__<path>``)."""
    copied = []
    for diagnostic in report.internal_errors:
        source = report.corpus.path / str(diagnostic["path"])
        if source.is_file():
            target.mkdir(parents=True, exist_ok=True)
            name = f"{report.corpus.name}__{str(diagnostic['path']).replace('/', '__')}"
            shutil.copyfile(source, target / name)
            copied.append(target / name)
    return copied


def _package(path: str) -> str:
    return path.split("/", 1)[0] if "/" in path else "(top level)"


def format_report(report: CorpusReport) -> str:
    """The Markdown summary of one corpus."""
    corpus = report.corpus
    out = [f"## {corpus.name}: {corpus.files:,} files, {corpus.lines:,} lines",
           "",
           f"- run: {report.seconds:.1f} s, exit {report.returncode}",
           f"- crashes: {'none' if report.crash is None else report.crash}",
           f"- internal errors: {len(report.internal_errors)}"]
    for diagnostic in report.internal_errors:
        out.append(f"  - {diagnostic['path']}: {diagnostic['message']}")
    if report.coverage_problem:
        out.append(f"- coverage: NOT CHECKED: {report.coverage_problem}")
    else:
        out.append(f"- files neither analysed nor reported: {len(report.unaccounted)}")
        out.extend(f"  - {path}" for path in report.unaccounted[:20])
    other = [line for line in report.error_lines if INTERNAL_PREFIX not in line]
    if other:
        out.append(f"- error lines on standard error: {len(other)}")
        out.extend(f"  - {line}" for line in other[:10])
    unparsable = report.unparsable
    out.append(f"- ACK000 (not analysable): {len(unparsable)} files, of which "
               f"{len(report.valid_but_unanalysed)} compile with this Python (findings lost)")
    groups: dict[str, list[str]] = defaultdict(list)
    for diagnostic in unparsable:
        groups[reason_group(str(diagnostic["message"]))].append(str(diagnostic["path"]))
    for reason, paths in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        shown = ", ".join(paths[:3]) + (", ..." if len(paths) > 3 else "")
        valid = sum(1 for path in paths if path in report.valid_but_unanalysed)
        out.append(f"  - {len(paths)} × {reason} ({shown}; {valid} compile with this Python)")
    counts = Counter((str(d["code"]), str(d.get("name", ""))) for d in report.diagnostics
                     if d.get("code") != UNPARSABLE)
    out += ["", "| rule | name | findings | files | top packages |", "|---|---|---|---|---|"]
    for (code, name), count in sorted(counts.items()):
        matching = [d for d in report.diagnostics if d["code"] == code]
        files = len({d["path"] for d in matching})
        top = Counter(_package(str(d["path"])) for d in matching).most_common(4)
        out.append(f"| {code} | {name} | {count} | {files} | "
                   + ", ".join(f"{pkg} {n}" for pkg, n in top) + " |")
    if not counts:
        out.append("| (none) | | 0 | 0 | |")
    return "\n".join(out)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description="Run asyncheck over real-world corpora; report crashes, ACK000 reasons, "
                    "internal errors and findings per rule.")
    parser.add_argument("--corpus", choices=(*CORPUS_NAMES, "both"), default="both")
    parser.add_argument("--asyncheck", help="command that starts asyncheck (default: the "
                                            "asyncheck beside this Python)")
    parser.add_argument("--crashers", type=Path,
                        help="copy every file that caused an internal error into this directory")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Check every chosen corpus; exit 1 if any of them failed."""
    args = parse_args(argv)
    command = asyncheck_command(args.asyncheck)
    try:
        help_text = subprocess.run([*command, "--help"], capture_output=True, text=True,
                                   timeout=120, check=False).stdout
        corpora = [ensure_corpus(name) for name in selected_corpora(args.corpus)]
    except (OSError, subprocess.SubprocessError, BuildError) as error:
        print(f"realworld: {error}", file=sys.stderr)
        return 2
    options = cli_options(help_text)
    failed = False
    for corpus in corpora:
        report = check_corpus(corpus, command, options)
        print(format_report(report))
        print()
        if args.crashers is not None:
            for path in copy_crashers(report, args.crashers):
                print(f"copied {path}", file=sys.stderr)
        failed = failed or report.failed
    print("RESULT: " + ("FAILED (see above)" if failed else "ok: no crash, no internal error, "
                        "every file analysed or reported"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
