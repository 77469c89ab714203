"""The read-only walker visits the same code-carrying nodes as libcst's own traversal."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from asyncheck.analysis.walk import FastVisitor, iter_children

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CODE_NODES = (cst.Call, cst.Name, cst.Attribute, cst.Await, cst.FunctionDef, cst.ClassDef,
              cst.Lambda, cst.With, cst.For, cst.Assign, cst.Yield, cst.ExceptHandler,
              cst.Decorator, cst.Arg, cst.Param, cst.Return, cst.Raise, cst.AsName)


def libcst_order(module: cst.Module) -> list[cst.CSTNode]:
    seen: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, CODE_NODES):
                seen.append(node)
            return True

    module.visit(Collect())
    return seen


def walker_order(module: cst.Module) -> list[cst.CSTNode]:
    seen: list[cst.CSTNode] = []

    def walk(node: cst.CSTNode) -> None:
        if isinstance(node, CODE_NODES):
            seen.append(node)
        for child in iter_children(node):
            walk(child)

    walk(module)
    return seen


TRICKY = (
    "@deco(arg=1)\nasync def f(a, /, b: int = g(), *args, c, **kw) -> r():\n"
    "    try:\n        x = y if t() else z\n    except (E, F) as err:\n        h(err)\n"
    "    try:\n        pass\n    except* G as group:\n        s(group)\n"
    "    match x:\n        case [p] if q(p):\n            m(p)\n"
    "    return [k(v, key=w) async for v in u() if v]\n"
    "class C(B, metaclass=M):\n    attr: int = 1\n"
)
SOURCES = {"tricky": TRICKY, **{p.name: p.read_text(encoding="utf-8")
                               for p in sorted(FIXTURES.rglob("*.py"))}}


@pytest.mark.parametrize("name", list(SOURCES))
def test_walker_sees_the_same_nodes_in_the_same_order(name: str) -> None:
    module = cst.parse_module(SOURCES[name])
    expected = libcst_order(module)
    got = walker_order(module)
    assert [type(n).__name__ for n in got] == [type(n).__name__ for n in expected]
    assert all(a is b for a, b in zip(got, expected))


def test_fast_visitor_skips_children_when_visit_returns_false() -> None:
    module = cst.parse_module("def f():\n    g()\nh()\n")

    class Calls(FastVisitor):
        def __init__(self) -> None:
            self.names: list[str] = []

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_Call(self, node: cst.Call) -> None:
            assert isinstance(node.func, cst.Name)
            self.names.append(node.func.value)

    calls = Calls()
    calls.walk(module)
    assert calls.names == ["h"]


def test_body_visitor_stays_in_its_scope() -> None:
    from asyncheck.analysis.walk import BodyVisitor

    body = cst.parse_module(
        "a()\ndef f():\n    b()\nclass C:\n    c()\nhandler = lambda: d()\nawait_it(e())\n")

    class Calls(BodyVisitor):
        def __init__(self) -> None:
            self.names: list[str] = []

        def visit_Call(self, node: cst.Call) -> None:
            assert isinstance(node.func, cst.Name)
            self.names.append(node.func.value)

    calls = Calls()
    calls.walk(body)
    assert calls.names == ["a", "await_it", "e"]
