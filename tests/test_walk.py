"""The read-only walker visits the same code-carrying nodes as libcst's own traversal."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from asyncheck.syntax.walk import FastVisitor, iter_children

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
    from asyncheck.syntax.walk import BodyVisitor

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


def reference_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Every node in every non-formatting field, tested the slow, general way."""
    import dataclasses

    from asyncheck.syntax.walk import _FORMATTING, _ORDER

    names = [f.name for f in dataclasses.fields(node)
             if f.name not in _FORMATTING and not f.name.startswith("whitespace")]
    ordered = _ORDER.get(type(node), ())
    names = [n for n in ordered if n in names] + [n for n in names if n not in ordered]
    found: list[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            found.append(value)
        elif isinstance(value, (tuple, list)):
            found.extend(item for item in value if isinstance(item, cst.CSTNode))
    return found


@pytest.mark.parametrize("name", list(SOURCES))
def test_children_and_batched_walk_match_the_general_definition(name: str) -> None:
    """Leaving out fields annotated as plain values and testing classes through a table
    changes nothing: same children, same order, for every node; the batched walk visits
    them in that order, each visit between its before and after hooks."""
    from asyncheck.syntax.walk import walk_batched

    module = cst.parse_module(SOURCES[name])
    expected: list[tuple[str, cst.CSTNode]] = []

    def reference(node: cst.CSTNode) -> None:
        expected.append(("before", node))
        children = reference_children(node)
        assert [id(c) for c in iter_children(node)] == [id(c) for c in children]
        if isinstance(node, cst.Call):
            expected.append(("call", node))
        for child in children:
            reference(child)
        if isinstance(node, cst.FunctionDef):
            expected.append(("leave def", node))
        expected.append(("after", node))

    reference(module)
    got: list[tuple[str, cst.CSTNode]] = []
    walk_batched(module, [{"visit_Call": lambda n: got.append(("call", n)),
                           "leave_FunctionDef": lambda n: got.append(("leave def", n))}],
                 lambda n: got.append(("before", n)), lambda n: got.append(("after", n)))
    assert [(event, id(node)) for event, node in got] == [
        (event, id(node)) for event, node in expected]


@pytest.mark.parametrize("name", list(SOURCES))
def test_tracked_walk_gives_the_context_the_per_node_hooks_give(name: str) -> None:
    """The engine's walk keeps the context's stack itself and calls the context only for
    blocks and lambdas: every visit sees the same stack, scope and TYPE_CHECKING state as
    with ``before_visit``/``after_leave`` on every node."""
    from asyncheck.semantics.project import ProjectIndex
    from asyncheck.syntax.walk import walk_batched, walk_tracked
    from asyncheck.core.config import Settings
    from asyncheck.lint.context import FileContext

    module = cst.parse_module(SOURCES[name] + "\nif TYPE_CHECKING:\n    from a import b\n"
                              "handler = lambda event: event.wait()\n")

    def observe(walk: str) -> list[tuple[int, ...]]:
        context = FileContext(path="m.py", module=module, module_name="m", is_package=False,
                              source="", settings=Settings(), index=ProjectIndex.empty())
        seen: list[tuple[int, ...]] = []

        def look(node: cst.CSTNode) -> None:
            seen.append((id(node), id(context.scope.node), context.in_type_checking,
                         *map(id, context.stack)))

        visitors = [{"visit_Name": look, "visit_Call": look, "leave_Call": look,
                     "leave_IndentedBlock": look}]
        if walk == "tracked":
            walk_tracked(module, visitors, context.stack, *context.node_hooks())
        else:
            walk_batched(module, visitors, context.before_visit, context.after_leave)
        assert context.stack == [] and context.scope is context.module_scope
        return seen

    assert observe("tracked") == observe("per node")


def test_find_all_in_source_order_and_in_its_own_scope() -> None:
    from asyncheck.syntax.walk import find_all

    module = cst.parse_module(
        "async def crawl(session, urls):\n"
        "    await session.open()\n"
        "    async def fetch(url):\n"
        "        return await session.get(url)\n"
        "    pages = [await fetch(u) for u in urls]\n"
        "    handler = lambda: session.close()\n"
        "    await session.close()\n")
    body = cst.ensure_type(module.body[0], cst.FunctionDef).body
    own = [cst.Module([]).code_for_node(a.expression) for a in find_all(body, (cst.Await,),
                                                                          own_scope=True)]
    assert own == ["session.open()", "fetch(u)", "session.close()"]
    everywhere = [cst.Module([]).code_for_node(c.func) for c in find_all(body, (cst.Call,))]
    assert everywhere == ["session.open", "session.get", "fetch", "session.close",
                          "session.close"]
