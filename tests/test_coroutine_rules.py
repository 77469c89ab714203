"""ACK100-ACK102 beyond the rule examples: one-file runs of a package, fixes, data flow."""

from __future__ import annotations

from pathlib import Path

from asyncheck.core.config import Settings
from asyncheck.app.runner import run
from asyncheck.doors.testing import lint_source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_linting_only_the_caller_module_reports_cross_module_findings() -> None:
    # As pre-commit does: only the changed file is passed; fetchers.py is not linted.
    caller = FIXTURES / "report_pkg" / "jobs.py"
    result = run([str(caller)], Settings(select=("ACK100", "ACK101")))
    found = sorted((d.line, d.code) for d in result.diagnostics)
    expected = sorted(
        (number, code)
        for number, line in enumerate(caller.read_text(encoding="utf-8").splitlines(), start=1)
        for code in ("ACK100", "ACK101")
        if f"expect: {code}" in line
    )
    assert result.files_checked == 1
    assert found == expected
    assert {code for _, code in found} == {"ACK100", "ACK101"}
    messages = [d.message for d in result.diagnostics]
    assert any("fetch_report" in m for m in messages)
    assert any("`summaries`" in m and "fetch_summary" in m for m in messages)


def test_await_fix_is_offered_only_inside_async_def() -> None:
    source = (
        "import asyncio\n\n"
        "async def tick():\n    asyncio.sleep(1)\n\n"
        "def sync_tick():\n    asyncio.sleep(1)\n"
    )
    found = lint_source(source, codes=["ACK100"])
    assert [(d.line, d.fix is not None) for d in found] == [(4, True), (7, False)]


def test_each_collection_is_reported_once() -> None:
    source = (
        "async def ping(host):\n    ...\n\n"
        "async def sweep(hosts):\n"
        "    probes = []\n"
        "    for host in hosts:\n"
        "        probes.append(ping(host))\n"
        "        probes.append(ping(host + ':8080'))\n"
        "    probes += [ping('gateway')]\n"
    )
    found = lint_source(source, codes=["ACK100", "ACK101"])
    assert [(d.code, d.line) for d in found] == [("ACK101", 5)]


def test_names_read_by_a_closure_or_declared_global_are_not_followed() -> None:
    source = (
        "import asyncio\n\n"
        "async def fetch():\n    ...\n\n"
        "def later(loop):\n"
        "    coro = fetch()\n"
        "    def run():\n        loop.run_until_complete(coro)\n"
        "    return run\n\n"
        "pending = None\n\n"
        "def prepare():\n"
        "    global pending\n"
        "    pending = fetch()\n"
    )
    assert lint_source(source, codes=["ACK100"]) == []


def test_tasks_kept_only_for_a_callback_and_tasks_handed_on() -> None:
    source = (
        "import asyncio\n\n"
        "async def job():\n    ...\n\n"
        "async def start(registry):\n"
        "    kept = asyncio.create_task(job())\n"
        "    registry.append(kept)\n"
        "    lost = asyncio.create_task(job())\n"
        "    lost.add_done_callback(print)\n"
        "    asyncio.create_task(job()).add_done_callback(registry.remove)\n"
    )
    found = lint_source(source, codes=["ACK102"])
    assert [d.line for d in found] == [9, 11]
