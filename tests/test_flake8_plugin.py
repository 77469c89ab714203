"""The flake8 door: ``flake8 --select ACK`` reports what ``asyncheck`` reports.

flake8 runs as users run it, a subprocess of the installed console script; the findings are
compared with the CLI's JSON output on the same tree and settings.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BIN, ROOT, RunCli
from readme_snippets import readme_snippet
from sample_project import CROSS_MODULE_CODES, REPORT, write_shop
from test_fixtures import expected_findings

from asyncheck.doors.flake8_plugin import AsyncheckPlugin, parse_blocking_calls, plugin_settings
from asyncheck.app.registry import all_rules

FIXTURES = ROOT / "fixtures"
Finding = tuple[str, int, int, str]
_FLAKE8_LINE_RE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+):(?P<code>[A-Z]+\d+):")

BLOCKING = '''\
import time


async def poll(job_id: str) -> None:
    time.sleep(1)
'''


def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed flake8 with a parseable ``path:line:col:code:message`` format."""
    script = BIN / "flake8"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "flake8"]
    return subprocess.run(
        [*command, "--format=%(path)s:%(row)d:%(col)d:%(code)s:%(text)s", *args],
        cwd=cwd, capture_output=True, text=True, check=False, timeout=300,
    )


def flake8_findings(output: str, cwd: Path) -> set[Finding]:
    found = set()
    for line in output.splitlines():
        match = _FLAKE8_LINE_RE.match(line)
        assert match is not None, f"unexpected flake8 output line: {line!r}"
        path = (cwd / match["path"]).resolve().as_posix()
        found.add((path, int(match["line"]), int(match["col"]), match["code"]))
    return found


def cli_findings(result: subprocess.CompletedProcess[str], cwd: Path) -> set[Finding]:
    assert result.returncode in (0, 1), result.stderr
    return {((cwd / d["path"]).resolve().as_posix(), d["line"], d["column"], d["code"])
            for d in json.loads(result.stdout)}


def split_python_rejects(found: set[Finding]) -> tuple[set[Finding], set[str]]:
    """ACK findings, and files Python's own parser rejects (flake8 says E999 and runs no
    tree plugin there, where asyncheck says ACK000)."""
    rejected = {path for path, _, _, code in found if code == "E999"}
    return {f for f in found if f[3].startswith("ACK")}, rejected


def without_files(found: set[Finding], paths: set[str]) -> set[Finding]:
    return {f for f in found if f[0] not in paths}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_flake8_select_ack_matches_cli_select_all_on_fixtures(jobs: str, cli: RunCli) -> None:
    # --select ACK shows off-by-default codes too (an explicit select beats a default
    # ignore), so the CLI side runs every rule as well.  --jobs 2 runs flake8's process pool.
    result = flake8("--isolated", "--select", "ACK,E999", "--jobs", jobs, "fixtures", cwd=ROOT)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    plugin, rejected = split_python_rejects(flake8_findings(result.stdout, ROOT))
    expected = cli_findings(cli("fixtures", "--select", "ALL", "--format", "json", cwd=ROOT), ROOT)
    # A file Python rejects is ACK000 for the CLI and E999 for flake8: same file, both say so.
    assert rejected <= {path for path, _, _, code in expected if code == "ACK000"}
    assert plugin == without_files(expected, rejected)
    assert len(plugin) >= 2


def test_plain_flake8_matches_cli_defaults_on_fixtures(cli: RunCli) -> None:
    # Without --select, flake8 shows the plugin's codes minus its default-ignored ones,
    # which are asyncheck's off-by-default rules.
    result = flake8("--isolated", "fixtures", cwd=ROOT)
    assert "Traceback" not in result.stderr
    found = flake8_findings(result.stdout, ROOT)
    plugin = {f for f in found if f[3].startswith("ACK")}
    rejected = {f[0] for f in found if f[3] == "E999"}
    expected = cli_findings(cli("fixtures", "--format", "json", cwd=ROOT), ROOT)
    assert plugin == without_files(expected, rejected)
    assert plugin


def test_cross_module_findings_match_the_cli_on_one_file(tmp_path: Path, cli: RunCli) -> None:
    # Like pre-commit, lint one module only: the other module is known through the index.
    write_shop(tmp_path)
    result = flake8("--isolated", "--select", "ACK", "shop/report.py", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    found = flake8_findings(result.stdout, tmp_path)
    expected = cli_findings(cli("shop/report.py", "--select", "ALL", "--format", "json",
                                cwd=tmp_path), tmp_path)
    assert found == expected
    annotated = {(f"{(tmp_path / path).resolve().as_posix()}", line, code)
                 for path, line, code in expected_findings(tmp_path)}
    assert {(path, line, code) for path, line, _, code in found} == annotated
    landed = CROSS_MODULE_CODES & set(all_rules())
    assert not landed or landed & {code for *_, code in found}


def test_without_project_markers_the_root_is_the_first_path_as_for_the_cli(
    tmp_path: Path, cli: RunCli
) -> None:
    # No pyproject.toml or .git: both doors take the project from the path given ("."),
    # not from each file's own directory (shop/reports/), so shop/pricing.py is indexed.
    write_shop(tmp_path, pyproject=False)
    (tmp_path / "shop" / "reports").mkdir()
    (tmp_path / "shop" / "reports" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "shop" / "reports" / "nightly.py").write_text(REPORT, encoding="utf-8")
    assert not any((parent / marker).exists() for parent in tmp_path.parents
                   for marker in ("pyproject.toml", ".git"))
    result = flake8("--isolated", "--select", "ACK", "--jobs", "2", ".", cwd=tmp_path)
    found = flake8_findings(result.stdout, tmp_path)
    assert found == cli_findings(cli(".", "--select", "ALL", "--format", "json", cwd=tmp_path),
                                 tmp_path)
    annotated = {((tmp_path / path).resolve().as_posix(), line, code)
                 for path, line, code in expected_findings(tmp_path)}
    assert {(path, line, code) for path, line, _, code in found} == annotated


def test_a_file_libcst_rejects_gives_ack000_and_flake8_goes_on(tmp_path: Path) -> None:
    # Python accepts a parenthesised annotated target; libcst's parser does not.
    (tmp_path / "a_settings.py").write_text("(x): int = 1\n", encoding="utf-8")
    (tmp_path / "worker.py").write_text(BLOCKING, encoding="utf-8")
    (tmp_path / "z_worker.py").write_text(BLOCKING, encoding="utf-8")
    result = flake8("--isolated", "--select", "ACK,E999", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr == ""
    found = {(Path(p).name, line, code) for p, line, _, code in
             flake8_findings(result.stdout, tmp_path)}
    assert found == {("a_settings.py", 1, "ACK000"), ("worker.py", 5, "ACK200"),
                     ("z_worker.py", 5, "ACK200")}
    assert ":ACK000:cannot parse:" in result.stdout


def test_flake8_owns_noqa_while_asyncheck_comments_still_apply(tmp_path: Path) -> None:
    (tmp_path / "jobs.py").write_text(
        "import time\n\n\n"
        "async def poll() -> None:\n"
        "    time.sleep(1)  # noqa: ACK200\n"
        "    time.sleep(2)  # asyncheck: ignore[ACK200]\n"
        "    time.sleep(3)\n",
        encoding="utf-8")
    found = {f[1] for f in flake8_findings(
        flake8("--isolated", "--select", "ACK", "jobs.py", cwd=tmp_path).stdout, tmp_path)}
    assert found == {7}
    # --disable-noqa is flake8's switch: the plugin must have yielded the noqa'd finding.
    found = {f[1] for f in flake8_findings(
        flake8("--isolated", "--select", "ACK", "--disable-noqa", "jobs.py",
               cwd=tmp_path).stdout, tmp_path)}
    assert found == {5, 7}


def test_another_linters_noqa_for_the_same_check_applies_in_both_doors(
        tmp_path: Path, cli: RunCli) -> None:
    # flake8-async's ASYNC230 is ACK230's check: the maintainers' decision holds for both.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (tmp_path / "files.py").write_text(
        "async def save(path, data):\n"
        "    with open(path, 'a') as out:  # noqa: ASYNC230\n"
        "        pass\n"
        "    with open(path) as out:  # noqa: ASYNC100\n"
        "        pass\n",
        encoding="utf-8")
    found = {f[1] for f in flake8_findings(
        flake8("--isolated", "--select", "ACK", "files.py", cwd=tmp_path).stdout, tmp_path)}
    assert found == {4}
    assert {f[1] for f in cli_findings(cli("files.py", "--select", "ACK230", "--format", "json",
                                           cwd=tmp_path),
                                       tmp_path)} == {4}


def test_flake8_extend_ignore_and_per_file_ignores_apply(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text(BLOCKING, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_worker.py").write_text(BLOCKING, encoding="utf-8")
    (tmp_path / "setup.cfg").write_text(
        "[flake8]\nselect = ACK\nper-file-ignores =\n    tests/*: ACK200\n", encoding="utf-8")
    found = {Path(f[0]).name for f in flake8_findings(flake8(".", cwd=tmp_path).stdout, tmp_path)}
    assert found == {"worker.py"}
    assert flake8("--extend-ignore", "ACK2", ".", cwd=tmp_path).stdout == ""


# -- options ------------------------------------------------------------------------------


@pytest.fixture
def in_directory(tmp_path: Path) -> Iterator[Path]:
    """Run in ``tmp_path`` (flake8 finds its configuration from the current directory)."""
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)
        AsyncheckPlugin.parse_options(_namespace())


def _namespace(**values: object) -> object:
    import argparse

    return argparse.Namespace(**values)


def parsed_options() -> dict[str, object]:
    """What the plugin kept from flake8's own option parsing of the configuration files."""
    from flake8.api import legacy

    legacy.get_style_guide()
    return dict(AsyncheckPlugin._overrides)


def test_options_are_read_from_setup_cfg(in_directory: Path) -> None:
    (in_directory / "setup.cfg").write_text(
        "[flake8]\n"
        "asyncheck-max-fanout = 7\n"
        "asyncheck-coroutine-functions = mylib.client.fetch,\n"
        "    mylib.client.post\n"
        "asyncheck-limiters = mylib.throttle.RateLimiter\n"
        "asyncheck-blocking-calls =\n"
        "    mylib.legacy.*=use mylib.aio, or asyncio.to_thread\n"
        "    pandas.read_csv=use asyncio.to_thread\n",
        encoding="utf-8")
    assert parsed_options() == {
        "max-fanout": 7,
        "coroutine-functions": ["mylib.client.fetch", "mylib.client.post"],
        "limiters": ["mylib.throttle.RateLimiter"],
        "blocking-calls": {"mylib.legacy.*": "use mylib.aio, or asyncio.to_thread",
                           "pandas.read_csv": "use asyncio.to_thread"},
    }


@pytest.mark.parametrize("config_name", ["tox.ini", ".flake8"])
def test_options_are_read_from_tox_ini_and_dot_flake8(in_directory: Path, config_name: str) -> None:
    (in_directory / config_name).write_text("[flake8]\nasyncheck-max-fanout = 3\n",
                                            encoding="utf-8")
    assert parsed_options() == {"max-fanout": 3}


def test_flake8_options_win_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.asyncheck]\nmax-fanout = 5\nlimiters = ['app.Gate']\nignore = ['ACK200']\n"
        "per-file-ignores = { 'tests/*' = ['ACK100'] }\n",
        encoding="utf-8")
    settings = plugin_settings(tmp_path / "pyproject.toml", {"max-fanout": 30}, tmp_path)
    assert settings.max_fanout == 30
    assert settings.limiters == ("app.Gate",)
    # Selection is flake8's: every rule runs, asyncheck's own ignores are set aside.
    assert settings.enabled_codes({c: r.default_enabled for c, r in all_rules().items()}) \
        == frozenset(all_rules())
    assert settings.per_file_ignores == ()


def test_pyproject_settings_reach_the_rules(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.asyncheck]\nblocking-calls = { 'legacy.fetch' = 'use legacy.afetch' }\n"
        "coroutine-functions = ['vendor.client.fetch']\n", encoding="utf-8")
    (tmp_path / "svc.py").write_text(
        "import legacy\nimport vendor.client\n\n\n"
        "async def handler() -> None:\n"
        "    legacy.fetch()  # expect: ACK280\n"
        "    vendor.client.fetch()  # expect: ACK100\n", encoding="utf-8")
    found = {(f[1], f[3]) for f in flake8_findings(
        flake8("--isolated", "--select", "ACK", "svc.py", cwd=tmp_path).stdout, tmp_path)}
    assert found == {(line, code) for _, line, code in expected_findings(tmp_path)}


def test_bad_option_value_is_ack000_on_every_file_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BLOCKING, encoding="utf-8")
    (tmp_path / "b.py").write_text(BLOCKING, encoding="utf-8")
    result = flake8("--isolated", "--select", "ACK", "--asyncheck-max-fanout", "0", ".",
                    cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all(":1:1:ACK000:configuration error: flake8 options: 'max-fanout' must be a "
               "positive integer" in line for line in lines)
    result = flake8("--isolated", "--select", "ACK", "--asyncheck-blocking-calls", "oops", ".",
                    cwd=tmp_path)
    assert "'oops' is not PATTERN=SUGGESTION" in result.stdout


def test_invalid_pyproject_is_ack000_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.asyncheck\n", encoding="utf-8")
    (tmp_path / "a.py").write_text(BLOCKING, encoding="utf-8")
    result = flake8("--isolated", "--select", "ACK", "a.py", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "ACK000:configuration error:" in result.stdout and "not valid TOML" in result.stdout


def test_run_never_raises() -> None:
    # Whatever goes wrong inside is one ACK000 at line 1, so flake8 goes on.
    plugin = AsyncheckPlugin(None, "broken.py", None)  # type: ignore[arg-type]
    [(line, column, text, kind)] = list(plugin.run())
    assert (line, column, kind) == (1, 0, AsyncheckPlugin)
    assert text.startswith("ACK000 internal error in asyncheck: TypeError")


def test_blocking_call_pairs_keep_commas_inside_suggestions() -> None:
    assert parse_blocking_calls("a.b=use c, or d, e.*=use f\n  g.h = use i ") == {
        "a.b": "use c, or d", "e.*": "use f", "g.h": "use i"}


# -- the README's flake8 snippet ----------------------------------------------------------


def test_readme_flake8_snippet_configures_the_plugin(in_directory: Path, cli: RunCli) -> None:
    snippet = readme_snippet("flake8", "ini")
    (in_directory / "setup.cfg").write_text(snippet, encoding="utf-8")
    overrides = parsed_options()
    assert set(overrides) == {"max-fanout", "coroutine-functions", "limiters", "blocking-calls"}
    assert "mylib.legacy.*" in overrides["blocking-calls"]  # type: ignore[operator]
    # And they reach the rules when flake8 runs with the snippet as its configuration.
    (in_directory / "app.py").write_text(
        "import mylib.client\nimport mylib.legacy\n\n\n"
        "async def sync_orders() -> None:\n"
        "    mylib.client.fetch('orders')  # expect: ACK100\n"
        "    mylib.legacy.download('orders')  # expect: ACK280\n", encoding="utf-8")
    result = flake8("--select", "ACK", "app.py", cwd=in_directory)
    assert "Traceback" not in result.stderr
    found = {(f[1], f[3]) for f in flake8_findings(result.stdout, in_directory)}
    assert found == {(line, code) for _, line, code in expected_findings(in_directory)}
