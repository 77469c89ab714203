"""Fixes: what a rule proposes to change, as libcst node replacements."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True, eq=False)
class Fix:
    """Replace ``old`` (a node of the linted tree) by ``new``; add ``imports`` if missing.

    ``imports`` are module names that must be imported (``"asyncio"``); the fixer adds
    ``import asyncio`` after the existing imports, or reuses an alias already bound.
    """

    old: cst.CSTNode
    new: cst.CSTNode
    description: str
    imports: tuple[str, ...] = ()
