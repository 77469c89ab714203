"""The project index: facts about every module of the project, gathered lazily.

Linting one file must know the coroutine functions, sync helpers and limiters of the other
files (pre-commit passes only the changed ones).  Parsing the whole project up front would
cost as much as linting it, so the index maps module names to files once (a directory walk)
and parses a module only when a lint asks about a name defined in it.  What it records per
module is small and serialisable (:class:`ModuleFacts`) so that it can be cached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import libcst as cst

from asyncheck.core.tables import BUILTIN_COROUTINE_FUNCTIONS
from asyncheck.semantics.blocking import BlockingMatch, match_blocking_call
from asyncheck.semantics.branches import call_literals, guards_of_calls, parameter_table
from asyncheck.semantics.library import LibraryIndex
from asyncheck.semantics.names import (
    Resolver,
    Scope,
    base_class,
    child_suites,
    dotted_name,
    make_class_scope,
    make_function_scope,
    make_module_scope,
)
from asyncheck.semantics.spawned_tasks import FACTORY_METHOD_NAMES, returned_fresh_task
from asyncheck.semantics.waits import may_be_harmless, path_to, wait_cannot_block
from asyncheck.syntax.walk import BodyVisitor, find_all
from asyncheck.text.patterns import whole_word, words
from asyncheck.text.scans import UNSURE, ModuleText, Outline, outline, sync_functions_around


@dataclass(frozen=True)
class FunctionFacts:
    """What the index knows of one function or method.

    ``calls`` are the qualified names of the calls made directly in its body (not in nested
    functions or lambdas, so off-loaded work is not counted), in source order.
    ``acquires`` describes what it enters with ``async with`` or ``await X.acquire()``: the
    type's qualified name when known, else ``"name:<dotted text>"``.
    """

    qualname: str
    is_async: bool
    calls: tuple[str, ...] = ()
    acquires: tuple[str, ...] = ()
    line: int = 0
    #: Blocking calls of the ACK200-ACK270 tables made directly in its body (table names,
    #: arguments considered; not ``with lock:``, nor the waits that cannot block of
    #: :mod:`asyncheck.semantics.waits`).  ACK290 follows them through sync helpers.
    blocking: tuple[str, ...] = ()
    #: The qualified type its return annotation names (``-> sqlite3.Connection``), for sync
    #: functions; lets other files track objects made by project factories.
    returns: str | None = None
    #: Its own body yields (an ``async def`` that yields makes an async generator, not a
    #: coroutine).
    is_generator: bool = False
    #: Qualified names of its decorators; a decorator call ``@retry(3)`` is recorded as
    #: ``"tenacity.retry()"``, one that cannot be resolved as ``"?"``.
    decorators: tuple[str, ...] = ()
    #: Some function nested in it (at any depth) is an ``async def``: as a decorator it wraps
    #: coroutine functions into coroutine functions.
    defines_async: bool = False
    #: The same qualified name is defined both as ``def`` and ``async def`` (e.g. under
    #: ``if sys.version_info``): whether a call makes a coroutine is unknown.
    ambiguous: bool = False
    #: For the calls and blocking calls above (parallel tuples; empty when none is
    #: guarded): the parameter tests each runs under (:mod:`asyncheck.semantics.branches`:
    #: ``"join"`` for ``if join: thread.join()``), so that a caller passing
    #: ``join=False`` is known not to reach it.
    call_guards: tuple[str, ...] = ()
    blocking_guards: tuple[str, ...] = ()
    #: The parameters a caller passes and the truthiness of their literal defaults
    #: (:func:`~asyncheck.semantics.branches.parameter_table`); recorded only with guards.
    params: tuple[str, ...] = ()
    param_defaults: tuple[str, ...] = ()
    #: The factory of a task it makes and returns without keeping it
    #: (:func:`~asyncheck.semantics.spawned_tasks.returned_fresh_task`: ``def spawn(c):
    #: return asyncio.create_task(c)``), ``""`` for none: a caller dropping the result
    #: drops the task (ACK102).
    returns_task: str = ""
    #: For the calls above (a parallel tuple; empty when no call passes a plain literal):
    #: their literal arguments (:func:`~asyncheck.semantics.branches.call_literals`), so that
    #: a chain through ``get_status`` knows that ``_test_connection(timeout=0)`` switches the
    #: callee's ``for i in range(timeout):`` off.
    call_literals: tuple[str, ...] = ()


#: Decorators that leave an ``async def`` a coroutine function (``"name()"`` when called:
#: ``@functools.wraps(f)``).  Any other library decorator makes the index unsure.
COROUTINE_PRESERVING_DECORATORS: frozenset[str] = frozenset({
    "builtins.staticmethod",
    "builtins.classmethod",
    "abc.abstractmethod",
    "typing.overload",
    "typing.override",
    "typing.final",
    "typing_extensions.overload",
    "typing_extensions.override",
    "typing_extensions.final",
    "typing_extensions.deprecated()",
    "warnings.deprecated()",
    "functools.wraps()",
    "tenacity.retry",
    "tenacity.retry()",
    "backoff.on_exception()",
    "backoff.on_predicate()",
})


@dataclass(frozen=True)
class ModuleFacts:
    """Facts of one module: its functions, its classes' bases, its imported names."""

    module: str
    functions: Mapping[str, FunctionFacts] = field(default_factory=dict)
    classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exports: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """Plain JSON data (the facts store keeps it on disk)."""
        return {
            "module": self.module,
            "functions": [[getattr(f, name) for name in _FUNCTION_FIELDS]
                          for f in self.functions.values()],
            "classes": {name: list(bases) for name, bases in self.classes.items()},
            "exports": dict(self.exports),
        }

    @classmethod
    def from_json(cls, data: object) -> ModuleFacts:
        """The facts :meth:`to_json` wrote; raises on anything malformed."""
        if not isinstance(data, dict):
            raise ValueError("module facts must be an object")
        functions = {}
        for row in data["functions"]:
            values: dict[str, Any] = {
                name: tuple(str(v) for v in value) if isinstance(value, list) else value
                for name, value in zip(_FUNCTION_FIELDS, row, strict=True)}
            facts = FunctionFacts(**values)
            functions[facts.qualname] = facts
        return cls(str(data["module"]), functions,
                   {str(k): tuple(str(b) for b in v) for k, v in data["classes"].items()},
                   {str(k): str(v) for k, v in data["exports"].items()})


_FUNCTION_FIELDS = tuple(f.name for f in fields(FunctionFacts))
#: What :meth:`ProjectIndex.module_data` finds in a module.
_Data = TypeVar("_Data")


class FactsStore(Protocol):
    """Where module facts are kept between processes and runs, by content hash
    (:class:`asyncheck.app.cache.FactsStore`)."""

    def load(self, module: str, is_package: bool, digest: str) -> object | None:
        """The JSON data saved for this module version, or None."""

    def save(self, module: str, is_package: bool, digest: str, data: object) -> None:
        """Keep the JSON data of this module version."""


class FactsHandOff(Protocol):
    """Facts that another process may be making (:class:`asyncheck.app.facts.HandOff`,
    for the processes of a pool)."""

    def wait_for(self, module: str, stored: Callable[[], ModuleFacts | None]
                 ) -> ModuleFacts | None:
        """The facts of ``module`` once ``stored`` finds them in the store, when another
        process is making them; None when this process is to parse the module."""


#: After this many names asked of :meth:`ProjectIndex.modules_mentioning`, the modules'
#: words are collected once (a pass over every text) instead of scanning every text per name.
_WORDS_AFTER = 12


class ProjectIndex:
    """Cross-file facts for a project, answered on demand.

    ``modules`` maps dotted module names to files.  ``parse`` turns a file into a libcst
    module (or None when it cannot be read or parsed); the app passes the engine's reader
    (``syntax.parse.read_module``) so that decoding rules are the same everywhere.
    """

    def __init__(
        self,
        modules: Mapping[str, Path],
        parse: Callable[[Path], cst.Module | None],
        *,
        store: FactsStore | None = None,
        hand_off: FactsHandOff | None = None,
        listed_coroutines: Collection[str] = BUILTIN_COROUTINE_FUNCTIONS,
        known_text: Callable[[str], ModuleText | None] | None = None,
        library: LibraryIndex | None = None,
    ) -> None:
        self.modules = dict(modules)
        #: The environment's libraries (SPEC §9), asked about names outside the project;
        #: None: no library knowledge.
        self.library = library
        #: Library coroutine functions known by name (the built-in table and config
        #: ``coroutine-functions``): a project class inheriting one from outside the project
        #: has a coroutine method no project ``async def`` shows.
        self.listed_coroutines = listed_coroutines
        self._parse = parse
        self._store = store
        #: Asked before parsing a module whose facts the store lacks: another process
        #: may be making them (see the pool).
        self._hand_off = hand_off
        #: Content hashes of the files about to be linted: their facts are stored as soon
        #: as they are parsed.
        self._linting: dict[str, str] = {}
        self._facts: dict[str, ModuleFacts | None] = {}
        self._pending_trees: dict[str, tuple[cst.Module, bool]] = {}
        self._texts: dict[str, ModuleText | None] = {}
        #: A module's scan made already in this process (the pre-filter's), if any.
        self._known_text = known_text
        #: Modules given a tree (:meth:`add_module`) that are not among ``modules``; while
        #: there are none, :meth:`split_module` depends on ``modules`` only and remembers.
        self._outside: set[str] = set()
        self._splits: dict[str, tuple[str, str] | None] = {}
        #: Qualified name -> (no project def or class reached, the modules read to know).
        self._undefined: dict[str, tuple[bool, frozenset[str]]] = {}
        #: Modules whose facts were asked for (the runner resets it per file: the result
        #: cache records them as the file's dependencies).
        self.accessed: set[str] = set()
        #: Word -> the modules whose text mentions it (:meth:`modules_mentioning`).
        self._mentions: dict[str, frozenset[str]] = {}
        #: Every module's text, read on the first such question.
        self._project_bytes: list[tuple[str, bytes | None]] | None = None
        #: Every module's words, made once many names have been asked about.
        self._project_words: list[tuple[str, frozenset[bytes] | None]] | None = None
        #: Module -> its text and the text's outline (:meth:`sync_functions_around`).
        self._outlines: dict[str, tuple[bytes | None, Outline | None]] = {}
        #: (module, word, called) -> what :meth:`sync_functions_around` found.
        self._around: dict[tuple[str, str, bool], frozenset[str]] = {}
        #: (module, words) -> whether its text holds one of them (:meth:`text_holds`).
        self._holds: dict[tuple[str, tuple[bytes, ...]], bool] = {}
        #: (module, kind) -> what :meth:`module_data` found.
        self._data: dict[tuple[str, str], object] = {}

    @classmethod
    def empty(cls) -> ProjectIndex:
        """An index that knows no other file (standard input outside a project, examples)."""
        return cls({}, lambda _path: None)

    # -- gathering ------------------------------------------------------------------------
    def linting(self, module_name: str, digest: str) -> None:
        """The file of ``module_name`` with this content hash is about to be linted: take
        its facts from the lint's own tree as soon as it is parsed (:meth:`add_module`),
        and store them before the rules run (other processes waiting for them wait for a
        parse, not a whole lint; later runs read them instead of parsing)."""
        self._linting[module_name] = digest

    def add_module(self, module_name: str, tree: cst.Module, *, is_package: bool = False) -> None:
        """Record facts of an already parsed module (the file being linted): at once when
        the runner announced the lint (:meth:`linting`), else lazily, when asked."""
        if module_name not in self.modules:
            self._outside.add(module_name)
        digest = self._linting.pop(module_name, None)
        if digest is None:
            if module_name not in self._facts:
                self._pending_trees[module_name] = (tree, is_package)
            return
        facts = self._facts.get(module_name)
        if facts is None:
            facts = self._facts[module_name] = extract_module_facts(
                tree, module_name, is_package=is_package)
        if self._store is not None:
            self._store.save(module_name, is_package, digest, facts.to_json())

    def drop_tree(self, module_name: str) -> None:
        """Forget the tree :meth:`add_module` kept for lazy extraction: its lint is over,
        and a later question about the module parses it again."""
        self._pending_trees.pop(module_name, None)
        facts = self._facts.get(module_name)
        if facts is not None and isinstance(facts.functions, _LazyFunctions):
            del self._facts[module_name]  # its facts hold the tree

    def module_facts(self, module_name: str) -> ModuleFacts | None:
        """Facts of a project module, parsing it on first use; None if not in the project."""
        self.accessed.add(module_name)
        if module_name in self._facts:
            return self._facts[module_name]
        self._facts[module_name] = None  # guards against import cycles while extracting
        facts: ModuleFacts | None = None
        pending = self._pending_trees.pop(module_name, None)
        if pending is not None:
            # The module's own lint asks about it: most questions name one class or
            # function, so each function's facts are made when first asked for.
            facts = extract_module_facts(pending[0], module_name, is_package=pending[1],
                                         lazy=True)
        else:
            path = self.modules.get(module_name)
            if path is not None:
                facts = self._read_facts(module_name, path)
        self._facts[module_name] = facts
        return facts

    def _read_facts(self, module_name: str, path: Path) -> ModuleFacts | None:
        """Facts of a module's file: from the store when it has this version, else parsed
        (and then stored)."""
        is_package = path.name == "__init__.py"
        digest = None
        if self._store is not None:
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                return None
            stored = self._load(module_name, is_package, digest)
            if stored is not None:
                return stored
            if self._hand_off is not None:
                stored = self._hand_off.wait_for(
                    module_name, partial(self._load, module_name, is_package, digest))
                if stored is not None:
                    return stored
        tree = self._parse(path)
        if tree is None:
            return None
        facts = extract_module_facts(tree, module_name, is_package=is_package)
        if self._store is not None and digest is not None:
            self._store.save(module_name, is_package, digest, facts.to_json())
        return facts

    def _load(self, module_name: str, is_package: bool, digest: str) -> ModuleFacts | None:
        assert self._store is not None
        stored = self._store.load(module_name, is_package, digest)
        if stored is None:
            return None
        try:
            return ModuleFacts.from_json(stored)
        except (ValueError, TypeError, KeyError):
            return None  # written by something else: parse instead

    # -- queries --------------------------------------------------------------------------
    def split_module(self, qualname: str) -> tuple[str, str] | None:
        """``pkg.mod.Class.meth`` -> (``pkg.mod``, ``Class.meth``) for the longest project
        module prefix, or None when no project module holds the name."""
        remember = not self._outside
        if remember and qualname in self._splits:
            return self._splits[qualname]
        found = None
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module in self.modules or module in self._pending_trees or self._facts.get(module):
                found = module, ".".join(parts[cut:])
                break
        if remember:
            self._splits[qualname] = found
        return found

    def canonical(self, qualname: str) -> str:
        """Follow re-exports: ``pkg.fetch`` -> ``pkg.client.fetch`` when ``pkg/__init__.py``
        does ``from .client import fetch``."""
        for _ in range(10):
            split = self.split_module(qualname)
            if split is None:
                return qualname
            module, rest = split
            facts = self.module_facts(module)
            if facts is None:
                return qualname
            head, _, tail = rest.partition(".")
            target = facts.exports.get(head)
            if target is None:
                return qualname
            qualname = f"{target}.{tail}" if tail else target
        return qualname

    def function(self, qualname: str) -> FunctionFacts | None:
        """The facts of the project function or method a qualified name denotes.

        Methods are looked up along the class's bases (those the project defines).
        """
        if self._surely_undefined(qualname):
            return None
        qualname = self.canonical(qualname)
        split = self.split_module(qualname)
        if split is None:
            return None
        facts = self.module_facts(split[0])
        if facts is None:
            return None
        found = facts.functions.get(qualname)
        if found is not None:
            return found
        owner, _, attr = qualname.rpartition(".")
        for base in self._bases(owner):
            base_facts = self.function(f"{base}.{attr}")
            if base_facts is not None:
                return base_facts
        return None

    def surely_not_coroutine(self, qualname: str) -> bool:
        """True when bytes show that calling ``qualname`` cannot make a coroutine, so that
        the module defining it need not be parsed: no ``async def`` is reached through that
        name, and no listed coroutine method (:attr:`listed_coroutines`, ``asyncio.Queue.get``)
        through the classes it inherits from outside the project.  :meth:`makes_coroutine`
        would answer the same from the trees; most calls of project names into modules
        without async code (``os.path.join`` in a standard-library test) are answered so."""
        return self._ruled_out_by_bytes(
            qualname,
            _lacks("async_names"), self._outside_not_coroutine)

    def surely_makes_no_task(self, qualname: str) -> bool:
        """True when bytes show that no sync project function reached through ``qualname``
        names a task factory in its body (:attr:`ModuleText.task_makers`), so that calling
        it cannot return a task it made: ACK102 need not parse its module to know."""
        return self._ruled_out_by_bytes(qualname, _lacks_task_maker, lambda _outside: True)

    def _outside_not_coroutine(self, qualname: str) -> bool:
        """Whether a name outside the project is surely no coroutine function: neither
        listed nor one of the environment's libraries says so."""
        if qualname in self.listed_coroutines:
            return False
        return self.library is None or self.library.makes_coroutine(qualname) is not True

    def _surely_undefined(self, qualname: str) -> bool:
        """True when bytes show that no project ``def`` or ``class`` is reached through
        ``qualname`` (``random.uniform`` bound by assignment, ``codecs.lookup`` from a star
        import of a C module), so that :meth:`function` and :meth:`is_class` need not parse
        its module.  Asked only while that module's facts are not at hand."""
        split = self.split_module(qualname)
        if split is None or split[0] in self._facts:
            return False
        known = self._undefined.get(qualname)
        if known is None:
            # The modules read for the answer are dependencies of every file that asks.
            asking, self.accessed = self.accessed, set()
            try:
                answer = self._ruled_out_by_bytes(
                    qualname, _lacks("defined_names"), lambda _outside: True)
            finally:
                read, self.accessed = frozenset(self.accessed), asking
            known = self._undefined[qualname] = (answer, read)
        self.accessed.update(known[1])
        return known[0]

    def _ruled_out_by_bytes(self, qualname: str,
                            rules_out: Callable[[ModuleText, bytes, str], bool],
                            outside_rules_out: Callable[[str], bool],
                            depth: int = 0) -> bool:
        """Whether ``rules_out(module text, top-level name, attribute)`` holds wherever ``qualname``
        leads, known from bytes: a name a module imports is followed to where it comes
        from, and for a method, the class's bases are followed the same way.  Where it
        leads out of the project, ``outside_rules_out(qualified name)`` decides.  False
        when unsure."""
        split = self.split_module(qualname)
        if split is None:
            return depth > 0 and outside_rules_out(qualname)
        module, rest = split
        head, _, attr = rest.partition(".")
        if depth > 10:
            return False
        # The answer depends on this module's content: the result cache must know.
        self.accessed.add(module)
        text = self._module_text(module)
        if text is None:
            return False
        if "." in attr:
            # `Popen.stderr.read`: the index knows dotted members of nested classes and
            # functions nested in functions only, and follows no bases for such a name; no
            # class named `stderr` means nothing here.
            if "<locals>" in attr or any(
                    part.encode() in text.class_names for part in attr.split(".")[:-1]):
                return False
        name = head.encode()
        if not rules_out(text, name, attr):
            return False
        if name in text.bindings:
            # Bound by an import (a `def` of the same name would have failed above).
            return all(
                self._ruled_out_by_bytes(f"{target}.{attr}" if attr else target, rules_out,
                                         outside_rules_out, depth + 1)
                for target in text.bindings[name])
        # A star import may bind it too.
        if not all(self._ruled_out_by_bytes(f"{source}.{rest}", rules_out, outside_rules_out,
                                            depth + 1)
                   for source in text.star_sources):
            return False
        if attr and "." not in attr:
            # A method may come from the class's bases.
            pending, seen = [name], set()
            while pending:
                current = pending.pop()
                if current in seen:
                    continue
                seen.add(current)
                if not rules_out(text, current, attr):
                    return False
                for base in text.class_bases.get(current, ()):
                    if base == UNSURE:
                        return False  # a class header the line scan could not read
                    head_name, _, tail = base.decode(errors="replace").partition(".")
                    targets = text.bindings.get(head_name.encode())
                    if targets is not None:
                        # `mod.Base` or `Base` from an import: that class's method.
                        if not all(self._ruled_out_by_bytes(
                                ".".join(p for p in (target, tail, attr) if p), rules_out,
                                outside_rules_out, depth + 1) for target in targets):
                            return False
                    elif tail:
                        return False  # a dotted base not from an import: unsure
                    else:
                        pending.append(head_name.encode())
        return True

    def _module_text(self, module: str) -> ModuleText | None:
        if module not in self._texts:
            known = self._known_text(module) if self._known_text is not None else None
            if known is not None:
                self._texts[module] = known
                return known
            path = self.modules.get(module)
            try:
                data = path.read_bytes() if path is not None else None
            except OSError:
                data = None
            self._texts[module] = None if data is None else ModuleText.scan(
                data, module, is_package=path is not None and path.name == "__init__.py",
                path=path)
        return self._texts[module]

    def modules_mentioning(self, word: str, *, besides: str,
                           limit: int | None = None) -> frozenset[str] | None:
        """The project modules other than ``besides`` whose text holds ``word`` as a whole
        word (in code, comments or strings alike), read from their bytes once per word.

        Asked rarely (a rule wants to know whether a public name is used in other files),
        so the files are read when first asked, and kept for the next questions.  The
        modules found are dependencies of the file that asks (the result cache must re-lint
        it when they change).  More than ``limit`` of them: None, and no dependencies
        recorded (the asker gives up)."""
        others = self.modules_naming(word) - {besides}
        if limit is not None and len(others) > limit:
            return None
        self.accessed.update(others)
        return others

    def modules_naming(self, word: str) -> frozenset[str]:
        """:meth:`modules_mentioning` without ``besides``, limit or dependencies."""
        found = self._mentions.get(word)
        if found is None:
            encoded = word.encode()
            pattern = whole_word(encoded)
            if self._project_bytes is None:
                # Read once: a second question costs a substring search, not a read.
                self._project_bytes = [(module, self._module_bytes(path))
                                       for module, path in self.modules.items()]
            if self._project_words is None and len(self._mentions) >= _WORDS_AFTER \
                    and word.isidentifier():
                # Asked about many names (a chain searched backwards): each module's set of
                # words, made once, answers each of them without scanning every text again.
                self._project_words = [(module, None if data is None else words(data))
                                       for module, data in self._project_bytes]
            hits = set()
            if self._project_words is not None and word.isidentifier():
                for module, known in self._project_words:
                    if known is None or encoded in known:
                        hits.add(module)  # unreadable: it may mention it
            else:
                for module, data in self._project_bytes:
                    # The substring test first: several times faster than the pattern.
                    if data is None or (encoded in data and pattern.search(data) is not None):
                        hits.add(module)  # unreadable: it may mention it
            found = self._mentions[word] = frozenset(hits)
        return found

    def mentions(self, module: str, word: str) -> bool:
        """Whether project module ``module``'s text holds ``word`` as a whole word, as
        :meth:`modules_naming` tells (True when it cannot be read), from its text alone."""
        found = self._mentions.get(word)
        if found is not None:
            return module in found
        path = self.modules.get(module)
        data = self._module_bytes(path) if path is not None else None
        encoded = word.encode()
        return data is None or (encoded in data and whole_word(encoded).search(data) is not None)

    def module_stamps(self) -> dict[str, str]:
        """Module -> the size and modification time of its file (``""`` when it cannot be
        told): what tells a project-wide answer kept from an earlier run which modules
        changed since."""
        stamps = {}
        for module, path in self.modules.items():
            try:
                status = path.stat()
            except OSError:
                stamps[module] = ""
            else:
                stamps[module] = f"{status.st_size}:{status.st_mtime_ns}"
        return stamps

    @property
    def keeps_answers(self) -> bool:
        """Whether :meth:`keep_answer` keeps anything (the index has a facts store)."""
        return self._store is not None

    def kept_answer(self, question: str) -> object | None:
        """What :meth:`keep_answer` kept in the facts store for a project-wide question."""
        return self._store.load(question, False, "project") if self._store is not None else None

    def keep_answer(self, question: str, data: object) -> None:
        """Keep the answer to a project-wide question (JSON data) in the facts store."""
        if self._store is not None:
            self._store.save(question, False, "project", data)

    def sync_functions_around(self, module: str, word: str, *, called: bool = False
                              ) -> frozenset[str]:
        """The names of the sync functions of project module ``module`` whose bodies may
        name ``word``, from its text (:func:`~asyncheck.text.scans.sync_functions_around`:
        a superset, for filtering)."""
        key = (module, word, called)
        known = self._around.get(key)
        if known is None:
            encoded = word.encode()
            found = self._outline(module, encoded)
            known = self._around[key] = frozenset() if found is None else sync_functions_around(
                found[0], encoded, called=called, shape=found[1])
        return known

    def _outline(self, module: str, needed: bytes) -> tuple[bytes, Outline] | None:
        """A module's text and its outline, kept; None when it cannot be read or does not
        hold ``needed`` (then no outline is made)."""
        kept = self._outlines.get(module)
        if kept is None:
            path = self.modules.get(module)
            data = self._module_bytes(path) if path is not None else None
            kept = self._outlines[module] = (data, None)
        data, shape = kept
        if data is None or needed not in data:
            return None
        if shape is None:
            shape = outline(data)
            self._outlines[module] = (data, shape)
        return data, shape

    def text_holds(self, module: str, words: tuple[bytes, ...]) -> bool:
        """Whether the text of project module ``module`` holds one of ``words``
        (substrings, in code, comments or strings alike; True when it cannot be read),
        from its bytes, without parsing."""
        self.accessed.add(module)
        key = (module, words)
        held = self._holds.get(key)
        if held is None:
            path = self.modules.get(module)
            data = self._module_bytes(path) if path is not None else None
            held = self._holds[key] = data is None or any(word in data for word in words)
        return held

    def defines_here(self, module: str, name: str) -> bool:
        """Whether bytes show that ``module`` binds ``name`` with its own top-level
        ``def`` or ``class`` (rather than importing it from elsewhere), surely."""
        text = self._module_text(module)
        if text is None:
            return False
        defined = text.defined_names
        encoded = name.encode()
        return encoded in defined and UNSURE not in defined and encoded not in text.imported

    def module_data(self, module: str, kind: str, make: Callable[[cst.Module], _Data],
                    encode: Callable[[_Data], object], decode: Callable[[object], _Data]
                    ) -> _Data | None:
        """What ``make`` finds in project module ``module``'s tree (``kind`` names what it
        finds; ``encode`` and ``decode`` turn it into JSON and back): made once per
        process, and kept in the facts store by the module's content, so that a question
        several files ask about another module parses it once, and later runs not at all.
        None when the module cannot be read."""
        self.accessed.add(module)
        key = (module, kind)
        if key in self._data:
            return cast("_Data | None", self._data[key])
        path = self.modules.get(module)
        found: _Data | None = None
        name = digest = None
        if path is not None and self._store is not None:
            text = self._module_bytes(path)
            if text is not None:
                name, digest = f"{kind}: {module}", hashlib.sha256(text).hexdigest()
                stored = self._store.load(name, False, digest)
                if stored is not None:
                    try:
                        found = decode(stored)
                    except (AssertionError, KeyError, TypeError, ValueError):
                        found = None  # written by something else: made again
        if found is None:
            tree = self.module_tree(module)
            if tree is not None:
                found = make(tree)
                if name is not None and digest is not None and self._store is not None:
                    self._store.save(name, False, digest, encode(found))
        self._data[key] = found
        return found

    def module_tree(self, module: str) -> cst.Module | None:
        """A project module parsed (not kept: for the rare question facts do not answer)."""
        path = self.modules.get(module)
        if path is None:
            return None
        self.accessed.add(module)
        return self._parse(path)

    def _module_bytes(self, path: Path) -> bytes | None:
        """A module's text: its file's bytes, or what ``parse`` makes of it (a project of
        strings in memory has no files)."""
        try:
            return path.read_bytes()
        except OSError:
            tree = self._parse(path)
            return tree.code.encode("utf-8") if tree is not None else None

    def makes_coroutine(self, qualname: str) -> bool | None:
        """Whether calling the project function ``qualname`` makes a coroutine.

        None when the name is not a project function.  An ``async def`` makes a coroutine
        unless it is an async generator, is also defined as a plain ``def`` under the same
        name, or has a decorator not known to keep coroutine functions what they are
        (:data:`COROUTINE_PRESERVING_DECORATORS`, or a project decorator that defines an
        ``async def`` wrapper).  When unsure the answer is False: rules stay quiet.
        """
        if self.surely_not_coroutine(qualname) or self._inherited_surely_not(qualname):
            return False
        facts = self.function(qualname)
        if facts is None:
            return None
        if not facts.is_async or facts.is_generator or facts.ambiguous:
            return False
        return all(self.preserves_coroutines(d) for d in facts.decorators)

    def _inherited_surely_not(self, qualname: str) -> bool:
        """For a method its class does not define, whether bytes show that no base makes
        it a coroutine function.  Asked when the class's own module is at hand and bytes
        cannot answer for it, as for a class nested in a function (``<locals>``): the
        bases' modules need not be parsed."""
        owner, _, attr = qualname.rpartition(".")
        split = self.split_module(owner)
        if split is None or not (split[0] in self._pending_trees or self._facts.get(split[0])):
            return False
        facts = self.module_facts(split[0])  # no parse: from the tree or facts at hand
        if facts is None or qualname in facts.functions or owner not in facts.classes:
            return False
        bases = facts.classes[owner]
        return bool(bases) and all(
            self._outside_not_coroutine(f"{base}.{attr}") if self.split_module(base) is None
            else self.surely_not_coroutine(f"{base}.{attr}") for base in bases)

    def preserves_coroutines(self, decorator: str) -> bool:
        """Whether a decorator (qualified name, ``"name()"`` for a call) leaves an ``async
        def`` a coroutine function."""
        if decorator in COROUTINE_PRESERVING_DECORATORS:
            return True
        if decorator == "?":
            return False
        wrapper = self.function(decorator.removesuffix("()"))
        return wrapper is not None and not wrapper.is_async and wrapper.defines_async

    def class_lineage(self, class_qualname: str) -> list[str]:
        """The class and its bases, breadth first, each once; bases outside the project
        are listed but not followed."""
        lineage: list[str] = []
        pending = [class_qualname]
        while pending and len(lineage) < 50:
            current = self.canonical(pending.pop(0))
            if current in lineage:
                continue
            lineage.append(current)
            pending.extend(self._bases(current))
        return lineage

    def return_type(self, qualname: str) -> str | None:
        """The annotated return type of the project function ``qualname``, if any."""
        if self._ruled_out_by_bytes(
                qualname,
                _lacks("annotated_names", with_members=True), lambda _outside: True):
            return None  # no function reached through that name has a return annotation
        facts = self.function(qualname)
        return facts.returns if facts is not None else None

    def is_class(self, qualname: str) -> bool:
        """Whether a qualified name is a class the project defines."""
        if self._surely_undefined(qualname):
            return False
        qualname = self.canonical(qualname)
        split = self.split_module(qualname)
        if split is None:
            return False
        facts = self.module_facts(split[0])
        return facts is not None and qualname in facts.classes

    def _bases(self, class_qualname: str) -> tuple[str, ...]:
        if class_qualname in self.modules:
            return ()  # a module, not a class: do not parse its package to find out
        class_qualname = self.canonical(class_qualname)
        split = self.split_module(class_qualname)
        if split is None:
            return ()
        facts = self.module_facts(split[0])
        if facts is None:
            return ()
        return facts.classes.get(class_qualname, ())


def _lacks(field_name: str, *, with_members: bool = False
           ) -> Callable[[ModuleText, bytes, str], bool]:
    """For :meth:`ProjectIndex._ruled_out_by_bytes`: the module text's set ``field_name``
    holds neither the top-level name nor :data:`UNSURE` (nor, ``with_members``, the entry
    ``Name.attribute``)."""
    def lacks(text: ModuleText, name: bytes, attr: str) -> bool:
        names: frozenset[bytes] = getattr(text, field_name)
        return name not in names and UNSURE not in names and not (
            with_members and attr and name + b"." + attr.encode() in names)
    return lacks


def _lacks_task_maker(text: ModuleText, name: bytes, attr: str) -> bool:
    """For :meth:`ProjectIndex._ruled_out_by_bytes`: the function called (the method
    ``attr``, or else ``name``) is no task maker of the module text."""
    makers = text.task_makers
    called = attr.rpartition(".")[2].encode() if attr else name
    return called not in makers and UNSURE not in makers


# -- extraction ---------------------------------------------------------------------------

def extract_module_facts(
    tree: cst.Module,
    module_name: str,
    *,
    is_package: bool = False,
    lazy: bool = False,
) -> ModuleFacts:
    """Walk a parsed module once and record its functions, classes and imported names.

    ``lazy``: a function's facts are made from its body when first asked for (the facts
    then hold the tree).
    """
    resolver = Resolver()
    module_scope = make_module_scope(tree, module_name, is_package=is_package)
    functions = _LazyFunctions()
    classes: dict[str, tuple[str, ...]] = {}
    exports: dict[str, str] = {}
    for name, bindings in module_scope.bindings.items():
        for binding in bindings:
            if binding.kind == "import" and binding.qualname:
                exports.setdefault(name, binding.qualname)
    _extract_block(tree.body, module_scope, resolver, functions, classes)
    return ModuleFacts(module_name, functions if lazy else {q: functions[q] for q in functions},
                       classes, exports)


class _LazyFunctions(Mapping[str, FunctionFacts]):
    """Function facts made from a def's body on first access (see ``lazy`` in
    :func:`extract_module_facts`)."""

    def __init__(self) -> None:
        self._made: dict[str, FunctionFacts] = {}
        self._pending: dict[str, Callable[[], FunctionFacts]] = {}
        #: Qualified name -> (is async, ambiguous): what the extraction itself reads back.
        self.kinds: dict[str, tuple[bool, bool]] = {}

    def add(self, qualname: str, make: Callable[[], FunctionFacts], is_async: bool,
            ambiguous: bool) -> None:
        self._pending[qualname] = make
        self.kinds[qualname] = (is_async, ambiguous)

    def __getitem__(self, qualname: str) -> FunctionFacts:
        made = self._made.get(qualname)
        if made is None:
            made = self._made[qualname] = self._pending.pop(qualname)()
        return made

    def __contains__(self, qualname: object) -> bool:
        return qualname in self.kinds

    def __iter__(self) -> Iterator[str]:
        return iter(self.kinds)

    def __len__(self) -> int:
        return len(self.kinds)


def _function_facts(statement: cst.FunctionDef, function_scope: Scope, scope: Scope,
                    resolver: Resolver, ambiguous: bool) -> FunctionFacts:
    collector = _BodyCollector(resolver, function_scope)
    collector.walk(statement.body)
    blocking = collector.blocking
    blocking_nodes = collector.blocking_nodes
    if collector.waits:
        # Rare: only bodies with a wait on a thread primitive look for the path to it.
        harmless = set()
        for position, call, found in collector.waits:
            path = path_to(statement, call)
            if path is not None and wait_cannot_block(resolver, function_scope, found, call,
                                                      path):
                harmless.add(position)
        blocking = [name for position, name in enumerate(blocking) if position not in harmless]
        blocking_nodes = [node for position, node in enumerate(blocking_nodes)
                          if position not in harmless]
    decorators = tuple(_decorator_name(d, resolver, scope) for d in statement.decorators)
    literals = tuple(call_literals(node) if node.args else "" for node in collector.call_nodes)
    guarded: dict[str, tuple[str, ...]] = {}
    if collector.tests_names and collector.calls:
        # Only bodies with an `if name:`-style test look for parameter guards.
        bound = scope.kind == "class" and "builtins.staticmethod" not in decorators
        names, defaults = parameter_table(statement, bound=bound)
        guards = guards_of_calls(statement.body, [n.lstrip("*") for n in names]) if names else {}
        if guards:
            guarded = {
                "call_guards": tuple(guards.get(id(n), "") for n in collector.call_nodes),
                "blocking_guards": tuple(guards.get(id(n), "") for n in blocking_nodes),
                "params": names,
                "param_defaults": defaults,
            }
    return FunctionFacts(
        function_scope.qualname,
        statement.asynchronous is not None,
        tuple(collector.calls),
        tuple(collector.acquires),
        blocking=tuple(blocking),
        returns=_return_type(statement, resolver, scope),
        is_generator=collector.is_generator,
        decorators=decorators,
        defines_async=collector.defines_async,
        ambiguous=ambiguous,
        **guarded,  # type: ignore[arg-type]
        # Only bodies calling a task factory look at what they return.
        returns_task=returned_fresh_task(statement, resolver, function_scope)
        if collector.spawns else "",
        call_literals=literals if any(literals) else (),
    )


def _extract_block(
    statements: Iterable[cst.BaseStatement],
    scope: Scope,
    resolver: Resolver,
    functions: _LazyFunctions,
    classes: dict[str, tuple[str, ...]],
) -> None:
    for statement in _compound_statements(statements):
        if isinstance(statement, cst.FunctionDef):
            function_scope = make_function_scope(statement, scope)
            qualname = function_scope.qualname
            is_async = statement.asynchronous is not None
            previous_kind = functions.kinds.get(qualname)
            ambiguous = (
                previous_kind is not None and (previous_kind[1] or previous_kind[0] != is_async)
                or is_async and _rebound(scope, statement.name.value))
            functions.add(qualname, partial(_function_facts, statement, function_scope, scope,
                                            resolver, ambiguous),
                          is_async, ambiguous)
            _extract_block(_block_statements(statement.body), function_scope, resolver,
                           functions, classes)
        elif isinstance(statement, cst.ClassDef):
            class_scope = make_class_scope(statement, scope)
            bases = []
            for arg in statement.bases:
                base = resolver.qualified_name(base_class(arg), scope)
                if base is not None:
                    bases.append(base)
            classes[class_scope.qualname] = tuple(bases)
            _extract_block(_block_statements(statement.body), class_scope, resolver,
                           functions, classes)


def _rebound(scope: Scope, name: str) -> bool:
    """A module or class name bound by something else besides its defs
    (``fetch = sync_wrapper(fetch)``): what calling it makes is unknown."""
    if scope.kind not in ("module", "class"):
        return False
    return any(binding.kind != "def" for binding in scope.bindings.get(name, ()))


def _decorator_name(decorator: cst.Decorator, resolver: Resolver, scope: Scope) -> str:
    """``"functools.wraps()"`` for ``@wraps(f)``, ``"builtins.staticmethod"``, or ``"?"``."""
    expr = decorator.decorator
    suffix = ""
    if isinstance(expr, cst.Call):
        expr, suffix = expr.func, "()"
    qualname = resolver.qualified_name(expr, scope)
    return qualname + suffix if qualname is not None else "?"


def _return_type(function: cst.FunctionDef, resolver: Resolver, scope: Scope) -> str | None:
    """The type a sync function's return annotation names (resolved where the def is)."""
    if function.returns is None or function.asynchronous is not None:
        return None
    return resolver.annotation_type(function.returns.annotation, scope)


def _block_statements(body: cst.BaseSuite) -> Iterable[cst.BaseStatement]:
    return body.body if isinstance(body, cst.IndentedBlock) else ()


def _compound_statements(statements: Iterable[cst.BaseStatement]) -> Iterator[cst.BaseStatement]:
    """Defs and classes in a block, also those nested in if/try/with/for blocks."""
    for statement in statements:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            yield statement
        elif not isinstance(statement, cst.SimpleStatementLine):
            for suite in child_suites(statement):
                yield from _compound_statements(_block_statements(suite))


def _acquire_receiver(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """``x`` of a call ``x.acquire(...)`` (or anyio's ``x.acquire_on_behalf_of(...)``),
    else None."""
    if (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value in ("acquire", "acquire_on_behalf_of")
    ):
        return expr.func.value
    return None


def entered_limiter(item: cst.BaseExpression) -> cst.BaseExpression:
    """What ``async with item:`` enters: ``async with sem.acquire():`` enters ``sem``."""
    receiver = _acquire_receiver(item)
    return receiver if receiver is not None else item


def awaited_acquire(node: cst.Await) -> cst.BaseExpression | None:
    """``sem`` of ``await sem.acquire()``, else None."""
    return _acquire_receiver(node.expression)


class _BodyCollector(BodyVisitor):
    """Calls and limiter acquisitions in one function body, not in nested scopes."""

    def __init__(self, resolver: Resolver, scope: Scope) -> None:
        super().__init__()
        self.resolver = resolver
        self.scope = scope
        self.calls: list[str] = []
        self.acquires: list[str] = []
        self.blocking: list[str] = []
        #: Waits on thread primitives that may turn out harmless (a short critical section,
        #: an unbounded queue): :func:`~asyncheck.semantics.waits.wait_cannot_block` decides
        #: once the path to each is known.
        self.waits: list[tuple[int, cst.Call, BlockingMatch]] = []
        #: The call nodes of :attr:`calls` and :attr:`blocking` (for their guards).
        self.call_nodes: list[cst.Call] = []
        self.blocking_nodes: list[cst.Call] = []
        self.tests_names = False
        #: It calls something named like a task factory (``create_task``, ``ensure_future``).
        self.spawns = False
        self.is_generator = False
        self.defines_async = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if not self.defines_async:
            self.defines_async = node.asynchronous is not None or _contains_async_def(node.body)
        return False

    def visit_Yield(self, node: cst.Yield) -> None:
        self.is_generator = True

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not self.spawns and (
                type(func) is cst.Attribute and func.attr.value in FACTORY_METHOD_NAMES
                or type(func) is cst.Name and func.value in FACTORY_METHOD_NAMES):
            self.spawns = True
        qualname = self.resolver.qualified_name(node.func, self.scope)
        if qualname is not None:
            self.calls.append(qualname)
            self.call_nodes.append(node)
            found = match_blocking_call(self.resolver, self.scope, node)
            if found is not None:
                if may_be_harmless(found):
                    self.waits.append((len(self.blocking), node, found))  # judged after the walk
                self.blocking.append(found.qualname)
                self.blocking_nodes.append(node)

    def visit_If(self, node: cst.If) -> None:
        # `if name:`, `if not name:`, `if a and b:`: maybe a parameter switching a branch.
        if type(node.test) in (cst.Name, cst.UnaryOperation, cst.BooleanOperation):
            self.tests_names = True

    def visit_While(self, node: cst.While) -> None:
        # `while name:` runs its body only when `name` is truthy.
        if type(node.test) in (cst.Name, cst.UnaryOperation, cst.BooleanOperation):
            self.tests_names = True

    def visit_For(self, node: cst.For) -> None:
        # `for i in range(name):` runs its body only when `name` is truthy.
        if type(node.iter) is cst.Call:
            self.tests_names = True

    def visit_With(self, node: cst.With) -> None:
        # A plain `with lock:` is not recorded as blocking: in a sync helper it is the usual
        # thread-safety idiom around a few statements (ACK270 reports it in async def).
        if node.asynchronous is not None:
            for item in node.items:
                self.acquires.append(self._describe(entered_limiter(item.item)))

    def visit_Await(self, node: cst.Await) -> None:
        acquired = awaited_acquire(node)
        if acquired is not None:
            self.acquires.append(self._describe(acquired))

    def _describe(self, expr: cst.BaseExpression) -> str:
        described = self.resolver.expression_type(expr, self.scope)
        if described is not None:
            return described
        text = dotted_name(expr)
        return f"name:{text}" if text is not None else "name:?"


def _contains_async_def(body: cst.BaseSuite) -> bool:
    """Whether an ``async def`` is nested somewhere in ``body``."""
    return any(d.asynchronous is not None for d in find_all(body, (cst.FunctionDef,)))


def has_own_yield(function: cst.FunctionDef) -> bool:
    """Whether a function's own body (not nested defs) yields: it is a generator."""
    return bool(find_all(function.body, (cst.Yield,), own_scope=True))
