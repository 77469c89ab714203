"""The engine parses without libcst's per-node validation, and gets the same trees."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from asyncheck.core.source import SourceError
from asyncheck.syntax.parse import parse_source

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "fixtures").rglob("*.py")) + sorted((ROOT / "src").rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_trees_equal_libcsts_validated_parse(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        validated = cst.parse_module(text)
    except cst.ParserSyntaxError:
        # The ACK000 fixtures: rejected either way.
        with pytest.raises(SourceError):
            parse_source(text)
        return
    tree = parse_source(text)
    assert tree.deep_equals(validated)
    assert tree.code == text


@pytest.mark.parametrize("parses", [1, 3])
def test_nodes_built_outside_the_parser_are_still_validated(parses: int) -> None:
    # The first parse of a process skips validation one way, later ones another: each in a
    # fresh interpreter, then checked the same way.
    code = (
        "import libcst as cst\n"
        "from asyncheck.syntax.parse import parse_source\n"
        f"trees = [parse_source(f'asyncio.run(main({{n}}))\\n') for n in range({parses})]\n"
        "assert trees[-1].body[0].body[0].value.func.value.value == 'asyncio'\n"
        "try:\n"
        "    cst.Name('not a name')\n"
        "except cst.CSTValidationError:\n"
        "    print('validated', cst.Name('valid').value)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["validated", "valid"]


def test_every_node_class_is_built_without_validation_by_the_parser() -> None:
    # A libcst release whose node classes no longer match what the cheaper initialisers
    # assume makes them fall back to libcst's own, silently: this says so.
    from asyncheck.syntax.fastinit import _install_initialisers

    node_classes, pending = [], [cst.CSTNode]
    while pending:
        current = pending.pop()
        pending.extend(current.__subclasses__())
        if "__init__" in vars(current) and dataclasses.is_dataclass(current):
            node_classes.append(current)
    assert node_classes
    assert set(node_classes) == set(_install_initialisers())

