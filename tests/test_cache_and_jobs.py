"""The result cache and the process pool change speed, never findings."""

from __future__ import annotations

import json
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
