"""One file in, diagnostics out: decode, parse once, one batched visit, suppression.

The engine never imports or runs the code it reads.  A file it cannot decode or parse gets
an ACK000 diagnostic with the reason and position; a rule that raises gets an ACK000
internal-error diagnostic naming the rule, and the other rules still run on that file.
"""

from __future__ import annotations

import ast
import bisect
import codecs
import dataclasses
import inspect
import io
import re
import sys
import tokenize
import types
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Union, cast

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodeRange
from libcst.metadata import MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from asyncheck.semantics.project import ProjectIndex
from asyncheck.syntax.walk import walk_tracked
from asyncheck.core.config import Settings
from asyncheck.lint.context import FileContext, RawFinding
from asyncheck.core.diagnostic import UNPARSABLE_CODE, Diagnostic
from asyncheck.lint.rule import Rule
from asyncheck.core.suppression import is_suppressed, parse_suppressions

#: Larger files get ACK000 instead of being parsed (see :meth:`Linter.lint_bytes`).
MAX_FILE_BYTES = 2_000_000
_NEWLINE_RE = re.compile(r"\r\n?|\n")
_NATIVE_POSITION_RE = re.compile(r"(?:parser error: )?error at (\d+):(\d+): ")


class SourceError(Exception):
    """The bytes of a file are not a Python source we can analyse."""

    def __init__(self, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


@dataclass(frozen=True)
class DecodedSource:
    """A file's text and how to turn it back into the same bytes."""

    text: str
    encoding: str
    bom: bool


def decode_source(data: bytes) -> DecodedSource:
    """Decode per PEP 263: BOM, then an encoding cookie on line 1 or 2, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        # detect_encoding says "invalid or missing encoding declaration" for any non-UTF-8
        # byte in the first two lines; the decode error below gives the position.
        if "encoding" not in str(error) or "declaration" not in str(error):
            raise SourceError(str(error)) from None
        encoding = "utf-8"
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        if isinstance(error, UnicodeDecodeError):
            line = data.count(b"\n", 0, error.start) + 1
            column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
            raise SourceError(f"cannot decode as {encoding}: {error.reason}", line, column) from None
        raise SourceError(f"unknown encoding: {encoding}") from None
    if bom and text.startswith("\ufeff"):
        text = text[1:]
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    return DecodedSource(text, encoding, bom)


class _KeptTrees:
    """Trees the project index parsed, kept for the lint of the same text.

    The index parses a module when a lint asks about it; when that module's own lint comes
    later in the same process (import cycles, the pool's other chunks), it takes the tree
    from here instead of parsing the file again.  Bounded by source size: a tree takes about
    25 bytes of memory per byte of source.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._trees: OrderedDict[str, cst.Module] = OrderedDict()
        self._size = 0

    def keep(self, text: str, tree: cst.Module) -> None:
        if len(text) > self.budget or text in self._trees:
            return
        self._trees[text] = tree
        self._size += len(text)
        while self._size > self.budget:
            oldest, _ = self._trees.popitem(last=False)
            self._size -= len(oldest)

    def take(self, text: str) -> cst.Module | None:
        tree = self._trees.pop(text, None)
        if tree is not None:
            self._size -= len(text)
        return tree


_KEPT_TREES = _KeptTrees(budget=2_000_000)


def parse_source(text: str, *, keep: bool = False) -> cst.Module:
    """Parse with libcst; raises :class:`SourceError` with libcst's reason and position.

    ``keep``: the project index is parsing; keep the tree for this text's lint.
    """
    kept = _KEPT_TREES.take(text)
    if kept is not None:
        if keep:
            _KEPT_TREES.keep(text, kept)  # the index took a tree parsed ahead for a lint
        return kept
    tree = _parse_source(text)
    if keep:
        _KEPT_TREES.keep(text, tree)
    return tree


def _parse_source(text: str) -> cst.Module:
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SourceError("source contains a NUL byte", line, 1)
    try:
        with _trusting_the_parser():
            return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        python_error = _python_syntax_error(text)
        if python_error is not None:
            raise python_error from None
        reason = " ".join(error.message.split()) or "syntax error"
        line, column = error.raw_line, error.raw_column + 1
        # The native parser puts the real position in the message: "... error at 2:0: ...".
        located = _NATIVE_POSITION_RE.match(reason)
        if located is not None:
            line, column = int(located.group(1)), int(located.group(2)) + 1
            reason = reason[located.end():] or "syntax error"
        raise SourceError(f"cannot parse: {reason}", line, column) from None
    except RecursionError:
        raise SourceError("cannot parse: nested too deeply") from None
    except Exception as error:  # libcst's native parser reports some failures otherwise
        reason = " ".join(str(error).split()) or type(error).__name__
        raise SourceError(f"cannot parse: {reason}") from None


@contextmanager
def _trusting_the_parser() -> Iterator[None]:
    """Skip libcst's validation of each node while its parser builds the tree.

    ``CSTNode.__post_init__`` re-validates every node constructed (whitespace is whitespace,
    parentheses match, ...): for nodes made by libcst's own parser from source it accepted
    that is wasted work (libcst says so in a comment on ``__post_init__``), and it is a
    sixth of the parse, which is half of a lint: the first parse of a process swaps it for a
    no-op.  From the second on, the node classes have initialisers that store the fields
    the same way, cheaper, and call ``__post_init__`` only outside the parser
    (:func:`_install_initialisers`: another eighth of the parse).  Trees are the same
    (tested node for node on the fixtures and sources).  Nodes built anywhere else, e.g. by
    fixes, are still validated.
    """
    _PARSES[0] += 1
    if _PARSES[0] >= 2:
        # Installing costs 40 ms (compiling them), more than a one-file run saves with them.
        _install_initialisers()
    if not _INITIALISERS:
        original = cst.CSTNode.__dict__["__post_init__"]
        cst.CSTNode.__post_init__ = _valid_by_construction  # type: ignore[method-assign]
        try:
            yield
        finally:
            cst.CSTNode.__post_init__ = original  # type: ignore[method-assign]
        return
    previous = _VALIDATING[0]
    _VALIDATING[0] = False
    try:
        yield
    finally:
        _VALIDATING[0] = previous


def _valid_by_construction(self: cst.CSTNode) -> None:
    """The parser's nodes need no validation (see :func:`_trusting_the_parser`)."""


#: Parses so far in this process.
_PARSES = [0]
_Initialiser = Callable[..., None]
#: Whether node initialisers validate: not while libcst's parser builds a tree.
_VALIDATING = [True]
#: The node classes given an initialiser (installed once per process).
_INITIALISERS: set[type] = set()


def _install_initialisers() -> set[type]:
    """Give every libcst node class an initialiser that sets the same fields as its
    dataclass ``__init__``, through each slot's own setter instead of
    ``object.__setattr__``, and calls ``__post_init__`` (the validation) unless libcst's
    parser is building the node.  Done once: swapping initialisers around every parse
    invalidated the type caches of all node classes each time.

    Defaults and default factories are the dataclass's.  A class whose ``__init__`` is not
    the dataclass's, or whose fields it does not take one by one in order, keeps its own.
    """
    if _INITIALISERS:
        return _INITIALISERS
    # All initialisers are generated as one source and compiled once (a compile per class
    # cost 40 ms, which a one-file run pays).
    namespace: dict[str, object] = {"_FACTORY": object(), "_setattr": object.__setattr__,
                                     "_VALIDATING": _VALIDATING}
    sources: list[str] = []
    made: dict[type, str] = {}
    pending: list[type] = [cst.CSTNode]
    while pending:
        node_class = pending.pop()
        pending.extend(node_class.__subclasses__())
        checked = node_class.__dict__.get("__init__")
        if node_class in made or checked is None or not dataclasses.is_dataclass(node_class):
            continue
        name = f"_init{len(made)}"
        source = _trusting_initialiser(node_class, checked, name, namespace)
        if source is not None:
            sources.append(source)
            made[node_class] = name
    exec("\n".join(sources), namespace)  # noqa: S102 - our own code, as @dataclass does
    for node_class, name in made.items():
        trusting = cast(_Initialiser, namespace[name])
        trusting.__qualname__ = f"{node_class.__qualname__}.__init__"
        _INITIALISERS.add(node_class)
        node_class.__init__ = trusting  # type: ignore[misc]
    return _INITIALISERS


def _trusting_initialiser(node_class: type, checked: _Initialiser, function: str,
                          namespace: dict[str, object]) -> str | None:
    """The source of ``function``, the initialiser of ``node_class`` (what it refers to
    goes into ``namespace``), or None when its dataclass ``__init__`` is not as expected."""
    fields = dataclasses.fields(node_class)
    code = getattr(checked, "__code__", None)
    if (code is None or code.co_filename != "<string>"  # not made by @dataclass
            or code.co_kwonlyargcount or code.co_flags & (inspect.CO_VARARGS
                                                          | inspect.CO_VARKEYWORDS)
            or list(code.co_varnames[1:code.co_argcount]) != [f.name for f in fields]
            or any(not f.init or f.kw_only is True for f in fields)):
        return None
    parameters, body = [], []
    for position, f in enumerate(fields):
        name = f"{function}_{position}"  # field names could clash with the helpers' names
        if f.default is not dataclasses.MISSING:
            namespace[f"{name}_default"] = f.default
            parameters.append(f"{f.name}={name}_default")
            value = f.name
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"{name}_factory"] = f.default_factory
            parameters.append(f"{f.name}=_FACTORY")
            value = f"{name}_factory() if {f.name} is _FACTORY else {f.name}"
        else:
            parameters.append(f.name)
            value = f.name
        slot = next((vars(c)[f.name] for c in node_class.__mro__
                     if isinstance(vars(c).get(f.name), types.MemberDescriptorType)), None)
        if slot is not None:
            namespace[f"{name}_set"] = slot.__set__
            body.append(f"    {name}_set(self, {value})")
        else:
            body.append(f"    _setattr(self, {f.name!r}, {value})")
    body.append("    if _VALIDATING[0]:\n        self.__post_init__()")
    return f"def {function}(self, {', '.join(parameters)}):\n" + "\n".join(body) + "\n"


def _python_syntax_error(text: str) -> SourceError | None:
    """CPython's own message and position when the text is not valid Python (they are more
    precise than libcst's); None when it is valid Python that libcst rejects.

    ``ast.parse`` compiles nothing and runs nothing.
    """
    try:
        with warnings.catch_warnings():
            # CPython warns about the analysed code (`"a" is "b"`): not ours to print.
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as error:
        line = error.lineno or 1
        column = error.offset or 1
        return SourceError(f"syntax error: {error.msg}", line, max(column, 1))
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


def read_module(data: bytes) -> cst.Module | None:
    """Decode and parse, or None (for the project index, which reports nothing itself)."""
    try:
        return parse_source(decode_source(data).text, keep=True)
    except SourceError:
        return None


@dataclass
class FileResult:
    """What linting one file produced."""

    diagnostics: list[Diagnostic]
    module: cst.Module | None = None
    source: DecodedSource | None = None


class Linter:
    """Runs a fixed set of rule classes over files; build once, use for many files."""

    def __init__(
        self,
        rules: Sequence[type[Rule]],
        settings: Settings,
        index: ProjectIndex,
        *,
        apply_noqa: bool = True,
    ) -> None:
        self.rules = tuple(rules)
        self.settings = settings
        self.index = index
        self.apply_noqa = apply_noqa
        self.codes = frozenset(r.code for r in self.rules)
        self._needs_metadata = any(r.METADATA_DEPENDENCIES for r in self.rules)
        #: The rules that run on every file: they made no promise (TRIGGERS), or they
        #: also report calls of the project's coroutine functions by name, which the
        #: pre-filter knows and one file's text does not.
        self._everywhere = frozenset(
            rule for rule in self.rules
            if rule.TRIGGERS is None or rule.TRIGGERS_INCLUDE_COROUTINE_NAMES)

    def lint_bytes(
        self, path: str, data: bytes, *, module_name: str, is_package: bool = False
    ) -> FileResult:
        """Lint one file's bytes; ``path`` is how diagnostics name it."""
        if len(data) > MAX_FILE_BYTES:
            # libcst needs about 500 bytes of memory per byte of source: a 10 MB generated
            # file would take 5 GB.  Say so instead of exhausting the machine.
            return FileResult(self._unparsable(path, SourceError(
                f"file too large to analyse ({len(data) / 1e6:.1f} MB; the limit is "
                f"{MAX_FILE_BYTES / 1e6:.0f} MB)")))
        try:
            source = decode_source(data)
        except SourceError as error:
            return FileResult(self._unparsable(path, error))
        return self.lint_text(path, source, module_name=module_name, is_package=is_package)

    def lint_text(
        self, path: str, source: DecodedSource, *, module_name: str, is_package: bool = False
    ) -> FileResult:
        """Lint already decoded source."""
        try:
            module = parse_source(source.text)
        except SourceError as error:
            return FileResult(self._unparsable(path, error), source=source)
        ignored = self.settings.ignored_for_path(Path(path))
        rules = self._may_report_in(source.text, [
            r for r in self.rules if not any(r.code.startswith(i) for i in ignored)])
        self.index.add_module(module_name, module, is_package=is_package)
        diagnostics: list[Diagnostic] = []
        findings: list[RawFinding] = []
        while rules:
            context = FileContext(
                path=path, module=module, module_name=module_name, is_package=is_package,
                source=source.text, settings=self.settings, index=self.index,
            )
            instances = [rule(context) for rule in rules]
            try:
                if self._needs_metadata:
                    MetadataWrapper(module, unsafe_skip_copy=True).visit_batched(
                        instances, context.before_visit, context.after_leave)
                else:
                    with _deeper_recursion():
                        walk_tracked(module, [i.get_visitors() for i in instances],
                                     context.stack, *context.node_hooks())
            except RecursionError:
                diagnostics.extend(self._unparsable(path, SourceError("nested too deeply to analyse")))
                break
            except Exception as error:
                failed = _failing_rule(error.__traceback__)
                if failed is None or type(failed) not in rules:
                    raise
                rules.remove(type(failed))
                diagnostics.append(Diagnostic.unparsable(
                    path,
                    f"internal error in rule {failed.code} ({failed.name}): "
                    f"{type(error).__name__}: {error}; please report this with the file",
                    internal_error=True,
                ))
                continue
            finally:
                context.release()
            findings = context.findings
            break
        if findings:
            try:
                with _deeper_recursion():
                    diagnostics.extend(self._position(path, module, source.text, findings))
            except RecursionError:
                diagnostics.extend(self._unparsable(path, SourceError(
                    "nested too deeply to compute the positions of its findings")))
        diagnostics.sort(key=Diagnostic.sort_key)
        return FileResult(diagnostics, module, source)

    def _may_report_in(self, text: str, rules: list[type[Rule]]) -> list[type[Rule]]:
        """The rules that can report in a file with this text.

        A rule reports only in files that hold one of its triggers (the promise the
        pre-filter skips whole files on); in a file that holds none of them it is left out
        of the visit, whose cost is mostly the rules' calls.
        """
        present: dict[tuple[str, ...] | None, bool] = {}
        kept = []
        for rule in rules:
            if rule not in self._everywhere:
                found = present.get(rule.TRIGGERS)
                if found is None:
                    found = present[rule.TRIGGERS] = rule.triggered_by(text)
                if not found:
                    continue
            kept.append(rule)
        return kept

    def _position(
        self, path: str, module: cst.Module, text: str, findings: list[RawFinding]
    ) -> list[Diagnostic]:
        positions = _positions(module, text, findings)
        suppressions = parse_suppressions(text, include_noqa=self.apply_noqa)
        result = []
        seen: set[tuple[str, int, int]] = set()
        for finding in findings:
            where = positions.get(finding.node)
            if where is None:
                continue
            lines: tuple[int, ...] = (where.start.line,)
            if finding.statement is not None and finding.statement in positions:
                lines += (positions[finding.statement].start.line,)
            if is_suppressed(finding.code, lines, suppressions):
                continue
            key = (finding.code, where.start.line, where.start.column)
            if key in seen:
                continue
            seen.add(key)
            result.append(Diagnostic(
                path, where.start.line, where.start.column + 1, where.end.line,
                where.end.column + 1, finding.code, finding.name, finding.message, finding.fix,
            ))
        return result

    def _unparsable(self, path: str, error: SourceError) -> list[Diagnostic]:
        if UNPARSABLE_CODE not in self.codes:
            return []
        return [Diagnostic.unparsable(path, error.reason, error.line, error.column)]


def _positions(
    module: cst.Module, text: str, findings: list[RawFinding]
) -> Mapping[cst.CSTNode, CodeRange]:
    """Positions of the findings' nodes (and statements), exactly as libcst's
    PositionProvider gives them.

    The provider tracks every token of the whole module, which costs twice the parse.  Three
    ways, cheapest first, each used only when the one before cannot vouch for its answer:
    the innermost statements holding findings, anchored to their source lines
    (:func:`_positions_by_statement`); every top-level statement, generated to count lines
    and with position tracking where findings are; the whole-module provider.
    """
    computed = _positions_by_statement(module, text, findings)
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


def _covers(computed: Mapping[cst.CSTNode, CodeRange], findings: list[RawFinding]) -> bool:
    return all(f.node in computed and (f.statement is None or f.statement in computed)
               for f in findings)


def _positions_by_statement(
    module: cst.Module, text: str, findings: list[RawFinding]
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
    module: cst.Module, finding: RawFinding
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


@contextmanager
def _deeper_recursion(limit: int = 6000) -> Iterator[None]:
    """Room for deep but real trees (pydoc's topics.py chains ~1,000 implicitly concatenated
    strings).  Only the walk gets it, not the parse: libcst's native parser takes seconds and
    gigabytes on inputs that deep, and stops early at the normal limit."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _failing_rule(traceback: TracebackType | None) -> Rule | None:
    """The innermost rule instance on a traceback (whose method raised)."""
    found = None
    while traceback is not None:
        candidate = traceback.tb_frame.f_locals.get("self")
        if isinstance(candidate, Rule):
            found = candidate
        traceback = traceback.tb_next
    return found
