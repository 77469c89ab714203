"""Writing a fixed file: all or nothing, keeping its permissions."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


class WriteError(Exception):
    """A fixed file could not be written; the original is untouched."""


def _writable(path: Path) -> bool:
    """Honour write permissions even for root, who could write anyway."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    if os.geteuid() == 0 if hasattr(os, "geteuid") else False:
        return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return os.access(path, os.W_OK)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` via a temporary file in the same directory, keeping the
    file's permissions.  Raises :class:`WriteError` with a one-line reason."""
    if not _writable(path):
        raise WriteError(f"cannot write {path}: the file is read-only")
    if not _writable(path.parent):
        raise WriteError(f"cannot write {path}: its directory is read-only")
    mode = stat.S_IMODE(path.stat().st_mode)
    try:
        handle = tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}.", suffix=".asyncheck-tmp", delete=False)
    except OSError as error:
        raise WriteError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except OSError as error:
        try:
            os.unlink(handle.name)
        except OSError:
            pass
        raise WriteError(f"cannot write {path}: {error.strerror or error}") from None
