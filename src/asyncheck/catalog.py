"""The rule catalogue as plain data: what settings, the cache and ``--list-rules`` need to
know without importing the rules (and libcst, which costs a third of a second).

It mirrors the rule classes; ``tests/test_catalog.py`` fails when the two disagree, so adding
a rule is its module plus one line here.
"""

from __future__ import annotations

from typing import NamedTuple


class RuleInfo(NamedTuple):
    """A rule's name and flags."""

    name: str
    default_enabled: bool
    fixable: bool


CATALOG: dict[str, RuleInfo] = {
    "ACK000": RuleInfo("unparsable-file", default_enabled=True, fixable=False),
    "ACK100": RuleInfo("unawaited-coroutine", default_enabled=True, fixable=True),
    "ACK101": RuleInfo("coroutine-collection-never-awaited", default_enabled=True, fixable=False),
    "ACK102": RuleInfo("dangling-task", default_enabled=True, fixable=False),
    "ACK200": RuleInfo("blocking-sleep", default_enabled=True, fixable=True),
    "ACK210": RuleInfo("blocking-http", default_enabled=True, fixable=False),
    "ACK220": RuleInfo("blocking-subprocess", default_enabled=True, fixable=False),
    "ACK230": RuleInfo("blocking-file-io", default_enabled=True, fixable=False),
    "ACK231": RuleInfo("blocking-filesystem-query", default_enabled=False, fixable=False),
    "ACK240": RuleInfo("blocking-network", default_enabled=True, fixable=False),
    "ACK250": RuleInfo("blocking-input", default_enabled=True, fixable=False),
    "ACK260": RuleInfo("blocking-database", default_enabled=True, fixable=False),
    "ACK270": RuleInfo("blocking-wait", default_enabled=True, fixable=False),
    "ACK280": RuleInfo("blocking-call-configured", default_enabled=True, fixable=False),
    "ACK290": RuleInfo("blocking-via-helper", default_enabled=True, fixable=False),
    "ACK300": RuleInfo("unbounded-gather", default_enabled=True, fixable=False),
    "ACK301": RuleInfo("unbounded-task-spawn", default_enabled=True, fixable=False),
    "ACK310": RuleInfo("sequential-await-in-loop", default_enabled=False, fixable=False),
    "ACK400": RuleInfo("nested-event-loop", default_enabled=True, fixable=False),
    "ACK401": RuleInfo("get-event-loop", default_enabled=True, fixable=True),
    "ACK402": RuleInfo("event-loop-policy", default_enabled=True, fixable=False),
    "ACK403": RuleInfo("unclosed-session", default_enabled=True, fixable=False),
    "ACK500": RuleInfo("cancellation-swallowed", default_enabled=True, fixable=False),
}


def catalog_defaults() -> dict[str, bool]:
    """Code -> on by default, as :func:`asyncheck.rules.rule_defaults` gives it."""
    return {code: info.default_enabled for code, info in CATALOG.items()}
