"""The hand-off of module facts between the processes of a pool.

The project index of each process asks for the facts of the modules a lint needs.  In a pool
each module is parsed by one process only: the first to *claim* it (a file made with
``O_EXCL`` in a directory the processes share).  Another process that needs those facts
waits for them to appear in the shared :class:`~asyncheck.app.cache.FactsStore`, doing other
work meanwhile, and parses the module itself after all if they are late.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

_Facts = TypeVar("_Facts")

#: How long to wait for facts another process is making: 5 ms steps, at most 2 s (a parse
#: of the largest modules); then the module is parsed here after all.
_WAIT_STEP = 0.005
_WAIT_LIMIT = 2.0

#: Where a run's scratch files go when there is room: the facts a pool's processes share
#: and their claims are files written, read and removed by the thousand, and on a
#: memory-backed file system that costs a fraction of the system time.
_SHARED_MEMORY = Path("/dev/shm")

#: A scratch directory's name holds the process id of the run that made it
#: (``asyncheck-claims-4242-k3j9x_2a``), and the directory a marker file: a run that was
#: killed (``kill -9``, a cancelled CI job) leaves it behind, and a later run removes it once
#: that process is gone.
_SCRATCH_NAME_RE = re.compile(r"asyncheck-(?:[a-z]+-)?([0-9]+)-[a-z0-9_]+")
_SCRATCH_MARKER = ".asyncheck-scratch"

#: This process's scratch directories that exist now, and its id (a forked pool process
#: inherits both, and must not act on them).
_LIVE: set[str] = set()
_OWNER = 0
#: The places swept for abandoned scratch directories by this process already.
_SWEPT: set[str] = set()


@contextmanager
def scratch_directory(prefix: str, modules: int) -> Iterator[str]:
    """A temporary directory for this run only, in memory when :data:`_SHARED_MEMORY` is
    there, writable and roomy enough for the project (facts take about 6 KB per module),
    unless ``TMPDIR`` chooses where temporary files go.

    It is removed when the run ends, also when it ends by SIGTERM (``timeout``, a cancelled
    CI job); after a ``kill -9`` the pool's processes remove it (see
    :func:`asyncheck.app.pool.exit_with_parent`), and failing that the next run does.
    """
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
    _sweep_abandoned(parent if parent is not None else tempfile.gettempdir())
    with tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-", dir=parent) as directory:
        with contextlib.suppress(OSError):
            Path(directory, _SCRATCH_MARKER).touch()
        installed = _remove_on_terminate(directory)
        try:
            yield directory
        finally:
            _LIVE.discard(directory)
            if installed:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _remove_on_terminate(directory: str) -> bool:
    """Remove ``directory`` if this process is told to terminate (SIGTERM) while it exists.
    True when the handler was installed here (the caller restores the default): only over
    the default, and only in the main thread (where Python runs handlers)."""
    global _OWNER
    installed = False
    if not _LIVE and threading.current_thread() is threading.main_thread():
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            _OWNER = os.getpid()
            signal.signal(signal.SIGTERM, _terminated)
            installed = True
    _LIVE.add(directory)
    return installed


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM during a run with scratch directories: remove them, then end as SIGTERM
    ends a process (the exit status says so)."""
    if os.getpid() == _OWNER:  # not a pool process that inherited the handler
        for directory in list(_LIVE):
            shutil.rmtree(directory, ignore_errors=True)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def forget_scratch_directories() -> None:
    """In a new pool process: the scratch directories and SIGTERM handler inherited from
    the parent are the parent's (SIGTERM from the pool must end the process at once)."""
    _LIVE.clear()
    if signal.getsignal(signal.SIGTERM) is _terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _sweep_abandoned(where: str) -> None:
    """Remove the scratch directories in ``where`` whose run has ended without removing
    them: named like one, holding the marker, this user's, and the process that made it
    gone (checked once per place and process)."""
    if os.name != "posix" or where in _SWEPT:
        return
    _SWEPT.add(where)
    try:
        entries = list(os.scandir(where))
    except OSError:
        return
    for entry in entries:
        match = _SCRATCH_NAME_RE.fullmatch(entry.name)
        if match is None or _alive(int(match.group(1))):
            continue
        try:
            if (not entry.is_dir(follow_symlinks=False)
                    or entry.stat(follow_symlinks=False).st_uid != os.getuid()
                    or not os.path.isfile(os.path.join(entry.path, _SCRATCH_MARKER))):
                continue
        except OSError:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # not ours to signal, or cannot tell: keep its directory
        return True
    return True


class Claims:
    """The modules this process may parse: those no other process of the pool claimed
    first (one claim file per module in ``directory``, which the processes share)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._claimed: set[str] = set()

    def claim(self, module: str) -> bool:
        """Whether this process may parse ``module`` (no other process has claimed it)."""
        if module in self._claimed:
            return True
        name = hashlib.sha256(module.encode()).hexdigest()[:32]
        try:
            os.close(os.open(self.directory / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        except OSError:
            return True  # cannot tell: parse, as without claims
        self._claimed.add(module)
        return True


class HandOff:
    """What a pool process's project index does about facts the store does not have:
    parse the module itself, or wait for the process that is making them.

    ``may_parse`` says whether this process is to parse a module (it claimed it, or nobody
    will store its facts); ``meanwhile`` does some other work while waiting and says
    whether there was any (False: sleep a step instead).
    """

    def __init__(self, may_parse: Callable[[str], bool], meanwhile: Callable[[], bool]) -> None:
        self._may_parse = may_parse
        self._meanwhile = meanwhile

    def wait_for(self, module: str, stored: Callable[[], _Facts | None]) -> _Facts | None:
        """The facts of ``module`` once ``stored`` finds them, when another process is
        making them; None when this process is to parse the module (at once, or after
        waiting :data:`_WAIT_LIMIT` in vain)."""
        if self._may_parse(module):
            return None
        # Another process is parsing it: its facts are in the store shortly.
        deadline = time.monotonic() + _WAIT_LIMIT
        while time.monotonic() < deadline:
            if not self._meanwhile():
                time.sleep(_WAIT_STEP)
            found = stored()
            if found is not None:
                return found
        return None
