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
linted without looking closer (that is nearly always code); for the others (a good share
of the files that mention a trigger) CPython's parser, faster than libcst, tells code from
text (:func:`~asyncheck.text.code_text.code_text`).

ACK000 cannot be decided from bytes: a skipped file is still checked with CPython's parser
(cheaper than libcst), and a file CPython rejects, or that holds a construct libcst is
known to reject (a parenthesised annotated target, ``(x): int = 1``), is linted in full so
that it gets its ACK000.  What is left is a construct libcst rejects that we do not
know of, in a file with none of the triggers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from asyncheck.core.config import Settings
from asyncheck.core.diagnostic import UNPARSABLE_CODE
from asyncheck.core.source import MAX_FILE_BYTES
from asyncheck.core.tables import listed_coroutines
from asyncheck.text.code_text import PARENTHESISED_TARGET_RE, code_text, cpython_accepts
from asyncheck.text.patterns import trigger_pattern, words
from asyncheck.text.scans import ModuleText, Project, imported_modules, project_module

#: A line that starts an ``async def``: a file with one nearly always has async code.
_ASYNC_DEF_LINE_RE = re.compile(rb"^[ \t]*async[ \t]+def[ \t]+\w+[ \t]*[(\[]", re.MULTILINE)


class RuleTriggers(Protocol):
    """What the pre-filter reads of a rule class (:class:`asyncheck.lint.rule.Rule`)."""

    #: The rule's code: the syntax check (``ACK000``) is decided apart from the triggers.
    code: str
    #: Words one of which a file must contain for the rule to report anything in it;
    #: None: no such promise (the file is always parsed).
    TRIGGERS: tuple[str, ...] | None
    #: Whether the names of the project's coroutine functions count as triggers too.
    TRIGGERS_INCLUDE_COROUTINE_NAMES: bool
    #: Whether the trigger words count only in a file that may name a coroutine function.
    TRIGGERS_NEED_COROUTINES: bool


def _trigger_patterns(triggers: set[bytes]
                      ) -> tuple[re.Pattern[bytes] | None, re.Pattern[bytes] | None]:
    """A pattern for any of ``triggers``, and one for any of them on an import line; None
    for no triggers."""
    if not triggers:
        return None, None
    # Rule triggers are substrings: "EventLoopPolicy" in "WindowsSelectorEventLoopPolicy";
    # a space is any run of blanks and line continuations (`async \<newline> def`).
    alternatives = "|".join(trigger_pattern(w.decode()) for w in sorted(triggers))
    # A trigger on an import line (`from redis import asyncio`) is nearly always code.
    return re.compile(alternatives.encode()), re.compile(
        f"^[ \\t]*(?:from|import)[ \\t][^\\n]*?(?:{alternatives})".encode(), re.MULTILINE)


class PreFilter:
    """Decides, from a file's bytes, whether the enabled rules could report anything in it.

    ``modules`` maps the project's module names to their files.
    """

    def __init__(self, rules: Sequence[RuleTriggers], settings: Settings,
                 modules: Mapping[str, Path]) -> None:
        self.check_syntax = any(rule.code == UNPARSABLE_CODE for rule in rules)
        checked = [rule for rule in rules if rule.code != UNPARSABLE_CODE]
        self.active = all(rule.TRIGGERS is not None for rule in checked)
        self._trigger: re.Pattern[bytes] | None = None
        self._imported_trigger: re.Pattern[bytes] | None = None
        self._async_trigger: re.Pattern[bytes] | None = None
        self._async_imported_trigger: re.Pattern[bytes] | None = None
        self._packages: frozenset[bytes] = frozenset()
        self._follow_names = False
        self._definitions: dict[bytes, set[str]] | None = None
        self._modules = dict(modules)
        self._markers: dict[bytes, frozenset[bytes]] | None = None
        self._scanned: Project | None = None
        #: Name -> the modules that define or re-export it (the markers' modules).
        self._definers: dict[bytes, frozenset[str]] = {}
        if not self.active:
            return
        triggers = {word.encode() for rule in checked if not rule.TRIGGERS_NEED_COROUTINES
                    for word in rule.TRIGGERS or ()}
        gated = {word.encode() for rule in checked if rule.TRIGGERS_NEED_COROUTINES
                 for word in rule.TRIGGERS or ()}
        self._trigger, self._imported_trigger = _trigger_patterns(triggers)
        #: The same with the words of the rules whose triggers need a coroutine function
        #: (ACK104's ``atexit``, ``Thread(``): used for a file with an ``async def``.
        self._async_trigger, self._async_imported_trigger = (
            _trigger_patterns(triggers | gated) if gated - triggers
            else (self._trigger, self._imported_trigger))
        if any(rule.TRIGGERS_INCLUDE_COROUTINE_NAMES or rule.TRIGGERS_NEED_COROUTINES
               for rule in checked):
            # A library's coroutine function is reached through an import of its package.
            self._packages = frozenset(
                name.partition(".")[0].encode() for name in listed_coroutines(settings))
            self._follow_names = True

    def may_report(self, data: bytes, module: str | None = None, *,
                   is_package: bool = False) -> bool:
        """False when no enabled rule can report anything in a file with these bytes
        (``module``: its module name, when known, lets its imports be followed)."""
        if not self.active or (self.check_syntax and len(data) > MAX_FILE_BYTES):
            return True  # ... ACK000 says that it is too large to analyse
        code = data
        defines_async = b"async" in data and _ASYNC_DEF_LINE_RE.search(data) is not None
        trigger, imported_trigger = (
            (self._async_trigger, self._async_imported_trigger) if defines_async
            else (self._trigger, self._imported_trigger))
        if trigger is not None and trigger.search(data):
            if defines_async or (
                    imported_trigger is not None and imported_trigger.search(data)):
                return True
            found = code_text(data)
            if found is None or trigger.search(found):
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
            # CPython's parser accepted it (:func:`code_text`): only a construct libcst
            # rejects is left to look for.
            return self.check_syntax and PARENTHESISED_TARGET_RE.search(data) is not None
        return self.check_syntax and not cpython_accepts(data)

    def prepare(self) -> None:
        """Read the project now if following names may need it: before the runner forks
        its processes, which then share the result instead of each reading the project."""
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
                    reached = project_module(".".join(parts[:end]), package, modules)
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

    def _project(self) -> Project:
        if self._scanned is None:
            self._scanned = Project(self._modules)
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
