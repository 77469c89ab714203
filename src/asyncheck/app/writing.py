"""Writing files: all or nothing, keeping their permissions, their links and other
programs' edits.  Every file asyncheck writes goes through here: a fixed file
(:func:`write_atomically`), a report, a baseline, a cache file (:func:`write_file`).

The bytes go to a new temporary file of a name of its own next to the file that is
replaced, which is removed whatever happens (an exception, Ctrl-C, SIGTERM).  A fixed file
is replaced only if it still holds the bytes the fix was made from: an editor or formatter
that changed it in the meantime keeps its edits.  A symbolic link is followed (the file it points to is fixed and
the link stays), and a file with several hard links is rewritten in place so that every
name keeps showing the same file.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any


class WriteError(Exception):
    """A file could not be written; the original is untouched."""


class FileChangedError(WriteError):
    """The file changed after it was read: it is left as the other program wrote it."""


def file_identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of the file ``path`` names, following links; None if it has none."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _writable(path: Path) -> bool:
    """Honour write permissions even for root, who could write anyway."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    if os.geteuid() == 0 if hasattr(os, "geteuid") else False:
        return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return os.access(path, os.W_OK)


#: The signals that end a run on a user's or a CI runner's request (and SIGHUP, which a pool
#: process gets when its parent dies).
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                      if hasattr(signal, name))
#: Held while a file is written: a thread that ends the process takes it first.
_WRITING = threading.Lock()


def stop_writing(timeout: float) -> None:
    """Wait (at most ``timeout`` seconds) for a write in progress to finish, and let no
    other start: called by a thread about to end the process (``os._exit``), which no
    signal handler could hold back."""
    _WRITING.acquire(timeout=timeout)


@contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block is done, then let them act as they would
    have: a file is never left half written or with its temporary file beside it.

    Only the main thread can set handlers; elsewhere the block runs unprotected from
    signals (an exception still removes the temporary file).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        if signum not in received:
            received.append(signum)

    previous: dict[int, Callable[[int, FrameType | None], Any] | int] = {}
    try:
        for signum in _STOP_SIGNALS:
            handler = signal.getsignal(signum)
            if handler is None:  # set outside Python: it could not be put back
                continue
            previous[signum] = handler
            signal.signal(signum, hold)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in received:
            signal.raise_signal(signum)


def _current_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _check_unchanged(path: Path, shown: Path, expected: bytes | None) -> None:
    if expected is not None and _current_bytes(path) != expected:
        raise FileChangedError(
            f"cannot write {shown}: it changed after asyncheck read it; not fixed "
            "(run asyncheck again)")


def write_atomically(path: Path, data: bytes, *, expected: bytes | None = None) -> None:
    """Replace the contents of ``path`` (a fixed file) by ``data``, keeping the file's
    permissions.

    ``expected``: the bytes the fix was made from; when the file no longer holds them it
    is left alone (:class:`FileChangedError`).  A symbolic link is followed and kept; a
    file with several hard links is rewritten in place, keeping the links.  Raises
    :class:`WriteError` with a one-line reason.
    """
    target = Path(os.path.realpath(path))
    if not _writable(target):
        raise WriteError(f"cannot write {path}: the file is read-only")
    if not _writable(target.parent):
        raise WriteError(f"cannot write {path}: its directory is read-only")
    try:
        status = target.stat()
    except OSError as error:
        raise WriteError(f"cannot write {path}: {error.strerror or error}") from None
    with _WRITING, _stop_signals_held():
        if status.st_nlink > 1:
            _rewrite_in_place(target, path, data, expected)
        else:
            _replace(target, path, data, expected, stat.S_IMODE(status.st_mode))


def write_file(path: Path, data: bytes, *, scratch: bool = False) -> None:
    """Create or replace the file ``path`` with exactly ``data``: a report (``--output``),
    a baseline, a cache file.  All or nothing: a run stopped part way (Ctrl-C, SIGTERM, a
    full disk) leaves the old file as it was, and two runs writing it at once leave one
    whole file, never a mix.

    An existing file keeps its permissions; a symbolic link is followed and kept; a file
    with several hard links is rewritten in place, keeping the links.  A character device
    or a pipe (``-o /dev/null``, ``-o /dev/stdout``) is written to as it is; a read-only
    file is refused.  ``scratch``: a file only asyncheck uses (its cache), whose loss is
    harmless: not synced to the disk, and whatever sits at its name (a pipe, a read-only
    file) is replaced.  Raises :class:`WriteError` with a one-line reason.
    """
    target = Path(os.path.realpath(path))
    try:
        status: os.stat_result | None = target.stat()
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise WriteError(f"cannot write {path}: {error.strerror or error}") from None
    mode: int | None = None
    if status is not None and not scratch:
        if stat.S_ISCHR(status.st_mode) or stat.S_ISFIFO(status.st_mode):
            _write_stream(target, path, data)
            return
        if not stat.S_ISREG(status.st_mode):
            raise WriteError(f"cannot write {path}: not a regular file")
        if not _writable(target):
            raise WriteError(f"cannot write {path}: the file is read-only")
        mode = stat.S_IMODE(status.st_mode)
    with _WRITING, _stop_signals_held():
        if mode is not None and status is not None and status.st_nlink > 1:
            _rewrite_in_place(target, path, data, None)
        else:
            _replace(target, path, data, None, mode, sync=not scratch)


def _write_stream(target: Path, shown: Path, data: bytes) -> None:
    """Write ``data`` to a device or a pipe, which cannot be replaced."""
    try:
        with open(target, "wb") as handle:
            handle.write(data)
    except OSError as error:
        raise WriteError(f"cannot write {shown}: {error.strerror or error}") from None


#: How many names are tried for a temporary file before giving up.
_TEMPORARY_TRIES = 100


def _create_temporary(target: Path) -> tuple[int, Path]:
    """A new file beside ``target`` (``.<name>.<random>.asyncheck-tmp``), opened for writing
    (``O_EXCL``: nothing already at that name, a leftover or a link planted there, is ever
    written through), with the permissions a new file gets (``0o666`` less the umask)."""
    flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
             | getattr(os, "O_BINARY", 0))
    for _ in range(_TEMPORARY_TRIES):
        name = target.with_name(f".{target.name}.{os.urandom(6).hex()}.asyncheck-tmp")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))


def _replace(target: Path, shown: Path, data: bytes, expected: bytes | None, mode: int | None,
             *, sync: bool = True) -> None:
    """Write a temporary file beside ``target`` and rename it over ``target``; ``mode``:
    the permissions to give it (None: a new file's)."""
    try:
        descriptor, temporary = _create_temporary(target)
    except OSError as error:
        raise WriteError(f"cannot write {shown}: {error.strerror or error}") from None
    try:
        with open(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        _check_unchanged(target, shown, expected)
        os.replace(temporary, target)
    except BaseException as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(error, OSError):
            raise WriteError(f"cannot write {shown}: {error.strerror or error}") from None
        raise


def _rewrite_in_place(target: Path, shown: Path, data: bytes, expected: bytes | None) -> None:
    """Overwrite ``target`` itself, so that its other hard links see the new contents;
    if that fails part way, its old contents are written back."""
    _check_unchanged(target, shown, expected)
    original = expected if expected is not None else _current_bytes(target)
    try:
        with open(target, "r+b") as handle:
            try:
                handle.write(data)
                handle.truncate()
                handle.flush()
                os.fsync(handle.fileno())
            except OSError:
                if original is not None:
                    handle.seek(0)
                    handle.write(original)
                    handle.truncate()
                raise
    except OSError as error:
        raise WriteError(f"cannot write {shown}: {error.strerror or error}") from None
