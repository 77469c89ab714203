"""Fixes: what a rule proposes to change, and the module-level names a fix may rely on.

A rule attaches a :class:`Fix` (replace one node of the linted tree by another, plus modules
that must be imported) to a finding; :mod:`asyncheck.lint.fixer` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from asyncheck.semantics.names import Scope


@dataclass(frozen=True, eq=False)
class Fix:
    """Replace ``old`` (a node of the linted tree) by ``new``; add ``imports`` if missing.

    ``imports`` are module names that must be imported at module level (``"asyncio"``); the
    fixer adds ``import asyncio`` after the existing imports at the top of the module.
    """

    old: cst.CSTNode
    new: cst.CSTNode
    description: str
    imports: tuple[str, ...] = ()


def module_alias(module_scope: Scope, module: str) -> str | None:
    """The name ``module`` is imported as at module level (``import asyncio as aio`` -> ``aio``).

    None when it is not imported as a whole module there.
    """
    for name, bindings in module_scope.bindings.items():
        for binding in bindings:
            if (binding.kind == "import" and binding.qualname == module
                    and isinstance(binding.node, cst.Import)):
                return name
    return None


def name_is_free(module_scope: Scope, name: str) -> bool:
    """Nothing at module level binds ``name`` (so ``import name`` cannot clash)."""
    return name not in module_scope.bindings
