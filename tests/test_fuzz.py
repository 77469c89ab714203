"""Property test: no generated program makes the engine raise.

hypothesmith generates syntactically valid programs from Python's grammar; a second strategy
wraps them in ``async def`` with ``await`` sprinkled in so that the async rules get exercised.
The example count is modest in the normal run; ``ASYNCHECK_FUZZ_EXAMPLES=5000`` for a long run.
"""

from __future__ import annotations

import os
import textwrap

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asyncheck.semantics.project import ProjectIndex
from asyncheck.core.config import Settings
from asyncheck.lint.engine import Linter
from asyncheck.app.registry import all_rules

EXAMPLES = int(os.environ.get("ASYNCHECK_FUZZ_EXAMPLES", "40"))
LINTER = Linter(list(all_rules().values()), Settings(select=("ALL",)), ProjectIndex.empty())
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100,
                suppress_health_check=list(HealthCheck))


def asyncify(program: str, awaited: str) -> str:
    """Put the program in an ``async def`` body, with calls that some rules look for."""
    body = textwrap.indent(program or "pass\n", "    ")
    return (
        "import asyncio, time, requests\n"
        "async def main(session, urls):\n"
        f"    await {awaited}\n"
        "    tasks = [session.get(u) for u in urls]\n"
        "    time.sleep(1)\n"
        f"{body}\n"
        "    await asyncio.gather(*tasks)\n"
    )


def check(source: str) -> None:
    result = LINTER.lint_bytes("fuzz.py", source.encode("utf-8", "surrogatepass"),
                               module_name="fuzz")
    internal = [d for d in result.diagnostics if d.internal_error]
    assert not internal, (internal, source)


@FUZZ
@given(hypothesmith.from_grammar())
def test_generated_programs_never_crash_the_engine(source: str) -> None:
    check(source)


@FUZZ
@given(hypothesmith.from_grammar(auto_target=False),
       st.sampled_from(["asyncio.sleep(0)", "session.close()", "asyncio.wait_for(x, 1)"]))
def test_generated_async_programs_never_crash_the_engine(source: str, awaited: str) -> None:
    check(asyncify(source, awaited))
