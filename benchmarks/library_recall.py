"""Missing awaits on real async libraries: asyncheck against mypy and basedpyright (issue 19).

The application files in ``benchmarks/library_apps/`` use real libraries (asyncpg,
redis.asyncio, aiofiles, httpx, aiohttp, openai, SQLAlchemy's asyncio extension, aiokafka,
aiosqlite, websockets) correctly and wrongly; every wrong use carries
``# expect: ACK100 <receiver>/<misuse>`` on its line, where ``receiver`` says how the code
got the object (``direct`` module function, ``await-result``, ``async-with``, ``factory``,
``self-attr``, ``param`` annotation, ``global``, ``chain`` of attributes, ``type-comment``
(PEP 484 ``# type:`` comments), ``loop-target`` of a ``for``/``async for``) and ``misuse``
what it does with the coroutine (``statement``, ``assigned`` and never awaited, ``truth``,
``argument``: passed to a parameter annotated with a type no awaitable has).

The libraries and both type checkers are installed with pip into ``benchmarks/.venv-libs``
(git-ignored; ``--setup`` makes it).  A tool finds a missing await when it reports on that
line a message about a coroutine or an awaitable (mypy's ``unused-coroutine``, pyright's
``reportUnusedCoroutine``, any message naming ``Coroutine``/``Awaitable``/``await``); a
report on any other line of that kind is a false positive.  asyncheck counts its ACK100
findings (and ACK101), run with ``--python`` pointing at the libraries' environment, with
an empty environment (only the bundled knowledge file knows the libraries), and with
``--python none`` (no library knowledge: the built-in tables only).

    .venv/bin/python benchmarks/library_recall.py --setup      # once: the venv (pip)
    .venv/bin/python benchmarks/library_recall.py              # the table
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
APPS = HERE / "library_apps"
HELD_OUT = HERE / "library_apps_heldout"
VENV = HERE / ".venv-libs"
#: What the libraries' venv holds (pinned to what this table was measured with).
REQUIREMENTS = [
    "mypy==2.4.1", "basedpyright", "asyncpg", "redis", "aiofiles", "types-aiofiles", "httpx",
    "aiohttp", "openai", "sqlalchemy[asyncio]", "aiokafka", "aiosqlite", "websockets",
]
_EXPECT = re.compile(r"#\s*expect:\s*(ACK\d{3})\s*(\S+)?")
_AWAIT_WORDS = re.compile(r"[Cc]oroutine|Awaitable|\bawait\b")

Finding = tuple[str, int]  # (file name, line)


def expected_findings() -> dict[Finding, str]:
    """(file, line) -> ``receiver/misuse`` for every ``# expect`` comment."""
    found = {}
    for path in sorted(APPS.glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                found[(path.name, number)] = match.group(2) or "?/?"
    return found


def run_asyncheck(python: str) -> tuple[set[Finding], float]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "asyncheck", "--no-cache", "--format", "json", "--exit-zero",
         "--select", "ACK100,ACK101", "--python", python, str(APPS)],
        capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"asyncheck failed: {done.stderr}")
    return {(Path(d["path"]).name, d["line"]) for d in json.loads(done.stdout)}, elapsed


def run_mypy() -> tuple[set[Finding], float] | None:
    mypy = VENV / "bin" / "mypy"
    if not mypy.exists():
        return None
    start = time.perf_counter()
    done = subprocess.run(
        [str(mypy), "--no-error-summary", "--show-error-codes", "--no-incremental",
         "--ignore-missing-imports", *[str(p) for p in sorted(APPS.glob("*.py"))]],
        capture_output=True, text=True, check=False, cwd=APPS)
    elapsed = time.perf_counter() - start
    found = set()
    for line in done.stdout.splitlines():
        match = re.match(r"(.+?\.py):(\d+): error: (.*)", line)
        if match and ("[unused-coroutine]" in line or _AWAIT_WORDS.search(match.group(3))):
            found.add((Path(match.group(1)).name, int(match.group(2))))
    return found, elapsed


def run_basedpyright() -> tuple[set[Finding], float] | None:
    pyright = VENV / "bin" / "basedpyright"
    if not pyright.exists():
        return None
    start = time.perf_counter()
    done = subprocess.run(
        [str(pyright), "--outputjson", "--pythonpath", str(VENV / "bin" / "python"),
         *[str(p) for p in sorted(APPS.glob("*.py"))]],
        capture_output=True, text=True, check=False, cwd=APPS)
    elapsed = time.perf_counter() - start
    try:
        report = json.loads(done.stdout)
    except ValueError:
        return None
    found = set()
    for diagnostic in report.get("generalDiagnostics", []):
        if diagnostic.get("rule") == "reportUnusedCoroutine" or _AWAIT_WORDS.search(
                diagnostic.get("message", "")):
            found.add((Path(diagnostic["file"]).name,
                       diagnostic["range"]["start"]["line"] + 1))
    return found, elapsed


def table(expected: dict[Finding, str], results: dict[str, set[Finding]],
          group: str) -> list[str]:
    """Rows of recall per library (file), receiver or misuse form, and overall precision."""
    def key(finding: Finding) -> str:
        label = expected[finding]
        if group == "library":
            return finding[0].removesuffix(".py")
        receiver, _, misuse = label.partition("/")
        return receiver if group == "receiver" else misuse

    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in expected:
        groups[key(finding)].append(finding)
    tools = list(results)
    lines = [f"| {group} | n | " + " | ".join(tools) + " |",
             "|---|---:|" + "---:|" * len(tools)]
    for name in sorted(groups):
        cells = []
        for tool in tools:
            hit = sum(1 for f in groups[name] if f in results[tool])
            cells.append(f"{hit}/{len(groups[name])}")
        lines.append(f"| {name} | {len(groups[name])} | " + " | ".join(cells) + " |")
    recall, precision = [], []
    for tool in tools:
        true = len(results[tool] & expected.keys())
        recall.append(f"**{100 * true / len(expected):.0f} %**")
        reported = len(results[tool])
        precision.append(f"{100 * true / reported:.0f} % ({reported - true} FP)" if reported
                         else "-")
    lines.append(f"| recall | {len(expected)} | " + " | ".join(recall) + " |")
    lines.append("| precision | | " + " | ".join(precision) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="store_true",
                        help="create benchmarks/.venv-libs with the libraries and checkers")
    parser.add_argument("--held-out", action="store_true",
                        help="measure library_apps_heldout/ instead: files written after the "
                             "tables were frozen, never tuned for")
    parser.add_argument("--apps", type=Path, default=None,
                        help="measure the application files of this directory instead")
    parser.add_argument("--show-misses", action="store_true",
                        help="list asyncheck's misses and false positives")
    args = parser.parse_args(argv)
    global APPS
    if args.held_out:
        APPS = HELD_OUT
    if args.apps is not None:
        APPS = args.apps.resolve()
    if args.setup:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", *REQUIREMENTS], check=True)
    expected = expected_findings()
    results: dict[str, set[Finding]] = {}
    timings: dict[str, float] = {}
    results["asyncheck"], timings["asyncheck"] = run_asyncheck(str(VENV))
    with tempfile.TemporaryDirectory() as empty:
        # A virtualenv without the libraries: only the bundled knowledge knows them.
        site = Path(empty) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        (site / "site-packages").mkdir(parents=True)
        (Path(empty) / "pyvenv.cfg").write_text("version = 3\n")
        results["asyncheck (bundled only)"], timings["asyncheck (bundled only)"] = \
            run_asyncheck(empty)
    results["asyncheck (no env)"], timings["asyncheck (no env)"] = run_asyncheck("none")
    for name, runner in (("mypy", run_mypy), ("basedpyright", run_basedpyright)):
        outcome = runner()
        if outcome is not None:
            results[name], timings[name] = outcome
    print(f"{len(expected)} missing awaits in {len(list(APPS.glob('*.py')))} files\n")
    for group in ("library", "receiver", "misuse"):
        print("\n".join(table(expected, results, group)))
        print()
    print("wall time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    if args.show_misses:
        for finding in sorted(expected.keys() - results["asyncheck"]):
            print(f"missed: {finding[0]}:{finding[1]} {expected[finding]}")
        for finding in sorted(results["asyncheck"] - expected.keys()):
            print(f"false positive: {finding[0]}:{finding[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
