"""``--fix`` and ``--diff`` on real files: bytes kept, idempotent, atomic, honest exit codes."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from conftest import ROOT, RunCli

SEED_BUGGY = ROOT / "fixtures" / "seed" / "buggy_fetch.py"

WORKER = '''"""Polls the queue."""
from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)


async def drain(queue):
    while not queue.empty():
        item = await queue.get()
        log.info("got %s", item)  # keep this comment
        time.sleep(0.5)
        waited = time.sleep(0.1)
        print(time.sleep(0.01))
'''

WORKER_FIXED = '''"""Polls the queue."""
from __future__ import annotations

import logging
import time
import asyncio

log = logging.getLogger(__name__)


async def drain(queue):
    while not queue.empty():
        item = await queue.get()
        log.info("got %s", item)  # keep this comment
        await asyncio.sleep(0.5)
        waited = await asyncio.sleep(0.1)
        print(time.sleep(0.01))
'''


def test_fix_rewrites_the_file_and_reports_what_remains(tmp_path: Path, cli: RunCli) -> None:
    target = tmp_path / "worker.py"
    target.write_text(WORKER)
    result = cli("--fix", "--select", "ACK200", "worker.py", cwd=tmp_path)
    assert target.read_text() == WORKER_FIXED
    assert result.returncode == 1  # print(time.sleep(0.01)) has no safe fix
    assert "worker.py:17:15: ACK200" in result.stdout
    assert "Fixed 2 problems, 1 remaining." in result.stdout
    again = cli("--fix", "--select", "ACK200", "worker.py", cwd=tmp_path)
    assert target.read_text() == WORKER_FIXED
    assert "Fixed 0 problems, 1 remaining." in again.stdout


def test_fix_of_the_seed_fixture(tmp_path: Path, cli: RunCli) -> None:
    target = tmp_path / "buggy_fetch.py"
    shutil.copy(SEED_BUGGY, target)
    result = cli("--fix", "--select", "ACK200", "buggy_fetch.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    fixed = target.read_text()
    assert "    await asyncio.sleep(1)  # expect: ACK200\n" in fixed
    assert "        await asyncio.sleep(2 ** attempt)  # expect: ACK200\n" in fixed
    assert fixed.count("import asyncio\n") == 1  # already imported: not added again
    assert "Fixed 2 problems, 0 remaining." in result.stdout


def test_crlf_latin1_bom_and_permissions_survive(tmp_path: Path, cli: RunCli) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\r\nimport time\r\n\r\n\r\nasync def caf\xe9():\r\n"
                      b"    time.sleep(1)  # d\xe9j\xe0 vu\r\n")
    latin.chmod(0o750)
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfimport time\n\n\nasync def f():\n    time.sleep(1)\n")
    result = cli("--fix", "latin.py", "bom.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert latin.read_bytes() == (
        b"# -*- coding: latin-1 -*-\r\nimport time\r\nimport asyncio\r\n\r\n\r\nasync def caf\xe9():\r\n"
        b"    await asyncio.sleep(1)  # d\xe9j\xe0 vu\r\n")
    assert stat.S_IMODE(latin.stat().st_mode) == 0o750
    assert bom.read_bytes() == (b"\xef\xbb\xbfimport time\nimport asyncio\n\n\nasync def f():\n"
                                b"    await asyncio.sleep(1)\n")
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".asyncheck-tmp")]


def test_files_without_fixes_are_not_rewritten(tmp_path: Path, cli: RunCli) -> None:
    clean = tmp_path / "clean.py"
    clean.write_text("import asyncio\n\n\nasync def f():\n    await asyncio.sleep(1)\n")
    os.utime(clean, (1_000_000_000, 1_000_000_000))
    assert cli("--fix", "clean.py", cwd=tmp_path).returncode == 0
    assert clean.stat().st_mtime == 1_000_000_000


def test_diff_prints_and_writes_nothing(tmp_path: Path, cli: RunCli) -> None:
    target = tmp_path / "worker.py"
    target.write_text(WORKER)
    os.utime(target, (1_000_000_000, 1_000_000_000))
    result = cli("--diff", "--select", "ACK200", "worker.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("--- a/worker.py\n+++ b/worker.py\n")
    assert "-        time.sleep(0.5)\n" in result.stdout
    assert "+        await asyncio.sleep(0.5)\n" in result.stdout
    assert "+import asyncio\n" in result.stdout
    assert "Would fix 2 problems in 1 file." in result.stderr
    assert target.read_text() == WORKER and target.stat().st_mtime == 1_000_000_000
    target.write_text(WORKER_FIXED)
    assert cli("--diff", "--select", "ACK200", "worker.py", cwd=tmp_path).returncode == 0


def test_read_only_file_and_directory_stay_intact(tmp_path: Path, cli: RunCli) -> None:
    locked = tmp_path / "locked.py"
    locked.write_text(WORKER)
    locked.chmod(0o444)
    folder = tmp_path / "frozen"
    folder.mkdir()
    inside = folder / "inside.py"
    inside.write_text(WORKER)
    folder.chmod(0o555)
    try:
        result = cli("--fix", "--select", "ACK200", "locked.py", "frozen/inside.py", cwd=tmp_path)
        assert result.returncode == 2
        assert "cannot write locked.py: the file is read-only" in result.stderr
        assert "cannot write frozen/inside.py: its directory is read-only" in result.stderr
        assert "Traceback" not in result.stderr
        assert locked.read_text() == WORKER and inside.read_text() == WORKER
        assert "locked.py:14:9: ACK200" in result.stdout  # findings are still reported
    finally:
        folder.chmod(0o755)
        locked.chmod(0o644)


def test_fix_on_standard_input_prints_the_fixed_source(cli: RunCli) -> None:
    result = cli("--fix", "--select", "ACK200", "-", "--stdin-filename", "w.py", input=WORKER)
    assert result.stdout == WORKER_FIXED
    assert "w.py:17:15: ACK200" in result.stderr
