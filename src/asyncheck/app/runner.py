"""Paths in, diagnostics out: discovery, the result cache, and what happens to one file.

Each file is a :class:`~asyncheck.app.jobs.Job` checked by :func:`_check_file` with a
per-process :class:`~asyncheck.app.pool.Worker` (rules, settings and the lazy project index
built once per process): read, pre-filtered, linted or fixed (the fixed file written back).
Small runs stay in this process, so a one-file pre-commit run pays no pool start-up; larger
runs are scheduled by :mod:`asyncheck.app.pool`, over a process pool when there are cores.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from asyncheck.app.cache import Cache, CachedFile, FactsStore
from asyncheck.app.discovery import (
    discover_files,
    find_project_root,
    module_name_for,
    project_module_names,
)
from asyncheck.app.environment import Environment, resolve_environment
from asyncheck.app.jobs import Job, Outcome, Triaged
from asyncheck.core.config import Settings
from asyncheck.core.diagnostic import Diagnostic
from asyncheck.core.source import (
    DecodedSource,
    SourceError,
    decode_source,
    encode_source,
)

if TYPE_CHECKING:
    from asyncheck.app.pool import Worker
    from asyncheck.lint.engine import FileResult

STDIN_PATH = "-"

#: Called with (files done, files to do) as the run goes, e.g. to draw a progress bar.
ProgressCallback = Callable[[int, int], None]


@dataclass
class RunResult:
    """Everything a reporter needs."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0
    #: The paths of the files checked (for a baseline's entries that no longer match).
    paths_checked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    fixed: Counter[str] = field(default_factory=Counter)
    diffs: list[str] = field(default_factory=list)
    #: With ``--fix -``: the fixed source, in the input's encoding (None: nothing fixed).
    fixed_stdin: bytes | None = None
    fix_mode: str | None = None

    @property
    def internal_errors(self) -> int:
        """How many files a rule crashed on (the run then exits 2)."""
        return sum(1 for d in self.diagnostics if d.internal_error)


# -- one file -------------------------------------------------------------------------------
def _read(job: Job, outcome: Outcome) -> bytes | None:
    try:
        data = Path(job.path).read_bytes()
    except OSError as error:
        outcome.error = f"asyncheck: cannot read {job.path}: {error.strerror or error}"
        return None
    outcome.digest = hashlib.sha256(data).hexdigest()
    return data


def _triage_file(worker: Worker, job: Job) -> Triaged:
    # Imported here, with the workers: a run answered from the cache reads no module text.
    from asyncheck.text.scans import imported_modules

    outcome = Outcome(job.path)
    data = _read(job, outcome)
    if data is None or (worker.prefilter is not None and not worker.prefilter.may_report(
            data, job.module_name, is_package=job.is_package)):
        return Triaged(job, outcome)
    return Triaged(job, imports=tuple(imported_modules(
        data, job.module_name, is_package=job.is_package, modules=worker.index.modules)),
        size=len(data))


def _check_file(worker: Worker, job: Job, data: bytes | None = None, *,
                filtered: bool = False) -> Outcome:
    """Lint (or fix) one file; ``filtered``: the pre-filter has already let it through."""
    outcome = Outcome(job.path)
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
    # (extracting them is a good part of a lint): the tree is then dropped with the lint.
    wanted = worker.wanted(job.module_name)
    if worker.fix_mode is None and from_file and outcome.digest is not None and wanted:
        index.linting(job.module_name, outcome.digest)
    if worker.fix_mode in (None, "noqa"):
        result = worker.linter.lint_bytes(job.path, data, module_name=job.module_name,
                                          is_package=job.is_package)
        outcome.diagnostics = result.diagnostics
        if worker.fix_mode == "noqa":
            _add_noqa(job, data, outcome)
    else:
        _fix_file(worker, job, data, outcome)
    if not wanted:
        index.drop_tree(job.module_name)
    outcome.deps = tuple(sorted(index.accessed - {job.module_name}))
    # Fixes hold tree nodes: only their description crosses process boundaries.
    outcome.diagnostics = [d.without_fix_nodes() for d in outcome.diagnostics]
    return outcome


def _fix_file(worker: Worker, job: Job, data: bytes, outcome: Outcome) -> None:
    # Imported here, for fixes only, to save start-up time: a fully cached run imports no
    # libcst.
    from asyncheck.lint.fixer import fix_source, unified_diff
    from asyncheck.app.writing import WriteError, write_atomically  # likewise

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
        outcome.diff = unified_diff(_diff_name(job.path), source.text, fixed.text)
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
    if job.path == STDIN_PATH or job.path.startswith("<stdin"):
        # Encoded again by run(), from the input's own encoding (known to work now).
        outcome.new_text = fixed.text
        outcome.fixed = fixed.fixed
        return
    try:
        write_atomically(Path(job.path), new_bytes, expected=data)
    except WriteError as error:
        outcome.error = f"asyncheck: {error}"
        outcome.diagnostics = linter.lint_bytes(job.path, data, module_name=job.module_name,
                                                is_package=job.is_package).diagnostics
        return
    outcome.fixed = fixed.fixed


def _add_noqa(job: Job, data: bytes, outcome: Outcome) -> None:
    """``--add-noqa``: comment the file's findings away, written back like a fix."""
    # Imported here, for --add-noqa only: start-up time.
    from asyncheck.app.noqa import add_noqa
    from asyncheck.app.writing import WriteError, write_atomically  # likewise

    if not outcome.diagnostics or job.path == STDIN_PATH:
        return
    try:
        source = decode_source(data)
    except SourceError:
        return
    edit = add_noqa(source.text, outcome.diagnostics)
    if edit.text == source.text:
        return
    try:
        new_bytes = encode_source(edit.text, source.encoding, source.bom)
        write_atomically(Path(job.path), new_bytes, expected=data)
    except UnicodeEncodeError:  # the codes are ASCII; an encoding that cannot take them
        outcome.dropped.append(f"{job.path}: no noqa added: {source.encoding} cannot encode it")
        return
    except WriteError as error:
        outcome.error = f"asyncheck: {error}"
        return
    outcome.fixed = edit.added
    outcome.diagnostics = edit.unplaced


def _diff_name(path: str) -> str:
    """The name a diff gives the file: for a symbolic link, the file it points to (relative
    to the current directory when it lies below it), which ``patch`` and ``git apply``
    change where they refuse to patch a link."""
    if path == STDIN_PATH or not os.path.islink(path):
        return path
    target = os.path.relpath(os.path.realpath(path))
    return path if target.startswith(os.pardir) else target


def _lint_triaged(worker: Worker, job: Job) -> Outcome:
    """Lint (or fix) a file triage let through."""
    return _check_file(worker, job, filtered=True)


# -- the run --------------------------------------------------------------------------------
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
    enables the result cache; ``fix_mode`` is ``"fix"``, ``"diff"`` or ``"noqa"``
    (``--add-noqa``).
    """
    result = RunResult(fix_mode=fix_mode)
    file_paths = [Path(p) for p in paths if p != STDIN_PATH]
    anchor_paths = list(file_paths)
    if stdin_filename:
        anchor_paths.append(Path(stdin_filename))
    root = find_project_root(anchor_paths or [Path.cwd()])
    # The results of a fix are not cached (the files change), the walk of the project is.
    discovered = discover_files(file_paths, settings, root=root,
                                cache_dir=cache_dir) if file_paths else None
    if discovered is not None:
        result.errors.extend(discovered.errors)
    modules = project_module_names(root, settings, cache_dir=cache_dir)
    worker: Worker | None = None
    scratch = ExitStack()
    found: list[Environment] = []

    def environment() -> Environment:
        # Found once per run, for the cache key and every worker process.
        if not found:
            found.append(resolve_environment(settings.python, root, cache_dir=cache_dir,
                                             origin=settings.python_origin))
        return found[0]

    def local_worker(pooled: bool = False) -> Worker:
        # Built on the first file not answered by the cache: a fully cached run never
        # imports the rules (nor libcst).
        nonlocal worker
        if worker is None:
            # Imported here for that reason: start-up time (the pool's modules import
            # multiprocessing and concurrent.futures).
            from asyncheck.app.assemble import enabled_rules
            from asyncheck.app.facts import scratch_directory  # likewise
            from asyncheck.app.pool import Worker, WorkerSpec  # likewise
            from asyncheck.text.prefilter import PreFilter  # likewise

            skipper = PreFilter(enabled_rules(settings), settings, modules) if prefilter else None
            # Module facts go to the cache directory, or for this run only to a scratch
            # directory, through which the pool's processes share them.  One process
            # without a cache keeps them in memory only.
            store = None
            scratch_directories: tuple[Path, ...] = ()
            if cache_dir is not None:
                store = FactsStore(cache_dir)
            elif pooled:
                scratch_directories = (Path(scratch.enter_context(
                    scratch_directory("asyncheck-", len(modules)))),)
                store = FactsStore(scratch_directories[0])
            spec = WorkerSpec(settings, root, modules, fix_mode, skipper, store,
                              _triage_file, _lint_triaged, scratch=scratch_directories,
                              environment=environment())
            worker = Worker(spec)
        return worker

    if STDIN_PATH in paths and stdin_data is not None:
        display = stdin_filename or STDIN_PATH
        module_name = module_name_for(Path(stdin_filename), root) if stdin_filename else "stdin"
        job = Job(display if fix_mode is None else STDIN_PATH, module_name,
                  Path(display).name == "__init__.py")
        outcome = _check_file(local_worker(), job, stdin_data)
        outcome.path = display
        outcome.diagnostics = [d.moved_to(display) for d in outcome.diagnostics]
        if outcome.diff is not None:
            outcome.diff = outcome.diff.replace(f"a/{STDIN_PATH}", f"a/{display}", 1).replace(
                f"b/{STDIN_PATH}", f"b/{display}", 1)
        if outcome.new_text is not None:
            # The fixed source goes out in the input's own encoding, BOM and all.
            source = decode_source(stdin_data)
            result.fixed_stdin = encode_source(outcome.new_text, source.encoding, source.bom)
        _collect(result, outcome)

    jobs_list = [] if discovered is None else [
        Job(str(p), name, p.name == "__init__.py")
        for p, name in zip(discovered.files, discovered.module_names)]
    if fix_mode is not None:
        jobs_list = _once_per_file(jobs_list)
    cache = None
    if cache_dir is not None and fix_mode is None:
        cache = Cache.open(cache_dir, settings, modules,
                           environment=environment().fingerprint())
    pending: list[Job] = []
    done = 0
    for job in jobs_list:
        cached = cache.lookup(job.path) if cache is not None else None
        if cached is not None:
            result.diagnostics.extend(cached.diagnostics)
            result.files_checked += 1
            result.paths_checked.append(job.path)
            done += 1
        else:
            pending.append(job)
    if progress is not None and jobs_list:
        progress(done, len(jobs_list))

    def finished(outcome: Outcome) -> None:
        nonlocal done
        _collect(result, outcome)
        if cache is not None and outcome.error is None and outcome.digest is not None:
            cache.store(outcome.path, CachedFile(outcome.digest, outcome.deps, outcome.diagnostics))
        done += 1
        if progress is not None:
            progress(done, len(jobs_list))

    with scratch:
        if pending:
            _lint_pending(pending, jobs, local_worker, finished)
    if cache is not None:
        cache.save()
    result.diagnostics.sort(key=Diagnostic.sort_key)
    result.diffs.sort()
    return result


def _lint_pending(pending: list[Job], jobs: int | None,
                  local_worker: Callable[[bool], Worker],
                  finished: Callable[[Outcome], None]) -> None:
    """Lint the files the cache did not answer: in this process, or over a process pool."""
    # Imported here, when a file is to be linted: start-up time (see local_worker).
    from asyncheck.app.pool import SERIAL_BELOW, default_jobs, lint_in_process, run_pool

    workers = jobs if jobs is not None else default_jobs()
    if len(pending) < SERIAL_BELOW:
        for job in pending:
            finished(_check_file(local_worker(False), job))
    elif workers <= 1:
        lint_in_process(local_worker(False), pending, finished)
    else:
        worker = local_worker(True)  # the pre-filter and the facts store, for every process
        if worker.prefilter is not None:
            worker.prefilter.prepare()
        run_pool(pending, min(workers, len(pending)), worker.spec, finished)


def _once_per_file(jobs: list[Job]) -> list[Job]:
    """The jobs less those naming a file an earlier job names too (hard links; discovery
    has already dropped symbolic links to files it lints): a file is fixed once."""
    from asyncheck.app.writing import file_identity  # for fixes only: start-up time

    seen: set[tuple[int, int]] = set()
    kept = []
    for job in jobs:
        identity = file_identity(job.path)
        if identity is not None:
            if identity in seen:
                continue
            seen.add(identity)
        kept.append(job)
    return kept


def _collect(result: RunResult, outcome: Outcome) -> None:
    if outcome.error is not None:
        result.errors.append(outcome.error)
        if not outcome.diagnostics:
            return
    result.errors.extend(outcome.dropped)
    result.diagnostics.extend(outcome.diagnostics)
    result.files_checked += 1
    result.paths_checked.append(outcome.path)
    result.fixed.update(outcome.fixed)
    if outcome.diff:
        result.diffs.append(outcome.diff)
