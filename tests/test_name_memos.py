"""Name resolution remembers answers (per scope, per class, per file): remembering must never
change an answer, whatever order the questions come in."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from asyncheck.semantics.names import Resolver, Scope, make_module_scope
from asyncheck.semantics.project import ProjectIndex
from asyncheck.syntax.walk import walk_batched
from asyncheck.core.config import Settings
from asyncheck.lint.context import FileContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: Attributes typed from attributes typed from each other (a cycle), methods returning
#: instances, class attributes, ``self`` in several methods, nested classes, shadowing.
CYCLES = '''\
import requests
import threading
from pathlib import Path


class Client:
    lock = threading.Lock()

    def __init__(self, other: "Client"):
        self.session = requests.Session()
        self.a = self.b
        self.b = self.a
        self.peer = other
        self.root = Path("/srv") / "data"

    def make(self) -> "Client":
        return Client(self)

    async def run(self):
        self.session.get("u")
        self.peer.session.get("u")
        self.make().session.post("u")
        self.a.get("u")
        self.root.read_text()
        with self.lock:
            pass

    class Inner:
        def go(self):
            session = requests.Session()
            session = session
            return session.get("u")


def helper(requests):
    return requests.get("u")


x = y
y = x
z = x.get()
'''

SOURCES = {"cycles": CYCLES, **{p.name: p.read_text(encoding="utf-8")
                                for p in sorted(FIXTURES.rglob("*.py"))}}


def questions(source: str) -> tuple[FileContext, list[tuple[cst.BaseExpression, Scope]]]:
    """Every name, attribute and call of the file, with the scope it is read in."""
    module = cst.parse_module(source)
    context = FileContext(path="m.py", module=module, module_name="m", is_package=False,
                          source=source, settings=Settings(), index=ProjectIndex.empty())
    asked: list[tuple[cst.BaseExpression, Scope]] = []

    def ask(node: cst.CSTNode) -> None:
        assert isinstance(node, cst.BaseExpression)
        asked.append((node, context.scope))

    walk_batched(module, [{"visit_Name": ask, "visit_Attribute": ask, "visit_Call": ask}],
                 context.before_visit, context.after_leave)
    return context, asked


def answers(resolver: Resolver, asked: list[tuple[cst.BaseExpression, Scope]]
            ) -> list[tuple[str | None, str | None]]:
    return [(resolver.qualified_name(expr, scope), resolver.expression_type(expr, scope))
            for expr, scope in asked]


@pytest.mark.parametrize("name", list(SOURCES))
def test_answers_do_not_depend_on_what_was_asked_before(name: str) -> None:
    context, asked = questions(SOURCES[name])
    forward = answers(context.resolver, asked)
    # Asked again: every answer now comes from a memo.
    assert answers(context.resolver, asked) == forward
    # Asked in the opposite order, of a fresh resolver and fresh scopes.
    fresh_context, fresh_asked = questions(SOURCES[name])
    backward = answers(fresh_context.resolver, fresh_asked[::-1])[::-1]
    assert backward == forward
    # Each asked alone, of a fresh resolver and module scope (the nested scopes are
    # rebuilt by walking again, so only module-level questions are asked this way).
    module = fresh_context.module
    for (expr, scope), expected in zip(fresh_asked, forward):
        if scope.kind != "module":
            continue
        alone = Resolver(project_return_type=ProjectIndex.empty().return_type)
        scope_alone = make_module_scope(module, "m")
        assert (alone.qualified_name(expr, scope_alone),
                alone.expression_type(expr, scope_alone)) == expected


def test_the_cycles_source_exercises_the_memos() -> None:
    """The answers the test above compares are not all None."""
    context, asked = questions(CYCLES)
    found = {answer for pair in answers(context.resolver, asked) for answer in pair}
    assert {"requests.Session.get", "pathlib.Path", "threading.Lock",
            "m.Client.make"} <= found
