"""The result cache and the process pool change speed, never findings."""

from __future__ import annotations

import json

import pytest
from pathlib import Path

from conftest import ROOT, RunCli, run_in_fresh_process

SERVICE = '''import asyncio

from shop.client import fetch_price


async def refresh(ids):
    for item in ids:
        fetch_price(item)
'''
CLIENT_ASYNC = "async def fetch_price(item):\n    return item\n"
CLIENT_SYNC = "def fetch_price(item):\n    return item\n"


def findings(result_stdout: str) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["code"]) for f in json.loads(result_stdout)]


def make_project(root: Path, client: str) -> None:
    (root / "pyproject.toml").write_text("[project]\nname = 'shop'\n")
    package = root / "shop"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "client.py").write_text(client)
    (package / "service.py").write_text(SERVICE)


def test_warm_run_matches_cold_and_follows_changes_in_other_files(tmp_path: Path, cli: RunCli) -> None:
    make_project(tmp_path, CLIENT_ASYNC)
    cold = cli("--format", "json", "shop/service.py", cwd=tmp_path)
    assert list((tmp_path / ".asyncheck_cache").glob("results-*.json"))
    warm = cli("--format", "json", "shop/service.py", cwd=tmp_path)
    assert findings(warm.stdout) == findings(cold.stdout)
    assert ("shop/service.py", 8, "ACK100") in findings(cold.stdout)
    # The callee turns sync in another file: the caller's cached finding must go.
    (tmp_path / "shop" / "client.py").write_text(CLIENT_SYNC)
    after = cli("--format", "json", "shop/service.py", cwd=tmp_path)
    assert ("shop/service.py", 8, "ACK100") not in findings(after.stdout)


def test_corrupt_cache_is_ignored_and_rewritten(tmp_path: Path, cli: RunCli) -> None:
    make_project(tmp_path, CLIENT_ASYNC)
    cold = cli("--format", "json", ".", cwd=tmp_path)
    for cache_file in (tmp_path / ".asyncheck_cache").glob("results-*.json"):
        cache_file.write_text('{"format": 1, "entries": {"shop/service.py": [1, 2]}}')
    again = cli("--format", "json", ".", cwd=tmp_path)
    assert again.returncode == cold.returncode and again.stderr == ""
    assert findings(again.stdout) == findings(cold.stdout)
    assert "fetch_price" in next((tmp_path / ".asyncheck_cache").glob("results-*.json")).read_text()


def test_no_cache_writes_nothing(tmp_path: Path, cli: RunCli) -> None:
    make_project(tmp_path, CLIENT_ASYNC)
    cli("--no-cache", ".", cwd=tmp_path)
    assert not (tmp_path / ".asyncheck_cache").exists()
    cli("--cache-dir", "elsewhere", ".", cwd=tmp_path)
    assert list((tmp_path / "elsewhere").glob("results-*.json"))


def test_process_pool_gives_the_same_findings_as_one_process(cli: RunCli) -> None:
    serial = cli("--no-cache", "--jobs", "1", "--select", "ALL", "--format", "json", "fixtures", cwd=ROOT)
    pooled = cli("--no-cache", "--jobs", "2", "--select", "ALL", "--format", "json", "fixtures", cwd=ROOT)
    assert serial.returncode == pooled.returncode
    assert json.loads(serial.stdout) == json.loads(pooled.stdout)
    assert len(json.loads(serial.stdout)) > 10


def test_fully_cached_run_does_not_import_libcst(tmp_path: Path) -> None:
    make_project(tmp_path, CLIENT_ASYNC)
    assert run_in_fresh_process(["shop/service.py"], cwd=tmp_path) == (1, True)
    assert run_in_fresh_process(["shop/service.py"], cwd=tmp_path) == (1, False)


def test_a_pooled_run_keeps_its_scratch_files_in_memory_and_leaves_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from asyncheck.app import facts, runner
    from asyncheck.core.config import Settings

    shared = tmp_path / "shm"
    shared.mkdir()
    monkeypatch.setattr(facts, "_SHARED_MEMORY", shared)
    monkeypatch.delenv("TMPDIR", raising=False)
    made: list[str | None] = []
    real = tempfile.TemporaryDirectory

    def recorded(*args: object, **kwargs: object) -> tempfile.TemporaryDirectory[str]:
        made.append(kwargs.get("dir"))  # type: ignore[arg-type]
        return real(*args, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(tempfile, "TemporaryDirectory", recorded)
    project = tmp_path / "workers"
    project.mkdir()
    (project / "__init__.py").write_text("")
    (project / "http.py").write_text(
        "import aiohttp\n\n\nasync def fetch(session: aiohttp.ClientSession, url: str) -> str:\n"
        "    async with session.get(url) as response:\n        return await response.text()\n")
    for number in range(30):
        (project / f"feed_{number:02}.py").write_text(
            "import time\n\nfrom workers.http import fetch\n\n\n"
            f"async def poll_{number}(session, url):\n    time.sleep(5)\n    fetch(session, url)\n")
    pooled = runner.run([str(project)], Settings(), jobs=2)
    serial = runner.run([str(project)], Settings(), jobs=1)
    assert made == [str(shared), str(shared)]  # the shared facts, the processes' claims
    assert list(shared.iterdir()) == []
    assert [(d.path, d.line, d.code) for d in pooled.diagnostics] == [
        (d.path, d.line, d.code) for d in serial.diagnostics]
    assert len(pooled.diagnostics) == 60
    # Where TMPDIR says, or without room for the project's facts: the usual place.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    with facts.scratch_directory("asyncheck-", 30) as chosen:
        assert Path(chosen).parent == tmp_path
    monkeypatch.delenv("TMPDIR")
    with facts.scratch_directory("asyncheck-", 10**12) as chosen:
        assert Path(chosen).parent != shared
