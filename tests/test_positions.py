"""Positions computed statement by statement equal libcst's whole-module PositionProvider."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from asyncheck.context import RawFinding
from asyncheck.engine import _positions

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


def all_calls(module: cst.Module) -> list[RawFinding]:
    found: list[RawFinding] = []
    for top in module.body:
        class Calls(cst.CSTVisitor):
            def visit_Call(self, node: cst.Call) -> None:
                found.append(RawFinding("ACK999", "x", node, "", None, None, top))
        top.visit(Calls())
    return found


SOURCES = {"tricky": TRICKY, **{p.name: p.read_text(encoding="utf-8")
                               for p in sorted(FIXTURES.rglob("*.py"))
                               if "time.sleep(" in p.read_text(encoding="utf-8")}}


@pytest.mark.parametrize("name", list(SOURCES))
def test_statement_positions_equal_module_positions(name: str) -> None:
    module = cst.parse_module(SOURCES[name])
    findings = all_calls(module)
    assert findings
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    # Only some statements hold findings: every other one must still count its lines right.
    for subset in (findings, findings[-1:], findings[::3]):
        got = _positions(module, subset)
        for finding in subset:
            assert got[finding.node] == expected[finding.node]
