"""Writing a fixed file: all or nothing, keeping its permissions, its links and other
programs' edits.

The fixed bytes go to a temporary file next to the file that is replaced, which is removed
whatever happens (an exception, Ctrl-C, SIGTERM).  The file is replaced only if it still
holds the bytes the fix was made from: an editor or formatter that changed it in the
meantime keeps its edits.  A symbolic link is followed (the file it points to is fixed and
the link stays), and a file with several hard links is rewritten in place so that every
name keeps showing the same file.
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any


class WriteError(Exception):
    """A fixed file could not be written; the original is untouched."""


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
    """Replace the contents of ``path`` by ``data``, keeping the file's permissions.

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


def _replace(target: Path, shown: Path, data: bytes, expected: bytes | None, mode: int) -> None:
    """Write a temporary file beside ``target`` and rename it over ``target``."""
    try:
        handle = tempfile.NamedTemporaryFile(
            dir=target.parent, prefix=f".{target.name}.", suffix=".asyncheck-tmp", delete=False)
    except OSError as error:
        raise WriteError(f"cannot write {shown}: {error.strerror or error}") from None
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, mode)
        _check_unchanged(target, shown, expected)
        os.replace(handle.name, target)
    except BaseException as error:
        try:
            os.unlink(handle.name)
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
