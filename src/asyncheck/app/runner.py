"""Paths in, diagnostics out: discovery, the project index, the cache and the process pool.

Each file is checked by :func:`_check_file` with a per-process :class:`_Worker` (rules,
settings and the lazy project index built once per process).  Small runs stay in this
process, so a one-file pre-commit run pays no pool start-up; larger runs are split over a
process pool.  A worker that dies (the native parser can crash on pathological input) costs
only the files it was holding: they are retried one by one, and a file that kills its
process again gets ACK000.
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from asyncheck.app.cache import Cache, CachedFile, FactsStore
from asyncheck.core.config import Settings
from asyncheck.core.diagnostic import Diagnostic
from asyncheck.app.discovery import (
    discover_files,
    find_project_root,
    module_name_for,
    project_module_names,
)
from asyncheck.text.prefilter import PreFilter
from asyncheck.text.scans import imported_modules

if TYPE_CHECKING:
    import libcst as cst

    from asyncheck.semantics.project import ProjectIndex
    from asyncheck.lint.rule import Rule

STDIN_PATH = "-"
_Result = TypeVar("_Result")

#: Called with (files done, files to do) as the run goes, e.g. to draw a progress bar.
ProgressCallback = Callable[[int, int], None]

#: Below this many files to lint a run stays in one process (pool start-up costs ~0.2 s).
SERIAL_BELOW = 24
#: Files per task sent to a pool worker.
CHUNK_SIZE = 8


@dataclass
class RunResult:
    """Everything a reporter needs."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0
    errors: list[str] = field(default_factory=list)
    fixed: Counter[str] = field(default_factory=Counter)
    diffs: list[str] = field(default_factory=list)
    fixed_stdin: str | None = None
    fix_mode: str | None = None

    @property
    def internal_errors(self) -> int:
        """How many files a rule crashed on (the run then exits 2)."""
        return sum(1 for d in self.diagnostics if d.internal_error)


def enabled_rules(settings: Settings) -> list[type[Rule]]:
    """The rule classes the settings turn on."""
    from asyncheck.rules import all_rules, rule_defaults

    codes = settings.enabled_codes(rule_defaults())
    return [rule for code, rule in all_rules().items() if code in codes]


def _parse_for_index(path: Path) -> cst.Module | None:
    from asyncheck.syntax.parse import read_module

    try:
        data = path.read_bytes()
    except OSError:
        return None
    return read_module(data)


def build_index(root: Path, settings: Settings, modules: dict[str, Path] | None = None,
                store: FactsStore | None = None,
                may_parse: Callable[[str], bool] | None = None,
                while_waiting: Callable[[], bool] | None = None,
                prefilter: PreFilter | None = None) -> ProjectIndex:
    """The lazy project index over every Python file of the project under ``root``
    (keeping module facts in ``store`` when given)."""
    from asyncheck.semantics.project import ProjectIndex
    from asyncheck.core.tables import listed_coroutines

    if modules is None:
        modules = project_module_names(root, settings)
    return ProjectIndex(modules, _parse_for_index, store=store, may_parse=may_parse,
                        while_waiting=while_waiting,
                        known_text=prefilter.scanned_text if prefilter is not None else None,
                        listed_coroutines=listed_coroutines(settings))


# -- one file -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Job:
    path: str
    module_name: str
    is_package: bool


@dataclass
class _Outcome:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str | None = None
    digest: str | None = None
    deps: tuple[str, ...] = ()
    fixed: Counter[str] = field(default_factory=Counter)
    dropped: list[str] = field(default_factory=list)
    diff: str | None = None
    new_text: str | None = None


@dataclass(frozen=True)
class _WorkerSpec:
    """How to build a :class:`_Worker` (sent to every pool process)."""

    settings: Settings
    root: Path
    modules: dict[str, Path]
    fix_mode: str | None
    prefilter: PreFilter | None
    store: FactsStore | None
    #: For a pool's lint: a directory of claims (one file per module, made with O_EXCL) so
    #: that each module is parsed by one process only, and the lint jobs by module name.
    claims: Path | None = None
    lint_jobs: Mapping[str, _Job] = field(default_factory=dict)
    #: The modules whose facts another file's lint may ask for (imported somewhere): a
    #: lint extracts and stores its own file's facts only for those.  None: for all.
    imported: frozenset[str] | None = None


class _Worker:
    """What one process needs to check files: built once per process."""

    def __init__(self, spec: _WorkerSpec) -> None:
        from asyncheck.lint.engine import Linter

        self.settings = spec.settings
        self.claims = spec.claims
        self.lint_jobs = spec.lint_jobs
        #: Lint jobs this process claimed while the index needed their facts: it lints
        #: them next, from the tree it parsed then.
        self.extras: list[_Job] = []
        #: The chunk being linted, the files of it already parsed ahead (by path), and
        #: the files this process has linted (an extra may also be in its chunk).
        self.chunk: Sequence[_Job] = ()
        self.parsed_ahead: set[str] = set()
        self.linted: set[str] = set()
        #: The modules this process has claimed: it may parse them.
        self._claimed: set[str] = set()
        pooled = spec.claims is not None
        self.index = build_index(spec.root, spec.settings, spec.modules, spec.store,
                                 self._may_parse if pooled else None,
                                 self._parse_ahead if pooled else None,
                                 # Fixes rewrite files after the pre-filter read them.
                                 spec.prefilter if spec.fix_mode is None else None)
        self.linter: Linter = Linter(enabled_rules(spec.settings), spec.settings, self.index)
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
        if module in self._claimed:
            return True
        name = hashlib.sha256(module.encode()).hexdigest()[:32]
        try:
            os.close(os.open(self.claims / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        except OSError:
            return True  # cannot tell: parse, as without claims
        self._claimed.add(module)
        return True

    def _parse_ahead(self) -> bool:
        """The index waits for facts another process is making: parse the next file of
        this chunk meanwhile, so that this process's core stays busy (its lint takes the
        tree, see :func:`asyncheck.lint.engine.parse_source`), and store its facts at once (the
        other process may be waiting for them in turn).  False: nothing left to parse."""
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


_WORKER: _Worker | None = None


def _init_worker(spec: _WorkerSpec) -> None:
    global _WORKER
    _WORKER = _Worker(spec)
    _tune_garbage_collector()


#: Allocations between young-generation collections while linting (CPython's default: 700).
#: Collector time on the async-library corpus: 20,000 0.8 s, 100,000 0.45 s, 500,000 0.25 s of
#: a 20 s run; the garbage waiting for a collection stays a few megabytes.
_GC_THRESHOLDS = (100_000, 10, 10)


def _tune_garbage_collector() -> tuple[int, int, int]:
    """Collect less often: a parse allocates millions of nodes that live until the file is
    done, and every young-generation collection walks the newest of them again (5-8% of
    the run).  The objects of the start-up (libcst, the rules) are moved out of the
    collector's sight.  Returns the previous thresholds."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)
    return previous


def _imported_somewhere(spec: _WorkerSpec | None) -> frozenset[str] | None:
    return spec.prefilter.imported_somewhere() if spec is not None and spec.prefilter else None


def _check_chunk(jobs: Sequence[_Job]) -> list[_Outcome]:
    assert _WORKER is not None
    worker = _WORKER
    if worker.claims is None:
        return [_check_file(worker, job, filtered=True) for job in jobs]
    outcomes = []
    worker.chunk = jobs
    for job in jobs:
        if job.path in worker.linted:
            continue  # linted already, as an extra
        if job.module_name in worker.lint_jobs and not worker.claim(job.module_name):
            continue  # another process has it (its index needed it first)
        worker.linted.add(job.path)
        outcomes.append(_check_file(worker, job, filtered=True))
        while worker.extras:
            extra = worker.extras.pop(0)
            if extra.path not in worker.linted:
                worker.linted.add(extra.path)
                outcomes.append(_check_file(worker, extra, filtered=True))
    worker.chunk = ()
    return outcomes


def _triage_chunk(jobs: Sequence[_Job]) -> list[_Triaged]:
    assert _WORKER is not None
    return [_triage_file(_WORKER, job) for job in jobs]


@dataclass
class _Triaged:
    """A file looked at before linting: finished already (the pre-filter skipped it, or it
    cannot be read), or to be linted after the project modules it imports."""

    job: _Job
    outcome: _Outcome | None = None
    imports: tuple[str, ...] = ()
    size: int = 0


def _read(job: _Job, outcome: _Outcome) -> bytes | None:
    try:
        data = Path(job.path).read_bytes()
    except OSError as error:
        outcome.error = f"asyncheck: cannot read {job.path}: {error.strerror or error}"
        return None
    outcome.digest = hashlib.sha256(data).hexdigest()
    return data


def _triage_file(worker: _Worker, job: _Job) -> _Triaged:
    outcome = _Outcome(job.path)
    data = _read(job, outcome)
    if data is None or (worker.prefilter is not None and not worker.prefilter.may_report(
            data, job.module_name, is_package=job.is_package)):
        return _Triaged(job, outcome)
    return _Triaged(job, imports=tuple(imported_modules(
        data, job.module_name, is_package=job.is_package, modules=worker.index.modules)),
        size=len(data))


def _check_file(worker: _Worker, job: _Job, data: bytes | None = None, *,
                filtered: bool = False) -> _Outcome:
    """Lint (or fix) one file; ``filtered``: the pre-filter has already let it through."""
    outcome = _Outcome(job.path)
    from_file = data is None
    if data is None:
        data = _read(job, outcome)
        if data is None:
            return outcome
    else:
        outcome.digest = hashlib.sha256(data).hexdigest()
    if not filtered and worker.prefilter is not None and not worker.prefilter.may_report(
            data, job.module_name, is_package=job.is_package):
        return outcome
    index = worker.index
    index.accessed = set()
    # Facts of a module nobody imports are extracted only if its own lint asks for them
    # (extracting them costs a fifth of a lint): the tree is then dropped with the lint.
    wanted = worker.wanted(job.module_name)
    if worker.fix_mode is None and from_file and outcome.digest is not None and wanted:
        index.linting(job.module_name, outcome.digest)
    if worker.fix_mode is None:
        result = worker.linter.lint_bytes(job.path, data, module_name=job.module_name,
                                          is_package=job.is_package)
        outcome.diagnostics = result.diagnostics
    else:
        _fix_file(worker, job, data, outcome)
    if not wanted:
        index.drop_tree(job.module_name)
    outcome.deps = tuple(sorted(index.accessed - {job.module_name}))
    # Fixes hold tree nodes: only their description crosses process boundaries.
    outcome.diagnostics = [d.without_fix_nodes() for d in outcome.diagnostics]
    return outcome


def _fix_file(worker: _Worker, job: _Job, data: bytes, outcome: _Outcome) -> None:
    from asyncheck.app.writing import WriteError, write_atomically
    from asyncheck.core.source import DecodedSource, SourceError, decode_source, encode_source
    from asyncheck.lint.engine import FileResult
    from asyncheck.lint.fixer import fix_source, unified_diff

    linter = worker.linter
    try:
        source = decode_source(data)
    except SourceError:
        outcome.diagnostics = linter.lint_bytes(job.path, data, module_name=job.module_name,
                                                is_package=job.is_package).diagnostics
        return

    def lint(decoded: DecodedSource) -> FileResult:
        return linter.lint_text(job.path, decoded, module_name=job.module_name,
                                is_package=job.is_package)

    fixed = fix_source(lint, source, path=job.path)
    assert fixed.result is not None
    outcome.diagnostics = fixed.result.diagnostics
    outcome.dropped = fixed.dropped
    if fixed.text == source.text:
        return
    if worker.fix_mode == "diff":
        outcome.diff = unified_diff(job.path, source.text, fixed.text)
        outcome.fixed = fixed.fixed
        return
    if job.path == STDIN_PATH or job.path.startswith("<stdin"):
        outcome.new_text = fixed.text
        outcome.fixed = fixed.fixed
        return
    try:
        new_bytes = encode_source(fixed.text, source.encoding, source.bom)
    except UnicodeEncodeError:
        outcome.dropped.append(f"{job.path}: fixes dropped: the result cannot be encoded as "
                               f"{source.encoding}")
        outcome.diagnostics = linter.lint_bytes(job.path, data, module_name=job.module_name,
                                                is_package=job.is_package).diagnostics
        return
    try:
        write_atomically(Path(job.path), new_bytes)
    except WriteError as error:
        outcome.error = f"asyncheck: {error}"
        outcome.diagnostics = linter.lint_bytes(job.path, data, module_name=job.module_name,
                                                is_package=job.is_package).diagnostics
        return
    outcome.fixed = fixed.fixed


def _crashed(job: _Job) -> _Outcome:
    return _Outcome(job.path, diagnostics=[Diagnostic.unparsable(
        job.path,
        "cannot analyse: the parser crashed on this file (e.g. an extremely long expression)",
    )])


# -- the run --------------------------------------------------------------------------------
#: Where a run's scratch files go when there is room: the facts a pool's processes share
#: and their claims are files written, read and removed by the thousand, and on a
#: memory-backed file system that costs a fraction of the system time (async libraries:
#: 1.1 s -> 0.5 s of a run).
_SHARED_MEMORY = Path("/dev/shm")


def _scratch_directory(prefix: str, modules: int) -> tempfile.TemporaryDirectory[str]:
    """A temporary directory for this run only, in memory when :data:`_SHARED_MEMORY` is
    there, writable and roomy enough for the project (facts take about 6 KB per module),
    unless ``TMPDIR`` chooses where temporary files go."""
    parent = None
    if "TMPDIR" not in os.environ:
        try:
            stats = os.statvfs(_SHARED_MEMORY)
        except (OSError, AttributeError):  # not there; not on Windows
            stats = None
        room = (64 << 20) + modules * (32 << 10)
        if (stats is not None and stats.f_bavail * stats.f_frsize >= room
                and os.access(_SHARED_MEMORY, os.W_OK)):
            parent = str(_SHARED_MEMORY)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=parent)


def default_jobs() -> int:
    """Worker processes to use by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def run(
    paths: Sequence[str],
    settings: Settings,
    *,
    stdin_data: bytes | None = None,
    stdin_filename: str | None = None,
    progress: ProgressCallback | None = None,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    fix_mode: str | None = None,
    prefilter: bool = True,
) -> RunResult:
    """Lint ``paths`` (``-`` is standard input, already read into ``stdin_data``).

    ``progress`` is called with (files done, files to do) as files finish.  ``cache_dir``
    enables the result cache; ``fix_mode`` is ``"fix"`` or ``"diff"``.
    """
    result = RunResult(fix_mode=fix_mode)
    file_paths = [Path(p) for p in paths if p != STDIN_PATH]
    anchor_paths = list(file_paths)
    if stdin_filename:
        anchor_paths.append(Path(stdin_filename))
    root = find_project_root(anchor_paths or [Path.cwd()])
    discovered = discover_files(file_paths, settings, root=root) if file_paths else None
    if discovered is not None:
        result.errors.extend(discovered.errors)
    modules = project_module_names(root, settings)
    worker: _Worker | None = None
    spec: _WorkerSpec | None = None
    scratch = ExitStack()

    def local_worker(pooled: bool = False) -> _Worker:
        # Built on the first file not answered by the cache: a fully cached run never
        # imports the rules (nor libcst).
        nonlocal worker, spec
        if worker is None:
            skipper = PreFilter(enabled_rules(settings), settings, modules) if prefilter else None
            # Module facts go to the cache directory, or for this run only to a scratch
            # directory, through which the pool's processes share them.  One process
            # without a cache keeps them in memory only.
            store = None
            if cache_dir is not None:
                store = FactsStore(cache_dir)
            elif pooled:
                store = FactsStore(Path(scratch.enter_context(
                    _scratch_directory("asyncheck-", len(modules)))))
            spec = _WorkerSpec(settings, root, modules, fix_mode, skipper, store)
            worker = _Worker(spec)
        return worker

    if STDIN_PATH in paths and stdin_data is not None:
        display = stdin_filename or STDIN_PATH
        module_name = module_name_for(Path(stdin_filename), root) if stdin_filename else "stdin"
        job = _Job(display if fix_mode is None else STDIN_PATH, module_name,
                   Path(display).name == "__init__.py")
        outcome = _check_file(local_worker(), job, stdin_data)
        outcome.path = display
        outcome.diagnostics = [d.moved_to(display) for d in outcome.diagnostics]
        if outcome.diff is not None:
            outcome.diff = outcome.diff.replace(f"a/{STDIN_PATH}", f"a/{display}", 1).replace(
                f"b/{STDIN_PATH}", f"b/{display}", 1)
        result.fixed_stdin = outcome.new_text
        _collect(result, outcome)

    jobs_list = [] if discovered is None else [
        _Job(str(p), name, p.name == "__init__.py")
        for p, name in zip(discovered.files, discovered.module_names)]
    cache = Cache.open(cache_dir, settings, modules) if cache_dir is not None and fix_mode is None else None
    pending: list[_Job] = []
    done = 0
    for job in jobs_list:
        cached = cache.lookup(job.path) if cache is not None else None
        if cached is not None:
            result.diagnostics.extend(cached.diagnostics)
            result.files_checked += 1
            done += 1
        else:
            pending.append(job)
    if progress is not None and jobs_list:
        progress(done, len(jobs_list))

    def finished(outcome: _Outcome) -> None:
        nonlocal done
        _collect(result, outcome)
        if cache is not None and outcome.error is None and outcome.digest is not None:
            cache.store(outcome.path, CachedFile(outcome.digest, outcome.deps, outcome.diagnostics))
        done += 1
        if progress is not None:
            progress(done, len(jobs_list))

    workers = jobs if jobs is not None else default_jobs()
    with scratch:
        if len(pending) < SERIAL_BELOW:
            for job in pending:
                finished(_check_file(local_worker(), job))
        elif workers <= 1:
            serial = local_worker()
            triaged = [_triage_file(serial, job) for job in pending]
            serial.imported = _imported_somewhere(spec)
            previous = _tune_garbage_collector()
            try:
                for item in _lint_order(triaged, finished):
                    finished(_check_file(serial, item.job, filtered=True))
            finally:
                gc.set_threshold(*previous)
                gc.unfreeze()
        else:
            local_worker(pooled=True)  # the pre-filter and the facts store, for every process
            assert spec is not None
            if spec.prefilter is not None:
                spec.prefilter.prepare()
            _run_pool(pending, min(workers, len(pending)), spec, finished)
    if cache is not None:
        cache.save()
    result.diagnostics.sort(key=Diagnostic.sort_key)
    result.diffs.sort()
    return result


def _collect(result: RunResult, outcome: _Outcome) -> None:
    if outcome.error is not None:
        result.errors.append(outcome.error)
        if not outcome.diagnostics:
            return
    result.errors.extend(outcome.dropped)
    result.diagnostics.extend(outcome.diagnostics)
    result.files_checked += 1
    result.fixed.update(outcome.fixed)
    if outcome.diff:
        result.diffs.append(outcome.diff)


def _chunks(jobs: Sequence[_Job], size: int) -> Iterable[list[_Job]]:
    for start in range(0, len(jobs), size):
        yield list(jobs[start:start + size])


def _lint_order(triaged: Iterable[_Triaged],
                finished: Callable[[_Outcome], None]) -> list[_Triaged]:
    """Report the files triage finished; return the others in lint order: every file
    after the project modules it imports, so that their facts come from their own lint
    instead of an extra parse for the project index.

    In an import cycle one module must go first and the others then need its facts before
    its lint: starting from the smallest modules (a package's ``__init__`` of imports)
    makes that extra parse a small one.
    """
    by_module: dict[str, list[_Triaged]] = {}
    for item in triaged:
        if item.outcome is not None:
            finished(item.outcome)
        else:
            by_module.setdefault(item.job.module_name, []).append(item)

    def smallest_first(modules: Iterable[str]) -> Iterator[str]:
        return iter(sorted((m for m in modules if m in by_module),
                           key=lambda m: by_module[m][0].size))

    order: list[_Triaged] = []
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
    pool: ProcessPoolExecutor, function: Callable[[list[_Job]], list[_Result]],
    chunks: Iterable[list[_Job]],
) -> Iterator[tuple[list[_Job], list[_Result] | None]]:
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
    job for every hand-out cost it half a second on the async libraries.
    """

    def __init__(self, ordered: Sequence[_Triaged]) -> None:
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

    def take(self, size: int) -> list[_Job]:
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

    def not_done(self) -> list[_Job]:
        """The jobs no process has finished (those a broken pool held)."""
        return [job for job, done in zip(self._jobs, self._done) if not done]


def _run_pool(jobs: Sequence[_Job], workers: int, spec: _WorkerSpec,
              finished: Callable[[_Outcome], None]) -> None:
    """Triage every file, then lint the rest in dependency order, in a process pool."""
    triaged: list[_Triaged] = []
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(spec,)) as pool:
        for chunk, results in _chunk_results(pool, _triage_chunk,
                                             _chunks(jobs, _chunk_size(jobs, workers, 32))):
            # A chunk of a broken pool is linted: that is where a crash is dealt with.
            triaged.extend(results if results is not None else [_Triaged(job) for job in chunk])
    ordered = _lint_order(triaged, finished)
    queue = _LintQueue(ordered)
    names = Counter(item.job.module_name for item in ordered)

    def collect(outcome: _Outcome) -> None:
        if queue.linted(outcome.path):
            finished(outcome)

    with _scratch_directory("asyncheck-claims-", len(spec.modules)) as claims:
        lint_spec = replace(spec, claims=Path(claims), lint_jobs={
            item.job.module_name: item.job for item in ordered
            if names[item.job.module_name] == 1}, imported=_imported_somewhere(spec))
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
                collect: Callable[[_Outcome], None]) -> None:
    """Lint from the queue with a few chunks in flight per process, until the queue is
    empty or the pool breaks (a process died: the files it held are not collected)."""
    in_flight: set[Future[list[_Outcome]]] = set()
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


def _chunk_size(jobs: Sequence[_Job], workers: int, largest: int = CHUNK_SIZE) -> int:
    # Smaller chunks when there are few files per worker, so both cores stay busy.
    return max(1, min(largest, len(jobs) // (workers * 4) or 1))
