"""A rule takes part in a file's visit only when the file holds one of its triggers.

``TRIGGERS`` promise that a rule reports nothing in a file without any of those words; the
pre-filter skips such files entirely when every enabled rule agrees, and the engine leaves a
rule out of the visit of any file that lacks its own triggers.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from asyncheck.semantics.project import ProjectIndex
from asyncheck.core.config import Settings
from asyncheck.lint.engine import Linter
from asyncheck.lint.rule import Rule
from asyncheck.rules.ack200_blocking_sleep import BlockingSleep
from asyncheck.rules.ack401_get_event_loop import GetEventLoop
from asyncheck.doors.testing import lint_source

#: A worker with plenty of calls, none of them ``get_event_loop``.
WORKER = '''\
import asyncio
import logging

import aiohttp

log = logging.getLogger(__name__)


async def fetch_all(urls: list[str]) -> list[bytes]:
    async with aiohttp.ClientSession() as session:
        bodies = []
        for url in urls:
            async with session.get(url) as response:
                response.raise_for_status()
                bodies.append(await response.read())
        log.info("fetched %d pages", len(bodies))
        return bodies
'''

#: A legacy entry point that asks for the loop the old way.
LEGACY_MAIN = '''\
import asyncio


async def serve(port: int) -> None:
    loop = asyncio.get_event_loop()
    server = await loop.create_server(asyncio.Protocol, "127.0.0.1", port)
    async with server:
        await server.serve_forever()
'''


class CountingGetEventLoop(GetEventLoop):
    """ACK401 that notes every call it is shown, by file."""

    shown: ClassVar[list[str]] = []

    def visit_Call(self, node: cst.Call) -> None:
        CountingGetEventLoop.shown.append(self.context.path)
        super().visit_Call(node)


def _linter(rules: list[type[Rule]]) -> Linter:
    return Linter(rules, Settings(), ProjectIndex.empty())


def _lint(linter: Linter, path: str, source: str) -> list[str]:
    result = linter.lint_bytes(path, source.encode(), module_name=path.removesuffix(".py"))
    return [f"{d.code}:{d.line}" for d in result.diagnostics]


def test_a_rule_whose_triggers_the_file_lacks_is_not_run() -> None:
    CountingGetEventLoop.shown.clear()
    linter = _linter([CountingGetEventLoop, BlockingSleep])
    assert _lint(linter, "worker.py", WORKER) == []
    assert CountingGetEventLoop.shown == []
    assert _lint(linter, "legacy.py", LEGACY_MAIN) == ["ACK401:5"]
    assert set(CountingGetEventLoop.shown) == {"legacy.py"}


def test_a_trigger_split_by_a_line_continuation_still_counts() -> None:
    source = "import time\n\n\nasync \\\n  def poll() -> None:\n    time.sleep(1)\n"
    assert [d.code for d in lint_source(source, codes=["ACK200"])] == ["ACK200"]


def test_rules_that_follow_the_projects_coroutine_names_run_without_their_words() -> None:
    # No `async`, `await` or `gather` here: the coroutine function is another file's.
    source = 'from app.client import fetch\n\n\ndef main() -> None:\n    fetch("https://example.org")\n'
    found = lint_source(source, codes=["ACK100"], filename="app/cli.py", other_files={
        "app/__init__.py": "",
        "app/client.py": "async def fetch(url: str) -> bytes:\n    return b''\n",
    })
    assert [(d.code, d.line) for d in found] == [("ACK100", 5)]


def test_triggers_are_read_as_the_pre_filter_reads_them() -> None:
    from asyncheck.rules.ack402_event_loop_policy import EventLoopPolicy

    # Substrings: the policy class names end in the trigger.
    assert EventLoopPolicy.triggered_by(
        "asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())")
    assert not EventLoopPolicy.triggered_by("loop = asyncio.new_event_loop()")
    # A space is any run of blanks and line continuations.
    assert BlockingSleep.triggered_by("async\t \\\n    def poll():")
    assert not BlockingSleep.triggered_by("asyncdef = 1\nasync_ def = 2")
