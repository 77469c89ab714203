"""A baseline: only new findings fail; lines moving do not resurrect old ones."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import RunCli
from test_flake8_plugin import flake8

BEFORE = """import time


async def poll():
    time.sleep(1)


async def drain():
    time.sleep(2)
"""

# Lines inserted above both findings; one old finding fixed; a second `time.sleep(1)` in
# the same file: the only new problem.
AFTER = """import time
# an unrelated comment
# and another one


async def poll():
    time.sleep(1)
    time.sleep(1)


async def drain():
    pass
"""


def _project(tmp_path: Path, pyproject: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    (tmp_path / "app.py").write_text(BEFORE)
    return tmp_path


def test_baseline_survives_moved_lines_and_reports_a_new_duplicate(
        tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    written = cli("--no-cache", "--write-baseline", "asyncheck-baseline.json", ".", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert "Wrote 2 findings" in written.stderr
    document = json.loads((tmp_path / "asyncheck-baseline.json").read_text())
    assert document["version"] == 1
    assert [(e["path"], e["code"], e["text"], e["occurrence"]) for e in document["findings"]] == [
        ("app.py", "ACK200", "time.sleep(1)", 0), ("app.py", "ACK200", "time.sleep(2)", 0)]
    clean = cli("--no-cache", "--baseline", "asyncheck-baseline.json", ".", cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    (tmp_path / "app.py").write_text(AFTER)
    result = cli("--no-cache", "--baseline", "asyncheck-baseline.json", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert [line.split(" ")[0] for line in result.stdout.splitlines() if "ACK200" in line] == [
        "app.py:8:5:"]
    assert "1 baseline entry no longer matches (--verbose lists them)" in result.stderr
    verbose = cli("--no-cache", "--verbose", "--baseline", "asyncheck-baseline.json", ".",
                  cwd=tmp_path)
    assert "  app.py: ACK200 time.sleep(2)" in verbose.stderr

    cli("--no-cache", "--write-baseline", "asyncheck-baseline.json", ".", cwd=tmp_path)
    again = json.loads((tmp_path / "asyncheck-baseline.json").read_text())
    assert [(e["text"], e["occurrence"]) for e in again["findings"]] == [
        ("time.sleep(1)", 0), ("time.sleep(1)", 1)]
    rerun = cli("--no-cache", "--write-baseline", "asyncheck-baseline.json", ".", cwd=tmp_path)
    assert rerun.returncode == 0
    assert json.loads((tmp_path / "asyncheck-baseline.json").read_text()) == again


def test_baseline_from_the_configuration_relative_to_it(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path, '[tool.asyncheck]\nbaseline = "ci/baseline.json"\n')
    (tmp_path / "ci").mkdir()
    (tmp_path / "sub").mkdir()
    cli("--no-cache", "--write-baseline", "ci/baseline.json", ".", cwd=tmp_path)
    result = cli("--no-cache", "..", cwd=tmp_path / "sub")
    assert result.returncode == 0, result.stdout + result.stderr
    (tmp_path / "app.py").write_text(AFTER)
    assert cli("--no-cache", "..", cwd=tmp_path / "sub").returncode == 1


def test_bad_baselines_are_clear_errors(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    missing = cli("--baseline", "nope.json", ".", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.json: no such file" in missing.stderr
    (tmp_path / "bad.json").write_text("{not json")
    bad = cli("--baseline", "bad.json", ".", cwd=tmp_path)
    assert bad.returncode == 2 and "not a baseline file" in bad.stderr
    (tmp_path / "old.json").write_text('{"version": 99, "findings": []}')
    old = cli("--baseline", "old.json", ".", cwd=tmp_path)
    assert old.returncode == 2 and "not a version 1" in old.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.asyncheck]\nbaseline = 3\n")
    typed = cli(".", cwd=tmp_path)
    assert typed.returncode == 2 and "'baseline' must be a file name" in typed.stderr
    assert "Traceback" not in missing.stderr + bad.stderr + old.stderr + typed.stderr


def test_flake8_honours_the_baseline(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    cli("--no-cache", "--write-baseline", "baseline.json", ".", cwd=tmp_path)
    (tmp_path / "app.py").write_text(AFTER)
    (tmp_path / ".flake8").write_text("[flake8]\nasyncheck-baseline = baseline.json\n")
    result = flake8("--select", "ACK", "app.py", cwd=tmp_path)
    assert [line.split(":")[:4] for line in result.stdout.splitlines()] == [
        ["app.py", "8", "5", "ACK200"]]
    (tmp_path / ".flake8").unlink()
    (tmp_path / "pyproject.toml").write_text('[tool.asyncheck]\nbaseline = "baseline.json"\n')
    assert len(flake8("--select", "ACK", "app.py", cwd=tmp_path).stdout.splitlines()) == 1


def test_both_doors_count_occurrences_after_noqa(tmp_path: Path, cli: RunCli) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "app.py").write_text(
        "import time\n\n\nasync def poll():\n    time.sleep(1)  # noqa: ACK200\n"
        "    time.sleep(1)\n")
    cli("--no-cache", "--write-baseline", "baseline.json", ".", cwd=tmp_path)
    assert cli("--no-cache", "--baseline", "baseline.json", ".", cwd=tmp_path).returncode == 0
    result = flake8("--select", "ACK", "--asyncheck-baseline", "baseline.json", "app.py",
                    cwd=tmp_path)
    assert result.stdout == "", result.stdout


def test_write_baseline_never_overwrites_a_checked_file_and_keeps_links(
        tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    refused = cli("--write-baseline", "app.py", ".", cwd=tmp_path)
    assert refused.returncode == 2 and "one of the files to check" in refused.stderr
    assert (tmp_path / "app.py").read_text() == BEFORE
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "baseline.json").write_text("{}")
    (tmp_path / "baseline.json").symlink_to("ci/baseline.json")
    written = cli("--no-cache", "--write-baseline", "baseline.json", ".", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "baseline.json").is_symlink()
    assert json.loads((tmp_path / "ci" / "baseline.json").read_text())["version"] == 1
