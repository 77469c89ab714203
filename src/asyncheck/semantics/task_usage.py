"""How a project runs a coroutine function: only as a task, or also awaited directly.

A coroutine that a task runs at its top level ends with its task: when it is cancelled and
handles the cancellation by returning, the task just ends (nobody waits on it but whoever
cancelled it).  The same coroutine awaited by another one would hide that caller's
cancellation.  ACK500 asks which of the two the project does.

The answer is read from how the function's name is used, by name (attribute or bare name),
without types: every occurrence must be a call handed straight to something that starts a
task (``create_task(self._run())``, ``loop.create_task(...)``, ``asyncio.ensure_future``,
``TaskGroup.create_task``, ``start_soon(self._run)``, ``asyncio.run``, a helper of the same
file that hands its parameter to one of these), and there must be at least one.  Any other
occurrence (awaited, stored, returned, passed elsewhere) makes the answer "no".

A function nested in another, and a private name (``_run``) its own module uses, are
looked up in their own module only.  A public name (or a private one its module never
uses: a mixin's method started by another class) is also looked for in the text of every
other project module (:meth:`~asyncheck.semantics.project.ProjectIndex.modules_mentioning`),
and the few modules that name it are parsed and read the same way.  The occurrences of a module are gathered in one walk, the first
time a rule asks (:func:`~asyncheck.semantics.model.SemanticModel.shared`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from asyncheck.semantics.model import SemanticModel
from asyncheck.semantics.names import dotted_name
from asyncheck.syntax.walk import walk_tracked

# Node tests are ``type(node) is ...``, not ``isinstance``: see semantics/model.py.

#: Names of calls that start their coroutine argument as a task (``loop.create_task``,
#: ``TaskGroup.create_task``, ``asyncio.ensure_future``, anyio's ``start_soon``,
#: ``asyncio.run_coroutine_threadsafe``, ``loop.run_until_complete``, aiojobs' ``spawn``).
SPAWNING_NAMES: frozenset[str] = frozenset({
    "create_task", "ensure_future", "start_soon", "run_coroutine_threadsafe",
    "run_until_complete", "spawn",
})
#: Endings of names of task-starting wrappers (``hass.async_create_task``,
#: ``create_background_task``).
SPAWNING_SUFFIXES: tuple[str, ...] = ("_create_task", "create_background_task")
#: Functions, as written, that run their coroutine argument as the main task of a loop.
TASK_RUNNERS: frozenset[str] = frozenset({
    "asyncio.run", "asyncio.runners.run", "anyio.run", "trio.run",
})


def _spawner_name(expr: cst.BaseExpression) -> bool:
    """Whether ``expr`` names something that starts a coroutine as a task."""
    if type(expr) is cst.Name:
        last = expr.value
    elif type(expr) is cst.Attribute:
        last = expr.attr.value
    else:
        return False
    if last in SPAWNING_NAMES or last.endswith(SPAWNING_SUFFIXES):
        return True
    return last == "run" and dotted_name(expr) in TASK_RUNNERS


def starts_task(call: cst.Call) -> bool:
    """Whether ``call`` starts (one of) its arguments as a task: it calls a spawner
    (``loop.create_task(coro)``), or hands one to the coroutine along with a spawner
    (``context.run(loop.create_task, coro)``)."""
    if _spawner_name(call.func):
        return True
    return any(_spawner_name(arg.value) for arg in call.args)


@dataclass
class _Occurrences:
    """The uses of the names of one module."""

    #: Name -> how often it occurs (loads, attributes, calls; not ``def`` names).
    total: Counter[str] = field(default_factory=Counter)
    #: Name -> the occurrences handed straight to a task-starting call.
    spawned: Counter[str] = field(default_factory=Counter)
    #: Name -> the occurrences that are called (``name(...)``, ``x.name(...)``), and
    #: those whose call is awaited right away (``await name(...)``).
    called: Counter[str] = field(default_factory=Counter)
    awaited: Counter[str] = field(default_factory=Counter)
    #: Name -> how many functions (``def``/``async def``) of that name the module defines.
    defined: Counter[str] = field(default_factory=Counter)
    #: Name -> callee names of the calls an occurrence is handed to (helpers, maybe).
    handed_to: dict[str, list[str]] = field(default_factory=dict)
    #: Functions that hand one of their parameters to a task-starting call.
    spawning_helpers: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, object]:
        return {"total": self.total, "spawned": self.spawned, "called": self.called,
                "awaited": self.awaited, "defined": self.defined, "handed_to": self.handed_to,
                "spawning_helpers": sorted(self.spawning_helpers)}

    @classmethod
    def from_json(cls, data: object) -> _Occurrences:
        """Raises on anything malformed (``AssertionError``, ``KeyError``, ...)."""
        assert isinstance(data, dict)

        def counts(key: str) -> Counter[str]:
            value = data[key]
            assert isinstance(value, dict)
            return Counter({str(k): int(v) for k, v in value.items()})

        handed_to = data["handed_to"]
        assert isinstance(handed_to, dict)
        return cls(counts("total"), counts("spawned"), counts("called"), counts("awaited"),
                   counts("defined"),
                   {str(k): [str(callee) for callee in v] for k, v in handed_to.items()},
                   {str(name) for name in data["spawning_helpers"]})


class _Collector:
    """One walk of a module: every occurrence of a name, and what receives it."""

    def __init__(self) -> None:
        self.found = _Occurrences()
        self.stack: list[cst.CSTNode] = []
        self.functions: list[tuple[str, frozenset[str]]] = []

    def run(self, module: cst.Module) -> _Occurrences:
        walk_tracked(module, [{
            "visit_Name": self.visit_Name,
            "visit_FunctionDef": self.visit_FunctionDef,
            "leave_FunctionDef": self.leave_FunctionDef,
            "visit_Call": self.visit_Call,
        }], self.stack, {}, {})
        return self.found

    def visit_FunctionDef(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.FunctionDef)
        params = node.params
        names = frozenset(p.name.value for p in (
            *params.posonly_params, *params.params, *params.kwonly_params))
        self.functions.append((node.name.value, names))

    def leave_FunctionDef(self, node: cst.CSTNode) -> None:
        self.functions.pop()

    def visit_Call(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.Call)
        if not self.functions or not starts_task(node):
            return
        name, params = self.functions[-1]
        if any(type(arg.value) is cst.Name and arg.value.value in params for arg in node.args):
            self.found.spawning_helpers.add(name)

    def visit_Name(self, node: cst.CSTNode) -> None:
        assert isinstance(node, cst.Name)
        stack = self.stack
        parent = stack[-2] if len(stack) >= 2 else None
        parent_type = type(parent)
        if parent_type is cst.FunctionDef or parent_type is cst.ClassDef:
            if parent.name is node:  # type: ignore[union-attr]
                if parent_type is cst.FunctionDef:
                    self.found.defined[node.value] += 1
                return  # what a definition binds, not a use
        alias = next((n for n in stack[-4:-1] if type(n) is cst.ImportAlias), None)
        if alias is not None and alias.asname is None:
            return  # `from .heartbeat import beat`: the name is brought in, not used
        name = node.value
        found = self.found
        found.total[name] += 1
        position = len(stack) - 1
        if parent_type is cst.Attribute:
            if parent.attr is not node:  # type: ignore[union-attr]
                return  # `name.x`: the object is used, not something called `name`
            position -= 1
        # Called: the call's value is what is handed on.
        holder = stack[position - 1] if position >= 1 else None
        if type(holder) is cst.Call and holder.func is stack[position]:
            found.called[name] += 1
            if position >= 2 and type(stack[position - 2]) is cst.Await:
                found.awaited[name] += 1
            position -= 1
        arg = stack[position - 1] if position >= 1 else None
        receiver = stack[position - 2] if position >= 2 else None
        if type(arg) is not cst.Arg or type(receiver) is not cst.Call:
            return
        assert isinstance(receiver, cst.Call)
        if starts_task(receiver):
            found.spawned[name] += 1
            return
        func = receiver.func
        callee = func.value if type(func) is cst.Name else (
            func.attr.value if type(func) is cst.Attribute else None)
        if callee is not None:
            found.handed_to.setdefault(name, []).append(callee)


class TaskUsage:
    """Answers, for one file (``model.shared(TaskUsage)``), whether the project runs a
    coroutine function of it only as a task, and whether it hands one to something else
    that calls it."""

    def __init__(self, model: SemanticModel) -> None:
        self._model = model
        self._occurrences: _Occurrences | None = None

    def only_as_task(self, function: cst.FunctionDef, *, nested: bool) -> bool:
        """Whether every use of ``function`` in the project starts it as a task (and
        there is one).  ``nested``: it is defined inside another function."""
        name = function.name.value
        spawned, total = _task_uses(self._module_occurrences(), name)
        if spawned != total:
            return False
        private = name.startswith("_") and not name.endswith("__")
        if nested or (private and total):
            return spawned > 0
        # A public name, or a private one its own module never uses (a mixin's method
        # started by another class): every other module that names it is read too.
        others = self._elsewhere(name)
        if others is None:
            return False
        for found in others:
            if found is None:
                return False
            there, there_total = _task_uses(found, name)
            if there != there_total:
                return False
            spawned += there
        return spawned > 0

    def _elsewhere(self, name: str) -> Iterator[_Occurrences | None] | None:
        """The occurrences of ``name`` in each other module of the project that names it,
        read one at a time (None for a module that cannot be read); None when more than
        :data:`MAX_MODULES_READ` modules name it (not in sight)."""
        index = self._model.index
        others = index.modules_mentioning(name, besides=self._model.module_name,
                                          limit=MAX_MODULES_READ)
        if others is None:
            return None
        return (_occurrences_in(self._model, module) for module in sorted(others))

    def _module_occurrences(self) -> _Occurrences:
        if self._occurrences is None:
            self._occurrences = _Collector().run(self._model.module)
        return self._occurrences

    def only_awaited(self, function: cst.FunctionDef, *, nested: bool) -> bool:
        """Whether the project uses ``function`` only in calls it awaits at once
        (``await name(...)``), somewhere: every caller is in sight and wants just the
        result.  Not when it is handed on (``app.on_cleanup.append(on_cleanup)``), stored
        or returned, so that something else calls it expecting what it is, nor when its
        coroutine is handed on (``create_task(name())``, ``name().__await__()``), nor when
        nothing in the project names it (an entry point or an API for others).  A public
        name is looked for in the other modules that name it too (more than
        :data:`MAX_MODULES_READ` of them: not in sight); one that another module defines as
        well is a protocol several modules implement (a plugin's ``async_setup_entry``),
        called through whichever module is at hand."""
        name = function.name.value
        found = self._module_occurrences()
        total, awaited = found.total[name], found.awaited[name]
        if total > awaited:
            return False
        private = name.startswith("_") and not name.endswith("__")
        if nested or private:
            return awaited > 0
        others = self._elsewhere(name)
        if others is None:
            return False
        for there in others:
            if there is None or there.total[name] > there.awaited[name] or there.defined[name]:
                return False
            awaited += there.awaited[name]
        return awaited > 0

    def handed_over(self, function: cst.FunctionDef, *, nested: bool) -> bool:
        """Whether the project hands ``function`` itself to something else, which then
        calls it (``Depends(get_db)``, ``FastAPI(lifespan=lifespan)``,
        ``asynccontextmanager(stream)``): some use of its name is not a call.  A public
        name is looked for in the other modules that name it too (more than
        :data:`MAX_MODULES_READ` of them count as handed over)."""
        name = function.name.value
        found = self._module_occurrences()
        if found.total[name] > found.called[name]:
            return True
        if nested or (name.startswith("_") and not name.endswith("__")):
            return False
        others = self._elsewhere(name)
        if others is None:
            return True
        return any(there is None or there.total[name] > there.called[name] for there in others)


def _occurrences_in(model: SemanticModel, module: str) -> _Occurrences | None:
    """The occurrences of names in another project module (None: it cannot be read),
    collected once per process and kept by the module's content: several files, and
    several questions, read the same modules."""
    return model.index.module_data(module, "task usage", lambda tree: _Collector().run(tree),
                                   _Occurrences.to_json, _Occurrences.from_json)


#: How many other modules naming a public coroutine function are read to see how they use
#: it; a name more widespread than this counts as used in other ways.
MAX_MODULES_READ = 8


def _task_uses(found: _Occurrences, name: str) -> tuple[int, int]:
    """How many occurrences of ``name`` start it as a task, and how many there are."""
    spawned = found.spawned[name] + sum(
        1 for callee in found.handed_to.get(name, ()) if callee in found.spawning_helpers)
    return spawned, found.total[name]
