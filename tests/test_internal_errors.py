"""A rule that raises costs only its own findings in that file, and says so."""

from __future__ import annotations

import libcst as cst

from asyncheck.semantics.project import ProjectIndex
from asyncheck.core.config import Settings
from asyncheck.lint.rule import Rule
from asyncheck.app.registry import all_rules
from asyncheck.app.runner import RunResult

SOURCE = b"import time\n\n\nasync def poll():\n    time.sleep(1)\n"


class ExplodingRule(Rule):
    """A deliberately broken rule (not registered)."""

    code = "ACK999"
    name = "exploding"
    message = "never"

    def visit_Call(self, node: cst.Call) -> None:
        raise ValueError("boom")


def test_raising_rule_gives_internal_error_and_other_rules_still_report() -> None:
    from asyncheck.lint.engine import Linter

    linter = Linter([all_rules()["ACK200"], ExplodingRule], Settings(), ProjectIndex.empty())
    result = linter.lint_bytes("poll.py", SOURCE, module_name="poll")
    codes = [(d.code, d.line) for d in result.diagnostics]
    assert ("ACK200", 5) in codes
    [internal] = [d for d in result.diagnostics if d.internal_error]
    assert internal.code == "ACK000"
    assert "internal error in rule ACK999 (exploding): ValueError: boom" in internal.message
    assert "please report" in internal.message
    assert RunResult(diagnostics=result.diagnostics).internal_errors == 1
