"""The engine parses without libcst's per-node validation, and gets the same trees."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from asyncheck.engine import SourceError, parse_source

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


def test_nodes_built_outside_the_parser_are_still_validated() -> None:
    parse_source("import asyncio\n\nasyncio.run(main())\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")
