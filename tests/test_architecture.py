"""The package's layers (ARCHITECTURE.md): folders are layers, and imports only go down.

The import graph is read from the sources with ``ast``, so it sees every import: at module
level, inside functions, and under ``if TYPE_CHECKING:`` (a type that only the checker
imports is still a dependency a reader has to follow).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "asyncheck"

#: Bottom to top; a module may import from its own layer and the ones below it.
LAYERS = ("core", "text", "syntax", "semantics", "lint", "rules", "app", "doors")
#: Where a function-level import may save start-up time (it must say so in a comment).
LAZY_IMPORT_LAYERS = frozenset({"app", "doors"})
#: What a rule module may import of asyncheck: the rule author's API (the package
#: ``asyncheck.lint`` itself, not its modules) and the analyses.
RULE_API = "asyncheck.lint"
RULE_IMPORTS = ("asyncheck.semantics.", "asyncheck.syntax.")
#: Layers that work on text and plain data only: they import no libcst, so that a run
#: answered from the cache, ``--list-rules`` and the pre-filter never load it.
WITHOUT_LIBCST = frozenset({"core", "text"})


@dataclass(frozen=True)
class Import:
    """One import of an asyncheck module by another."""

    source: str
    target: str
    line: int
    in_function: bool
    commented: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    """The layer's rank; the package root (``__version__``) is below everything and
    ``__main__`` above everything."""
    parts = module.split(".")
    if len(parts) == 1:
        return -1
    if parts[1] == "__main__":
        return len(LAYERS)
    assert parts[1] in LAYERS, f"{module} is in no layer: put it in one of {LAYERS}"
    return LAYERS.index(parts[1])


def _resolve(name: str, known: dict[str, Path]) -> str:
    """The module an imported dotted name is: itself, or the package that defines it."""
    while name not in known:
        name = name.rpartition(".")[0]
    return name


def imports_of(module: str, path: Path, known: dict[str, Path]) -> Iterator[Import]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    is_package = path.name == "__init__.py"
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    nested = {id(n) for f in functions for n in ast.walk(f) if n is not f}

    def commented(node: ast.stmt) -> bool:
        here = lines[node.lineno - 1]
        before = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
        return "#" in here or before.startswith("#")

    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                     for alias in node.names]
        for name in names:
            if name == "asyncheck" or name.startswith("asyncheck."):
                yield Import(module, _resolve(name, known), node.lineno, id(node) in nested,
                             commented(node))


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    known = modules()
    return [i for module, path in known.items() for i in imports_of(module, path, known)]


def test_every_module_is_in_a_layer() -> None:
    for module in modules():
        layer_of(module)


def test_imports_only_go_down(graph: list[Import]) -> None:
    upward = [f"{i.source}:{i.line} imports {i.target}" for i in graph
              if layer_of(i.target) > layer_of(i.source)]
    assert upward == []


def test_no_import_cycles(graph: list[Import]) -> None:
    edges: dict[str, set[str]] = {}
    for i in graph:
        if i.target != i.source:
            edges.setdefault(i.source, set()).add(i.target)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_function_level_imports_only_where_they_save_start_up(graph: list[Import]) -> None:
    misplaced = [f"{i.source}:{i.line} imports {i.target} inside a function" for i in graph
                 if i.in_function and (
                     i.source.split(".")[1] not in LAZY_IMPORT_LAYERS or not i.commented)]
    assert misplaced == []


def test_rules_import_only_the_rule_authors_api(graph: list[Import]) -> None:
    stray = [f"{i.source}:{i.line} imports {i.target}" for i in graph
             if i.source.startswith("asyncheck.rules.")
             and not (i.target == RULE_API or i.target.startswith(RULE_IMPORTS))]
    assert stray == []


def test_core_and_text_do_not_import_libcst() -> None:
    found = []
    for module, path in modules().items():
        if module.split(".")[1:2] and module.split(".")[1] in WITHOUT_LIBCST:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                found += [f"{module}:{node.lineno} imports {n}" for n in names
                          if n == "libcst" or n.startswith("libcst.")]
    assert found == []


def test_the_checker_sees_what_it_must(tmp_path: Path) -> None:
    """The graph reader finds function-level, TYPE_CHECKING and relative imports."""
    package = tmp_path / "asyncheck"
    (package / "core").mkdir(parents=True)
    (package / "doors").mkdir()
    for init in (package, package / "core", package / "doors"):
        (init / "__init__.py").write_text("")
    (package / "doors" / "cli.py").write_text("")
    source = package / "core" / "config.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from asyncheck.doors import cli\n"
        "def f():\n"
        "    from ..doors.cli import main\n"
    )
    known = {"asyncheck": package / "__init__.py", "asyncheck.core": package / "core/__init__.py",
             "asyncheck.core.config": source, "asyncheck.doors": package / "doors/__init__.py",
             "asyncheck.doors.cli": package / "doors/cli.py"}
    found = list(imports_of("asyncheck.core.config", source, known))
    assert [(i.target, i.in_function) for i in found] == [
        ("asyncheck.doors.cli", False), ("asyncheck.doors.cli", True)]
