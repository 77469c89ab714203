"""Event-loop and cancellation rules (ACK400-ACK403, ACK500) beyond their examples.

The documentation's code blocks are what users copy: the *Example* must be reported and the
*Use instead* must not, or the docs teach the wrong thing.
"""

from __future__ import annotations

import re

import pytest

from asyncheck.app.registry import all_rules
from asyncheck.doors.testing import lint_source

CODES = ("ACK400", "ACK401", "ACK402", "ACK403", "ACK500")
_BLOCK_RE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _blocks(code: str, section: str) -> list[str]:
    return _BLOCK_RE.findall(all_rules()[code].sections()[section])


@pytest.mark.parametrize("code", CODES)
def test_documented_example_is_reported(code: str) -> None:
    blocks = _blocks(code, "Example")
    assert blocks
    for block in blocks:
        assert [d for d in lint_source(block, codes=[code])], block


@pytest.mark.parametrize("code", CODES)
def test_documented_way_out_is_not_reported(code: str) -> None:
    blocks = _blocks(code, "Use instead")
    assert blocks
    for block in blocks:
        assert [d for d in lint_source(block, codes=[code])] == [], block


def test_windows_work_around_is_one_finding_per_statement() -> None:
    source = (
        "import asyncio\nimport sys\n\n"
        "if sys.platform == 'win32':\n"
        "    asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())\n"
        "    asyncio.set_event_loop_policy(policy=asyncio.WindowsProactorEventLoopPolicy())\n"
    )
    found = [(d.line, d.code) for d in lint_source(source)]
    assert sorted(f for f in found if f[1].startswith("ACK4")) == [(5, "ACK402"), (6, "ACK402")]


def test_session_leak_and_swallowed_cancellation_in_one_worker() -> None:
    """Each rule reports its own defect in a worker that has both, and nothing else."""
    source = (
        "import asyncio\nimport aiohttp\n\n"
        "async def fetch(session, url):\n"
        "    async with session.get(url) as resp:\n        return await resp.text()\n\n"
        "async def worker(queue):\n"
        "    session = aiohttp.ClientSession()\n"
        "    while True:\n        url = await queue.get()\n        try:\n"
        "            print(await fetch(session, url))\n"
        "        except BaseException:\n            print('failed', url)\n"
        "        finally:\n            queue.task_done()\n"
    )
    found = sorted((d.line, d.code) for d in lint_source(source, codes=list(CODES)))
    assert found == [(9, "ACK403"), (14, "ACK500")]
