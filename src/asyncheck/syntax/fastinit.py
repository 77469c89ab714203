"""libcst's parser, without its per-node validation: the same trees, built for less.

``CSTNode.__post_init__`` re-validates every node constructed.  For nodes libcst's own parser
builds from source it accepted, that checks nothing new; :func:`trusting_the_parser` skips
it while the parser runs, and nodes built anywhere else (fixes, tests) are still validated.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import cast

import libcst as cst


@contextmanager
def trusting_the_parser() -> Iterator[None]:
    """Skip libcst's validation of each node while its parser builds the tree.

    ``CSTNode.__post_init__`` re-validates every node constructed (whitespace is whitespace,
    parentheses match, ...): for nodes made by libcst's own parser from source it accepted
    that is wasted work (libcst says so in a comment on ``__post_init__``), and a sizeable
    share of the parse, itself a large part of a lint: the first parse of a process swaps it
    for a no-op.  From the second on, the node classes have initialisers that store the fields
    the same way, cheaper, and call ``__post_init__`` only outside the parser
    (:func:`_install_initialisers`).  Trees are the same (tested node for node on the
    fixtures and sources).  Nodes built anywhere else, e.g. by fixes, are still validated.
    """
    _PARSES[0] += 1
    if _PARSES[0] >= 2:
        # Not on the first parse: compiling the initialisers costs more than a one-file run
        # saves with them.
        _install_initialisers()
    if not _INITIALISERS:
        original = cst.CSTNode.__dict__["__post_init__"]
        cst.CSTNode.__post_init__ = _valid_by_construction  # type: ignore[method-assign]
        try:
            yield
        finally:
            cst.CSTNode.__post_init__ = original  # type: ignore[method-assign]
        return
    previous = _VALIDATING[0]
    _VALIDATING[0] = False
    try:
        yield
    finally:
        _VALIDATING[0] = previous


def _valid_by_construction(self: cst.CSTNode) -> None:
    """The parser's nodes need no validation (see :func:`trusting_the_parser`)."""


#: Parses so far in this process.
_PARSES = [0]
_Initialiser = Callable[..., None]
#: Whether node initialisers validate: not while libcst's parser builds a tree.
_VALIDATING = [True]
#: The node classes given an initialiser (installed once per process).
_INITIALISERS: set[type] = set()


def _install_initialisers() -> set[type]:
    """Give every libcst node class an initialiser that sets the same fields as its
    dataclass ``__init__``, through each slot's own setter instead of
    ``object.__setattr__``, and calls ``__post_init__`` (the validation) unless libcst's
    parser is building the node.  Done once: swapping initialisers around every parse
    invalidated the type caches of all node classes each time.

    Defaults and default factories are the dataclass's.  A class whose ``__init__`` is not
    the dataclass's, or whose fields it does not take one by one in order, keeps its own.
    """
    if _INITIALISERS:
        return _INITIALISERS
    # All initialisers are generated as one source and compiled once: a compile per class
    # is slow enough to matter to a one-file run, which pays for it.
    namespace: dict[str, object] = {"_FACTORY": object(), "_setattr": object.__setattr__,
                                     "_VALIDATING": _VALIDATING}
    sources: list[str] = []
    made: dict[type, str] = {}
    pending: list[type] = [cst.CSTNode]
    while pending:
        node_class = pending.pop()
        pending.extend(node_class.__subclasses__())
        checked = node_class.__dict__.get("__init__")
        if node_class in made or checked is None or not dataclasses.is_dataclass(node_class):
            continue
        name = f"_init{len(made)}"
        source = _trusting_initialiser(node_class, checked, name, namespace)
        if source is not None:
            sources.append(source)
            made[node_class] = name
    exec("\n".join(sources), namespace)  # noqa: S102 - our own code, as @dataclass does
    for node_class, name in made.items():
        trusting = cast(_Initialiser, namespace[name])
        trusting.__qualname__ = f"{node_class.__qualname__}.__init__"
        _INITIALISERS.add(node_class)
        node_class.__init__ = trusting  # type: ignore[misc]
    return _INITIALISERS


def _trusting_initialiser(node_class: type, checked: _Initialiser, function: str,
                          namespace: dict[str, object]) -> str | None:
    """The source of ``function``, the initialiser of ``node_class`` (what it refers to
    goes into ``namespace``), or None when its dataclass ``__init__`` is not as expected."""
    fields = dataclasses.fields(node_class)
    code = getattr(checked, "__code__", None)
    if (code is None or code.co_filename != "<string>"  # not made by @dataclass
            or code.co_kwonlyargcount or code.co_flags & (inspect.CO_VARARGS
                                                          | inspect.CO_VARKEYWORDS)
            or list(code.co_varnames[1:code.co_argcount]) != [f.name for f in fields]
            or any(not f.init or f.kw_only is True for f in fields)):
        return None
    parameters, body = [], []
    for position, f in enumerate(fields):
        name = f"{function}_{position}"  # field names could clash with the helpers' names
        if f.default is not dataclasses.MISSING:
            namespace[f"{name}_default"] = f.default
            parameters.append(f"{f.name}={name}_default")
            value = f.name
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"{name}_factory"] = f.default_factory
            parameters.append(f"{f.name}=_FACTORY")
            value = f"{name}_factory() if {f.name} is _FACTORY else {f.name}"
        else:
            parameters.append(f.name)
            value = f.name
        slot = next((vars(c)[f.name] for c in node_class.__mro__
                     if isinstance(vars(c).get(f.name), types.MemberDescriptorType)), None)
        if slot is not None:
            namespace[f"{name}_set"] = slot.__set__
            body.append(f"    {name}_set(self, {value})")
        else:
            body.append(f"    _setattr(self, {f.name!r}, {value})")
    body.append("    if _VALIDATING[0]:\n        self.__post_init__()")
    return f"def {function}(self, {', '.join(parameters)}):\n" + "\n".join(body) + "\n"
