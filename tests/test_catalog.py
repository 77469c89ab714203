"""The plain-data rule catalogue agrees with the rule classes."""

from __future__ import annotations

from asyncheck.core.catalog import CATALOG, documentation, summary
from asyncheck.app.registry import all_rules


def test_catalog_matches_rule_classes() -> None:
    assert {code: (info.name, info.default_enabled, info.fixable) for code, info in CATALOG.items()} == {
        code: (rule.name, rule.default_enabled, rule.fixable) for code, rule in all_rules().items()}


def test_documentation_read_from_source_is_the_rule_docstring() -> None:
    # --explain reads it with ast, without importing the rules.
    for code, rule in all_rules().items():
        assert documentation(code) == rule.documentation() != ""
        assert summary(documentation(code)) == rule.summary() != ""
    assert documentation("ACK999") == ""
