"""The rule framework: the base class every rule derives from, and its examples.

A rule is one small class in its own module under ``asyncheck.rules``: code, kebab-case name,
default on/off, message template, a docstring with the documented sections, and lists of
valid and invalid examples.  The engine instantiates the enabled rules once per file and runs
them all in one batched libcst traversal; a rule only looks at nodes and asks its
:class:`~asyncheck.lint.context.FileContext` for names, scopes and project facts.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst

from asyncheck.core import catalog
from asyncheck.text.patterns import trigger_pattern

if TYPE_CHECKING:
    from asyncheck.lint.context import FileContext
    from asyncheck.lint.fix import Fix

#: Sections every rule docstring must have, in this order (``## <title>`` headings).
REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
#: Sections a rule docstring may add: ``Fix`` for fixable rules, ``Options`` for rules reading
#: config, ``Precision`` for the ecosystem check's figure of a rule that is off by default.
OPTIONAL_SECTIONS = ("Fix", "Options", "Precision")



@dataclass(frozen=True)
class Valid:
    """Code the rule must not report.

    ``options`` are settings overrides (snake_case ``Settings`` fields, e.g.
    ``{"max_fanout": 5}``) applied while the example runs.
    """

    code: str
    options: Mapping[str, Any] = field(default_factory=dict)
    filename: str = "example.py"
    other_files: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    """Code the rule must report exactly ``count`` times.

    ``line``/``column`` (1-based) locate the first finding when given; ``expected_fix`` is the
    whole source after ``--fix`` for fixable rules; ``message_contains`` is a fragment the
    first finding's message must contain.  ``other_files`` (path -> source, e.g.
    ``{"app/client.py": ...}``) are further files of the example's project, for cross-file
    rules; the example itself is ``filename`` in the same project.
    """

    code: str
    line: int | None = None
    column: int | None = None
    count: int = 1
    expected_fix: str | None = None
    message_contains: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    filename: str = "example.py"
    other_files: Mapping[str, str] = field(default_factory=dict)


class Rule(cst.BatchableCSTVisitor):
    """Base class of every rule.

    Subclasses define ``visit_<Node>``/``leave_<Node>`` methods and call :meth:`report`.
    Only the methods a subclass defines itself take part in the batched traversal.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    default_enabled: ClassVar[bool] = True
    fixable: ClassVar[bool] = False
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()
    #: Words one of which a file must contain for this rule to report anything in it (the
    #: pre-filter skips parsing files without any; substrings, a space stands for any
    #: whitespace: ``"async def"``); None: no such promise.
    TRIGGERS: ClassVar[tuple[str, ...] | None] = None
    #: The rule reports calls of coroutine functions anywhere (not only inside async def):
    #: the names of the project's coroutine functions count as triggers too.
    TRIGGERS_INCLUDE_COROUTINE_NAMES: ClassVar[bool] = False
    #: The rule reports only where a coroutine function is at hand, but not only inside
    #: ``async def`` (ACK104: ``atexit.register(session.close)``): its trigger words count
    #: only in a file with an ``async def``; another file is read only if it reaches a
    #: project coroutine function or a library package with coroutines (as for
    #: ``TRIGGERS_INCLUDE_COROUTINE_NAMES``).
    #: Without it, ``Thread(`` and ``signal(`` would have most of a standard library parsed.
    TRIGGERS_NEED_COROUTINES: ClassVar[bool] = False
    #: The codes other linters give the same check (ruff's ``RUF006``, flake8-async's
    #: ``ASYNC230``): a ``# noqa`` naming one of them is the maintainers' decision about this
    #: line, and silences this rule's finding there too.
    PEER_CODES: ClassVar[tuple[str, ...]] = ()
    #: The file roles (``"test"``, ``"script"``: see ``test-paths``/``script-paths``) where
    #: this rule does not report.  Rules about what a call *costs* the loop stay quiet in test
    #: code and one-shot commands, where nothing else waits on the loop; rules about code
    #: that breaks (a coroutine that never runs) report everywhere.
    QUIET_IN: ClassVar[frozenset[str]] = frozenset()

    _visitor_names_cache: ClassVar[dict[type[Rule], tuple[str, ...]]] = {}

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        *,
        fix: Fix | None = None,
        statement: cst.CSTNode | None = None,
        **format_args: object,
    ) -> None:
        """Record a finding at ``node``.

        ``message`` defaults to the class's template formatted with ``format_args``.
        ``statement`` is the statement holding ``node`` (for ``# noqa`` on its first line);
        it is found from the traversal stack unless the rule reports after leaving it, in
        which case the rule passes what :meth:`FileContext.current_statement` gave earlier.
        """
        text = message if message is not None else self.message.format(**format_args)
        self.context.add_finding(self, node, text, fix=fix, statement=statement)

    @classmethod
    def visitor_names(cls) -> tuple[str, ...]:
        """The ``visit_*``/``leave_*`` methods this rule defines (computed once per class)."""
        cached = Rule._visitor_names_cache.get(cls)
        if cached is None:
            names: set[str] = set()
            for klass in cls.__mro__:
                if klass is Rule:
                    break
                names.update(
                    n for n in vars(klass) if n.startswith(("visit_", "leave_"))
                )
            cached = tuple(sorted(names))
            Rule._visitor_names_cache[cls] = cached
        return cached

    @classmethod
    def triggered_by(cls, text: str) -> bool:
        """Whether ``text`` holds one of :attr:`TRIGGERS` (True for a rule without them),
        read as the pre-filter reads them: substrings, a space stands for any run of blanks
        and line continuations (``async \\<newline> def``)."""
        if cls.TRIGGERS is None:
            return True
        for word in cls.TRIGGERS:
            # ``in`` first: a regular expression alternating between words without a common
            # prefix reads the text several times slower.
            if word in text:
                return True
            if " " in word and word.partition(" ")[0] in text and _spaced(word).search(text):
                return True
        return False

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        """Override libcst's introspection, which walks hundreds of inherited no-ops."""
        return {name: getattr(self, name) for name in self.visitor_names()}

    @classmethod
    def documentation(cls) -> str:
        """The rule's docstring, dedented."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def sections(cls) -> dict[str, str]:
        """The docstring's ``## Title`` sections, title -> body text."""
        return catalog.sections(cls.documentation())

    @classmethod
    def summary(cls) -> str:
        """One sentence: the first paragraph of *What it does*."""
        return catalog.summary(cls.documentation())


@lru_cache(maxsize=None)
def _spaced(word: str) -> re.Pattern[str]:
    """``word`` with each space standing for any run of blanks and line continuations."""
    return re.compile(trigger_pattern(word))


def documentation_problems(rule: type[Rule]) -> list[str]:
    """What is missing from a rule's documentation or examples (empty when complete)."""
    problems = []
    sections = rule.sections()
    for title in REQUIRED_SECTIONS:
        if not sections.get(title):
            problems.append(f"{rule.code}: docstring lacks the '## {title}' section")
    if rule.fixable and not sections.get("Fix"):
        problems.append(f"{rule.code}: fixable rule lacks the '## Fix' section")
    for title in sections:
        if title not in REQUIRED_SECTIONS and title not in OPTIONAL_SECTIONS:
            problems.append(f"{rule.code}: unknown docstring section '## {title}'")
    if not rule.VALID:
        problems.append(f"{rule.code}: no valid example")
    if not rule.INVALID:
        problems.append(f"{rule.code}: no invalid example")
    if rule.fixable and not any(ex.expected_fix is not None for ex in rule.INVALID):
        problems.append(f"{rule.code}: fixable rule has no invalid example with expected_fix")
    if not re.fullmatch(r"ACK[0-9]{3}", rule.code):
        problems.append(f"{rule.code}: code must be ACK + three digits")
    if not re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", rule.name):
        problems.append(f"{rule.code}: name {rule.name!r} is not kebab-case")
    return problems
