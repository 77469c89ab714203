"""``--format full``, ``gitlab`` and ``junit`` from the command line."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import RunCli

SOURCE = """import time


def helper():
    time.sleep(1)


async def handler():
    helper()
    time.sleep(2)
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "app.py").write_text(SOURCE)
    (tmp_path / "clean.py").write_text("x = 1\n")
    return tmp_path


def test_full_shows_code_caret_chain_and_fix(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    result = cli("--no-cache", "--select", "ACK200,ACK290", "--format", "full", ".",
                 cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "\x1b[" not in out  # no colours on a pipe
    assert "app.py:9:5: ACK290" in out
    assert " 9 |     helper()\n   |     ^^^^^^^^ ACK290\n" in out
    assert "   = chain: handler -> helper -> time.sleep\n" in out
    assert "10 |     time.sleep(2)\n   |     ^^^^^^^^^^^^^ ACK200\n" in out
    assert "   |   -    time.sleep(2)\n   |   +    await asyncio.sleep(2)\n" in out
    assert out.endswith("\n\nFound 2 problems in 1 file (1 fixable with --fix).\n")
    assert (tmp_path / "app.py").read_text() == SOURCE  # showing a fix changes nothing
    coloured = cli("--no-cache", "--select", "ACK200", "--format", "full", "--color", ".",
                   cwd=tmp_path)
    assert "\x1b[" in coloured.stdout


def test_full_aligns_the_caret_under_tabs(tmp_path: Path, cli: RunCli) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "t.py").write_text(
        'import time\n\nasync def f():\n\tprint("a\\tb", time.sleep(1))\n')
    out = cli("--no-cache", "--format", "full", "t.py", cwd=tmp_path).stdout
    assert ('4 |     print("a\\tb", time.sleep(1))\n'
            '  |                   ^^^^^^^^^^^^^ ACK200\n  |\n') in out


def test_full_reads_standard_input(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    result = cli("--format", "full", "--select", "ACK200", "-", "--stdin-filename", "x.py",
                 cwd=tmp_path, input=SOURCE)
    assert "10 |     time.sleep(2)\n   |     ^^^^^^^^^^^^^ ACK200\n" in result.stdout


def test_gitlab_code_quality(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    result = cli("--no-cache", "--select", "ACK200,ACK290", "--format", "gitlab", ".",
                 cwd=tmp_path)
    issues = json.loads(result.stdout)
    assert isinstance(issues, list) and len(issues) == 2
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(issue["location"]["path"], str)
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"])
            for i in issues] == [("ACK290", "app.py", 9), ("ACK200", "app.py", 10)]
    assert len({i["fingerprint"] for i in issues}) == 2
    # A finding that only moved keeps its fingerprint.
    (tmp_path / "app.py").write_text("# moved\n" + SOURCE)
    moved = json.loads(cli("--no-cache", "--select", "ACK200,ACK290", "--format", "gitlab",
                           ".", cwd=tmp_path).stdout)
    assert [i["fingerprint"] for i in moved] == [i["fingerprint"] for i in issues]
    clean = cli("--no-cache", "--format", "gitlab", "clean.py", cwd=tmp_path)
    assert json.loads(clean.stdout) == []


def test_junit_xml(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    (tmp_path / "odd.py").write_text("import time\nasync def f():\n    time.sleep(1)  # <&>\x0c\n")
    result = cli("--no-cache", "--format", "junit", ".", cwd=tmp_path)
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "asyncheck"
    cases = suite.findall("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == 2 == int(suite.get("failures", "0"))
    assert len(cases) == int(suite.get("tests", "0")) == 3  # clean.py passes
    failure = failures[0].find("failure")
    assert failure is not None and failure.get("type") == "ACK200"
    assert {c.get("file") for c in failures} == {"app.py", "odd.py"}
    empty = ET.fromstring(cli("--no-cache", "--format", "junit", "clean.py", cwd=tmp_path).stdout)
    assert empty.get("failures") == "0" and empty.get("tests") == "1"
