"""Where the nodes of findings are in the source: libcst's positions, computed for less.

libcst's ``PositionProvider`` gives every node's range by generating the whole module's code
with position tracking.  A file's findings need the ranges of a few nodes only:
:func:`positions` generates only the statements that hold them, placed by their source lines,
and falls back to the whole module only when that cannot be done with certainty.  The answers
are the provider's, exactly.
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Protocol, Union, cast

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodeRange
from libcst.metadata import MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

_NEWLINE_RE = re.compile(r"\r\n?|\n")


class Finding(Protocol):
    """What position recovery reads of a finding (the lint's findings are such)."""

    @property
    def node(self) -> cst.CSTNode:
        """The node whose range is wanted."""

    @property
    def statement(self) -> cst.CSTNode | None:
        """The statement holding it whose range is wanted too (for suppression comments)."""

    @property
    def path(self) -> tuple[cst.CSTNode, ...]:
        """The traversal stack when the finding was made (module first)."""


def positions(
    module: cst.Module, text: str, findings: Sequence[Finding]
) -> Mapping[cst.CSTNode, CodeRange]:
    """Positions of the findings' nodes (and statements), exactly as libcst's
    PositionProvider gives them.

    The provider tracks every token of the whole module, which costs more than the parse.
    Three ways, cheapest first, each used only when the one before cannot vouch for its
    answer: the innermost statements holding findings, anchored to their source lines
    (:func:`positions_by_statement`); every top-level statement, generated to count lines
    and with position tracking where findings are; the whole-module provider.
    """
    computed = positions_by_statement(module, text, findings)
    if computed is not None:
        return computed
    # The top-level statements holding findings (the header's comments never do).
    wanted = {id(f.path[1]) for f in findings if len(f.path) > 1}
    provider = PositionProvider()
    line = 1
    for node in (*module.header, *module.body):
        if id(node) in wanted:
            state = PositionProvidingCodegenState(
                default_indent=module.default_indent, default_newline=module.default_newline,
                provider=provider, line=line, column=0)
            node._codegen(state)
            line = state.line
        else:
            plain = CodegenState(default_indent=module.default_indent,
                                 default_newline=module.default_newline)
            node._codegen(plain)
            line += len(_NEWLINE_RE.findall("".join(plain.tokens)))
    computed = cast(dict[cst.CSTNode, CodeRange], provider._computed)
    if _covers(computed, findings):
        return computed
    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


def _covers(computed: Mapping[cst.CSTNode, CodeRange], findings: Sequence[Finding]) -> bool:
    return all(f.node in computed and (f.statement is None or f.statement in computed)
               for f in findings)


def positions_by_statement(
    module: cst.Module, text: str, findings: Sequence[Finding]
) -> dict[cst.CSTNode, CodeRange] | None:
    """Positions from generating only the innermost statement holding each finding, or None
    when that cannot be done with certainty (the caller then takes a slower way).

    A statement's generated code starts at the first of its leading blank and comment lines,
    at column 0, indented by the blocks around it.  Which line that is:

    * where its code occurs in the source text, if it occurs exactly once there (at the
      start of a line): the module's code is its statements' code one after another, so
      the one place the text holds it is its place.  Statements around it are tried, from
      the innermost out, while the code is not unique (``self.close()`` may occur often);
    * else from CPython's ``ast``: the statement's first line (its first decorator's, for a
      decorated definition) less its leading lines.  libcst and ``ast`` list the same
      statements in the same source order (a line ``a; b`` is one libcst statement and two
      ``ast`` ones), so a statement's rank in that order finds its ``ast`` twin.

    Either way the code generated with positions must equal the source text at that line;
    otherwise (or when ``ast`` cannot parse what libcst can) the answer is None.
    """
    index = _LineIndex(text)
    placed: dict[int, tuple[_LineStatement, tuple[str, ...], int]] = {}
    unplaced: dict[int, tuple[_LineStatement, tuple[str, ...]]] = {}
    searched: dict[int, int | None] = {}
    for finding in findings:
        candidates = _anchors(module, finding)
        if not candidates:
            return None
        for statement, indents in candidates:
            key = id(statement)
            if key not in searched:
                searched[key] = index.unique_line(_plain_code(module, statement, indents))
            line = searched[key]
            if line is not None:
                placed.setdefault(key, (statement, indents, line))
                break
        else:
            statement, indents = candidates[0]
            unplaced.setdefault(id(statement), (statement, indents))
    if unplaced:
        lines = _StatementLines.of(module, text, [s for s, _ in unplaced.values()])
        if lines is None:
            return None
        for key, (statement, indents) in unplaced.items():
            line = lines.first_line(statement)
            if line is None:
                return None
            placed.setdefault(key, (statement, indents, line))
    provider = PositionProvider()
    for statement, indents, line in placed.values():
        state = PositionProvidingCodegenState(
            default_indent=module.default_indent, default_newline=module.default_newline,
            provider=provider, indent_tokens=list(indents), line=line, column=0)
        statement._codegen(state)
        if not index.source_matches(line, state.tokens):
            return None
    computed = cast(dict[cst.CSTNode, CodeRange], provider._computed)
    return computed if _covers(computed, findings) else None


def _plain_code(module: cst.Module, statement: _LineStatement, indents: tuple[str, ...]) -> str:
    """The code of ``statement`` where it stands (indented by ``indents``)."""
    state = CodegenState(default_indent=module.default_indent,
                         default_newline=module.default_newline, indent_tokens=list(indents))
    statement._codegen(state)
    return "".join(state.tokens)


def _anchors(
    module: cst.Module, finding: Finding
) -> list[tuple[_LineStatement, tuple[str, ...]]]:
    """The statements that may be generated for a finding, innermost first, each with the
    indentation its blocks put before it: its ``statement`` when that is on the traversal
    stack (else the innermost statement there) and the statements around it.  Empty when
    the stack holds no statement."""
    path = finding.path
    depths: list[int] = []
    for position, node in enumerate(path):
        # An ``elif`` is an If in its parent's ``orelse``: generated alone it would read
        # ``if``, so the statement to generate is the first ``if`` of the chain.
        if isinstance(node, _LINE_STATEMENTS) and not (
                isinstance(node, cst.If) and position > 0
                and isinstance(path[position - 1], cst.If)):
            depths.append(position)
        if node is finding.statement:
            break
    anchors: list[tuple[_LineStatement, tuple[str, ...]]] = []
    for depth in reversed(depths):
        statement = path[depth]
        assert isinstance(statement, _LINE_STATEMENTS)
        indents = tuple(
            module.default_indent if node.indent is None else node.indent
            for node in path[:depth] if isinstance(node, _INDENTING))
        anchors.append((statement, indents))
    return anchors


class _LineIndex:
    r"""Lines of a source text as libcst counts them (``\r\n``, ``\r`` and ``\n`` end one)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """The offset where each line starts (index 0: line 1)."""
        if self._starts is None:
            self._starts = [0, *(m.end() for m in _NEWLINE_RE.finditer(self.text))]
        return self._starts

    def unique_line(self, code: str) -> int | None:
        """The line where ``code`` starts if the text holds it exactly once, at a line's
        start; else None."""
        text = self.text
        offset = text.find(code)
        if offset < 0 or text.find(code, offset + 1) >= 0:
            return None
        if offset > 0 and not (text[offset - 1] == "\n" or (
                text[offset - 1] == "\r" and text[offset] != "\n")):
            return None
        return bisect.bisect_right(self.starts, offset)

    def source_matches(self, line: int, tokens: list[str]) -> bool:
        """The generated ``tokens`` are the source text from the start of ``line`` on.

        The last statement of a file without a final newline generates one anyway (the
        module drops it), so a missing newline at the very end is accepted."""
        if not 1 <= line <= len(self.starts):
            return False
        generated = "".join(tokens)
        offset = self.starts[line - 1]
        if self.text.startswith(generated, offset):
            return True
        trimmed = generated[:-len(tokens[-1])] if tokens and tokens[-1] in ("\n", "\r\n", "\r") else None
        return trimmed is not None and offset + len(trimmed) == len(self.text) \
            and self.text.startswith(trimmed, offset)


#: Statements that start a line of their own (statements of a ``SimpleStatementSuite`` are
#: small statements, never one of these).
_LineStatement = Union[cst.SimpleStatementLine, cst.BaseCompoundStatement]
_LINE_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement)
#: Nodes whose code generation indents what they hold (``IndentedBlock.indent``, and a
#: ``match`` statement's cases).
_INDENTING = (cst.IndentedBlock, cst.Match)
#: The ``ast`` fields that hold statements or clauses with statement bodies, in source order.
_AST_BLOCKS = ("body", "handlers", "orelse", "finalbody", "cases")


class _StatementLines:
    """Where statements of one module start in its source text, from ``ast``."""

    def __init__(self, tree: ast.Module, ranks: dict[int, int]) -> None:
        self.ranks = ranks
        self.statements = _ast_statements(tree)

    @classmethod
    def of(
        cls, module: cst.Module, text: str, statements: list[_LineStatement]
    ) -> _StatementLines | None:
        """The line index for ``statements`` of ``module``, or None if ``ast`` rejects the
        text (syntax newer than the running Python, or too deeply nested)."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarnings about the analysed code
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        return cls(tree, _cst_ranks(module, {id(s) for s in statements}))

    def first_line(self, statement: _LineStatement) -> int | None:
        """The line where the generated code of ``statement`` starts (its first leading
        line), or None if the statement has no ``ast`` twin."""
        rank = self.ranks.get(id(statement))
        if rank is None or rank >= len(self.statements):
            return None
        twin = self.statements[rank]
        line = twin.lineno
        decorators = getattr(twin, "decorator_list", None)
        if decorators:
            line = min(line, decorators[0].lineno)
        start = line - len(statement.leading_lines)
        return start if start >= 1 else None


def _ast_statements(tree: ast.Module) -> list[ast.stmt]:
    """Every statement of the tree in source order (a statement before those it holds)."""
    found: list[ast.stmt] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.stmt):
            found.append(node)
        inner: list[ast.AST] = []
        for field in _AST_BLOCKS:
            for child in getattr(node, field, ()):
                if isinstance(child, ast.stmt):
                    inner.append(child)
                else:  # an ``except`` clause or a ``case``: its body
                    inner.extend(getattr(child, "body", ()))
        pending.extend(reversed(inner))
    return found


def _cst_ranks(module: cst.Module, wanted: set[int]) -> dict[int, int]:
    """For the libcst statements whose ids are ``wanted``, the rank of their first ``ast``
    statement in source order (see :func:`_ast_statements`): a line ``a; b`` counts two."""
    ranks: dict[int, int] = {}
    rank = 0
    pending: list[cst.CSTNode] = list(reversed(module.body))
    while pending and len(ranks) < len(wanted):
        node = pending.pop()
        if id(node) in wanted:
            ranks[id(node)] = rank
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            rank += len(node.body)
            continue
        if isinstance(node, cst.BaseCompoundStatement):
            rank += 1
        pending.extend(reversed(_cst_blocks(node)))
    return ranks


def _cst_blocks(node: cst.CSTNode) -> list[cst.CSTNode]:
    """What follows a compound statement's header, in source order: the statements of its
    indented blocks, its one-line suites, and an ``elif`` (a statement of its own)."""
    suites: list[cst.CSTNode] = []
    body = getattr(node, "body", None)
    if isinstance(body, cst.BaseSuite):
        suites.append(body)
    for clause in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
        suites.append(clause.body)
    orelse = getattr(node, "orelse", None)
    if isinstance(orelse, cst.If):
        suites.append(orelse)
    elif orelse is not None:
        suites.append(orelse.body)
    finalbody = getattr(node, "finalbody", None)
    if finalbody is not None:
        suites.append(finalbody.body)
    blocks: list[cst.CSTNode] = []
    for suite in suites:
        if isinstance(suite, cst.IndentedBlock):
            blocks.extend(suite.body)
        else:
            blocks.append(suite)
    return blocks
