"""Profile one asyncheck run over a corpus and show where the time goes.

Runs the CLI in-process under cProfile (``asyncheck . --select ALL`` in the corpus root, as
the benchmark does) and prints:

- **own time by area**: every function's own (exclusive) time added up by where it lives:
  libcst's parser, libcst's nodes and visitor dispatch, libcst's metadata providers,
  asyncheck's name resolution, project index, rules, engine and the rest;
- **phases**: the inclusive time of the functions that mark a phase (parse, batched visit,
  positions, project index, discovery), for those that exist in this version;
- the top functions by cumulative and by own time.

cProfile roughly doubles the run time of pure-Python code, so the shares matter, not the
seconds.  Usage: ``python benchmarks/profile_run.py --corpus stdlib [--save FILE.prof]``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import CORPUS_NAMES, ensure_corpus  # noqa: E402

#: (area, test on the normalised file path); the first match wins.
AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("libcst parser (tokenizer, grammar, native parser)", ("libcst/_parser/", "libcst_native")),
    ("libcst metadata providers", ("libcst/metadata/",)),
    ("libcst nodes + visitor dispatch", ("libcst/_nodes/", "libcst/_visitors", "libcst/_batched",
                                         "libcst/_node", "libcst/_typed_visitor",
                                         "libcst/_flatten", "libcst/_removal", "libcst/")),
    ("asyncheck text layer (pre-filter, line scans)", ("asyncheck/text/",)),
    ("asyncheck syntax layer (parse set-up, walks, positions)", ("asyncheck/syntax/",)),
    ("asyncheck name resolution (semantics/names.py)", ("asyncheck/semantics/names",)),
    ("asyncheck project index (semantics/project.py)", ("asyncheck/semantics/project",)),
    ("asyncheck per-file model (semantics/model.py, coroutine_functions.py)",
     ("asyncheck/semantics/model", "asyncheck/semantics/coroutine_functions")),
    ("asyncheck rules and analyses (rules/, lint/bases.py, lint/rule.py, semantics/*)",
     ("asyncheck/rules/", "asyncheck/lint/bases", "asyncheck/lint/rule", "asyncheck/semantics/")),
    ("asyncheck lint (context, engine, fixer) and suppression",
     ("asyncheck/lint/", "asyncheck/core/suppression")),
    ("asyncheck core, app, doors (settings, runner, pool, cache, reporters)", ("asyncheck/",)),
    ("pathspec (.gitignore matching)", ("pathspec/",)),
]

#: (phase, file path suffix, function name): inclusive times worth knowing.
PHASES = [
    ("discover files", "asyncheck/app/discovery.py", "discover_files"),
    ("build project index (walk)", "asyncheck/app/assemble.py", "build_index"),
    ("parse for the project index", "asyncheck/app/assemble.py", "_parse_for_index"),
    ("decode (PEP 263)", "asyncheck/core/source.py", "decode_source"),
    ("parse (libcst.parse_module)", "libcst/_parser/entrypoints.py", "parse_module"),
    ("lint a file, total", "asyncheck/lint/engine.py", "lint_text"),
    ("batched visit with metadata", "libcst/metadata/wrapper.py", "visit_batched"),
    ("batched visit without metadata", "libcst/_batched_visitor.py", "visit_batched"),
    ("metadata resolution", "libcst/metadata/wrapper.py", "resolve_many"),
    ("positions of findings", "asyncheck/lint/engine.py", "_position"),
    ("name resolution: qualified_name", "asyncheck/semantics/names.py", "qualified_name"),
    ("name resolution: expression_type", "asyncheck/semantics/names.py", "expression_type"),
    ("render the report", "asyncheck/doors/reporters/text.py", "render"),
]


def area_of(filename: str) -> str:
    """The area a function's file belongs to (see :data:`AREAS`)."""
    normalised = filename.replace(os.sep, "/")
    for area, markers in AREAS:
        if any(marker in normalised for marker in markers):
            return area
    if normalised.startswith("~") or normalised == "":
        return "builtins and C functions"
    return "Python standard library and other"


def summarise(profiler: cProfile.Profile, top: int) -> str:
    """The report: own time by area, phases, top functions."""
    stats = pstats.Stats(profiler)
    raw = stats.stats  # type: ignore[attr-defined]  # pstats keeps its table here
    total = sum(entry[2] for entry in raw.values())
    by_area: dict[str, float] = defaultdict(float)
    for (filename, _line, function), entry in raw.items():
        # C functions show as ('~', 0, '<method ...>'); libcst's native parser among them.
        key = function if filename == "~" and "libcst_native" in function else filename
        by_area[area_of(key)] += entry[2]
    out = [f"total own time under the profiler: {total:.1f} s", "",
           "| area | own s | share |", "|---|---|---|"]
    for area, seconds in sorted(by_area.items(), key=lambda item: -item[1]):
        out.append(f"| {area} | {seconds:.1f} | {100 * seconds / total:.0f}% |")
    out += ["", "| phase (inclusive) | calls | cumulative s | share |", "|---|---|---|---|"]
    for phase, suffix, name in PHASES:
        for (filename, _line, function), entry in raw.items():
            if function == name and filename.replace(os.sep, "/").endswith(suffix):
                out.append(f"| {phase} | {entry[1]} | {entry[3]:.1f} | "
                           f"{100 * entry[3] / total:.0f}% |")
                break
    for order in ("cumulative", "tottime"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(order).print_stats(top)
        text = buffer.getvalue()
        out += ["", f"top {top} by {order}:", "```",
                text[text.find("   ncalls"):].rstrip(), "```"]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Profile asyncheck on a corpus and print the summary."""
    parser = argparse.ArgumentParser(description="Profile asyncheck on a benchmark corpus.")
    parser.add_argument("--corpus", choices=CORPUS_NAMES, default="stdlib")
    parser.add_argument("--args", default="--select ALL",
                        help="asyncheck options (default: '--select ALL')")
    parser.add_argument("--top", type=int, default=25, help="functions listed per table")
    parser.add_argument("--save", type=Path, help="also save the raw profile here")
    args = parser.parse_args(argv)
    corpus = ensure_corpus(args.corpus)

    from asyncheck.doors.cli import main as asyncheck_main

    command = [".", *args.args.split(), "--output", os.devnull]
    # The profile must see all the work: no cache hits, no worker processes.
    offered = {opt for param in asyncheck_main.params for opt in (*param.opts, *param.secondary_opts)}
    if "--no-cache" in offered:
        command.append("--no-cache")
    if "--jobs" in offered:
        command += ["--jobs", "1"]
    previous = Path.cwd()
    os.chdir(corpus.path)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    try:
        profiler.enable()
        try:
            asyncheck_main(command, standalone_mode=False)
        except SystemExit:
            pass
        finally:
            profiler.disable()
    finally:
        os.chdir(previous)
    print(f"asyncheck {' '.join(command)} on {corpus.name} ({corpus.files} files, "
          f"{corpus.lines} lines): {time.perf_counter() - start:.1f} s under cProfile\n")
    if args.save is not None:
        profiler.dump_stats(args.save)
    print(summarise(profiler, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
