"""Where the environment setting comes from and what finding it costs (SPEC §9, issue 19):
a bare command name is looked up on PATH, the setting is named by where it was set, and a
bare interpreter is asked for its site-packages once, not on every run of a cache."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import asyncheck_command

APP = """\
import fakelib


async def main() -> None:
    fakelib.connect("db")
"""


def make_interpreter(tmp_path: Path, name: str = "fakepython3") -> tuple[Path, Path]:
    """A bare interpreter outside any virtualenv (a script that answers asyncheck's question
    for its site-packages, and counts how often it was run), and its site-packages with a
    library whose ``connect`` is a coroutine function."""
    site = tmp_path / "site-packages"
    (site / "fakelib").mkdir(parents=True)
    (site / "fakelib" / "__init__.py").write_text("async def connect(dsn: str) -> None: ...\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    interpreter = bin_dir / name
    interpreter.write_text(f"#!/bin/sh\necho run >> {tmp_path / 'runs.log'}\n"
                           f"echo '{json.dumps([str(site)])}'\n")
    interpreter.chmod(0o755)
    return interpreter, tmp_path / "runs.log"


def run(args: list[str], cwd: Path, bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run([*asyncheck_command(), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=300)


def codes(result: subprocess.CompletedProcess[str]) -> list[tuple[int, str]]:
    return [(d["line"], d["code"]) for d in json.loads(result.stdout)]


def runs(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def make_project(tmp_path: Path, config_text: str) -> tuple[Path, Path]:
    """A project with ``app.py`` and a pyproject.toml holding ``config_text``: (its
    directory, the configuration file)."""
    project = tmp_path / "project"
    project.mkdir()
    config = project / "pyproject.toml"
    config.write_text(config_text)
    (project / "app.py").write_text(APP)
    return project, config


def test_a_configured_command_name_is_found_on_path_and_asked_once(tmp_path: Path) -> None:
    interpreter, log = make_interpreter(tmp_path)
    project, config = make_project(tmp_path, '[tool.asyncheck]\npython = "fakepython3"\n')
    first = run(["--format", "json", "app.py"], project, interpreter.parent)
    assert codes(first) == [(5, "ACK100")], first.stderr
    assert runs(log) == 1
    # Warm: answered from the cache, and the interpreter's answer too.
    again = run(["--format", "json", "app.py"], project, interpreter.parent)
    assert codes(again) == [(5, "ACK100")] and runs(log) == 1
    # An edited file is linted again, with the libraries the kept answer names.
    (project / "app.py").write_text(APP + "# edited\n")
    edited = run(["--format", "json", "app.py"], project, interpreter.parent)
    assert codes(edited) == [(5, "ACK100")] and runs(log) == 1
    # Without the cache the interpreter is asked again.
    uncached = run(["--format", "json", "--no-cache", "app.py"], project, interpreter.parent)
    assert codes(uncached) == [(5, "ACK100")] and runs(log) == 2
    shown = run(["--show-settings"], project, interpreter.parent).stdout
    assert f"environment (library knowledge): python in {config} ({interpreter})" in shown


def test_the_environment_is_named_by_where_it_was_set(tmp_path: Path) -> None:
    interpreter, _ = make_interpreter(tmp_path)
    project, config = make_project(tmp_path, '[tool.asyncheck]\nselect = ["ACK1"]\n')
    # --python on the command line, with a configuration file that does not set it.
    shown = run(["--show-settings", "--python", "fakepython3"], project, interpreter.parent)
    assert f"environment (library knowledge): --python ({interpreter})" in shown.stdout
    explained = run(["--explain-env", "--python", "fakepython3"], project, interpreter.parent)
    assert f"environment: --python ({interpreter})" in explained.stdout
    # Set in the configuration: named so by --explain-env too; the command line still wins.
    config.write_text(f'[tool.asyncheck]\npython = "{interpreter}"\n')
    explained = run(["--explain-env"], project, interpreter.parent)
    assert f"environment: python in {config} ({interpreter})" in explained.stdout
    shown = run(["--show-settings", "--python", "none"], project, interpreter.parent)
    assert "environment (library knowledge): none\n" in shown.stdout


def test_a_relative_path_or_a_name_beside_the_configuration_is_not_looked_up(
        tmp_path: Path) -> None:
    interpreter, _ = make_interpreter(tmp_path, name="python3")
    project = tmp_path / "project"
    (project / "envs").mkdir(parents=True)
    config = project / "pyproject.toml"
    # `.venv`-style names are directories beside the configuration, even without a slash.
    venv = project / "myenv"
    (venv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    config.write_text('[tool.asyncheck]\npython = "myenv"\n')
    explained = run(["--explain-env"], project / "envs", interpreter.parent)
    assert f"environment: python in {config} ({venv})" in explained.stdout
    # A path with a directory part stays a path: not found, not looked up on PATH.
    config.write_text('[tool.asyncheck]\npython = "envs/python3"\n')
    explained = run(["--explain-env"], project, interpreter.parent)
    assert f"({project / 'envs' / 'python3'})" in explained.stdout
    assert "no such interpreter or directory" in explained.stdout
