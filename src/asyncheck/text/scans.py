"""Line scans: what can be told of a module from its bytes without parsing it.

The names through which a module's ``async def`` is reached (:func:`async_names`), its
module-level definitions and return annotations (for the project index), its import
statements and class headers (:class:`ModuleText`), and the project modules it imports
(:func:`imported_modules`).  Where bytes cannot tell (text in a docstring that looks
like a definition), a scan finds more rather than less: that only costs a parse.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from asyncheck.text.patterns import CONTINUATION, GAP, WORD_BYTES, whole_word, words

_CONTINUATION_RE = re.compile(CONTINUATION)
#: A definition (indentation, "class", "async def", name), or any other line that starts at
#: column 0 (all groups None), which ends the enclosing top-level definition.  A line that
#: starts with a closing bracket continues a bracketed header (``) -> bytes:`` under a
#: signature split over lines): it ends nothing.
#: Matched after the line break before the line (:func:`_definitions`): a literal first
#: lets the regular expression engine jump from line to line, where ``^`` would have it try
#: every byte.  The indentation is taken whole (a look-ahead then a back-reference: an
#: atomic group in Python 3.10): an indented line that is no definition fails at once
#: instead of retrying every shorter indentation.
_DEFINITION_RE = re.compile(
    rb"\n(?:(?=([ \t]*))\1(?:(class)|(async(?:[ \t]|" + CONTINUATION + rb")+def)|def)(?:[ \t]|"
    + CONTINUATION + rb")+([A-Za-z_][A-Za-z0-9_]*)|(?=[^\s#)\]}]))")


def _definitions(data: bytes) -> Iterator[re.Match[bytes]]:
    """The :data:`_DEFINITION_RE` lines of ``data``; a match's ``start()`` is its line's
    offset in ``data``."""
    return _DEFINITION_RE.finditer(b"\n" + data)
#: After the word ``import``: the imported names (parenthesised over several lines, where
#: comments may hold brackets, or continued with backslashes; a trailing comment is left out).
_IMPORTED_RE = re.compile(rb"[ \t]*(\((?:[^)#]|#[^\n]*)*\)|(?:[^\r\n\\;#]|" + CONTINUATION
                          + rb"|\\.)*)")
_COMMENT_RE = re.compile(rb"#[^\n]*")
#: What may stand between a line start and ``import``: nothing, or ``from <module>``.
_FROM_RE = re.compile(rb"[ \t]*(?:from[ \t]+([.\w]+)[ \t]+)?")
#: Type parameters after a class name (``class Page[T]``).
_TYPE_PARAMETERS_RE = re.compile(GAP + rb"\[")
#: After the word ``class``: its name (also after a line continuation), type parameters,
#: and its bases in parentheses (comments in them may hold brackets: group 2), or the
#: colon of a class without bases (group 3).  Neither: prose in a docstring or comment
#: ("class attribute"), or type parameters the pattern cannot read (nested brackets).
_CLASS_RE = re.compile(rb"(?:[ \t\f]|" + CONTINUATION + rb")+([A-Za-z_]\w*)" + GAP
                       + rb"(?:\[[^\]]*\]" + GAP + rb")?(?:\(((?:[^)#]|#[^\n]*)*)\)|(:))?")
#: A dotted name (``pkg.client``).
_DOTTED_RE = re.compile(rb"[A-Za-z_][\w.]*")


def _last_name(module: str) -> bytes:
    return module.rpartition(".")[2].encode()


#: In :func:`async_names`: an indented ``async def`` whose class could not be told.
UNSURE = b"?"


def async_names(data: bytes) -> set[bytes]:
    """The top-level names of a module through which an ``async def`` is reached: module
    level async defs (also under ``if``/``try``) and classes with async methods.  An async
    def nested in a function is called only in its own file, which mentions ``async``."""
    found: set[bytes] = set()
    if b"async" not in data:
        return found
    # The top-level definition the current line is in: (is_class, name), or None.
    enclosing: tuple[bool, bytes] | None = None
    for match in _definitions(data):
        indent, is_class, is_async, name = match.groups()
        if name is None or not indent:
            # A top-level line (a multi-line string's text at column 0 too: then an
            # async method below counts as module level, which only costs a parse).
            enclosing = None if name is None else (bool(is_class), name)
        if not is_async:
            continue
        if not indent:
            found.add(name)  # module level
        elif enclosing is None:
            # Under `if sys.version_info...` at module level, or a method below text at
            # column 0 in a multi-line string: the name counts, and the module is marked
            # as not readable from bytes (the project index then parses it).
            found.update((name, UNSURE))
        elif enclosing[0]:
            found.add(enclosing[1])  # a method: reached through the class
    return found


def module_level_definitions(data: bytes) -> frozenset[bytes]:
    """The names bound by ``def``, ``async def`` and ``class`` statements at module level:
    at column 0, or indented under a module-level ``if``/``try``/``for`` (any definition
    line not inside a top-level definition).  A definition in a multi-line string's text
    counts too, which only makes the set larger."""
    found: set[bytes] = set()
    enclosing: bytes | None = None
    for match in _definitions(data):
        indent, _is_class, _is_async, name = match.groups()
        if name is None or not indent:
            enclosing = name
            if name is not None:
                found.add(name)
        elif enclosing is None:
            found.add(name)
    return frozenset(found)


def annotated_names(data: bytes) -> set[bytes]:
    """Where a return annotation (``->``) may be reached in a module: the name of a
    top-level function, ``Class.method`` for a method of a top-level class, a class's name
    for text in its body outside its methods, or :data:`UNSURE` when some ``->`` cannot be
    placed (under a definition indented below a module-level ``if``).  Text inside a
    definition counts for it, strings and comments too (they only cost a parse).  Text at
    column 0 after a definition counts for that definition (it may continue a signature
    split over lines, ``b) -> int:``); before the first definition it cannot.
    """
    found: set[bytes] = set()
    arrow = data.find(b"->")
    if arrow < 0:
        return found
    # The top-level definition the current line is in (is_class, name), or None; the
    # definition the current line is in, when one is nested in a top-level class; and
    # where the last definition line's arrows would go.
    enclosing: tuple[bool, bytes] | None = None
    member: bytes | None = None
    last: bytes | None = None
    matches = _definitions(data)
    upcoming = next(matches, None)
    while arrow >= 0:
        # Move to the line the arrow is on: the last definition or column-0 line before it.
        while upcoming is not None and upcoming.start() <= arrow:
            indent, is_class, _is_async, name = upcoming.groups()
            if name is None or not indent:
                enclosing = None if name is None else (bool(is_class), name)
                member = None
            elif enclosing is not None and enclosing[0]:
                member = name
            if name is not None:
                if enclosing is None:
                    last = UNSURE
                elif member is None:
                    last = enclosing[1]
                else:
                    # A method (or something nested in one: charged to the wrong name, it
                    # is only asked about as `Class.method.<locals>...`, which bytes do not
                    # answer).
                    last = enclosing[1] + b"." + member
            upcoming = next(matches, None)
        if enclosing is None:
            if last is not None:
                found.add(last)  # module-level text, or a signature's continuation
        elif member is None:
            found.add(enclosing[1])
        else:
            found.add(enclosing[1] + b"." + member)
        arrow = data.find(b"->", arrow + 2)
    return found


def _statements(data: bytes, keyword: bytes) -> Iterator[tuple[bytes, int]]:
    """(what precedes ``keyword`` on its line, the offset after it) for every occurrence
    of ``keyword`` as a word (``bytes.find`` is many times faster than a multi-line regex)."""
    position = data.find(keyword)
    while position >= 0:
        end = position + len(keyword)
        if (position == 0 or data[position - 1] not in WORD_BYTES) and (
                end == len(data) or data[end] not in WORD_BYTES):
            yield data[data.rfind(b"\n", 0, position) + 1:position], end
        position = data.find(keyword, end)


def _import_statements(data: bytes) -> Iterator[tuple[bytes | None, bytes]]:
    """Each import statement of a module's bytes: the module after ``from`` as written
    (None for ``import x``) and what it imports, without comments."""
    for before, end in _statements(data, b"import"):
        source = _FROM_RE.fullmatch(before)
        imported = _IMPORTED_RE.match(data, end)
        if source is not None and imported is not None:
            yield source.group(1), _COMMENT_RE.sub(b"", imported.group(1))


def _absolute(source: bytes, package: str) -> bytes:
    """``from .x import`` in package ``a.b`` imports from ``a.b.x``; ``from ..`` from ``a``."""
    relative = source.lstrip(b".")
    level = len(source) - len(relative)
    if not level:
        return source
    parts = package.split(".")
    base = ".".join(parts[:max(len(parts) - level + 1, 0)]).encode()
    return b".".join(part for part in (base, relative) if part)


@dataclass(frozen=True)
class _Import:
    """One import statement: the words of its ``from`` module (``None`` for ``import x``;
    empty for ``from . import x``) and of what it imports."""

    source: frozenset[bytes] | None
    names: frozenset[bytes]
    #: Imported name -> the names it is bound to with ``as``.
    aliases: Mapping[bytes, tuple[bytes, ...]] = field(default_factory=dict)


@dataclass
class ModuleText:
    """What can be told of a module from its bytes without parsing it: its imports, its
    classes' bases, whether it mentions ``async`` at all."""

    imports: list[_Import] = field(default_factory=list)
    #: Class name -> its bases as written (dotted names; keyword names such as
    #: ``metaclass`` too), over every class statement of that name (at any indentation:
    #: `if`-defined and nested classes too); :data:`UNSURE` for a header the scan cannot
    #: read.
    class_bases: dict[bytes, tuple[bytes, ...]] = field(default_factory=dict)
    #: The names of its classes (at any indentation).
    class_names: frozenset[bytes] = frozenset()
    init_words: frozenset[bytes] = frozenset()
    #: Every name some import of it imports.
    imported: frozenset[bytes] = frozenset()
    #: Name bound by an import -> what it stands for (``from a import b as c``: c -> a.b;
    #: ``import a.b``: a -> a; ``import a.b as c``: c -> a.b), every binding of it.
    bindings: dict[bytes, list[str]] = field(default_factory=dict)
    #: Modules star-imported (absolute names).
    star_sources: list[str] = field(default_factory=list)
    #: The top-level names that hold an ``async def`` (:func:`async_names`).
    async_names: frozenset[bytes] = frozenset()
    #: The file it was scanned from: what only the project index asks about
    #: (:attr:`defined_names`, :attr:`annotated_names`) is read from it when first asked.
    path: Path | None = None
    _defined_names: frozenset[bytes] | None = field(default=None, repr=False)
    _annotated_names: frozenset[bytes] | None = field(default=None, repr=False)
    _task_makers: frozenset[bytes] | None = field(default=None, repr=False)

    @property
    def defined_names(self) -> frozenset[bytes]:
        """The names its module-level ``def`` and ``class`` statements bind (also under
        ``if``/``try``; :func:`module_level_definitions`)."""
        return self._index_set("_defined_names")

    @property
    def annotated_names(self) -> frozenset[bytes]:
        """The top-level names through which a return annotation may be reached
        (:func:`annotated_names`)."""
        return self._index_set("_annotated_names")

    @property
    def task_makers(self) -> frozenset[bytes]:
        """The names of the sync functions whose bodies may name a task factory
        (:func:`task_making_functions`)."""
        return self._index_set("_task_makers")

    def _index_set(self, field_name: str) -> frozenset[bytes]:
        """One of the sets only the project index asks about, read on first need."""
        if getattr(self, field_name) is None:
            self._read_index_sets()
        found: frozenset[bytes] = getattr(self, field_name)
        return found

    def _read_index_sets(self) -> None:
        try:
            data = self.path.read_bytes() if self.path is not None else None
        except OSError:
            data = None
        if data is None:
            self._defined_names = self._annotated_names = frozenset({UNSURE})
            self._task_makers = frozenset({UNSURE})
        else:
            self._defined_names = module_level_definitions(data)
            self._annotated_names = frozenset(annotated_names(data))
            self._task_makers = task_making_functions(data)

    @classmethod
    def scan(cls, data: bytes, module: str, *, is_package: bool,
             path: Path | None = None) -> ModuleText:
        """Read the imports and class headers of a module's bytes.  What only the project
        index asks about is read again from ``path`` when first asked, or from ``data``
        now when there is no path."""
        scanned = cls(init_words=words(data) if is_package else frozenset(),
                      async_names=frozenset(async_names(data)), path=path)
        if path is None:
            scanned._defined_names = module_level_definitions(data)
            scanned._annotated_names = frozenset(annotated_names(data))
            scanned._task_makers = task_making_functions(data)
        package = module if is_package else module.rpartition(".")[0]
        for written, listed in _import_statements(data):
            names = words(listed)
            if b"*" in listed:
                names |= {b"*"}
            base = None if written is None else _absolute(written, package)
            aliases: dict[bytes, tuple[bytes, ...]] = {}
            for item in _CONTINUATION_RE.sub(b" ", listed.strip(b"()")).split(b","):
                parts = item.split()
                if parts == [b"*"] and base is not None:
                    scanned.star_sources.append(base.decode(errors="replace"))
                if not parts or parts[0] == b"*":
                    continue
                bound = parts[2] if len(parts) == 3 and parts[1] == b"as" else parts[0]
                if bound is not parts[0]:
                    aliases[parts[0]] = (*aliases.get(parts[0], ()), bound)
                if base is not None:
                    target = base + b"." + parts[0]
                elif bound is parts[0]:
                    bound = target = parts[0].partition(b".")[0]
                else:
                    target = parts[0]
                scanned.bindings.setdefault(bound, []).append(target.decode(errors="replace"))
            scanned.imports.append(_Import(None if base is None else words(base), names, aliases))
        class_names = set()
        for before, end in _statements(data, b"class"):
            if before.strip():
                continue
            header = _CLASS_RE.match(data, end)
            if header is None:
                continue
            name, bases, colon = header.groups()
            class_names.add(name)
            if bases is not None:
                found: tuple[bytes, ...] = tuple(_DOTTED_RE.findall(_COMMENT_RE.sub(b"", bases)))
            elif colon is not None:
                found = ()
            elif _TYPE_PARAMETERS_RE.match(data, header.end(1)):
                found = (UNSURE,)  # type parameters the scan cannot read
            else:
                found = ()  # not a class statement: "class" begins a line of prose
            if found:
                scanned.class_bases[name] = (*scanned.class_bases.get(name, ()), *found)
        scanned.class_names = frozenset(class_names)
        scanned.imported = frozenset().union(*(i.names for i in scanned.imports))
        return scanned

    @property
    def star_import(self) -> bool:
        """Whether one of its imports is a star import."""
        return bool(self.star_sources)

    @cached_property
    def star_words(self) -> frozenset[bytes]:
        """The words of the modules star-imported from."""
        return frozenset(part.encode() for source in self.star_sources
                         for part in source.split(".") if part)

    def reaches(self, markers: frozenset[bytes] | set[bytes]) -> bool:
        """Whether an import brings in a module with one of these names."""
        return any((i.source is not None and not i.source.isdisjoint(markers))
                   or not i.names.isdisjoint(markers) for i in self.imports)

    def reexports(self, name: bytes, markers: frozenset[bytes] | set[bytes]) -> list[_Import]:
        """The statements ``from <one of markers> import name`` (or ``*``) among its
        imports."""
        return [i for i in self.imports if i.source is not None
                and (name in i.names or b"*" in i.names) and not i.source.isdisjoint(markers)]


class Project:
    """The project's files as import statements and class headers, read once."""

    def __init__(self, modules: Mapping[str, Path]) -> None:
        self.texts: dict[str, ModuleText] = {}
        for module, path in modules.items():
            try:
                data = path.read_bytes()
            except OSError:
                continue
            self.texts[module] = ModuleText.scan(data, module, path=path,
                                                  is_package=path.name == "__init__.py")

    def markers(self, module: str, name: bytes) -> set[bytes]:
        """Words an importer of ``name`` from ``module`` spells: the module's last name,
        and that of every enclosing package whose ``__init__`` names it or star-imports.

        A ``__main__`` module is imported as ``pkg.__main__``: every script's ``if
        __name__ == "__main__"`` spells its last name, so the package's is used.
        """
        if module.endswith(".__main__"):
            module = module.removesuffix(".__main__")
        found = {_last_name(module)}
        parts = module.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            package = ".".join(parts[:cut])
            text = self.texts.get(package)
            if text is not None and (name in text.init_words or text.star_import):
                found.add(_last_name(package))
        return found


def project_module(name: str, package: str, modules: Container[str]) -> str | None:
    """The project module an import of ``name`` in ``package`` reaches: ``name`` itself, or
    for a script, the sibling module next to it; None when neither is in the project."""
    if name in modules:
        return name
    sibling = f"{package}.{name}" if package else None
    return sibling if sibling is not None and sibling in modules else None


def imported_modules(data: bytes, module: str, *, is_package: bool,
                     modules: Container[str]) -> set[str]:
    """The project modules a file imports, read from its bytes: ``from a.b import c``
    gives ``a.b`` and, when it is a module, ``a.b.c``; ``import a.b`` gives ``a.b``.  A
    name the project lacks is also tried next to the file (``import helpers`` in a script
    finds the sibling ``helpers.py``, as the project index does).  The pool lints
    imported modules first, so that their facts are at hand; the pre-filter follows them."""
    package = module if is_package else module.rpartition(".")[0]

    def known(name: str) -> str | None:
        return project_module(name, package, modules)

    found: set[str] = set()
    for source, listed in _import_statements(data):
        names = [n.decode() for n in _DOTTED_RE.findall(listed) if n != b"as"]
        if source is None:
            found.update(name for name in map(known, names) if name is not None)
            continue
        written = _absolute(source, package).decode()
        base = known(written) if not source.startswith(b".") else written
        if base is None:
            base = written
        submodules = [f"{base}.{name}" for name in names if f"{base}.{name}" in modules]
        found.update(submodules)
        if len(submodules) < len(names) and base in modules:
            # Not only submodules (`from . import hdrs` needs no more of the package).
            found.add(base)
    found.discard(module)
    return found


_DEF_LINE_RE = re.compile(rb"([ \t]*)(async[ \t]+)?def[ \t]+([A-Za-z_]\w*)")
#: A compound statement or import starting at the left margin: outside every function.
_TOP_LEVEL_STATEMENT_RE = re.compile(
    rb"(?:(?:class|if|elif|else|for|while|try|except|finally|with)\b.*:[ \t]*(?:#.*)?"
    rb"|(?:import|from)[ \t].*)\r?$")


def _indentation(line: bytes) -> int:
    """The width of a line's indentation, a tab counting as eight columns."""
    blanks = line[:len(line) - len(line.lstrip(b" \t"))]
    return len(blanks) + 7 * blanks.count(b"\t")


@dataclass(frozen=True)
class Outline:
    """Where a module's text may open or close a function, from its bytes alone: the start
    offset of each ``def`` line and of each compound statement or import at the left
    margin, with its indentation and what it is (:func:`outline`)."""

    #: Offsets of those lines' starts, ascending.
    starts: list[int]
    #: Their indentation widths (:func:`_indentation`).
    depths: list[int]
    #: The function's name for a ``def`` or ``async def`` line, None for a left-margin
    #: statement (no function holds what follows it).
    names: list[str | None]
    #: Whether the line is an ``async def``.
    is_async: list[bool]


#: ``def name`` anywhere (the literal first: found at memchr speed); what precedes it on
#: its line must then be blanks, or blanks and ``async``.
_DEF_WORD_RE = re.compile(rb"def[ \t]+([A-Za-z_]\w*)")
_DEF_PREFIX_RE = re.compile(rb"([ \t]*)(async[ \t]+)?")
#: A left-margin statement after a line break (the first line is matched on its own).
_TOP_LEVEL_LINES_RE = re.compile(rb"\n" + _TOP_LEVEL_STATEMENT_RE.pattern, re.MULTILINE)
_FIRST_TOP_LEVEL_LINE_RE = re.compile(_TOP_LEVEL_STATEMENT_RE.pattern, re.MULTILINE)


def outline(data: bytes) -> Outline:
    """The :class:`Outline` of a module's text (made once per module and reused for every
    word :func:`sync_functions_around` is asked)."""
    lines: list[tuple[int, int, str | None, bool]] = []
    for match in _DEF_WORD_RE.finditer(data):
        start = data.rfind(b"\n", 0, match.start()) + 1
        prefix = _DEF_PREFIX_RE.fullmatch(data, start, match.start())
        if prefix is None:
            continue  # `undef x`, `x = "def y"`: not a def line
        blanks = prefix.group(1)
        lines.append((start, len(blanks) + 7 * blanks.count(b"\t"),
                      match.group(1).decode("ascii", "replace"), prefix.group(2) is not None))
    if _FIRST_TOP_LEVEL_LINE_RE.match(data) is not None:
        lines.append((0, 0, None, False))
    lines.extend((match.start() + 1, 0, None, False)
                 for match in _TOP_LEVEL_LINES_RE.finditer(data))
    lines.sort(key=lambda line: line[0])
    return Outline([line[0] for line in lines], [line[1] for line in lines],
                   [line[2] for line in lines], [line[3] for line in lines])


#: The calls that make a task (``asyncio.create_task``, ``loop.create_task``,
#: ``asyncio.ensure_future``, a task group's ``create_task``), by their last name.
TASK_FACTORY_WORDS = (b"create_task", b"ensure_future")


def task_making_functions(data: bytes) -> frozenset[bytes]:
    """The names of the sync functions whose bodies may name a task factory
    (:func:`sync_functions_around` each of :data:`TASK_FACTORY_WORDS`): only those can
    return a task they make.  A superset, from the text alone."""
    found: set[str] = set()
    shape = None
    for word in TASK_FACTORY_WORDS:
        if word in data:
            shape = shape if shape is not None else outline(data)
            found |= sync_functions_around(data, word, shape=shape)
    return frozenset(name.encode() for name in found)


def sync_functions_around(data: bytes, word: bytes, *, called: bool = False,
                          shape: Outline | None = None) -> frozenset[str]:
    """The names of the sync functions (``def``, not ``async def``) whose bodies may hold
    ``word`` (a whole word): for each line naming it, the nearest ``def`` line above it
    that is less indented, and the line itself when it is a ``def`` line (a function on one
    line); a method's own name, as the chain search asks by last name.
    From the text alone, without parsing: it may name a function
    that does not hold the word (a string, a line of a bracketed expression indented
    less than its statement), so it is a filter for what parsing then checks, never an
    answer.  ``called``: only lines where the word is followed by ``(``.  ``shape``: the
    text's :func:`outline`, when the caller keeps it."""
    pattern = whole_word(word, rb"[ \t]*\(") if called else whole_word(word)
    found: set[str] = set()
    done_lines: set[int] = set()
    for match in pattern.finditer(data):
        start = data.rfind(b"\n", 0, match.start()) + 1
        if start in done_lines:
            continue
        done_lines.add(start)
        if shape is None:
            shape = outline(data)
        end = data.find(b"\n", start)
        depth = _indentation(data[start:end if end >= 0 else len(data)])
        # Upwards over the lines that may open or close a function.  Any other line less
        # indented is not taken as the end of the function: a string or bracketed line of
        # its body may start further left than its statements.
        here = bisect_left(shape.starts, start)
        if here < len(shape.starts) and shape.starts[here] == start:
            name = shape.names[here]
            if name is not None and not shape.is_async[here]:
                found.add(name)  # `def stop(self): loop.run_until_complete(...)` on one line
        for line in range(here - 1, -1, -1):
            if shape.depths[line] >= depth:
                continue
            name = shape.names[line]
            if name is not None and not shape.is_async[line]:
                found.add(name)
            break  # the innermost function holding the line, or a module-level statement
    return frozenset(found)
