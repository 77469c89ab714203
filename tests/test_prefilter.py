"""The pre-filter skips parsing, never findings."""

from __future__ import annotations

from pathlib import Path

from asyncheck.config import Settings
from asyncheck.prefilter import PreFilter
from asyncheck.runner import enabled_rules, run

ROOT = Path(__file__).resolve().parents[1]


def _findings(paths: list[str], settings: Settings, *, prefilter: bool) -> list[tuple[str, int, str]]:
    result = run(paths, settings, prefilter=prefilter, jobs=1)
    return [(d.path, d.line, d.code) for d in result.diagnostics]


def test_same_findings_with_and_without_prefilter_on_fixtures() -> None:
    for settings in (Settings(), Settings(select=("ALL",)), Settings(select=("ACK2",))):
        assert _findings([str(ROOT / "fixtures")], settings, prefilter=True) == _findings(
            [str(ROOT / "fixtures")], settings, prefilter=False)


def test_prefilter_skips_files_without_triggers_but_not_broken_ones(tmp_path: Path) -> None:
    rules = [r for r in enabled_rules(Settings(select=("ACK0", "ACK2")))]
    skipper = PreFilter(rules, Settings(), [])
    assert skipper.active
    assert not skipper.may_report(b"import time\n\ndef poll():\n    time.sleep(1)\n")
    assert skipper.may_report(b"import time\n\nasync def poll():\n    time.sleep(1)\n")
    # CPython rejects it: it must be parsed so that ACK000 is reported.
    assert skipper.may_report(b"def broken(:\n")
    assert skipper.may_report(b"x = '\xff'\n")


def test_project_coroutine_names_are_triggers_for_sync_callers(tmp_path: Path) -> None:
    (tmp_path / "client.py").write_text("async def refresh_prices():\n    return 1\n")
    caller = tmp_path / "main.py"
    caller.write_text("from client import refresh_prices\n\nrefresh_prices()\n")
    rules = enabled_rules(Settings(select=("ACK0", "ACK1")))
    skipper = PreFilter(rules, Settings(), [tmp_path / "client.py", caller])
    assert skipper.active
    assert skipper.may_report(caller.read_bytes())
    # Without the project's coroutine functions the same bytes hold nothing to check.
    assert not PreFilter(rules, Settings(), [caller]).may_report(caller.read_bytes())
    findings = run([str(caller)], Settings(select=("ACK1",)), jobs=1)
    assert [(d.line, d.code) for d in findings.diagnostics] == [(3, "ACK100")]


def test_valid_python_that_libcst_rejects_is_still_reported(tmp_path: Path) -> None:
    (tmp_path / "odd.py").write_text("(x): int = 1\n")
    result = run([str(tmp_path)], Settings(), jobs=1)
    assert [(d.line, d.code) for d in result.diagnostics] == [(1, "ACK000")]


def test_coroutine_names_are_whole_words_and_methods_count_by_class(tmp_path: Path) -> None:
    client = tmp_path / "client.py"
    client.write_text("class Client:\n    async def fetch(self):\n        return 1\n\n\n"
                      "async def f():\n    return 2\n")
    rules = enabled_rules(Settings(select=("ACK1",)))
    skipper = PreFilter(rules, Settings(), [client])
    assert skipper.may_report(b"from client import Client\n\nClient().fetch()\n")
    assert skipper.may_report(b"from client import f\n\nf()\n")
    # "f" inside other words, or a method name alone, does not make a file worth parsing.
    assert not skipper.may_report(b"def fetch(url):\n    return format(url)\n")
