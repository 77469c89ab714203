"""Calls reached through sync helpers of the project: blocking calls (ACK290), and any
other kind of call a rule asks for (:func:`call_chain`; ACK400's loop runs).

An ``async def`` that calls ``load_config()`` blocks the event loop just as much as one that
calls ``open()`` itself, when ``load_config`` (or something it calls, at any depth, in any
file) opens a file.  The project index records, per function, the calls made directly in its
body and which of them are blocking (:attr:`FunctionFacts.blocking`); this module follows
calls to sync project functions until it finds one, and returns the chain for the message.

A ``with lock:`` on a thread lock inside a helper is not followed (it is a statement, not a
call, and guards a few statements in thread-safe helpers); ``lock.acquire()`` is, unless
the index judged it harmless (:mod:`asyncheck.semantics.waits`: a short ``acquire()`` …
``release()`` section, a lock made just above, an unbounded queue's ``put``).

Results are memoised per project index and ``blocking-calls`` setting, so a helper used by a
hundred coroutines is explored once.  Call cycles (``a -> b -> a``) are cut; a negative answer
computed while part of a cycle was still open is not memoised, because the open function may
still reach a blocking call through a later callee.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import cast

from asyncheck.semantics.blocking import blocking_call
from asyncheck.semantics.branches import is_switched_off, switched_off_by
from asyncheck.semantics.project import (
    COROUTINE_PRESERVING_DECORATORS,
    FunctionFacts,
    ProjectIndex,
)

_MemoKey = tuple[frozenset[str], tuple[tuple[str, str], ...]]

#: Explored functions per project index and (enabled codes, blocking-calls setting):
#: qualname -> chain of display names ending in the blocking call, or None.
_MEMO: weakref.WeakKeyDictionary[
    ProjectIndex, dict[_MemoKey, dict[str, tuple[str, ...] | None]]
] = weakref.WeakKeyDictionary()

#: Deep call graphs are cut here; a chain this long is not something to show anyway.
MAX_DEPTH = 25

_CLOSED = MAX_DEPTH + 1


@dataclass(frozen=True)
class HelperChain:
    """``functions`` are the sync project functions from the called helper inwards (display
    names such as ``retrying_get`` or ``Client.fetch``); ``blocking_call`` is the qualified
    name of the blocking call the innermost one makes."""

    functions: tuple[str, ...]
    blocking_call: str

    def render(self, start: str) -> str:
        """``start -> helper -> ... -> time.sleep`` (builtins without their module: ``open``)."""
        return " -> ".join((start, *self.functions, self.blocking_call.removeprefix("builtins.")))


#: Decorators after which calling a sync function still runs its body on the caller's
#: thread (``"name()"`` when the decorator is called: ``@lru_cache(maxsize=64)``).  Any other
#: decorator may hand the body to a thread (``asgiref.sync.sync_to_async``,
#: ``asyncer.asyncify``, a project's ``@run_in_executor``) and makes the function unknown.
SYNC_PRESERVING_DECORATORS: frozenset[str] = COROUTINE_PRESERVING_DECORATORS | {
    # Caching and context-manager wrappers call the body right away, on the caller's thread.
    "functools.cache",
    "functools.lru_cache",
    "functools.lru_cache()",
    "contextlib.contextmanager",
}


def project_function(index: ProjectIndex, qualname: str) -> FunctionFacts | None:
    """The sync-or-async project function a call of ``qualname`` runs: the function itself,
    or ``__init__`` for a project class; None when it is not a project function or a
    decorator may change what calling it does."""
    facts = index.function(qualname)
    if facts is None and index.is_class(qualname):
        facts = index.function(f"{index.canonical(qualname)}.__init__")
    if facts is None:
        return None
    if not all(d in SYNC_PRESERVING_DECORATORS for d in facts.decorators):
        return None
    return facts


def display_name(index: ProjectIndex, qualname: str) -> str:
    """A function's name without its module: ``load_config``, ``Client.fetch``."""
    split = index.split_module(qualname)
    return split[1] if split is not None else qualname.rpartition(".")[2]


def blocking_chain(
    index: ProjectIndex,
    facts: FunctionFacts,
    *,
    codes: frozenset[str],
    blocking_calls: tuple[tuple[str, str], ...],
    configured: Callable[[str], str | None],
    switched_off: frozenset[str] = frozenset(),
) -> HelperChain | None:
    """The chain from the sync project function ``facts`` to a blocking call, if any.

    Only blocking calls of the rules in ``codes`` (the enabled ones) count: with ACK231 off,
    a helper calling ``os.path.exists`` does not block as far as the user asked.
    ``configured`` gives the config suggestion for a qualified name matching a
    ``blocking-calls`` pattern (those count as blocking when ACK280 is in ``codes``);
    ``blocking_calls`` is that setting itself, part of the memo's key.
    ``switched_off`` are the parameter guards the call site makes false
    (:func:`~asyncheck.semantics.branches.switched_off`): the calls of ``facts`` itself
    under them are not followed.
    """
    if facts.is_async:
        return None
    memo = _MEMO.setdefault(index, {}).setdefault((codes, blocking_calls), {})
    check_configured = "ACK280" in codes and bool(blocking_calls)
    open_functions: list[str] = []

    top_off = switched_off if facts.call_guards or facts.blocking_guards else frozenset()

    def explore(current: FunctionFacts, off: frozenset[str] = frozenset()
                ) -> tuple[tuple[str, ...] | None, int]:
        """(chain of display names ending in the blocking call, the lowest position on the
        stack of open functions that this exploration ran into; ``_CLOSED`` for none).
        ``off``: guard tokens known false for this call of ``current`` (its answer is then
        not the memo's)."""
        key = current.qualname
        if not off and key in memo:
            return memo[key], _CLOSED
        if key in open_functions:
            return None, open_functions.index(key)
        remember = memo if not off else {}
        name = display_name(index, key)
        for position, call in enumerate(current.blocking):
            if off and current.blocking_guards and is_switched_off(
                    current.blocking_guards[position], off):
                continue
            entry = blocking_call(call)
            if entry is not None and entry.code in codes:
                remember[key] = (name, call)
                return (name, call), _CLOSED
        calls = _open_calls(current, off)
        if check_configured:
            for call, _literals in calls:
                if blocking_call(call) is None and configured(call) is not None:
                    remember[key] = (name, call)
                    return (name, call), _CLOSED
        position = len(open_functions)
        if position >= MAX_DEPTH:
            return None, 0
        open_functions.append(key)
        try:
            inner, lowest = _through_callees(index, calls, explore)
        finally:
            open_functions.pop()
        found = (name, *inner) if inner is not None else None
        # A "no" that depended on a function still open further out may change once that
        # function has tried its other callees: only final answers are remembered.
        if found is not None or lowest >= position:
            remember[key] = found
            return found, _CLOSED
        return found, lowest

    try:
        chain, _ = explore(facts, top_off)
    finally:
        # `explore` refers to itself through its closure: a reference cycle that would
        # keep the index's memo and the file's context alive until the collector runs.
        del explore
    if chain is None:
        return None
    return HelperChain(chain[:-1], chain[-1])


def _open_calls(current: FunctionFacts, off: frozenset[str]) -> list[tuple[str, str]]:
    """The calls of ``current`` that may run given the guard tokens ``off``, each with its
    literal arguments (:attr:`FunctionFacts.call_literals`)."""
    literals = current.call_literals or ("",) * len(current.calls)
    guards = current.call_guards if off else ()
    return [(call, literal)
            for position, (call, literal) in enumerate(zip(current.calls, literals))
            if not guards or not is_switched_off(guards[position], off)]


def _through_callees(
    index: ProjectIndex,
    calls: list[tuple[str, str]],
    explore: Callable[[FunctionFacts, frozenset[str]], tuple[tuple[str, ...] | None, int]],
    reaches: Callable[[str], bool] | None = None,
) -> tuple[tuple[str, ...] | None, int]:
    """The depth-first step both chain searches share: the first chain that ``explore``
    finds through a sync project function among ``calls`` (those ``reaches`` leaves open),
    and the lowest open position the answers depended on (see :func:`blocking_chain`).  A
    call's literal arguments switch the callee's guarded calls off (``_test_connection(
    timeout=0)`` runs no ``for i in range(timeout):``)."""
    lowest = _CLOSED
    for call, literals in calls:
        if reaches is not None and not reaches(call):
            continue
        callee = project_function(index, call)
        if callee is None or callee.is_async:
            continue
        off = switched_off_by(literals, callee.params, callee.param_defaults) \
            if literals and (callee.call_guards or callee.blocking_guards) else frozenset()
        inner, reached = explore(callee, off)
        lowest = min(lowest, reached)
        if inner is not None:
            return inner, lowest
    return None, lowest


# -- chains to other kinds of calls (ACK400: a loop run through sync helpers) -----------------

#: Explored functions per project index and question (the ``key`` of :func:`call_chain`).
_CHAIN_MEMO: weakref.WeakKeyDictionary[
    ProjectIndex, dict[Hashable, dict[str, tuple[str, ...] | None]]
] = weakref.WeakKeyDictionary()


def call_chain(
    index: ProjectIndex,
    facts: FunctionFacts,
    *,
    key: Hashable,
    ends: Callable[[tuple[str, ...]], str | None],
    guarded: Callable[[FunctionFacts], bool] | None = None,
    switched_off: frozenset[str] = frozenset(),
    reaches: Callable[[str], bool] | None = None,
) -> HelperChain | None:
    """The chain from the sync project function ``facts`` to a call that ``ends`` picks out
    of a function's calls (any depth, across files, cycles cut as in :func:`blocking_chain`).

    ``ends(calls)`` gives the qualified name of the call ending the chain among the calls a
    function makes directly, or None.  ``guarded(facts)``: the function visibly handles the
    situation itself (e.g. checks for a running loop before starting one); it ends no chain
    and is not followed.  ``key`` names the question (``ends`` and ``guarded`` must answer
    the same for the same key): answers are memoised per project index and key.
    ``reaches(qualname)``: False when a callee surely cannot lead to such a call (bytes
    show it, e.g. :meth:`ProjectIndex.imports_reach_text`); it is then not parsed.
    ``switched_off``: as in :func:`blocking_chain`, the parameter guards the call site
    makes false; the calls of ``facts`` itself under them are not followed.
    """
    if facts.is_async:
        return None
    memo = _CHAIN_MEMO.setdefault(index, {}).setdefault(key, {})
    open_functions: list[str] = []
    top_off = switched_off if facts.call_guards else frozenset()

    def explore(current: FunctionFacts, off: frozenset[str] = frozenset()
                ) -> tuple[tuple[str, ...] | None, int]:
        name_key = current.qualname
        if not off and name_key in memo:
            return memo[name_key], _CLOSED
        if name_key in open_functions:
            return None, open_functions.index(name_key)
        remember = memo if not off else {}
        name = display_name(index, name_key)
        calls = _open_calls(current, off)
        end = ends(tuple(call for call, _literals in calls))
        if end is not None:
            # A guard matters only on a chain: asked last, it need not read further modules.
            chain = None if guarded is not None and guarded(current) else (name, end)
            remember[name_key] = chain
            return chain, _CLOSED
        position = len(open_functions)
        if position >= MAX_DEPTH:
            return None, 0
        open_functions.append(name_key)
        try:
            inner, lowest = _through_callees(index, calls, explore, reaches)
        finally:
            open_functions.pop()
        found = (name, *inner) if inner is not None else None
        if found is not None and guarded is not None and guarded(current):
            found = None  # the guard is on the chain: it holds for every callee
            lowest = _CLOSED
        if found is not None or lowest >= position:
            remember[name_key] = found
            return found, _CLOSED
        return found, lowest

    try:
        chain, _ = explore(facts, top_off)
    finally:
        del explore  # see blocking_chain: no reference cycle through the closure
    if chain is None:
        return None
    return HelperChain(chain[:-1], chain[-1])


#: The names found by :func:`functions_reaching`, per project index and question: (the
#: last names of the functions, the modules read to know).
_REACHING: weakref.WeakKeyDictionary[
    ProjectIndex, dict[Hashable, tuple[frozenset[str], frozenset[str]]]
] = weakref.WeakKeyDictionary()

#: A name mentioned in more modules than this is not followed back to its callers (a
#: method called ``run`` or ``get``): :func:`functions_reaching` stays cheap, and a chain
#: through it goes unreported.
MAX_CALLER_MODULES = 40

#: How many callers back :func:`functions_reaching` follows from the functions around the
#: call: names alone, unresolved, spread through the project's call graph quickly.
CALLER_ROUNDS = 2


def functions_reaching(
    index: ProjectIndex,
    *,
    key: Hashable,
    words: tuple[str, ...],
    follow_callers: bool = True,
) -> frozenset[str]:
    """The last names of the sync project functions that may make a call named by
    ``words`` (whole words, e.g. a loop run), and, ``follow_callers``, of those that may
    reach one through further sync project functions: found backwards from the lines of
    the modules naming the call, to the functions around them, to the lines naming those
    functions, and so on (:func:`~asyncheck.text.scans.sync_functions_around`), from the
    modules' text alone.  It may name more functions than reach the call, never fewer:
    a filter for :func:`call_chain`'s ``reaches``, which parses only the modules on the
    paths it leaves open.  (A forward search from every call site would parse every
    module a coroutine calls into, and a backward one over parsed modules every module
    naming a function on the way.)  Memoised per project index and ``key``."""
    memo = _REACHING.setdefault(index, {})
    known = memo.get(key)
    if known is None:
        known = memo[key] = _search_back_kept(
            index, words, CALLER_ROUNDS if follow_callers else 0)
    index.accessed.update(known[1])
    return known[0]


def _search_back_kept(index: ProjectIndex, words: tuple[str, ...], rounds: int
                      ) -> tuple[frozenset[str], frozenset[str]]:
    """:func:`_search_back`, answered from the facts store when every module changed since
    it was kept (a pre-commit run lints the file just edited) tells the same as before to
    the search: which of the searched words and names it mentions, and the sync functions
    around those the search followed.  The search sees the modules through nothing else,
    so it would find the same again."""
    question = f"chain search, {rounds} rounds, {MAX_CALLER_MODULES} modules: {' '.join(words)}"
    stamps = index.module_stamps() if index.keeps_answers else {}
    kept = index.kept_answer(question)
    if isinstance(kept, dict):
        try:
            if _kept_still_holds(index, kept, stamps, words):
                return frozenset(kept["found"]), frozenset(kept["read"])
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # not what this code keeps: searched again
    trace = _SearchTrace(words)
    found, read = _search_back(index, words, rounds, trace)
    if index.keeps_answers:
        index.keep_answer(question, {
            "stamps": stamps, "names": sorted(trace.names), "followed": sorted(trace.followed),
            "answers": trace.answers(index), "found": sorted(found), "read": sorted(read)})
    return found, read


def _kept_still_holds(index: ProjectIndex, kept: dict[str, object], stamps: dict[str, str],
                      words: tuple[str, ...]) -> bool:
    old_stamps = cast("dict[str, str]", kept["stamps"])
    answers = cast("dict[str, object]", kept["answers"])
    names = frozenset(cast("list[str]", kept["names"]))
    followed = frozenset(cast("list[str]", kept["followed"]))
    changed = {m for m in stamps.keys() | old_stamps.keys() if stamps.get(m) != old_stamps.get(m)}
    return all(_module_answer(index, module, words, names, followed) == answers.get(module)
               for module in changed)


def _module_answer(index: ProjectIndex, module: str, words: tuple[str, ...],
                   names: frozenset[str], followed: frozenset[str]) -> dict[str, object] | None:
    """What :func:`_search_back` sees of one module: the searched words and names its text
    mentions (all of them when it cannot be read) and the sync functions around those it
    followed back (every word, the ``followed`` names); None when it mentions none."""
    mentioned = sorted(name for name in {*words, *names} if index.mentions(module, name))
    if not mentioned:
        return None
    around: dict[str, list[str]] = {}
    for name in mentioned:
        if name in words:
            around[f"word {name}"] = sorted(index.sync_functions_around(module, name))
        if name in followed:
            around[f"call {name}"] = sorted(
                index.sync_functions_around(module, name, called=True))
    return {"mentions": mentioned, "around": around}


class _SearchTrace:
    """What one :func:`_search_back` asked: its words, the names it searched for, and those
    it followed back (not mentioned in too many modules)."""

    def __init__(self, words: tuple[str, ...]) -> None:
        self.words = words
        self.names: set[str] = set()
        self.followed: set[str] = set()

    def answers(self, index: ProjectIndex) -> dict[str, object]:
        """:func:`_module_answer` of every module mentioning a word or a name."""
        modules: set[str] = set()
        for name in (*self.words, *self.names):
            modules |= index.modules_naming(name)
        names, followed = frozenset(self.names), frozenset(self.followed)
        found: dict[str, object] = {}
        for module in sorted(modules):
            answer = _module_answer(index, module, self.words, names, followed)
            if answer is not None:
                found[module] = answer
        return found


def _search_back(index: ProjectIndex, words: tuple[str, ...], rounds: int,
                 trace: _SearchTrace | None = None) -> tuple[frozenset[str], frozenset[str]]:
    read: set[str] = set()
    new: set[str] = set()
    for word in words:
        for module in index.modules_mentioning(word, besides="") or ():
            read.add(module)
            new |= index.sync_functions_around(module, word)
    found = set(new)
    for _round in range(rounds):
        if not new:
            break
        added: set[str] = set()
        for name in new:
            if name.startswith("__") and name.endswith("__"):
                continue  # called by the language, not by name
            mentioning = index.modules_mentioning(name, besides="", limit=MAX_CALLER_MODULES)
            if trace is not None:
                trace.names.add(name)
                if mentioning is not None:
                    trace.followed.add(name)
            for module in mentioning or ():
                read.add(module)
                added |= index.sync_functions_around(module, name, called=True)
        new = added - found
        found |= new
    return frozenset(found), frozenset(read)
