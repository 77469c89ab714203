"""ACK280 ``blocking-calls`` end to end: from pyproject.toml through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import RunCli

APP = (
    "import legacy_sdk\n"
    "from legacy_sdk import Client\n\n"
    "client = Client(token='t')\n\n"
    "def invoices():\n"
    "    return client.list_invoices()\n\n"
    "async def sync_invoices():\n"
    "    legacy_sdk.refresh_token()\n"
    "    return invoices()\n"
)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_configured_patterns_report_with_their_suggestion(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", APP)
    write(tmp_path / "pyproject.toml",
          '[tool.asyncheck]\nextend-select = ["ACK290"]\n\n'  # chains are off by default
          '[tool.asyncheck.blocking-calls]\n'
          '"legacy_sdk.Client.*" = "use `legacy_sdk.aio.Client`"\n'
          '"legacy_sdk.refresh_*" = "call it at start-up"\n')
    result = cli("app.py", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    found = {(d["code"], d["line"]): d["message"] for d in json.loads(result.stdout)}
    assert set(found) == {("ACK280", 10), ("ACK290", 11)}
    assert "call it at start-up" in found[("ACK280", 10)]
    assert "legacy_sdk.refresh_*" in found[("ACK280", 10)]
    assert "sync_invoices -> invoices -> legacy_sdk.Client.list_invoices" in found[("ACK290", 11)]


def test_without_patterns_nothing_is_reported(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", APP)
    write(tmp_path / "pyproject.toml", "[tool.asyncheck]\nmax-fanout = 10\n")
    assert cli("app.py", cwd=tmp_path).returncode == 0


def test_wrong_types_are_rejected_with_exit_2(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", APP)
    for bad in ('blocking-calls = ["legacy_sdk.*"]\n',
                'blocking-calls = "legacy_sdk.*"\n',
                '[tool.asyncheck.blocking-calls]\n"legacy_sdk.*" = 3\n'):
        header = "" if bad.startswith("[") else "[tool.asyncheck]\n"
        write(tmp_path / "pyproject.toml", header + bad)
        result = cli("app.py", cwd=tmp_path)
        assert result.returncode == 2, (bad, result.stdout, result.stderr)
        assert "blocking-calls" in result.stderr and "pyproject.toml" in result.stderr
        assert "Traceback" not in result.stderr
