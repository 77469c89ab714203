"""The README is part of the product: its Quick start and rule table must stay true."""

from __future__ import annotations

import re
from pathlib import Path

from asyncheck.app.registry import all_rules

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_exactly_two_commands_and_ci_runs_the_second() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "asyncheck fixtures/" in commands[0]
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci and "set -euo pipefail" in ci


def test_rule_table_matches_the_registry() -> None:
    rows = re.findall(r"^\| \[(ACK\d{3})\]\(docs/rules/(ACK\d{3})\.md\) \| ([a-z0-9-]+) \| "
                      r"(on|off) \| (yes)? ?\|", README, re.M)
    assert all(code == page for code, page, *_ in rows), "a row links another rule's page"
    documented = {code: (name, default, fix == "yes") for code, _, name, default, fix in rows}
    actual = {code: (rule.name, "on" if rule.default_enabled else "off", rule.fixable)
              for code, rule in all_rules().items()}
    assert documented == actual
