"""``--show-settings`` and ``--show-files``: what a run would use, and why a file is left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import RunCli


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.asyncheck]\nextend-select = ["ACK231"]\nextend-exclude = ["migrations"]\n'
        'baseline = "baseline.json"\n')
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\n")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "m1.py").write_text("x = 1\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "b.py").write_text("x = 1\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "g.py").write_text("x = 1\n")
    (tmp_path / ".gitignore").write_text("generated/\n")
    return tmp_path


def test_show_settings(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    (tmp_path / "sub").mkdir()
    result = cli("--show-settings", cwd=tmp_path / "sub")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"configuration file: {tmp_path.resolve() / 'pyproject.toml'}" in out
    assert f"project root: {tmp_path.resolve()}" in out
    assert f"cache directory: {tmp_path.resolve() / '.asyncheck_cache'}" in out
    assert "environment (library knowledge): " in out
    assert "ACK231" in out.split("enabled rules:", 1)[1].split("\n", 1)[0]
    assert 'extend-exclude = ["migrations"]' in out
    assert f'baseline = "{tmp_path.resolve() / "baseline.json"}"' in out
    document = json.loads(cli("--show-settings", "--format", "json", "--no-cache",
                              cwd=tmp_path).stdout)
    assert document["cache directory"] is None
    assert document["settings"]["max-fanout"] == 20
    assert not (tmp_path / ".asyncheck_cache").exists()


def test_show_settings_reports_a_bad_configuration(tmp_path: Path, cli: RunCli) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.asyncheck]\nmax-fanout = 'x'\n")
    result = cli("--show-settings", cwd=tmp_path)
    assert result.returncode == 2 and "max-fanout" in result.stderr
    assert "Traceback" not in result.stderr


def test_show_files(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    result = cli("--show-files", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["app.py", "pkg/mod.py"]
    verbose = cli("--show-files", "--verbose", ".", cwd=tmp_path).stdout.splitlines()
    assert verbose[:2] == ["app.py", "pkg/mod.py"]
    assert "excluded: build (excluded by 'build', a default exclude)" in verbose
    assert "excluded: generated (ignored by .gitignore)" in verbose
    assert "excluded: migrations (excluded by 'migrations')" in verbose
    named = cli("--show-files", "migrations/m1.py", "nope.py", cwd=tmp_path)
    assert named.stdout.splitlines() == ["migrations/m1.py"]
    assert named.returncode == 2 and "nope.py: no such file" in named.stderr


def test_show_settings_names_the_environment_a_run_reads(tmp_path: Path, cli: RunCli,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    venv = tmp_path / ".venv"
    (venv / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    out = cli("--show-settings", cwd=tmp_path).stdout
    assert "environment (library knowledge): .venv at the project root (" in out
    out = cli("--show-settings", "--python", str(venv), cwd=tmp_path).stdout
    assert str(venv) in out.split("environment (library knowledge):", 1)[1].split("\n", 1)[0]
    out = cli("--show-settings", "--python", "none", cwd=tmp_path).stdout
    assert "environment (library knowledge): none\n" in out
