"""What a rule sees of the file it is looking at: the file's semantic model, and its findings.

:class:`FileContext` is the :class:`~asyncheck.semantics.model.SemanticModel` (scopes, async
context, name resolution, shared analyses) plus the path and the findings the rules record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import libcst as cst

from asyncheck.core.config import Settings
from asyncheck.semantics.model import SemanticModel
from asyncheck.semantics.project import ProjectIndex

if TYPE_CHECKING:
    from asyncheck.lint.fix import Fix


class RuleIdentity(Protocol):
    """What a finding records of the rule that made it (a
    :class:`~asyncheck.lint.rule.Rule`, which knows its context: typed by what is used, so
    that the context need not know the rule class)."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass(eq=False)
class RawFinding:
    """A finding before positions are known."""

    code: str
    name: str
    node: cst.CSTNode
    message: str
    statement: cst.CSTNode | None
    fix: Fix | None
    #: The traversal stack when the finding was made (module first): the engine computes
    #: positions only for the innermost statement on it that holds the finding.
    path: tuple[cst.CSTNode, ...] = ()


class FileContext(SemanticModel):
    """Everything a rule may ask about the file it is looking at, and where it reports."""

    def __init__(
        self,
        *,
        path: str,
        module: cst.Module,
        module_name: str,
        is_package: bool,
        source: str,
        settings: Settings,
        index: ProjectIndex,
    ) -> None:
        super().__init__(module=module, module_name=module_name, is_package=is_package,
                         source=source, settings=settings, index=index)
        self.path = path
        self.findings: list[RawFinding] = []

    def add_finding(
        self,
        rule: RuleIdentity,
        node: cst.CSTNode,
        message: str,
        *,
        fix: Fix | None = None,
        statement: cst.CSTNode | None = None,
    ) -> None:
        """Record a finding (dropped inside ``if TYPE_CHECKING:``)."""
        if self.in_type_checking:
            return
        if statement is None:
            statement = self.current_statement()
        self.findings.append(RawFinding(rule.code, rule.name, node, message, statement, fix,
                                        tuple(self.stack)))
