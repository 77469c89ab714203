"""The rule registry: every module of :mod:`asyncheck.rules` defines one rule class (or a
tight family).

Adding a rule is adding a module there; nothing else needs to know about it.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

import asyncheck.rules
from asyncheck.lint.rule import Rule


@lru_cache(maxsize=1)
def all_rules() -> dict[str, type[Rule]]:
    """Every rule class by code, in code order; codes are unique."""
    found: dict[str, type[Rule]] = {}
    package = asyncheck.rules.__name__
    for info in sorted(pkgutil.iter_modules(asyncheck.rules.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value is not Rule
                and value.__module__ == module.__name__
                and "code" in vars(value)
            ):
                other = found.get(value.code)
                if other is not None and other is not value:
                    raise RuntimeError(f"duplicate rule code {value.code}: {other} and {value}")
                found[value.code] = value
    return dict(sorted(found.items()))
