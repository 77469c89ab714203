"""Objects that only speak the async protocols (ACK103): an async context manager that is
not a context manager, an async iterable that is not iterable.

What an object is comes from its type (:meth:`~asyncheck.semantics.names.Resolver.
expression_type`), and what its class defines from the class itself: a class of this file,
of the project (the index) or of the environment's libraries (:mod:`~asyncheck.semantics.
library`), its bases included.  Any base that cannot be read makes the answer unsure, and an
unsure answer is no finding.
"""

from __future__ import annotations

import libcst as cst

from asyncheck.semantics.model import SemanticModel
from asyncheck.semantics.project import has_own_yield

#: (the async method, the plain one a ``with``/``for`` needs) per protocol.
PROTOCOLS = {
    "context": ("__aenter__", "__enter__"),
    "iteration": ("__aiter__", "__iter__"),
}


def async_only_type(model: SemanticModel, expr: cst.BaseExpression, protocol: str) -> str | None:
    """The type of ``expr`` when it defines the async method of ``protocol`` and surely not
    the plain one (``with aiofiles.open(p)``), else None."""
    async_method, plain_method = PROTOCOLS[protocol]
    library = model.index.library
    if protocol == "context" and type(expr) is cst.Call and library is not None:
        qualname = model.qualified_name(expr.func)
        if qualname is not None and model.index.split_module(qualname) is None and \
                library.call_kind(qualname) == "acm":
            return qualname  # an @asynccontextmanager function of a library
    type_name = model.expression_type(expr)
    if type_name is None:
        return None
    has_async = _has_method(model, type_name, async_method)
    has_plain = _has_method(model, type_name, plain_method)
    if has_async is True and has_plain is False:
        return type_name
    return None


def _has_method(model: SemanticModel, type_name: str, method: str) -> bool | None:
    """Whether the class ``type_name`` (or a base) defines ``method``; None when unsure."""
    index = model.index
    if type_name.startswith(model.module_name + "."):
        return _local_has_method(model, type_name, method)
    if index.split_module(type_name) is not None:
        if not index.is_class(type_name):
            return None
        for owner in index.class_lineage(type_name):
            if index.split_module(owner) is None:
                library = index.library
                found = library.has_method(owner, method) if library is not None else None
                if found is None:
                    return None
                if found:
                    return True
                continue
            if not index.is_class(owner):
                return None
            if index.function(f"{owner}.{method}") is not None:
                return True
        return False
    library = index.library
    return library.has_method(type_name, method) if library is not None else None


def _local_has_method(model: SemanticModel, type_name: str, method: str) -> bool | None:
    """For a class of this file: its own defs and its bases' (all of them readable)."""
    from_this_file = model.method_definition(type_name, method)
    if from_this_file is not None:
        return True
    lineage = model.index.class_lineage(type_name) if model.index.is_class(type_name) else None
    if lineage is None:
        return None
    for owner in lineage[1:]:
        found = _has_method(model, owner, method) if not owner.startswith(
            model.module_name + ".") else (model.method_definition(owner, method) is not None)
        if found is None:
            return None
        if found:
            return True
    return False


def async_generator_call(model: SemanticModel, expr: cst.BaseExpression) -> str | None:
    """The name of the async generator function ``expr`` calls (``for page in pages():``
    with ``async def pages(): ... yield``), else None."""
    if type(expr) is not cst.Call:
        return None
    func = expr.func
    if type(func) is cst.Name:
        symbol = model.lookup(func.value)
        node = getattr(symbol, "node", None)
        if type(node) is cst.FunctionDef:
            if node.asynchronous is not None and not node.decorators and has_own_yield(node):
                return func.value
            return None
    qualname = model.qualified_name(func)
    if qualname is None:
        return None
    facts = model.index.function(qualname)
    if facts is not None:
        if facts.is_async and facts.is_generator and not facts.decorators:
            return qualname
        return None
    library = model.index.library
    if library is not None and model.index.split_module(qualname) is None and \
            library.call_kind(qualname) == "async-generator":
        return qualname
    return None
