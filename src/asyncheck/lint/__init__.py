"""The rule author's API: everything a rule module imports from the linter.

A rule derives from :class:`Rule` (or a base of a rule family, :class:`BlockingCallRule`
and :class:`FlowRule`), describes itself with :class:`Valid` and :class:`Invalid` examples,
asks its :class:`FileContext` about the file and may offer a :class:`Fix`.  The analyses
it uses live in ``asyncheck.semantics``.  The engine that runs rules (``lint.engine``) is not
part of this API: a rule never runs other rules.
"""

from asyncheck.core.config import Settings
from asyncheck.lint.bases import BlockingCallRule, FlowRule
from asyncheck.lint.context import FileContext, RawFinding
from asyncheck.lint.fix import Fix, module_reference
from asyncheck.lint.rule import Invalid, Rule, Valid

__all__ = [
    "BlockingCallRule",
    "FileContext",
    "Fix",
    "FlowRule",
    "Invalid",
    "RawFinding",
    "Rule",
    "Settings",
    "Valid",
    "module_reference",
]
