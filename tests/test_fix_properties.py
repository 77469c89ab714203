"""Fix properties: the fixed source parses and a second --fix changes nothing.

Checked on every fixture file and on hypothesmith-generated programs placed inside an
``async def`` next to the calls the fixable rules rewrite.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings

from asyncheck.syntax.parse import parse_source
from asyncheck.doors.testing import fix_source_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXAMPLES = int(os.environ.get("ASYNCHECK_FUZZ_EXAMPLES", "30"))


def assert_fix_is_safe(source: str, filename: str = "example.py") -> str:
    first = fix_source_text(source, filename=filename)
    parse_source(first.text)
    second = fix_source_text(first.text, filename=filename)
    assert second.text == first.text, "a second --fix changed the file again"
    assert not second.fixed
    return first.text


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.py")), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixing_fixture_files_is_safe_and_idempotent(path: Path) -> None:
    assert_fix_is_safe(path.read_text(encoding="utf-8"), filename=path.name)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100,
          suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar(auto_target=False))
def test_fixing_generated_async_programs_is_safe_and_idempotent(program: str) -> None:
    body = textwrap.indent(program or "pass\n", "    ")
    source = (
        "import asyncio, time\n\n\nasync def poll(session):\n"
        "    time.sleep(1)\n"
        "    loop = asyncio.get_event_loop()\n"
        "    asyncio.sleep(0)\n"
        f"{body}\n"
        "    x = time.sleep(2)\n"
    )
    fixed = assert_fix_is_safe(source)
    if fixed != source:
        assert "await asyncio.sleep(1)" in fixed
