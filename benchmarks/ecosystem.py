"""The ecosystem check (SPEC §10): asyncheck on real async projects, against a judged ledger.

Like ruff's ecosystem check: the projects pinned in ``benchmarks/ecosystem.txt`` are installed
one by one with ``pip install --no-deps --target benchmarks/.ecosystem/<name>`` (git-ignored;
each directory gets a ``pyproject.toml`` that makes it its own project root, with asyncheck's
default settings, as a new user would run it), asyncheck runs on each, and its findings are
compared with ``benchmarks/ecosystem-ledger.json``: the findings a person judged, each with a
verdict (would the project's maintainer change the code because of it?) and the reason.

It prints the findings that vanished since they were judged, the new ones nobody has judged
yet, and per rule: findings, judged, true, false and precision (true / judged).  A default
rule must stay at 90 % or more.  Not part of the test suite: it needs the package index.

    python benchmarks/ecosystem.py                    # default rules
    python benchmarks/ecosystem.py --select ALL       # every rule (ACK231, ACK310 too)
    python benchmarks/ecosystem.py --unjudged FILE    # write unjudged findings with their code
    python benchmarks/ecosystem.py --project arq      # one project

A finding is identified by project, path (relative to the project's directory), line and
code: the projects are pinned, so only asyncheck's own changes move them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from corpora import BuildError, _finish, _key, _pins, _pip, _stamp_matches, _staging

BENCH_DIR = Path(__file__).resolve().parent
PINS = BENCH_DIR / "ecosystem.txt"
LEDGER = BENCH_DIR / "ecosystem-ledger.json"
ROOT = BENCH_DIR / ".ecosystem"
#: A default rule whose judged precision is below this is to be turned off by default.
PRECISION_FLOOR = 0.90

PROJECT_PYPROJECT = """\
# Written by benchmarks/ecosystem.py: this directory is its own project root, linted with
# asyncheck's default settings and the Python versions the package declares.
[project]
name = "ecosystem-project"
"""


def project_pyproject(directory: Path) -> str:
    """The ``pyproject.toml`` for an installed project: its ``Requires-Python`` (from the
    wheel's metadata) as ``requires-python``, so advice fits the versions it supports, as it
    would in the project's own checkout."""
    text = PROJECT_PYPROJECT
    for metadata in sorted(directory.glob("*.dist-info/METADATA")):
        for line in metadata.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                break  # the headers end at the first blank line
            if line.lower().startswith("requires-python:"):
                requires = line.split(":", 1)[1].strip().replace("\\", "").replace('"', "")
                return text + f'requires-python = "{requires}"\n'
    return text

Key = tuple[str, str, int, str]


@dataclass(frozen=True)
class Finding:
    """One finding of one run."""

    project: str
    path: str
    line: int
    code: str
    message: str

    @property
    def key(self) -> Key:
        return (self.project, self.path, self.line, self.code)


def project_name(pin: str) -> str:
    """``aio-pika==10.2.1`` -> ``aio-pika``."""
    return pin.split("==", 1)[0].strip()


def ensure_project(pin: str, *, log: bool = True) -> Path:
    """Install one pinned project into its own directory if it is not there yet."""
    final = ROOT / project_name(pin)
    key = _key("ecosystem", sys.version, pin)
    if not _stamp_matches(final, key):
        if log:
            print(f"installing {pin} ...", file=sys.stderr, flush=True)
        staging = _staging(final)
        _pip(["install", "--no-deps", "--no-compile", "--ignore-requires-python",
              "--target", str(staging), pin])
        _finish(staging, final, key, pin)
    pyproject = final / "pyproject.toml"
    wanted = project_pyproject(final)
    if not pyproject.is_file() or pyproject.read_text(encoding="utf-8") != wanted:
        pyproject.write_text(wanted, encoding="utf-8")
    return final


def run_asyncheck(project: str, directory: Path, select_all: bool, jobs: int | None) -> list[Finding]:
    """asyncheck's findings on one project (a fresh run: no cache)."""
    command = [sys.executable, "-m", "asyncheck", "--format", "json", "--no-cache", "--exit-zero"]
    if select_all:
        command += ["--select", "ALL"]
    if jobs:
        command += ["--jobs", str(jobs)]
    completed = subprocess.run([*command, "."], cwd=directory, capture_output=True, text=True,
                               check=False)
    if completed.returncode != 0:
        raise BuildError(f"asyncheck failed on {project} (exit {completed.returncode}):\n"
                         f"{completed.stderr.strip()[-2000:]}")
    return [Finding(project, Path(item["path"]).as_posix().removeprefix("./"), item["line"],
                    item["code"], item["message"])
            for item in json.loads(completed.stdout)]


def load_ledger(path: Path = LEDGER) -> dict[Key, dict[str, object]]:
    """The judged findings by key."""
    if not path.exists():
        return {}
    entries = json.loads(path.read_text(encoding="utf-8"))
    return {(e["project"], e["path"], e["line"], e["code"]): e for e in entries}


def source_lines(directory: Path, path: str, line: int, around: int = 6) -> str:
    """The code around a finding, numbered, for whoever judges it."""
    try:
        lines = (directory / path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    start, end = max(line - around, 1), min(line + around, len(lines))
    return "\n".join(f"{n:6}{'>' if n == line else ' '} {lines[n - 1]}" for n in range(start, end + 1))


def precision_table(findings: list[Finding], ledger: dict[Key, dict[str, object]]) -> list[str]:
    """Per rule: findings now, judged, true, false, precision of the judged ones."""
    rows = ["| rule | findings | judged | true | false | precision |",
            "|---|---|---|---|---|---|"]
    totals = Counter()
    for code in sorted({f.code for f in findings}):
        mine = [f for f in findings if f.code == code]
        verdicts = [ledger[f.key]["verdict"] for f in mine if f.key in ledger]
        true = sum(1 for v in verdicts if v is True)
        false = sum(1 for v in verdicts if v is False)
        judged = true + false
        share = f"{true / judged:.0%}" if judged else "–"
        flag = " (below 90 %)" if judged and true / judged < PRECISION_FLOOR else ""
        rows.append(f"| {code} | {len(mine)} | {judged} | {true} | {false} | {share}{flag} |")
        totals.update(findings=len(mine), judged=judged, true=true, false=false)
    if totals["judged"]:
        rows.append(f"| all | {totals['findings']} | {totals['judged']} | {totals['true']} | "
                     f"{totals['false']} | {totals['true'] / totals['judged']:.0%} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--select", choices=["ALL"], help="run every rule, not only the default ones")
    parser.add_argument("--project", action="append", help="only this project (repeatable)")
    parser.add_argument("--unjudged", type=Path, help="write the unjudged findings, with their code, to this JSON file")
    parser.add_argument("--jobs", type=int, help="asyncheck's --jobs")
    args = parser.parse_args(argv)

    pins = _pins(PINS)
    if args.project:
        pins = [p for p in pins if project_name(p) in args.project]
        if not pins:
            parser.error(f"no pinned project named {', '.join(args.project)}")
    findings: list[Finding] = []
    directories: dict[str, Path] = {}
    for pin in pins:
        name = project_name(pin)
        try:
            directories[name] = ensure_project(pin)
            findings += run_asyncheck(name, directories[name], args.select == "ALL", args.jobs)
        except BuildError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    ledger = load_ledger()
    found = {f.key for f in findings}
    checked = set(directories)
    vanished = [e for k, e in sorted(ledger.items()) if k[0] in checked and k not in found
                and (args.select == "ALL" or e["code"] not in ("ACK231", "ACK310"))]
    unjudged = [f for f in findings if f.key not in ledger]

    print(f"{len(findings)} findings in {len(pins)} projects; {len(unjudged)} not judged yet")
    per_project = Counter(f.project for f in findings)
    print("per project: " + ", ".join(f"{p} {n}" for p, n in sorted(per_project.items())))
    if vanished:
        print(f"\nvanished since judged ({len(vanished)}):")
        for e in vanished:
            print(f"  {'TRUE ' if e['verdict'] else 'false'} {e['project']}/{e['path']}:{e['line']} "
                  f"{e['code']}  {e['reason']}")
    if unjudged:
        print(f"\nnew, not judged ({len(unjudged)}):")
        for f in unjudged[:200]:
            print(f"  {f.project}/{f.path}:{f.line} {f.code} {f.message}")
        if len(unjudged) > 200:
            print(f"  ... and {len(unjudged) - 200} more (--unjudged FILE lists them all)")
    print()
    print("\n".join(precision_table(findings, ledger)))
    if args.unjudged:
        args.unjudged.write_text(json.dumps([
            {"project": f.project, "path": f.path, "line": f.line, "code": f.code,
             "message": f.message, "source": source_lines(directories[f.project], f.path, f.line)}
            for f in unjudged], indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.chdir(BENCH_DIR)
    sys.exit(main())
