"""Every file asyncheck writes (a report, a baseline, a cache file) is written whole or not
at all: what a user wrote is never lost, overwritten through a link, or mixed."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from asyncheck.app import writing
from asyncheck.app.writing import WriteError, write_file
from conftest import RunCli, asyncheck_command

BLOCKING = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"


def _project(root: Path, files: int = 1) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'svc'\n")
    for number in range(files):
        (root / f"poll_{number}.py").write_text(BLOCKING)
    return root


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".asyncheck-tmp"))


def test_a_leftover_at_the_old_temporary_name_of_the_baseline_is_not_written_through(
        tmp_path: Path, cli: RunCli) -> None:
    # A killed run's leftover (or anything else) sitting where the baseline writer used to
    # put its temporary file: a link to the user's notes must not lead the write there.
    _project(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    (tmp_path / ".baseline.json.asyncheck-tmp").symlink_to(notes)
    result = cli("--no-cache", "--write-baseline", "baseline.json", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert notes.read_text() == "my notes\n"
    baseline = tmp_path / "baseline.json"
    assert not baseline.is_symlink()
    assert json.loads(baseline.read_text())["findings"][0]["code"] == "ACK200"


_CONCURRENT_WRITER = """\
import os, sys, time
from pathlib import Path
from asyncheck.app import baseline

directory, tag, other = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
failures = 0
for number in range(60):
    # In step with the other run: both start writing the same new baseline at once.
    (directory / f"ready_{number}_{tag}").touch()
    deadline = time.monotonic() + 30
    while not (directory / f"ready_{number}_{other}").exists() and time.monotonic() < deadline:
        time.sleep(0)
    try:
        baseline.write(directory / f"baseline_{number}.json", [])
    except baseline.BaselineError as error:
        failures += 1
        print(error)
print("failures", failures)
"""


def test_two_runs_writing_new_baselines_at_once_both_succeed(tmp_path: Path) -> None:
    # Two CI jobs writing the same new baseline: each write succeeds and leaves one whole
    # file (a fixed temporary name made one run's rename fail, or mixed their texts).
    command = [sys.executable, "-c", _CONCURRENT_WRITER, str(tmp_path)]
    runs = [subprocess.Popen([*command, tag, other], stdout=subprocess.PIPE, text=True)
            for tag, other in (("a", "b"), ("b", "a"))]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert all(out.endswith("failures 0\n") for out in outputs), outputs
    for number in range(60):
        assert json.loads((tmp_path / f"baseline_{number}.json").read_text()) == {
            "version": 1, "findings": []}
    assert _leftovers(tmp_path) == []


def _limit_file_size() -> None:  # in the child, before it runs asyncheck
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))


def test_an_output_file_cut_short_keeps_its_old_report(tmp_path: Path) -> None:
    # The disk fills up while the report is written: the previous report stays whole.
    _project(tmp_path, files=40)
    report = tmp_path / "report.json"
    report.write_text('{"previous": "report"}\n')
    result = subprocess.run(
        [*asyncheck_command(), "--no-cache", "--format", "json", "-o", "report.json", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        preexec_fn=_limit_file_size, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 2, result.stderr
    assert "cannot write report.json" in result.stderr
    assert report.read_text() == '{"previous": "report"}\n'
    assert _leftovers(tmp_path) == []


def test_output_file_holds_the_report_bytes_and_keeps_its_permissions(
        tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    shown = cli("--no-cache", "--format", "json", ".", cwd=tmp_path)
    report = tmp_path / "report.json"
    report.write_text("old")
    report.chmod(0o640)
    written = cli("--no-cache", "--format", "json", "-o", "report.json", ".", cwd=tmp_path)
    assert written.returncode == 1, written.stderr
    assert report.read_bytes() == shown.stdout.encode()
    assert stat.S_IMODE(report.stat().st_mode) == 0o640
    # A new file gets the permissions any new file gets (not a temporary file's 0o600).
    fresh = cli("--no-cache", "-o", "new.txt", ".", cwd=tmp_path)
    assert fresh.returncode == 1, fresh.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o666 & ~umask
    # A device is written to, not replaced.
    assert cli("--no-cache", "-o", os.devnull, ".", cwd=tmp_path).returncode == 1
    assert Path(os.devnull).is_char_device()
    assert _leftovers(tmp_path) == []


def test_write_file_writes_exact_bytes(tmp_path: Path) -> None:
    # No newline translation: Windows line ends, a lone CR and LF stay as they are.
    target = tmp_path / "report.txt"
    data = b"a.py:1:1: ACK200\r\nb.py:2:1: ACK200\rc.py\n\xff"
    write_file(target, data)
    assert target.read_bytes() == data


def test_write_file_never_writes_through_what_sits_at_a_temporary_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The first two temporary names drawn are taken (a FIFO, a link to a user's file): the
    # write takes a third name, and leaves both and the linked file alone.
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    target = tmp_path / "results.json"
    draws = iter([b"\x01" * 6, b"\x02" * 6, b"\x03" * 6])
    monkeypatch.setattr(writing.os, "urandom", lambda size: next(draws))
    os.mkfifo(tmp_path / f".results.json.{'01' * 6}.asyncheck-tmp")
    (tmp_path / f".results.json.{'02' * 6}.asyncheck-tmp").symlink_to(victim)
    write_file(target, b'{"ok":1}', scratch=True)
    assert target.read_bytes() == b'{"ok":1}'
    assert victim.read_text() == "keep me"
    assert len(_leftovers(tmp_path)) == 2


def test_write_file_refuses_a_read_only_file_but_replaces_a_scratch_one(tmp_path: Path) -> None:
    target = tmp_path / "baseline.json"
    target.write_text("mine")
    target.chmod(0o444)
    with pytest.raises(WriteError, match="read-only"):
        write_file(target, b"new")
    assert target.read_text() == "mine"
    write_file(target, b"new", scratch=True)
    assert target.read_text() == "new"
