"""Positions computed statement by statement equal libcst's whole-module PositionProvider."""

from __future__ import annotations

import codecs
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from asyncheck.semantics.project import ProjectIndex
from asyncheck.syntax.positions import _StatementLines, positions, positions_by_statement
from asyncheck.syntax.walk import walk_batched
from asyncheck.core.config import Settings
from asyncheck.lint.context import RawFinding
from asyncheck.app.registry import all_rules
from asyncheck.lint.engine import Linter

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TRICKY = (
    "# header comment\n\n\n"
    "import time  # trailing\n"
    "x = (1,\n     2); y = 3\r\n"
    "@decorator(\n    arg)\n"
    "async def f():\n"
    "    '''doc\n    string'''\n"
    "    time.sleep(1)\n"
    "    # a comment\n\n"
    "    return [\n        g(i)\n        for i in range(3)\n    ]\n"
    "class C:\n    def m(self): return h(1)\n"
    "z = f'{time.sleep(0)}'\n"
    "if True:\n    pass\nelse:\n    k()\n"
    "# footer\n"
)
#: Statements inside class bodies, decorated and comment-led, ``a; b`` lines, nested
#: classes, every compound statement, blocks ending in comments, one-line suites.
CLASS_BODIES = '''\
import asyncio


# a comment before the class
class Outer(Base):
    """Doc."""

    x = a(1); y = b(2)

    # leading comment
    @decorator
    # between decorators
    @other(
        c(3),
    )
    async def method(self):
        await d(4)
        # a comment at the end of the block

    class Inner:
        # comment in a nested class
        def deep(self):
            if e(5):
                f(6)
            elif g(7): h(8); i(9)
            else:
                j(10)
            for _ in k(11):
                pass
            else:
                l(12)
            while m(13): break
            try:
                n(14)
            except (A, B) as error:
                o(15)
            except C:
                pass
            else:
                p(16)
            finally:
                q(17)
            with r(18) as s, t(19):
                u(20)
            match v(21):
                case [w]:
                    x(22)
                case _:
                    y(23)
    # a comment at the class's end
  # and one dedented oddly
z = \\
    aa(24)
async def last():
    bb(25)
'''
TABS = "class T:\n\tdef m(self):\n\t\tif a():\n\t\t\tb()\n\n\t# comment\n\tc = d()\n"
NO_FINAL_NEWLINE = "class N:\n    def m(self):\n        return call(1)"
FORM_FEED = "a()\n\x0c\ndef f():\n    b()\n"
LONE_CR = "a()\rdef f():\r    b()\r\rc()\r"

SOURCES = {
    "tricky": TRICKY,
    "class bodies": CLASS_BODIES,
    "class bodies CRLF": CLASS_BODIES.replace("\n", "\r\n"),
    "tabs": TABS,
    "no final newline": NO_FINAL_NEWLINE,
    "form feed": FORM_FEED,
    "lone CR": LONE_CR,
    **{p.name: p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.py"))
       if "time.sleep(" in p.read_text(encoding="utf-8")},
}


def all_calls(module: cst.Module) -> list[RawFinding]:
    """A finding at every call, made the way the engine's traversal makes them."""
    found: list[RawFinding] = []
    stack: list[cst.CSTNode] = []

    def visit_call(node: cst.CSTNode) -> None:
        statement = next(n for n in reversed(stack)
                         if isinstance(n, (cst.SimpleStatementLine, cst.BaseCompoundStatement)))
        found.append(RawFinding("ACK999", "x", node, "", statement, None, tuple(stack)))

    walk_batched(module, [{"visit_Call": visit_call}], stack.append, lambda node: stack.pop())
    return found


def subsets(findings: list[RawFinding]) -> list[list[RawFinding]]:
    """All findings, one, every third: the statements without findings must not matter."""
    return [findings, findings[-1:], findings[::3]]


@pytest.mark.parametrize("name", list(SOURCES))
def test_statement_positions_equal_module_positions(name: str) -> None:
    text = SOURCES[name]
    module = cst.parse_module(text)
    findings = all_calls(module)
    assert findings
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    for subset in subsets(findings):
        fast = positions_by_statement(module, text, subset)
        # Every source here is one ``ast`` parses the same way: the cheap way must work.
        assert fast is not None, name
        for got in (fast, positions(module, text, subset)):
            for finding in subset:
                assert got[finding.node] == expected[finding.node]
                assert finding.statement is not None
                assert got[finding.statement] == expected[finding.statement]


def test_a_finding_reported_after_its_statement_is_anchored_on_the_stack() -> None:
    """Rules that report when leaving a function pass the statement they saw earlier: the
    statement is not on the stack then, the innermost one on it is used instead."""
    text = CLASS_BODIES
    module = cst.parse_module(text)
    findings = all_calls(module)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    deep = next(f for f in findings if cst.Module([]).code_for_node(f.node) == "n(14)")
    path = deep.path
    # As seen from the ``def deep`` being left: its body and what is inside are popped.
    cut = next(i for i, n in enumerate(path) if isinstance(n, cst.FunctionDef)
               and n.name.value == "deep")
    late = RawFinding("ACK999", "x", deep.node, "", deep.statement, None, path[:cut + 1])
    fast = positions_by_statement(module, text, [late])
    assert fast is not None
    assert fast[deep.node] == expected[deep.node]


def test_source_that_does_not_match_the_tree_is_not_trusted() -> None:
    """The anchor is checked against the text: a mismatch makes the cheap way give up."""
    module = cst.parse_module(CLASS_BODIES)
    findings = all_calls(module)
    changed = CLASS_BODIES.replace("    x = a(1); y = b(2)\n", "    x = a(1); y = b(3)\n")
    for_line = [f for f in findings if cst.Module([]).code_for_node(f.node) == "b(2)"]
    assert positions_by_statement(module, changed, for_line) is None
    # A comment line fewer before the method: ``ast`` puts it a line higher than the tree's
    # leading lines allow for, and the anchor line no longer holds its code.
    shorter = CLASS_BODIES.replace("    # between decorators\n", "")
    in_method = [f for f in findings if cst.Module([]).code_for_node(f.node) == "c(3)"]
    assert positions_by_statement(module, shorter, in_method) is None
    assert positions_by_statement(module, CLASS_BODIES, in_method) is not None


def test_syntax_ast_rejects_falls_back_to_code_generation() -> None:
    """libcst parses syntax newer than the running Python; ``ast`` may not."""
    text = "type Alias = int\nclass C:\n    def m(self):\n        return call(1)\n"
    module = cst.parse_module(text)
    findings = all_calls(module)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    got = positions(module, text, findings)
    for finding in findings:
        assert got[finding.node] == expected[finding.node]


def test_finding_without_a_stack_gets_the_module_provider() -> None:
    module = cst.parse_module(TRICKY)
    findings = all_calls(module)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    bare = [RawFinding("ACK999", "x", f.node, "", None, None) for f in findings]
    assert positions_by_statement(module, TRICKY, bare) is None
    got = positions(module, TRICKY, bare)
    for finding in bare:
        assert got[finding.node] == expected[finding.node]


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_engine_positions_with_bom_and_newlines(bom: bool, newline: str) -> None:
    """End to end: a byte-order mark is not a column, CRLF is one line break."""
    text = (
        "import time\n\n\nclass Service:\n    # comment\n    @staticmethod\n"
        "    async def run():\n        x = 1; time.sleep(1)\n"
        "    async def other(self): time.sleep(2)\n"
    ).replace("\n", newline)
    data = (codecs.BOM_UTF8 if bom else b"") + text.encode()
    linter = Linter([all_rules()["ACK200"]], Settings(), ProjectIndex.empty())
    result = linter.lint_bytes("m.py", data, module_name="m")
    found = [(d.code, d.line, d.column, d.end_line, d.end_column) for d in result.diagnostics]
    assert ("ACK200", 8, 16, 8, 29) in found
    assert ("ACK200", 9, 28, 9, 41) in found


def test_code_found_once_in_the_text_needs_no_ast(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_ast(*args: object) -> None:
        raise AssertionError("ast consulted")

    monkeypatch.setattr(_StatementLines, "of", no_ast)
    module = cst.parse_module(CLASS_BODIES)
    findings = all_calls(module)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    got = positions_by_statement(module, CLASS_BODIES, findings)
    assert got is not None
    assert all(got[f.node] == expected[f.node] for f in findings)


@pytest.mark.parametrize("text", [
    # The same function twice: the first one's code occurs twice (in the second too).
    "def f():\n    g()\n\ndef f():\n    g()\n",
    # The same method in two classes that are the same too.
    "class A:\n    def m(self):\n        call()\nclass A:\n    def m(self):\n        call()\n",
    # Identical lines in one block, and the block's statement repeated.
    "for x in y:\n    h()\n    h()\nfor x in y:\n    h()\n    h()\n",
])
def test_code_that_occurs_more_than_once_is_placed_by_ast(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    consulted: list[bool] = []
    original = _StatementLines.of

    def spy(*args: object) -> object:
        consulted.append(True)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(_StatementLines, "of", spy)
    module = cst.parse_module(text)
    findings = all_calls(module)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    got = positions_by_statement(module, text, findings)
    assert got is not None and consulted
    for finding in findings:
        assert got[finding.node] == expected[finding.node]
        assert finding.statement is not None
        assert got[finding.statement] == expected[finding.statement]
