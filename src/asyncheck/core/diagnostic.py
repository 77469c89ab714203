"""A finding as reporters, the cache and worker processes see it (no libcst in here)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol


class FixDescription(Protocol):
    """Anything that says what a fix does: a :class:`~asyncheck.lint.fix.Fix` or its summary."""

    @property
    def description(self) -> str: ...


#: The code and name of "this file could not be analysed" (ACK000).
UNPARSABLE_CODE = "ACK000"
UNPARSABLE_NAME = "unparsable-file"


@dataclass(frozen=True)
class FixSummary:
    """A fix's description without its tree nodes (for caches and other processes)."""

    description: str


@dataclass(frozen=True)
class Diagnostic:
    """One finding, positioned with 1-based lines and columns."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    message: str
    fix: FixDescription | None = field(default=None, compare=False)
    internal_error: bool = field(default=False, compare=False)

    @classmethod
    def unparsable(cls, path: str, reason: str, line: int = 1, column: int = 1, *,
                   internal_error: bool = False) -> Diagnostic:
        """An ACK000 finding: ``path`` could not be analysed, for ``reason``."""
        return cls(path, line, column, line, column, UNPARSABLE_CODE, UNPARSABLE_NAME, reason,
                   internal_error=internal_error)

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order by file, position, code."""
        return (self.path, self.line, self.column, self.code)

    def without_fix_nodes(self) -> Diagnostic:
        """The same finding with its fix reduced to the description."""
        if self.fix is None or isinstance(self.fix, FixSummary):
            return self
        return replace(self, fix=FixSummary(self.fix.description))

    def moved_to(self, path: str) -> Diagnostic:
        """The same finding reported for another path (standard input's display name)."""
        return replace(self, path=path)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of SPEC §3: code, name, message, path, positions, fix."""
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "fix": {"description": self.fix.description} if self.fix is not None else None,
        }
