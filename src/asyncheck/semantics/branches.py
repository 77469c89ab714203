"""Branches a caller switches with a literal argument (ACK290: ``stop(join=False)``).

A helper often blocks only in one mode: ``if join: thread.join()``, ``if not cached: return
load()``.  A call that passes a literal for that parameter (``stop(join=False)``), or leaves
out one whose default is a literal, turns the branch off, and the helper does not block
there.  The project index records, per function, the parameters a caller can pass
(:func:`parameter_table`) and, for each call of its body, the parameter tests that guard
it (:func:`guards_of_calls`); the rule reads the literals at the call site
(:func:`switched_off`).

A guard is a token ``"p"`` (runs only when parameter ``p`` is truthy) or ``"!p"`` (only
when it is falsy); a call's guards are its tokens joined by ``,`` (``""``: unguarded).  The
tests read are ``if p:``, ``if not p:``, their ``and`` chains (for the body), the ``else``
of a single test, ``if not p: return`` (the rest of the block runs only when ``p``), and
the loops ``while p:`` and ``for i in range(p):`` (their bodies run only when ``p``:
``_test_connection(timeout=0)`` tries zero times).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst

from asyncheck.syntax.walk import NESTED_SCOPES, ends_block, iter_children, walk_body

#: A literal's truthiness as recorded for a default: truthy, falsy, unknown.
TRUTHY, FALSY, UNKNOWN = "T", "F", ""


def literal_truth(expr: cst.BaseExpression | None) -> str:
    """``T``/``F`` for a literal whose truthiness is plain (``True``, ``None``, ``0``,
    ``""``, ``()``...), else ``""``."""
    if expr is None:
        return UNKNOWN
    if isinstance(expr, cst.Name):
        return {"True": TRUTHY, "False": FALSY, "None": FALSY}.get(expr.value, UNKNOWN)
    if isinstance(expr, (cst.Integer, cst.Float)):
        return TRUTHY if expr.evaluated_value else FALSY
    if isinstance(expr, cst.SimpleString):
        try:
            return TRUTHY if expr.evaluated_value else FALSY
        except Exception:
            return UNKNOWN
    if isinstance(expr, (cst.Tuple, cst.List, cst.Dict)) and not expr.elements:
        return FALSY
    return UNKNOWN


def parameter_table(function: cst.FunctionDef, *, bound: bool) -> tuple[tuple[str, ...],
                                                                          tuple[str, ...]]:
    """(names, defaults) of the parameters a caller passes: positional ones first as
    ``name``, keyword-only ones as ``*name``; ``bound`` drops the first (``self``/``cls``).
    Defaults are :func:`literal_truth` of each default (``""`` for none)."""
    params = function.params
    positional = [*params.posonly_params, *params.params]
    if bound and positional:
        positional = positional[1:]
    names = [p.name.value for p in positional] + [f"*{p.name.value}" for p in params.kwonly_params]
    defaults = [literal_truth(p.default) for p in (*positional, *params.kwonly_params)]
    return tuple(names), tuple(defaults)


def guards_of_calls(body: cst.BaseSuite, names: Iterable[str]) -> dict[int, str]:
    """``id(call) -> guards`` for the calls of the body (own scope) that run only under a
    test of the parameters ``names``."""
    wanted = set(names)
    found: dict[int, str] = {}
    _block(_statements(body), (), wanted, found)
    return found


def _statements(body: cst.BaseSuite | cst.CSTNode) -> Sequence[cst.CSTNode]:
    if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)):
        return body.body
    return ()


def _block(statements: Sequence[cst.CSTNode], guards: tuple[str, ...], wanted: set[str],
           found: dict[int, str]) -> None:
    active = guards
    for statement in statements:
        _statement(statement, active, wanted, found)
        if type(statement) is cst.If and statement.orelse is None \
                and ends_block(statement.body):
            # ``if not p: return``: the rest of the block runs only when ``p``.
            negated = _negation(statement.test, wanted)
            if negated:
                active = (*active, negated)


def _statement(statement: cst.CSTNode, guards: tuple[str, ...], wanted: set[str],
               found: dict[int, str]) -> None:
    if type(statement) in NESTED_SCOPES:
        return
    if type(statement) is cst.If:
        assert isinstance(statement, cst.If)
        _mark(statement.test, guards, found)
        _block(_statements(statement.body), (*guards, *_test_guards(statement.test, wanted)),
               wanted, found)
        orelse = statement.orelse
        if orelse is not None:
            negated = _negation(statement.test, wanted)
            otherwise = (*guards, negated) if negated else guards
            if type(orelse) is cst.If:
                _statement(orelse, otherwise, wanted, found)
            else:
                _block(_statements(orelse.body), otherwise, wanted, found)
        return
    if isinstance(statement, cst.SimpleStatementLine):
        _mark(statement, guards, found)
        return
    # Other compound statements: their headers run under the guards, their blocks too; a
    # loop's body also under what its header says of a parameter (:func:`_loop_guards`).
    body_guards = (*guards, *_loop_guards(statement, wanted))
    suites = []
    for child in _children(statement):
        if isinstance(child, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            suites.append(child)
        elif isinstance(child, (cst.ExceptHandler, cst.ExceptStarHandler, cst.Else,
                                cst.Finally, cst.MatchCase)):
            for inner in _children(child):
                if isinstance(inner, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                    suites.append(inner)
                else:
                    _mark(inner, guards, found)
        else:
            _mark(child, guards, found)
    body = getattr(statement, "body", None)
    for suite in suites:
        _block(_statements(suite), body_guards if suite is body else guards, wanted, found)


def _loop_guards(statement: cst.CSTNode, wanted: set[str]) -> tuple[str, ...]:
    """The tokens that hold in a loop's body: ``while p:`` runs it only when ``p`` is truthy,
    and so does ``for i in range(p):`` (no iteration for 0, or any count below 1).  The
    ``else`` of either runs without them."""
    if type(statement) is cst.While:
        assert isinstance(statement, cst.While)
        return _test_guards(statement.test, wanted)
    if type(statement) is cst.For:
        assert isinstance(statement, cst.For)
        count = _range_count(statement.iter)
        if statement.asynchronous is None and count in wanted:
            return (count,)
    return ()


def _range_count(expr: cst.BaseExpression) -> str | None:
    """``p`` for ``range(p)``, else None."""
    if type(expr) is not cst.Call:
        return None
    assert isinstance(expr, cst.Call)
    func, args = expr.func, expr.args
    if type(func) is not cst.Name or func.value != "range" or len(args) != 1:
        return None
    arg = args[0]
    if arg.keyword is not None or arg.star or type(arg.value) is not cst.Name:
        return None
    return arg.value.value


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    return iter_children(node)


def _mark(node: cst.CSTNode, guards: tuple[str, ...], found: dict[int, str]) -> None:
    if not guards:
        return
    text = ",".join(sorted(set(guards)))
    if type(node) is cst.Call:
        found[id(node)] = text
    for inner in walk_body(node):
        if type(inner) is cst.Call:
            found[id(inner)] = text


def _test_guards(test: cst.BaseExpression, wanted: set[str]) -> tuple[str, ...]:
    """The tokens that hold in the body of ``if test:``."""
    if type(test) is cst.Name and test.value in wanted:
        return (test.value,)
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        inner = test.expression
        if type(inner) is cst.Name and inner.value in wanted:
            return (f"!{inner.value}",)
        return ()
    if type(test) is cst.BooleanOperation and type(test.operator) is cst.And:
        return (*_test_guards(test.left, wanted),
                *_test_guards(test.right, wanted))
    return ()


def _negation(test: cst.BaseExpression, wanted: set[str]) -> str | None:
    """The token that holds when ``if test:`` is false, for a single parameter test."""
    tokens = _test_guards(test, wanted)
    if len(tokens) != 1 or type(test) is cst.BooleanOperation:
        return None
    token = tokens[0]
    return token[1:] if token.startswith("!") else f"!{token}"



def call_literals(call: cst.Call) -> str:
    """What :func:`switched_off_by` needs of a call's arguments, kept in the project facts
    for calls a chain passes through: ``T``/``F``/``-`` (unknown) per positional argument,
    then ``|`` and ``name=T`` (or ``F``, ``-``) per keyword, comma-separated
    (``_test_connection(timeout=0)``: ``"|timeout=F"``); ``""`` when no argument is a plain
    literal, or the call unpacks arguments (nothing can be told)."""
    if any(arg.star for arg in call.args):
        return ""
    positional = []
    keywords = []
    told = False
    for arg in call.args:
        truth = literal_truth(arg.value) or "-"
        told = told or truth != "-"
        if arg.keyword is None:
            positional.append(truth)
        else:
            keywords.append(f"{arg.keyword.value}={truth}")
    return "".join(positional) + "|" + ",".join(keywords) if told else ""


def switched_off(call: cst.Call, names: Sequence[str], defaults: Sequence[str], *,
                 skip_first: bool = False) -> frozenset[str]:
    """The guard tokens a call makes false: ``p`` when it passes a falsy literal for
    ``p`` (or leaves it out and its default is one), ``!p`` for a truthy one.  Unknown
    when the call unpacks arguments (``*args``, ``**kwargs``): nothing is switched off."""
    if any(arg.star for arg in call.args):
        return frozenset()
    positional = [literal_truth(a.value) for a in call.args if a.keyword is None]
    if skip_first:
        positional = positional[1:]
    keywords = {a.keyword.value: literal_truth(a.value) for a in call.args
                if a.keyword is not None}
    return _off(positional, keywords, names, defaults)


def switched_off_by(literals: str, names: Sequence[str], defaults: Sequence[str]
                    ) -> frozenset[str]:
    """:func:`switched_off` for a call known by its :func:`call_literals`."""
    if not literals:
        return frozenset()
    positional, _, keyword_part = literals.partition("|")
    keywords = dict(item.split("=", 1) for item in keyword_part.split(",") if item)
    return _off([UNKNOWN if t == "-" else t for t in positional],
                {k: UNKNOWN if t == "-" else t for k, t in keywords.items()}, names, defaults)


def _off(positional: Sequence[str], keywords: dict[str, str], names: Sequence[str],
         defaults: Sequence[str]) -> frozenset[str]:
    values: dict[str, str] = dict(zip((n for n in names if not n.startswith("*")), positional))
    values.update(keywords)
    off = set()
    for name, default in zip(names, defaults):
        bare = name.lstrip("*")
        value = values[bare] if bare in values else default
        if value == FALSY:
            off.add(bare)
        elif value == TRUTHY:
            off.add(f"!{bare}")
    return frozenset(off)


def is_switched_off(guards: str, off: frozenset[str]) -> bool:
    """Whether a call with these guards cannot run given the false tokens ``off``."""
    return bool(guards) and bool(off) and any(token in off for token in guards.split(","))
