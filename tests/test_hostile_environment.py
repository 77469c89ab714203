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


# -- special files in the cache directory -------------------------------------------------


def run_with_timeout(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*asyncheck_command(), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_fifos_in_the_cache_directory_are_cache_misses(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shop'\n")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "client.py").write_text("async def fetch_price(item):\n    return item\n")
    service = tmp_path / "shop" / "service.py"
    service.write_text("from shop.client import fetch_price\n\n\n"
                       "async def refresh(ids):\n    for item in ids:\n        fetch_price(item)\n")
    cold = run_with_timeout("--format", "json", ".", cwd=tmp_path)
    assert (cold.returncode, cold.stderr) == (1, "")
    cache = tmp_path / ".asyncheck_cache"

    def fifos_for(pattern: str) -> None:
        paths = list(cache.glob(pattern))
        assert paths
        for path in paths:  # a FIFO with no writer: opening it for reading blocks
            path.unlink()
            os.mkfifo(path)

    # The module facts: the service file changed, its lint needs the client's facts.
    fifos_for("facts-*/*.json")
    service.write_text(service.read_text() + "\n")
    warm = run_with_timeout("--format", "json", ".", cwd=tmp_path)
    assert (warm.returncode, warm.stderr) == (1, "")
    assert json.loads(warm.stdout) == json.loads(cold.stdout)
    # The results: every file is linted again, and the results file written anew.
    fifos_for("results-*.json")
    warm = run_with_timeout("--format", "json", ".", cwd=tmp_path)
    assert (warm.returncode, warm.stderr) == (1, "")
    assert json.loads(warm.stdout) == json.loads(cold.stdout)
    assert all(path.is_file() for path in cache.glob("results-*.json"))


# -- file names: not UTF-8, holding a newline ---------------------------------------------

#: Bytes that are not UTF-8, and a newline that would forge a finding line of its own.
ODD_NAMES = (b"caf\xe9.py", b"x.py:1:1: ACK999 forged\nreal.py")


def odd_tree(root: Path) -> None:
    for name in ODD_NAMES:
        with open(os.path.join(os.fsencode(root), name), "wb") as handle:
            handle.write(BLOCKING.encode())


def run_bytes(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    # A UTF-8 locale other than C: standard output is strict UTF-8 there.
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([*asyncheck_command(), "--no-cache", *args], cwd=cwd, env=env,
                          capture_output=True, timeout=120, check=False)


def test_odd_names_in_text_output_are_escaped_one_finding_per_line(tmp_path: Path) -> None:
    odd_tree(tmp_path)
    result = run_bytes(".", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, b"")
    assert result.stdout.decode("ascii").splitlines() == [
        "caf\\xe9.py:5:5: ACK200 `time.sleep(...)` blocks the event loop inside `async def "
        "poll`; use `await asyncio.sleep(...)`",
        "x.py:1:1: ACK999 forged\\nreal.py:5:5: ACK200 `time.sleep(...)` blocks the event "
        "loop inside `async def poll`; use `await asyncio.sleep(...)`",
        "Found 2 problems in 2 files (2 fixable with --fix).",
    ]


def test_odd_names_in_github_output_are_one_line_each(tmp_path: Path) -> None:
    odd_tree(tmp_path)
    result = run_bytes("--format", "github", ".", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, b"")
    lines = result.stdout.decode("ascii").splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "::error file=caf\\xe9.py", "::error file=x.py%3A1%3A1%3A ACK999 forged%0Areal.py"]


def test_odd_names_in_sarif_keep_their_bytes(tmp_path: Path) -> None:
    from urllib.parse import unquote_to_bytes

    odd_tree(tmp_path)
    result = run_bytes("--format", "sarif", ".", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, b"")
    [run] = json.loads(result.stdout.decode("utf-8"))["runs"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]]
    assert uris == ["caf%E9.py", "x.py%3A1%3A1%3A%20ACK999%20forged%0Areal.py"]
    assert [unquote_to_bytes(uri) for uri in uris] == list(ODD_NAMES)
    # The same report written to a file.
    written = run_bytes("--format", "sarif", "-o", "report.sarif", ".", cwd=tmp_path)
    assert written.returncode == 1
    assert json.loads((tmp_path / "report.sarif").read_bytes()) == json.loads(result.stdout)


def test_odd_names_in_json_output_name_the_files(tmp_path: Path) -> None:
    odd_tree(tmp_path)
    result = run_bytes("--format", "json", ".", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, b"")
    paths = [finding["path"] for finding in json.loads(result.stdout.decode("ascii"))]
    assert [os.fsencode(path) for path in paths] == list(ODD_NAMES)


def test_odd_names_are_cached_like_others(tmp_path: Path) -> None:
    odd_tree(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    cold, warm = (subprocess.run([*asyncheck_command(), "--format", "json", "."], cwd=tmp_path,
                                 env=env, capture_output=True, timeout=120, check=False)
                  for _ in range(2))
    assert (cold.returncode, cold.stderr) == (warm.returncode, warm.stderr) == (1, b"")
    assert json.loads(warm.stdout) == json.loads(cold.stdout)
    assert len(json.loads(cold.stdout)) == 2 and list(tmp_path.glob(".asyncheck_cache/results-*"))


def test_odd_names_in_error_messages_are_one_line(tmp_path: Path) -> None:
    name = b"gone\nasyncheck: forged.py"
    os.symlink(b"nowhere", os.path.join(os.fsencode(tmp_path), name))
    (tmp_path / "app.py").write_text(BLOCKING)
    result = run_bytes(os.fsdecode(name), "app.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode("ascii").splitlines() == [
        "asyncheck: gone\\nasyncheck: forged.py: broken symbolic link or symlink loop"]


# -- standard output full or closed -------------------------------------------------------


@pytest.mark.parametrize("args", [[".", "--no-cache"], ["--format", "sarif", ".", "--no-cache"],
                                  ["--list-rules"], ["--explain", "ACK200"], ["--version"],
                                  ["--help"]])
def test_a_full_standard_output_is_a_clean_error(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "app.py").write_text(BLOCKING)
    with open("/dev/full", "w") as full:
        result = subprocess.run([*asyncheck_command(), *args], cwd=tmp_path, stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert result.stderr == (
        "asyncheck: error: cannot write to standard output: No space left on device\n")


def test_fixing_standard_input_into_a_full_standard_output_is_a_clean_error(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run([*asyncheck_command(), "--fix", "-", "--stdin-filename", "app.py"],
                                cwd=tmp_path, input=BLOCKING.encode(), stdout=full,
                                stderr=subprocess.PIPE, timeout=120, check=False)
    assert result.returncode == 2
    assert result.stderr.decode().splitlines()[-1] == (
        "asyncheck: error: cannot write to standard output: No space left on device")


@pytest.mark.parametrize(("args", "code"), [([".", "--no-cache"], 1), (["--list-rules"], 0)])
def test_a_reader_that_goes_away_ends_the_output_quietly(tmp_path: Path, args: list[str],
                                                         code: int) -> None:
    (tmp_path / "app.py").write_text(BLOCKING * 200)
    reader, writer = os.pipe()
    os.close(reader)  # `| head -1` that has already read its line
    try:
        result = subprocess.run([*asyncheck_command(), *args], cwd=tmp_path, stdout=writer,
                                stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    finally:
        os.close(writer)
    # Quiet, and the exit status of the run (findings or not), as if it had been read.
    assert (result.returncode, result.stderr) == (code, "")


# -- a pooled run killed from outside -----------------------------------------------------


def pooled_tree(root: Path, modules: int = 80) -> Path:
    """A project big enough for the process pool, whose lint lasts a few seconds."""
    package = root / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for number in range(modules):
        imports = "".join(f"from pkg.mod_{other:03} import fetch_{other}\n"
                          for other in range(max(0, number - 3), number))
        body = "".join(
            f"\n\nasync def fetch_{number}_{k}(session, url):\n    time.sleep(1)\n"
            f"    results = []\n    for item in range({k}):\n"
            "        results.append(await session.get(url + str(item)))\n"
            "    asyncio.create_task(session.close())\n    return results\n"
            for k in range(20))
        (package / f"mod_{number:03}.py").write_text(
            f"import asyncio\nimport time\n{imports}{body}\n\n"
            f"async def fetch_{number}(session):\n    return await fetch_{number}_0(session, 'x')\n")
    return root


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is alive (a zombie nobody has reaped yet has ended)."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z")
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["KILL", "TERM"])
def test_a_killed_pooled_run_leaves_no_process_and_no_scratch_directory(
        tmp_path: Path, signum: int) -> None:
    """What CI cancellation and ``timeout`` send: the pool's processes must not go on
    linting (or writing fixes) and then wait forever; the scratch space must go."""
    tree = pooled_tree(tmp_path / "tree")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    process = subprocess.Popen([*asyncheck_command(), "--no-cache", "--jobs", "2", "."],
                               cwd=tree, env={**os.environ, "TMPDIR": str(scratch)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        # Killed while the pool lints: its claims exist and its processes run.
        while not (list(scratch.glob("asyncheck-claims-*")) and len(workers) >= 2):
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the pool never started"
            time.sleep(0.01)
            workers = children_of(process.pid)
        process.send_signal(signum)
        process.wait(timeout=60)
        deadline = time.monotonic() + 5
        while ((any(running(pid) for pid in workers) or list(scratch.iterdir()))
               and time.monotonic() < deadline):
            time.sleep(0.05)
        assert [pid for pid in workers if running(pid)] == []
        assert list(scratch.iterdir()) == []
    finally:
        if process.poll() is None:
            process.kill()
        for pid in workers:  # only if the test failed: they would linger forever
            if running(pid):
                os.kill(pid, signal.SIGKILL)


def test_scratch_directories_of_killed_runs_are_swept(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from asyncheck.app import facts

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    dead = int(ended.stdout)
    leftovers = {
        f"asyncheck-{dead}-ab12cd_3": True,              # its run was killed: swept
        f"asyncheck-claims-{dead}-x9y8z7w6": True,
        f"asyncheck-{os.getpid()}-live0001": False,      # a run still going
        f"asyncheck-{dead}-nomarker": False,             # not made by asyncheck
        "asyncheck-k3j9x_2a": False,                     # an older asyncheck's: left alone
    }
    for name, marked in leftovers.items():
        (tmp_path / name / "facts").mkdir(parents=True)
        if marked or "live" in name:
            (tmp_path / name / ".asyncheck-scratch").touch()
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    with facts.scratch_directory("asyncheck-", 10) as made:
        assert Path(made).name.startswith(f"asyncheck-{os.getpid()}-")
        assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
            [Path(made).name, *(name for name, swept in leftovers.items() if not swept)])
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        name for name, swept in leftovers.items() if not swept)
