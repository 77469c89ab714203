"""Fixes: what a rule proposes to change, and the name a fix may use for a module.

A rule attaches a :class:`Fix` (replace one node of the linted tree by another, plus modules
that must be imported) to a finding; :mod:`asyncheck.lint.fixer` applies them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from asyncheck.semantics.names import Binding, Scope


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


def module_reference(scope: Scope, source: str, module: str) -> tuple[str, tuple[str, ...]] | None:
    """How a fix inserted in ``scope`` can refer to ``module``: the name to use and the
    imports to add (``("aio", ())`` for an ``import asyncio as aio`` already there,
    ``("asyncio", ("asyncio",))`` when nothing binds that name yet).

    None when no name is sure to mean the module where the fix goes: the module's alias is
    also a parameter, a local or a rebound global there, or the bare name is taken.
    ``source`` is the file's text, searched for the rebindings the scopes do not record
    (``global``, ``del``, ``:=``, ``case`` patterns); a mention in a comment or string only
    costs the fix.
    """
    module_scope = scope.module_scope
    alias = _imported_as(module_scope, module)
    if alias is not None:
        found = scope.binding_scope(alias)
        if found is None or found[0] is not module_scope or not all(
                _imports_module(binding, module) for binding in found[1]):
            return None
        return None if _maybe_rebound(source, alias) else (alias, ())
    if scope.binding_scope(module) is not None or _maybe_rebound(source, module):
        return None
    return module, (module,)


def _imported_as(module_scope: Scope, module: str) -> str | None:
    """The name ``module`` is imported as at module level (``import asyncio as aio`` ->
    ``aio``); None when it is not imported as a whole module there."""
    for name, bindings in module_scope.bindings.items():
        if any(_imports_module(binding, module) for binding in bindings):
            return name
    return None


def _imports_module(binding: Binding, module: str) -> bool:
    return (binding.kind == "import" and binding.qualname == module
            and isinstance(binding.node, cst.Import))


@functools.lru_cache(maxsize=4)  # asked once per fix offered, about the same file's text
def _maybe_rebound(source: str, name: str) -> bool:
    """Whether ``source`` may bind ``name`` in a way the scopes' bindings leave out."""
    word = re.escape(name)
    return re.search(rf"\b(?:global|del|case)\b[^\n]*\b{word}\b|\b{word}\s*:=", source) is not None
