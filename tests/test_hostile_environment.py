"""An unlucky environment around the files: odd configuration files, odd file names, a full or
closed standard output, a cache directory holding special files, a tree that shadows the
modules asyncheck imports, and a run killed from outside.  Each ends in a clear message and a
documented exit code (never "internal error" or a traceback), and leaves no process behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, RunCli, asyncheck_command
from test_flake8_plugin import flake8

BLOCKING = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"


def one_error_line(stderr: str) -> str:
    """The run's only line on standard error, which must not be a crash."""
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    [line] = stderr.splitlines()
    return line


# -- configuration files ------------------------------------------------------------------

UNREADABLE_PYPROJECTS = {
    "binary": (bytes(range(256)) * 4, "not UTF-8 text"),
    # Another tool's table: every pyproject.toml on the way up is read.
    "deep_arrays": (b"[tool.other]\nx = " + b"[" * 5000 + b"]" * 5000 + b"\n",
                    "nested too deeply"),
    "deep_tables": (b"[tool.other]\nx = " + b"{a = " * 5000 + b"1" + b"}" * 5000 + b"\n",
                    "nested too deeply"),
}


@pytest.mark.parametrize("name", list(UNREADABLE_PYPROJECTS))
def test_unreadable_pyproject_is_a_configuration_error(tmp_path: Path, cli: RunCli,
                                                       name: str) -> None:
    data, reason = UNREADABLE_PYPROJECTS[name]
    config = tmp_path / "pyproject.toml"
    config.write_bytes(data)
    (tmp_path / "app.py").write_text(BLOCKING)
    result = cli(".", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    line = one_error_line(result.stderr)
    assert line.startswith(f"asyncheck: error: {config}: not valid TOML: ")
    assert reason in line
    # The same file through --config.
    result = cli("--config", str(config), "app.py", cwd=tmp_path)
    assert result.returncode == 2 and reason in one_error_line(result.stderr)


@pytest.mark.parametrize("name", ["binary", "deep_arrays"])
def test_unreadable_pyproject_through_the_flake8_plugin(tmp_path: Path, name: str) -> None:
    data, reason = UNREADABLE_PYPROJECTS[name]
    (tmp_path / "pyproject.toml").write_bytes(data)
    (tmp_path / "app.py").write_text(BLOCKING)
    result = flake8("--isolated", "--select", "ACK", "app.py", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stdout.splitlines()
    assert ":1:1:ACK000:configuration error: " in line and "internal error" not in line
    assert reason in line and "pyproject.toml" in line


def test_a_tool_key_that_is_not_a_table_is_not_a_crash(tmp_path: Path, cli: RunCli) -> None:
    (tmp_path / "pyproject.toml").write_text("tool = 1\n")
    (tmp_path / "app.py").write_text(BLOCKING)
    result = cli(".", cwd=tmp_path)
    assert result.returncode == 1 and "app.py:5:5: ACK200" in result.stdout


def test_a_string_where_a_list_belongs_is_an_error(tmp_path: Path, cli: RunCli) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.asyncheck]\nignore = "ACK200"\n')
    (tmp_path / "app.py").write_text(BLOCKING)
    result = cli(".", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert one_error_line(result.stderr) == (
        f"asyncheck: error: {config}: 'ignore' must be a list of strings, not a string "
        '(write ["ACK200"])')


# -- python -m asyncheck inside the analysed tree -----------------------------------------


def test_python_m_inside_a_tree_that_shadows_its_imports(tmp_path: Path) -> None:
    """``-m`` puts the current directory first on sys.path: the tree's ``click.py`` (or
    ``json.py``, ``re.py``) must be analysed, never imported."""
    marker = tmp_path / "ran"
    for name in ("click", "json", "re", "typing", "pathlib", "libcst"):
        (tmp_path / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'a').write({name!r})\n"
            f"raise SystemExit('the tree\\'s {name}.py was imported')\n")
    (tmp_path / "app.py").write_text(BLOCKING)
    result = subprocess.run([sys.executable, "-m", "asyncheck", "--no-cache", "."],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr) == (1, "")
    assert "app.py:5:5: ACK200" in result.stdout
    assert not marker.exists()


def test_the_console_script_inside_a_tree_that_shadows_the_standard_library(
        tmp_path: Path, cli: RunCli) -> None:
    # Modules Python itself loads to run ``-m`` (collections, functools) cannot be guarded
    # there; the console script never puts the current directory on sys.path.
    marker = tmp_path / "ran"
    for name in ("collections", "functools", "contextlib", "click", "os"):
        (tmp_path / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'a').write({name!r})\nraise SystemExit(9)\n")
    (tmp_path / "app.py").write_text(BLOCKING)
    result = cli("--no-cache", ".", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, "")
    assert "app.py:5:5: ACK200" in result.stdout
    assert not marker.exists()
