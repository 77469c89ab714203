"""The workers that lint files, in this process or in a process pool, and the order they go in.

A :class:`Worker` (rules, settings and the lazy project index) is built once per process;
what it does with one file is the runner's (:class:`WorkerSpec` carries those steps).  Files
are triaged first (the pre-filter may finish them), then linted in dependency order: every
file after the project modules it imports, so that their facts come from their own lint
instead of an extra parse.  A pool's processes share the facts through a store and parse
each module once (:mod:`asyncheck.app.facts`).  A process that dies (the native parser can
crash on pathological input) costs only the files it was holding: they are retried one by
one, and a file that kills its process again gets ACK000.
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import multiprocessing
import os
import shutil
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing.connection import wait as wait_for_ready
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

from asyncheck.app.cache import FactsStore
from asyncheck.app.environment import Environment
from asyncheck.app.facts import Claims, HandOff, forget_scratch_directories, scratch_directory
from asyncheck.app.jobs import Job, Outcome, Triaged
from asyncheck.app.writing import stop_writing
from asyncheck.core.config import Settings
from asyncheck.core.diagnostic import Diagnostic
from asyncheck.text.prefilter import PreFilter

if TYPE_CHECKING:
    from asyncheck.lint.engine import Linter

_Result = TypeVar("_Result")

#: Below this many files to lint a run stays in one process (a pool's start-up would cost
#: more than it saves).
SERIAL_BELOW = 24
#: Files per task sent to a pool worker.
CHUNK_SIZE = 8


@dataclass(frozen=True)
class WorkerSpec:
    """How to build a :class:`Worker` (sent to every pool process)."""

    settings: Settings
    root: Path
    modules: Mapping[str, Path]
    fix_mode: str | None
    prefilter: PreFilter | None
    store: FactsStore | None
    #: What a worker does with one file: look at it before linting, and lint (or fix) a
    #: file triage let through (module-level functions: they are sent to the processes).
    triage_file: Callable[[Worker, Job], Triaged]
    lint_file: Callable[[Worker, Job], Outcome]
    #: For a pool's lint: a directory of claims (one file per module, made with O_EXCL) so
    #: that each module is parsed by one process only, and the lint jobs by module name.
    claims: Path | None = None
    lint_jobs: Mapping[str, Job] = field(default_factory=dict)
    #: The modules whose facts another file's lint may ask for (imported somewhere): a
    #: lint extracts and stores its own file's facts only for those.  None: for all.
    imported: frozenset[str] | None = None
    #: This run's scratch directories (the facts store's, the claims): a pool process
    #: whose parent was killed removes them, being the last of the run left.
    scratch: tuple[Path, ...] = ()
    #: The environment whose libraries are read (found once, by the run).
    environment: Environment | None = None


class Worker:
    """What one process needs to check files: built once per process."""

    def __init__(self, spec: WorkerSpec) -> None:
        # Imported here, on the first file not answered by the cache: a fully cached run
        # never imports the rules (nor libcst), which saves start-up time.
        from asyncheck.app.assemble import build_linter

        self.spec = spec
        self.settings = spec.settings
        self.triage_file = spec.triage_file
        self.lint_file = spec.lint_file
        self.claims = Claims(spec.claims) if spec.claims is not None else None
        self.lint_jobs = spec.lint_jobs
        #: Lint jobs this process claimed while the index needed their facts: it lints
        #: them next, from the tree it parsed then.
        self.extras: list[Job] = []
        #: The chunk being linted, the files of it already parsed ahead (by path), and
        #: the files this process has linted (an extra may also be in its chunk).
        self.chunk: Sequence[Job] = ()
        self.parsed_ahead: set[str] = set()
        self.linted: set[str] = set()
        pooled = spec.claims is not None
        self.linter: Linter = build_linter(
            spec.settings, root=spec.root, modules=spec.modules, store=spec.store,
            hand_off=HandOff(self._may_parse, self._parse_ahead) if pooled else None,
            # Fixes rewrite files after the pre-filter read them.
            prefilter=spec.prefilter if spec.fix_mode is None else None,
            environment=spec.environment)
        self.index = self.linter.index
        self.fix_mode = spec.fix_mode
        self.prefilter = spec.prefilter
        self.imported = spec.imported

    def wanted(self, module: str) -> bool:
        """Whether another file's lint may ask for the facts of ``module`` (some project
        module imports it): only those are stored."""
        return self.imported is None or module in self.imported

    def claim(self, module: str) -> bool:
        """Whether this process may parse ``module`` (no other process has claimed it)."""
        assert self.claims is not None
        return self.claims.claim(module)

    def _parse_ahead(self) -> bool:
        """The index waits for facts another process is making: parse the next file of
        this chunk meanwhile, so that this process's core stays busy (its lint takes the
        tree, see :func:`asyncheck.syntax.parse.parse_source`), and store its facts at once (the
        other process may be waiting for them in turn).  False: nothing left to parse."""
        # Imported here, with the linter (see __init__): start-up time.
        from asyncheck.syntax.parse import read_module

        for job in self.chunk:
            if job.path in self.linted or job.path in self.parsed_ahead:
                continue
            self.parsed_ahead.add(job.path)
            if job.module_name in self.lint_jobs and not self.claim(job.module_name):
                continue  # another process lints it
            try:
                data = Path(job.path).read_bytes()
            except OSError:
                continue  # its lint says so
            tree = read_module(data)
            if tree is not None and self.wanted(job.module_name):
                self.index.linting(job.module_name, hashlib.sha256(data).hexdigest())
                self.index.add_module(job.module_name, tree, is_package=job.is_package)
            return True
        return False

    def _may_parse(self, module: str) -> bool:
        """The index needs the facts of ``module`` and no process has stored them: parse it
        here (and lint it next, if it is to be linted) unless another process claimed it."""
        if not self.claim(module):
            # Another process has it; it stores the facts of what is imported somewhere.
            return not self.wanted(module)
        job = self.lint_jobs.get(module)
        if job is not None:
            self.extras.append(job)
        return True


_WORKER: Worker | None = None


def _init_worker(spec: WorkerSpec) -> None:
    global _WORKER
    forget_scratch_directories()
    exit_with_parent(spec.scratch)
    _WORKER = Worker(spec)
    _tune_garbage_collector()


#: What the kernel sends a pool process when its parent ends (Linux).  Not SIGTERM: the
#: pool ends its processes with SIGTERM, which must stay immediate (a process in a long
#: native parse runs no Python signal handler until the parse returns).
_PARENT_DEATH_SIGNAL = signal.SIGHUP
#: ``prctl`` option: the signal to get when the parent ends.
_PR_SET_PDEATHSIG = 1


def exit_with_parent(scratch: Sequence[Path] = ()) -> None:
    """Make this pool process end when the process that started it ends, however it ends
    (``kill -9`` too), and remove the run's ``scratch`` directories then: nobody else is
    left to.  Without it the process would go on with its files (writing fixes), then wait
    forever for more work.

    Two ways tell: the parent-death signal (Linux: ``prctl(PR_SET_PDEATHSIG)``), and a
    thread waiting on the pipe that :mod:`multiprocessing` keeps to the parent (anywhere;
    it also covers a parent gone before the signal was asked for).
    """
    parent = os.getppid()

    def parent_gone() -> NoReturn:
        for directory in scratch:
            shutil.rmtree(directory, ignore_errors=True)
        os._exit(1)

    def on_signal(signum: int, frame: object) -> None:
        if os.getppid() != parent:  # adopted by another process: the parent has ended
            parent_gone()
        # A hang-up of the terminal: end as the default action would.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    signal.signal(_PARENT_DEATH_SIGNAL, on_signal)
    _ask_for_parent_death_signal(_PARENT_DEATH_SIGNAL)
    watched = multiprocessing.parent_process()
    if watched is not None and watched.sentinel is not None:
        sentinel = watched.sentinel

        def watch() -> None:
            wait_for_ready([sentinel])  # readable once the parent's end is closed: it ended
            stop_writing(timeout=10.0)  # a fix being written is finished first
            parent_gone()

        threading.Thread(target=watch, name="asyncheck-parent-watch", daemon=True).start()


def _ask_for_parent_death_signal(signum: int) -> None:
    """Linux only, and best effort: the other way still tells."""
    if not sys.platform.startswith("linux"):
        return
    # Imported here: only pool processes on Linux need ctypes.
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    except (OSError, AttributeError):
        pass


#: Allocations between young-generation collections while linting (CPython's default: 700);
#: the garbage waiting for a collection stays a few megabytes.
_GC_THRESHOLDS = (100_000, 10, 10)


def _tune_garbage_collector() -> tuple[int, int, int]:
    """Collect less often: a parse allocates millions of nodes that live until the file is
    done, and every young-generation collection walks the newest of them again.  The
    objects of the start-up (libcst, the rules) are moved out of the collector's sight.
    Returns the previous thresholds."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)
    return previous


def _imported_somewhere(prefilter: PreFilter | None) -> frozenset[str] | None:
    return prefilter.imported_somewhere() if prefilter is not None else None


def default_jobs() -> int:
    """Worker processes to use by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def lint_in_process(worker: Worker, jobs: Sequence[Job],
                    finished: Callable[[Outcome], None]) -> None:
    """Triage every file, then lint the rest in dependency order, in this process."""
    triaged = [worker.triage_file(worker, job) for job in jobs]
    worker.imported = _imported_somewhere(worker.prefilter)
    previous = _tune_garbage_collector()
    try:
        for item in _lint_order(triaged, finished):
            finished(worker.lint_file(worker, item.job))
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


def _check_chunk(jobs: Sequence[Job]) -> list[Outcome]:
    assert _WORKER is not None
    worker = _WORKER
    if worker.claims is None:
        return [worker.lint_file(worker, job) for job in jobs]
    outcomes = []
    worker.chunk = jobs
    for job in jobs:
        if job.path in worker.linted:
            continue  # linted already, as an extra
        if job.module_name in worker.lint_jobs and not worker.claim(job.module_name):
            continue  # another process has it (its index needed it first)
        worker.linted.add(job.path)
        outcomes.append(worker.lint_file(worker, job))
        while worker.extras:
            extra = worker.extras.pop(0)
            if extra.path not in worker.linted:
                worker.linted.add(extra.path)
                outcomes.append(worker.lint_file(worker, extra))
    worker.chunk = ()
    return outcomes


def _triage_chunk(jobs: Sequence[Job]) -> list[Triaged]:
    assert _WORKER is not None
    return [_WORKER.triage_file(_WORKER, job) for job in jobs]


def _crashed(job: Job) -> Outcome:
    return Outcome(job.path, diagnostics=[Diagnostic.unparsable(
        job.path,
        "cannot analyse: the parser crashed on this file (e.g. an extremely long expression)",
    )])


def _chunks(jobs: Sequence[Job], size: int) -> Iterable[list[Job]]:
    for start in range(0, len(jobs), size):
        yield list(jobs[start:start + size])


def _lint_order(triaged: Iterable[Triaged],
                finished: Callable[[Outcome], None]) -> list[Triaged]:
    """Report the files triage finished; return the others in lint order: every file
    after the project modules it imports, so that their facts come from their own lint
    instead of an extra parse for the project index.

    In an import cycle one module must go first and the others then need its facts before
    its lint: starting from the smallest modules (a package's ``__init__`` of imports)
    makes that extra parse a small one.
    """
    by_module: dict[str, list[Triaged]] = {}
    for item in triaged:
        if item.outcome is not None:
            finished(item.outcome)
        else:
            by_module.setdefault(item.job.module_name, []).append(item)

    def smallest_first(modules: Iterable[str]) -> Iterator[str]:
        return iter(sorted((m for m in modules if m in by_module),
                           key=lambda m: by_module[m][0].size))

    order: list[Triaged] = []
    placed: set[str] = set()
    for start in smallest_first(by_module):
        if start in placed:
            continue
        # Depth-first, post-order, without recursion (import chains can be long).
        placed.add(start)
        stack = [(start, smallest_first(by_module[start][0].imports))]
        while stack:
            module, imports = stack[-1]
            for imported in imports:
                if imported not in placed:
                    placed.add(imported)
                    stack.append((imported, smallest_first(by_module[imported][0].imports)))
                    break
            else:
                stack.pop()
                order.extend(by_module[module])
    return order


def _chunk_results(
    pool: ProcessPoolExecutor, function: Callable[[list[Job]], list[_Result]],
    chunks: Iterable[list[Job]],
) -> Iterator[tuple[list[Job], list[_Result] | None]]:
    """Run ``function`` over the chunks in the pool; None for the chunks of a broken pool."""
    futures = [(pool.submit(function, chunk), chunk) for chunk in chunks]
    for future, chunk in futures:
        try:
            yield chunk, future.result()
        except BrokenProcessPool:
            yield chunk, None


class _LintQueue:
    """Hands out lint jobs in lint order (:func:`_lint_order`), each as soon as the project
    modules it imports have been linted, so that a pool process finds their facts in the
    store instead of parsing them again; when none is ready (import cycles), the first that
    reaches no module a process is linting.

    Readiness is kept up to date as modules are linted (a count of missing imports per
    job): the parent shares the machine's cores with the pool, and scanning every pending
    job for every hand-out would keep it busy on a large project.
    """

    def __init__(self, ordered: Sequence[Triaged]) -> None:
        self._jobs = [item.job for item in ordered]
        names = {job.module_name for job in self._jobs}
        #: Per job: the linted modules it imports that are not linted yet.
        self._missing: list[set[str]] = []
        #: Module -> the jobs that import it.
        self._importers: dict[str, list[int]] = {}
        self._ready: list[int] = []  # a heap of job numbers: lint order
        for number, item in enumerate(ordered):
            missing = {m for m in item.imports if m in names and m != item.job.module_name}
            self._missing.append(missing)
            for module in missing:
                self._importers.setdefault(module, []).append(number)
            if not missing:
                self._ready.append(number)
        #: Jobs neither handed out nor linted (as a process's extra), and where the first
        #: of them may be.
        self._left = [True] * len(self._jobs)
        self._done = [False] * len(self._jobs)
        self._count = len(self._jobs)
        self._first = 0
        self._by_path = {job.path: number for number, job in enumerate(self._jobs)}
        self._linted: set[str] = set()
        #: The modules of the jobs handed out and not linted yet.
        self._in_flight: Counter[str] = Counter()

    def __len__(self) -> int:
        return self._count

    def take(self, size: int) -> list[Job]:
        """Up to ``size`` jobs (at least one, while any is left)."""
        chosen: list[int] = []
        while self._ready and len(chosen) < size:
            number = heapq.heappop(self._ready)
            if self._left[number]:
                chosen.append(number)
        if not chosen and self._count:
            # None is ready (an import cycle): the first that reaches no module a process is
            # linting, so that its process parses what it needs itself instead of waiting
            # for another one's facts.
            while not self._left[self._first]:
                self._first += 1
            waiting = self._reaching_in_flight()
            chosen.append(next((number for number in range(self._first, len(self._jobs))
                                if self._left[number]
                                and self._jobs[number].module_name not in waiting),
                               self._first))
        for number in chosen:
            self._hand_out(number)
        return [self._jobs[number] for number in chosen]

    def _hand_out(self, number: int) -> None:
        self._left[number] = False
        self._count -= 1
        self._in_flight[self._jobs[number].module_name] += 1

    def _reaching_in_flight(self) -> set[str]:
        """The modules in flight and those of the jobs left that import them, directly or
        through other jobs left."""
        reached = set(self._in_flight)
        todo = list(reached)
        while todo:
            for number in self._importers.get(todo.pop(), ()):
                importer = self._jobs[number].module_name
                if self._left[number] and importer not in reached:
                    reached.add(importer)
                    todo.append(importer)
        return reached

    def linted(self, path: str) -> bool:
        """The file at ``path`` is done: its facts are in the store.  False when it is not
        one of the queue's or was done already (a file two processes linted)."""
        number = self._by_path.get(path)
        if number is None or self._done[number]:
            return False
        self._done[number] = True
        module = self._jobs[number].module_name
        if self._left[number]:
            # Linted by a process whose index needed it, before it was handed out.
            self._left[number] = False
            self._count -= 1
        elif self._in_flight[module] > 0:
            self._in_flight[module] -= 1
            if not self._in_flight[module]:
                del self._in_flight[module]
        if module not in self._linted:
            self._linted.add(module)
            for importer in self._importers.get(module, ()):
                missing = self._missing[importer]
                missing.discard(module)
                if not missing and self._left[importer]:
                    heapq.heappush(self._ready, importer)
        return True

    def not_done(self) -> list[Job]:
        """The jobs no process has finished (those a broken pool held)."""
        return [job for job, done in zip(self._jobs, self._done) if not done]


def run_pool(jobs: Sequence[Job], workers: int, spec: WorkerSpec,
             finished: Callable[[Outcome], None]) -> None:
    """Triage every file, then lint the rest in dependency order, in a process pool."""
    triaged: list[Triaged] = []
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(spec,)) as pool:
        for chunk, results in _chunk_results(pool, _triage_chunk,
                                             _chunks(jobs, _chunk_size(jobs, workers, 32))):
            # A chunk of a broken pool is linted: that is where a crash is dealt with.
            triaged.extend(results if results is not None else [Triaged(job) for job in chunk])
    ordered = _lint_order(triaged, finished)
    queue = _LintQueue(ordered)
    names = Counter(item.job.module_name for item in ordered)

    def collect(outcome: Outcome) -> None:
        if queue.linted(outcome.path):
            finished(outcome)

    with scratch_directory("asyncheck-claims-", len(spec.modules)) as claims:
        lint_spec = replace(spec, claims=Path(claims), lint_jobs={
            item.job.module_name: item.job for item in ordered
            if names[item.job.module_name] == 1}, imported=_imported_somewhere(spec.prefilter),
            scratch=(*spec.scratch, Path(claims)))
        while queue:
            # A new pool after one broke; what it held is retried one by one below.
            with ProcessPoolExecutor(workers, initializer=_init_worker,
                                     initargs=(lint_spec,)) as pool:
                _lint_queue(pool, queue, workers, collect)
    for job in queue.not_done():
        # One file per fresh process: the one that crashes it is named, the others survive.
        try:
            with ProcessPoolExecutor(1, initializer=_init_worker, initargs=(spec,)) as single:
                [outcome] = single.submit(_check_chunk, [job]).result()
        except BrokenProcessPool:
            outcome = _crashed(job)
        collect(outcome)


def _lint_queue(pool: ProcessPoolExecutor, queue: _LintQueue, workers: int,
                collect: Callable[[Outcome], None]) -> None:
    """Lint from the queue with a few chunks in flight per process, until the queue is
    empty or the pool breaks (a process died: the files it held are not collected)."""
    in_flight: set[Future[list[Outcome]]] = set()
    while queue or in_flight:
        while queue and len(in_flight) < 2 * workers:
            chunk = queue.take(max(1, min(CHUNK_SIZE, len(queue) // (workers * 4))))
            if chunk:
                in_flight.add(pool.submit(_check_chunk, chunk))
        if not in_flight:
            break
        done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
        for future in done:
            try:
                outcomes = future.result()
            except BrokenProcessPool:
                return
            for outcome in outcomes:
                collect(outcome)


def _chunk_size(jobs: Sequence[Job], workers: int, largest: int = CHUNK_SIZE) -> int:
    # Smaller chunks when there are few files per worker, so both cores stay busy.
    return max(1, min(largest, len(jobs) // (workers * 4) or 1))
