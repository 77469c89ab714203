"""The hand-off of module facts between the processes of a pool.

The project index of each process asks for the facts of the modules a lint needs.  In a pool
each module is parsed by one process only: the first to *claim* it (a file made with
``O_EXCL`` in a directory the processes share).  Another process that needs those facts
waits for them to appear in the shared :class:`~asyncheck.app.cache.FactsStore`, doing other
work meanwhile, and parses the module itself after all if they are late.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
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


def scratch_directory(prefix: str, modules: int) -> tempfile.TemporaryDirectory[str]:
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
