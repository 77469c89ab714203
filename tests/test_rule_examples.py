"""Every example of every rule, and every rule's documentation, as tests."""

from __future__ import annotations

import pytest

from asyncheck.lint.rule import Invalid, Rule, Valid, documentation_problems
from asyncheck.app.registry import all_rules
from asyncheck.doors.testing import fix_source_text, lint_source

RULES = all_rules()


def _cases(kind: str) -> list[object]:
    cases = []
    for code, rule in RULES.items():
        examples = rule.VALID if kind == "valid" else rule.INVALID
        for number, example in enumerate(examples):
            cases.append(pytest.param(rule, example, id=f"{code}-{kind}-{number}"))
    return cases


@pytest.mark.parametrize(("rule", "example"), _cases("valid"))
def test_valid_example_is_not_reported(rule: type[Rule], example: Valid) -> None:
    found = lint_source(example.code, options=example.options, filename=example.filename,
                        other_files=example.other_files)
    reported = [d for d in found if d.code == rule.code]
    assert reported == [], f"{rule.code} must not report:\n{example.code}"


@pytest.mark.parametrize(("rule", "example"), _cases("invalid"))
def test_invalid_example_is_reported(rule: type[Rule], example: Invalid) -> None:
    found = lint_source(example.code, options=example.options, filename=example.filename,
                        other_files=example.other_files)
    assert not [d for d in found if d.internal_error], found
    reported = [d for d in found if d.code == rule.code]
    assert len(reported) == example.count, (
        f"{rule.code} expected {example.count} finding(s), got {reported} in:\n{example.code}")
    first = reported[0] if reported else None
    if example.line is not None:
        assert first is not None and first.line == example.line
    if example.column is not None:
        assert first is not None and first.column == example.column
    if example.message_contains is not None:
        assert first is not None and example.message_contains in first.message


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_rule_is_documented_and_has_examples(rule: type[Rule]) -> None:
    assert documentation_problems(rule) == []


def test_rule_codes_and_names_are_unique() -> None:
    names = [rule.name for rule in RULES.values()]
    assert len(names) == len(set(names))


def _fix_cases() -> list[object]:
    return [pytest.param(rule, example, id=f"{code}-fix-{number}")
            for code, rule in RULES.items()
            for number, example in enumerate(rule.INVALID)
            if example.expected_fix is not None]


@pytest.mark.parametrize(("rule", "example"), _fix_cases())
def test_fix_gives_expected_source_and_is_idempotent(rule: type[Rule], example: Invalid) -> None:
    first = fix_source_text(example.code, options=example.options, filename=example.filename,
                            other_files=example.other_files)
    assert first.dropped == []
    assert first.text == example.expected_fix
    second = fix_source_text(first.text, options=example.options, filename=example.filename,
                             other_files=example.other_files)
    assert second.text == first.text and not second.fixed
