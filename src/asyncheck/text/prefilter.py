"""Skip parsing files that cannot produce a finding, decided from their bytes.

Parsing is most of the cost, and most files of a code base never mention ``async``.  Every
rule declares ``TRIGGERS``: words at least one of which a file must contain for the rule to
report anything in it (``None``: no such promise, the file is always parsed).

Rules that report calls of coroutine functions outside ``async def`` (``main()`` at module
level) also look at the project's own coroutine functions, found by a line scan: the name of
an ``async def`` (module level or a method) and of a class that defines ``async def``
methods (an instance must be made or annotated with it).  Naming one is not enough in a
file that cannot reach it: code in another module reaches a definition only through an
import, and an import spells the defining module's last name (``from pkg.client import
fetch``, ``from pkg import client``, ``import pkg.client as c``) or the name of a module
that re-exports it (``from pkg import fetch`` when ``pkg/__init__.py`` imports it).  So a
file counts only when it names a definition *and* one of its modules; re-exporting modules
(any module that names the definition and one of its modules) and subclasses (``class
Retrying(Client)``, whose instances inherit the async methods) are followed to a fixed
point.  Library coroutine functions are reached through their package (``asyncio``).

A trigger in a docstring or a comment counts for nothing: a file whose triggers are all in
text ("await the result", a link to the asyncio docs) cannot produce a finding either.  A
file with a line that starts an ``async def``, or an import line that holds a trigger, is
linted without looking closer (that is nearly always code); for the others CPython's
parser tells code from text (:func:`_code_text`), a few times faster than libcst, and in
the standard library they are half the bytes that mention a trigger.

ACK000 cannot be decided from bytes: a skipped file is still checked with CPython's parser
(several times cheaper than libcst), and a file CPython rejects, or that holds a construct
libcst is known to reject (a parenthesised annotated target, ``(x): int = 1``), is linted in
full so that it gets its ACK000.  What is left is a construct libcst rejects that we do not
know of, in a file with none of the triggers.
"""

from __future__ import annotations

import ast
import re
import symtable
import warnings
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from asyncheck.core.config import Settings
from asyncheck.core.diagnostic import UNPARSABLE_CODE

if TYPE_CHECKING:
    from asyncheck.lint.rule import Rule

#: The engine's size limit (``engine.MAX_FILE_BYTES``, not imported: that imports libcst).
TOO_LARGE_TO_PARSE = 2_000_000
#: A parenthesised name annotated at the start of a line, ``(x): int = 1``: valid Python that
#: libcst's parser rejects (such a file is linted, so that it gets its ACK000).
_PARENTHESISED_TARGET_RE = re.compile(rb"^[ \t]*\(+[ \t]*[A-Za-z_]\w*[ \t]*\)+[ \t]*:",
                                      re.MULTILINE)
#: A backslash that continues a line: CPython ends lines at ``\r\n``, ``\r`` and ``\n``.
_CONTINUATION = rb"\\(?:\r\n?|\n)"
_CONTINUATION_RE = re.compile(_CONTINUATION)
#: A definition (indentation, "class", "async def", name), or any other line that starts at
#: column 0 (all groups None), which ends the enclosing top-level definition.  A line that
#: starts with a closing bracket continues a bracketed header (``) -> bytes:`` under a
#: signature split over lines): it ends nothing.
_DEFINITION_RE = re.compile(
    rb"^(?:([ \t]*)(?:(class)|(async(?:[ \t]|" + _CONTINUATION + rb")+def)|def)(?:[ \t]|"
    + _CONTINUATION + rb")+([A-Za-z_][A-Za-z0-9_]*)|(?=[^\s#)\]}]))",
    re.MULTILINE)
#: A line that starts an ``async def``: a file with one nearly always has async code.
_ASYNC_DEF_LINE_RE = re.compile(rb"^[ \t]*async[ \t]+def[ \t]+\w+[ \t]*[(\[]", re.MULTILINE)
#: After the word ``import``: the imported names (parenthesised over several lines, where
#: comments may hold brackets, or continued with backslashes; a trailing comment is left out).
_IMPORTED_RE = re.compile(rb"[ \t]*(\((?:[^)#]|#[^\n]*)*\)|(?:[^\r\n\\;#]|" + _CONTINUATION
                          + rb"|\\.)*)")
_COMMENT_RE = re.compile(rb"#[^\n]*")
#: What may stand between a line start and ``import``: nothing, or ``from <module>``.
_FROM_RE = re.compile(rb"[ \t]*(?:from[ \t]+([.\w]+)[ \t]+)?")
#: Blanks and line continuations, as may stand between the parts of a statement.
_GAP = rb"(?:[ \t\f]|" + _CONTINUATION + rb")*"
#: Type parameters after a class name (``class Page[T]``).
_TYPE_PARAMETERS_RE = re.compile(_GAP + rb"\[")
#: After the word ``class``: its name (also after a line continuation), type parameters,
#: and its bases in parentheses (comments in them may hold brackets: group 2), or the
#: colon of a class without bases (group 3).  Neither: prose in a docstring or comment
#: ("class attribute"), or type parameters the pattern cannot read (nested brackets).
_CLASS_RE = re.compile(rb"(?:[ \t\f]|" + _CONTINUATION + rb")+([A-Za-z_]\w*)" + _GAP
                       + rb"(?:\[[^\]]*\]" + _GAP + rb")?(?:\(((?:[^)#]|#[^\n]*)*)\)|(:))?")
#: Maps every byte that cannot be part of an identifier to a space (bytes >= 128 are kept:
#: they belong to non-ASCII identifiers), so that ``split()`` gives the file's words.
_WORD_BYTES = frozenset(c for c in range(256) if c >= 128 or chr(c).isalnum() or c == ord("_"))
_WORD_TABLE = bytes(c if c in _WORD_BYTES else ord(" ") for c in range(256))


def trigger_pattern(word: str) -> str:
    """The regular expression of a rule trigger: the word as a substring, each space in it
    standing for any run of blanks and line continuations (``async \\<newline> def``).  The
    pre-filter and the engine (:meth:`asyncheck.lint.rule.Rule.triggered_by`) both use it."""
    return re.escape(word).replace("\\ ", f"(?:[ \\t\\f]|{_CONTINUATION.decode()})+")


def words(data: bytes) -> frozenset[bytes]:
    """The identifier-like words of a file (and numbers: harmless)."""
    return frozenset(data.translate(_WORD_TABLE).split())


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
    for match in _DEFINITION_RE.finditer(data):
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
    for match in _DEFINITION_RE.finditer(data):
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
    matches = _DEFINITION_RE.finditer(data)
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
        if (position == 0 or data[position - 1] not in _WORD_BYTES) and (
                end == len(data) or data[end] not in _WORD_BYTES):
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

    @property
    def defined_names(self) -> frozenset[bytes]:
        """The names its module-level ``def`` and ``class`` statements bind (also under
        ``if``/``try``; :func:`module_level_definitions`)."""
        if self._defined_names is None:
            self._read_index_sets()
            assert self._defined_names is not None
        return self._defined_names

    @property
    def annotated_names(self) -> frozenset[bytes]:
        """The top-level names through which a return annotation may be reached
        (:func:`annotated_names`)."""
        if self._annotated_names is None:
            self._read_index_sets()
            assert self._annotated_names is not None
        return self._annotated_names

    def _read_index_sets(self) -> None:
        try:
            data = self.path.read_bytes() if self.path is not None else None
        except OSError:
            data = None
        if data is None:
            self._defined_names = self._annotated_names = frozenset({UNSURE})
        else:
            self._defined_names = module_level_definitions(data)
            self._annotated_names = frozenset(annotated_names(data))

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


class _Project:
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


_DOTTED_RE = re.compile(rb"[A-Za-z_][\w.]*")


def _project_module(name: str, package: str, modules: Container[str]) -> str | None:
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
    finds the sibling ``helpers.py``, as the project index does).  The runner lints
    imported modules first, so that their facts are at hand; the pre-filter follows them."""
    package = module if is_package else module.rpartition(".")[0]

    def known(name: str) -> str | None:
        return _project_module(name, package, modules)

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


class PreFilter:
    """Decides, from a file's bytes, whether the enabled rules could report anything in it.

    ``modules`` maps the project's module names to their files.
    """

    def __init__(self, rules: Sequence[type[Rule]], settings: Settings,
                 modules: Mapping[str, Path]) -> None:
        self.check_syntax = any(rule.code == UNPARSABLE_CODE for rule in rules)
        checked = [rule for rule in rules if rule.code != UNPARSABLE_CODE]
        self.active = all(rule.TRIGGERS is not None for rule in checked)
        self._trigger: re.Pattern[bytes] | None = None
        self._imported_trigger: re.Pattern[bytes] | None = None
        self._packages: frozenset[bytes] = frozenset()
        self._follow_names = False
        self._definitions: dict[bytes, set[str]] | None = None
        self._modules = dict(modules)
        self._markers: dict[bytes, frozenset[bytes]] | None = None
        self._scanned: _Project | None = None
        #: Name -> the modules that define or re-export it (the markers' modules).
        self._definers: dict[bytes, frozenset[str]] = {}
        if not self.active:
            return
        triggers = {word.encode() for rule in checked for word in rule.TRIGGERS or ()}
        if triggers:
            # Rule triggers are substrings: "EventLoopPolicy" in "WindowsSelectorEventLoopPolicy";
            # a space is any run of blanks and line continuations (`async \<newline> def`).
            alternatives = "|".join(trigger_pattern(w.decode()) for w in sorted(triggers))
            self._trigger = re.compile(alternatives.encode())
            # A trigger on an import line (`from redis import asyncio`) is nearly always code.
            self._imported_trigger = re.compile(
                f"^[ \\t]*(?:from|import)[ \\t][^\\n]*?(?:{alternatives})".encode(), re.MULTILINE)
        if any(rule.TRIGGERS_INCLUDE_COROUTINE_NAMES for rule in checked):
            from asyncheck.core.tables import listed_coroutines

            # A library's coroutine function is reached through an import of its package.
            self._packages = frozenset(
                name.partition(".")[0].encode() for name in listed_coroutines(settings))
            self._follow_names = True

    def may_report(self, data: bytes, module: str | None = None, *,
                   is_package: bool = False) -> bool:
        """False when no enabled rule can report anything in a file with these bytes
        (``module``: its module name, when known, lets its imports be followed)."""
        if not self.active or (self.check_syntax and len(data) > TOO_LARGE_TO_PARSE):
            return True  # ... ACK000 says that it is too large to analyse
        code = data
        if self._trigger is not None and self._trigger.search(data):
            if _ASYNC_DEF_LINE_RE.search(data) or (
                    self._imported_trigger is not None and self._imported_trigger.search(data)):
                return True
            found = _code_text(data)
            if found is None or self._trigger.search(found):
                return True  # async syntax, a trigger in code, or CPython rejects it
            code = found
        if self._follow_names:
            file_words = words(code)
            if not self._packages.isdisjoint(file_words):
                return True
            markers = self.markers()
            named = [name for name in file_words & markers.keys()
                     if not markers[name].isdisjoint(file_words)]
            if named and (module is None or self._reaches(data, module, is_package, named)):
                return True
        if code is not data:
            # CPython's parser accepted it (:func:`_code_text`): only a construct libcst
            # rejects is left to look for.
            return self.check_syntax and _PARENTHESISED_TARGET_RE.search(data) is not None
        return self.check_syntax and not _cpython_accepts(data)

    def prepare(self) -> None:
        """Read the project now if following names may need it: before the runner forks
        its processes, which then share the result instead of each reading the project
        (1.2 s on the standard library)."""
        if self.active and self._follow_names:
            self.markers()

    def scanned_text(self, module: str) -> ModuleText | None:
        """The scan of a project module, if this pre-filter has read the project (the
        project index of the same process then need not scan it again)."""
        return self._scanned.texts.get(module) if self._scanned is not None else None

    def imported_somewhere(self) -> frozenset[str] | None:
        """The project modules that some project module imports (also relatively, by star,
        or as a script's sibling), read from bytes: only their facts can be asked for by
        the lint of another file.  None when the pre-filter is off (then any may be)."""
        if not self.active:
            return None
        modules = self._modules
        found: set[str] = set()
        for module, text in self._project().texts.items():
            path = modules.get(module)
            package = module if path is not None and path.name == "__init__.py" \
                else module.rpartition(".")[0]
            for target in (*(t for ts in text.bindings.values() for t in ts),
                           *text.star_sources):
                parts = target.split(".")
                for end in range(1, len(parts) + 1):
                    reached = _project_module(".".join(parts[:end]), package, modules)
                    if reached is not None:
                        found.add(reached)
        return frozenset(found)

    def definitions(self) -> Mapping[bytes, set[str]]:
        """Name -> the modules through which it reaches an ``async def`` (:func:`async_names`),
        read on first need: a run of files that all mention ``async`` never reads the
        project."""
        if self._definitions is None:
            found: dict[bytes, set[str]] = defaultdict(set)
            for module, text in self._project().texts.items():
                for name in text.async_names:
                    found[name].add(module)
            self._definitions = dict(found)
        return self._definitions

    def _project(self) -> _Project:
        if self._scanned is None:
            self._scanned = _Project(self._modules)
        return self._scanned

    def markers(self) -> Mapping[bytes, frozenset[bytes]]:
        """Name of a project coroutine definition -> the words of which a file that reaches
        it must contain one (computed once, on first need: it reads the whole project)."""
        if self._markers is None:
            self._markers = self._follow_imports()
        return self._markers

    def _follow_imports(self) -> dict[bytes, frozenset[bytes]]:
        project = self._project()
        definers: dict[bytes, set[str]] = {n: set(m) for n, m in self.definitions().items()}
        markers: dict[bytes, set[bytes]] = {
            name: {w for module in found for w in project.markers(module, name)}
            for name, found in definers.items()}

        def add(name: bytes, module: str) -> bool:
            if module in definers.setdefault(name, set()):
                return False
            definers[name].add(module)
            markers.setdefault(name, set()).update(project.markers(module, name))
            return True

        changed = True
        while changed:
            changed = False
            for module, text in project.texts.items():
                candidates = text.imported & markers.keys()
                if text.star_import:
                    # A star import re-exports what its module has, whatever the names.
                    candidates |= {name for name, found in markers.items()
                                   if not found.isdisjoint(text.star_words)}
                for name in candidates:
                    if module in definers[name]:
                        continue
                    for statement in text.reexports(name, markers[name]):
                        changed |= add(name, module)
                        # `from .client import fetch as get`: the new name counts too.
                        for alias in statement.aliases.get(name, ()):
                            changed |= add(alias, module)
                for subclass, bases in text.class_bases.items():
                    base_words = {part for base in bases for part in base.split(b".")}
                    for name in base_words & markers.keys():
                        if module in definers[name] or text.reaches(markers[name]):
                            # Its instances inherit the async methods.
                            changed |= add(subclass, module)
        self._definers = {name: frozenset(found) for name, found in definers.items()}
        return {name: frozenset(found) for name, found in markers.items()}

    def _reaches(self, data: bytes, module: str, is_package: bool,
                 names: Iterable[bytes]) -> bool:
        """Whether the file imports a module that defines or re-exports one of ``names``
        (or a package holding one): ``Queue`` next to ``multiprocessing.queues`` is not
        asyncio's."""
        imported = imported_modules(data, module, is_package=is_package, modules=self._modules)
        imported.add(module)
        for name in names:
            for definer in self._definers.get(name, ()):
                if definer in imported or any(definer.startswith(f"{i}.") for i in imported):
                    return True
        return False


_ASYNC_SYNTAX = (ast.AsyncFunctionDef, ast.Await, ast.AsyncFor, ast.AsyncWith)
#: A PEP 263 encoding declaration (on one of the first two lines), and where lines end
#: for CPython.
_CODING_RE = re.compile(rb"[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_LINE_BREAK_RE = re.compile(rb"\r\n|\r|\n")
#: A comment, up to where CPython ends its line (a lone carriage return too).
_CODE_COMMENT_RE = re.compile(rb"#[^\r\n]*")
_UTF8_NAMES = (b"utf-8", b"utf8", b"utf-8-sig")
#: Where CPython's lines end (``str.splitlines`` also splits at form feeds and others).
_LINE_END_RE = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")


def _code_text(data: bytes) -> bytes | None:
    """The module's code without its strings and comments, or None when it has async
    syntax (``async def``, ``await``, ``async for``/``with``, async comprehensions) or
    CPython cannot parse it as UTF-8 source.

    CPython's parser places every string literal; they are blanked out of the text, and
    what follows a ``#`` outside them is a comment.  An f-string is blanked whole (a ``#``
    may be in its text, and Python 3.11 does not place its parts): the names its
    expressions use are added at the end, and so is the text of the strings in
    annotations (``"ClientSession"`` names a type).
    """
    for line in _LINE_BREAK_RE.split(data, maxsplit=2)[:2]:
        cookie = _CODING_RE.match(line)
        if cookie is not None and (cookie.group(1).lower().replace(b"_", b"-")
                                   not in _UTF8_NAMES):
            return None  # CPython's columns count UTF-8 bytes of the text it decoded
    try:
        text = data.decode("utf-8-sig")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in the analysed code
            tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    annotations: set[int] = set()  # the nodes of annotations
    spans: list[tuple[int, int, int, int]] = []
    added: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, _ASYNC_SYNTAX) or (isinstance(node, ast.comprehension)
                                               and node.is_async):
            return None
        if isinstance(node, (ast.arg, ast.AnnAssign)):
            if node.annotation is not None:
                annotations.update(id(n) for n in ast.walk(node.annotation))
        elif isinstance(node, ast.FunctionDef):
            if node.returns is not None:
                annotations.update(id(n) for n in ast.walk(node.returns))
        elif isinstance(node, ast.JoinedStr):
            spans.append(_span(node))
            added.extend(n.id if isinstance(n, ast.Name) else n.attr
                         for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            spans.append(_span(node))
            if id(node) in annotations and isinstance(node.value, str):
                added.append(node.value)
    lines = _LINE_END_RE.split(text)
    encoded = [line.encode() for line in lines]
    for first, start, last, end in spans:
        if first == last:
            line = encoded[first]
            encoded[first] = line[:start] + b" " * (end - start) + line[end:]
        else:
            encoded[first] = encoded[first][:start] + b"\n"
            for number in range(first + 1, last):
                encoded[number] = b"\n"
            encoded[last] = b" " * end + encoded[last][end:]
    code = _CODE_COMMENT_RE.sub(b"", b"".join(encoded))
    return code + b"\n" + " ".join(added).encode()


def _span(node: ast.expr) -> tuple[int, int, int, int]:
    """First line, start column, last line, end column of a node (lines from 0, columns in
    UTF-8 bytes, as CPython gives them)."""
    assert node.end_lineno is not None and node.end_col_offset is not None
    return node.lineno - 1, node.col_offset, node.end_lineno - 1, node.end_col_offset


def _cpython_accepts(data: bytes) -> bool:
    """Whether CPython's parser accepts the file and libcst is expected to parse it.

    ``symtable`` parses with CPython's parser and builds the symbol tables, in C: it runs
    nothing, builds no Python object per node (``ast.parse`` does) and generates no bytecode
    (``compile`` does), and costs 40% less than ``ast.parse``.  It also rejects a few things
    only the symbol table checks (``nonlocal`` at module level): such a file is linted in
    full, which is merely slower.
    """
    try:
        with warnings.catch_warnings():
            # CPython warns about the analysed code (invalid escapes): not ours to print.
            warnings.simplefilter("ignore")
            symtable.symtable(data, "<checked>", "exec")  # type: ignore[arg-type]
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return _PARENTHESISED_TARGET_RE.search(data) is None
