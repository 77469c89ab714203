"""The command line as users meet it: the installed script, real files, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, RunCli, run_in_fresh_process

BLOCKING = "import time\n\n\nasync def fetch(url):\n    time.sleep(1)\n    return url\n"
CLEAN = "import asyncio\n\n\nasync def fetch(url):\n    await asyncio.sleep(1)\n    return url\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_reports_finding_in_text_format_and_exits_1(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", BLOCKING)
    result = cli("app.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("app.py:5:5: ACK200 `time.sleep(...)`")
    assert "Found 1 problem in 1 file (1 fixable with --fix)." in result.stdout
    assert result.stderr == ""


def test_clean_tree_exits_0(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", CLEAN)
    result = cli(cwd=tmp_path)
    assert result.returncode == 0
    assert "All checks passed (1 file checked)." in result.stdout


def test_json_format_has_the_documented_fields(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", BLOCKING)
    result = cli("--format", "json", "app.py", cwd=tmp_path)
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)
    assert set(finding) == {"code", "name", "message", "path", "line", "column", "end_line",
                            "end_column", "fix"}
    assert (finding["code"], finding["name"], finding["line"], finding["column"]) == (
        "ACK200", "blocking-sleep", 5, 5)


def test_output_file_and_exit_zero(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", BLOCKING)
    result = cli("--exit-zero", "--output", "report.txt", "app.py", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == ""
    assert "ACK200" in (tmp_path / "report.txt").read_text()


def test_stdin_with_filename(tmp_path: Path, cli: RunCli) -> None:
    result = cli("-", "--stdin-filename", "svc/app.py", cwd=tmp_path, input=BLOCKING)
    assert result.returncode == 1
    assert result.stdout.startswith("svc/app.py:5:5: ACK200")


def test_select_ignore_and_statistics(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", BLOCKING)
    assert cli("--ignore", "ACK200", "app.py", cwd=tmp_path).returncode == 0
    assert cli("--select", "ACK0", "app.py", cwd=tmp_path).returncode == 0
    stats = cli("--statistics", "--select", "ACK2", "app.py", cwd=tmp_path)
    assert stats.returncode == 1
    assert any(line.split() == ["1", "ACK200", "blocking-sleep"] for line in stats.stdout.splitlines())


def test_quiet_prints_findings_only(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", BLOCKING)
    result = cli("--quiet", "app.py", cwd=tmp_path)
    assert result.stdout.count("\n") == 1 and "Found" not in result.stdout


def test_unknown_code_on_command_line_is_usage_error(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", BLOCKING)
    result = cli("--select", "ACK999", "app.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "ACK999" in result.stderr and "Traceback" not in result.stderr


def test_nonexistent_path_is_exit_2_and_others_still_reported(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", BLOCKING)
    result = cli("missing.py", "app.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "asyncheck: missing.py: no such file or directory"
    assert "app.py:5:5: ACK200" in result.stdout


def test_unparsable_file_does_not_stop_the_run(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "a_bad.py", "(x): int = 1\n")
    write(tmp_path / "b_app.py", BLOCKING)
    result = cli("--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1
    codes = [(f["path"], f["code"]) for f in json.loads(result.stdout)]
    assert codes == [("a_bad.py", "ACK000"), ("b_app.py", "ACK200")]


def test_list_rules_and_explain(cli: RunCli) -> None:
    listing = cli("--list-rules")
    assert listing.returncode == 0
    assert any(line.split()[:4] == ["ACK200", "blocking-sleep", "on", "yes"]
               for line in listing.stdout.splitlines())
    rules = json.loads(cli("--list-rules", "--format", "json").stdout)
    assert {"code", "name", "default", "fixable"} <= set(rules[0])
    explain = cli("--explain", "ACK200")
    assert explain.returncode == 0
    assert "## Why is this bad?" in explain.stdout and "time.sleep" in explain.stdout
    assert json.loads(cli("--explain", "ack200", "--format", "json").stdout)["name"] == "blocking-sleep"
    unknown = cli("--explain", "ACK999")
    assert unknown.returncode == 2 and "unknown rule code" in unknown.stderr


def test_version(cli: RunCli) -> None:
    result = cli("--version")
    assert result.returncode == 0 and "asyncheck" in result.stdout


def test_config_from_pyproject_and_errors_name_the_file(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", BLOCKING)
    write(tmp_path / "pyproject.toml", '[tool.asyncheck]\nignore = ["ACK200"]\n')
    assert cli("app.py", cwd=tmp_path).returncode == 0

    write(tmp_path / "pyproject.toml", '[tool.asyncheck]\nignore = ["ACK200"]\nmax-fanuot = 3\n')
    result = cli("app.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "pyproject.toml" in result.stderr and "max-fanuot" in result.stderr
    assert "did you mean 'max-fanout'" in result.stderr

    write(tmp_path / "pyproject.toml", "[tool.asyncheck\n")
    broken = cli("app.py", cwd=tmp_path)
    assert broken.returncode == 2 and "not valid TOML" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_explicit_config_file(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", BLOCKING)
    write(tmp_path / "strict.toml", '[tool.asyncheck]\nselect = ["ACK0"]\n')
    assert cli("--config", "strict.toml", "app.py", cwd=tmp_path).returncode == 0
    missing = cli("--config", "nope.toml", "app.py", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.toml" in missing.stderr


def test_noqa_and_ignore_comments(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", (
        "import time\n\n\nasync def fetch(url):\n"
        "    time.sleep(1)  # noqa: ACK200\n"
        "    time.sleep(2)  # asyncheck: ignore[ACK200]\n"
        "    time.sleep(3)  # noqa\n"
        "    time.sleep(4)  # noqa: ACK101\n"
        "    time.sleep(\n        5,\n    )  # not the first line: still reported\n"
        "    time.sleep(  # asyncheck: ignore\n        6,\n    )\n"
    ))
    result = cli("--format", "json", "app.py", cwd=tmp_path)
    assert [f["line"] for f in json.loads(result.stdout)] == [8, 9]


def test_quick_start_runs_on_the_bundled_fixtures(cli: RunCli) -> None:
    result = cli("fixtures/", cwd=ROOT)
    assert result.returncode == 1
    assert "fixtures/seed/buggy_fetch.py:8:5: ACK200" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("args", [
    ["--version"], ["--explain", "ACK300"], ["--explain", "ACK300", "--format", "json"],
    ["--list-rules"], ["--list-rules", "--format", "json"],
])
def test_version_explain_and_list_rules_do_not_import_libcst(args: list[str]) -> None:
    assert run_in_fresh_process(args) == (0, False)


def test_python_warnings_about_the_analysed_code_are_not_printed(tmp_path: Path, cli: RunCli) -> None:
    write(tmp_path / "app.py", 'LEVEL = 1\nif LEVEL is "debug":\n    print(1())\n')
    result = cli("--no-cache", "app.py", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
