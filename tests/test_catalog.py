"""The rule catalogue is read from the rule classes' source and agrees with them."""

from __future__ import annotations

from asyncheck.app.registry import all_rules
from asyncheck.core.catalog import CATALOG, RuleInfo, _rule_infos, documentation, summary


def test_catalog_matches_rule_classes() -> None:
    assert {code: (info.name, info.default_enabled, info.fixable) for code, info in CATALOG.items()} == {
        code: (rule.name, rule.default_enabled, rule.fixable) for code, rule in all_rules().items()}


def test_a_rule_module_is_all_the_catalogue_needs() -> None:
    # What a new rule module's text gives the catalogue: its own attributes, the base
    # class's defaults for the ones it leaves out, and nothing from helper classes.
    source = '''
class _Helper:
    limit = 3


class SlowThing(Rule):
    """Doc."""

    code = "ACK999"
    name = "slow-thing"
    default_enabled = False
    message = "..."


class Quick(BlockingCallRule):
    code: ClassVar[str] = "ACK998"  # annotated
    name = "quick"
    fixable = True


def helper():
    name = "not-a-rule"
    fixable = False
'''
    assert _rule_infos(source) == {
        "ACK999": RuleInfo("slow-thing", default_enabled=False, fixable=False),
        "ACK998": RuleInfo("quick", default_enabled=True, fixable=True),
    }


def test_documentation_read_from_source_is_the_rule_docstring() -> None:
    # --explain reads it with ast, without importing the rules.
    for code, rule in all_rules().items():
        assert documentation(code) == rule.documentation() != ""
        assert summary(documentation(code)) == rule.summary() != ""
    assert documentation("ACK999") == ""
