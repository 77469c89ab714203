"""The result cache: a file's findings, reused while nothing they depend on has changed.

One cache file per configuration, named by a key over the asyncheck version, the Python
version, every setting that can change findings and the list of the project's modules
(adding or removing a module can change how imports resolve).  An entry holds the file's
content hash, the hashes of the project modules its lint consulted through the project index
(so a coroutine function turning sync in another file invalidates the callers), and the
findings.  A corrupt, foreign or unreadable cache is ignored and rewritten, never fatal.

The cache is JSON, not pickle: a repository could ship a cache file, and loading a pickle
would run whatever it contains.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from asyncheck import __version__
from asyncheck.app.modules import path_texts
from asyncheck.app.writing import WriteError, write_file
from asyncheck.core.config import Settings
from asyncheck.core.diagnostic import Diagnostic, FixSummary

_FORMAT = 1


@dataclass(frozen=True)
class CachedFile:
    """A file's findings, and what they were computed from."""

    digest: str
    deps: tuple[str, ...]
    diagnostics: list[Diagnostic]


@dataclass(frozen=True)
class _Entry:
    digest: str
    deps: tuple[tuple[str, str | None], ...]
    diagnostics: tuple[Diagnostic, ...]

    def to_json(self) -> list[object]:
        return [self.digest, [list(d) for d in self.deps], [
            [d.path, d.line, d.column, d.end_line, d.end_column, d.code, d.name, d.message,
             d.fix.description if d.fix is not None else None, d.internal_error]
            for d in self.diagnostics]]

    @classmethod
    def from_json(cls, data: object) -> _Entry:
        """Raises on anything malformed; the caller drops the whole cache then."""
        assert isinstance(data, list)
        digest, deps, diagnostics = data
        return cls(
            str(digest),
            tuple((str(m), None if h is None else str(h)) for m, h in deps),
            tuple(Diagnostic(str(p), int(line), int(col), int(end_line), int(end_col), str(code),
                             str(name), str(message),
                             FixSummary(str(fix)) if fix is not None else None, bool(internal))
                  for p, line, col, end_line, end_col, code, name, message, fix, internal
                  in diagnostics))


@lru_cache(maxsize=1)
def code_key() -> str:
    """What every cache file is keyed by first: its format, asyncheck's version and code,
    and the Python running it (computed once per process)."""
    return "\0".join([str(_FORMAT), __version__, _code_stamp(), sys.version])


def _code_stamp() -> str:
    """Sizes and mtimes of asyncheck's own modules: an edited rule (a development install)
    must not be answered from results of the old code."""
    package = Path(__file__).parent.parent  # the whole asyncheck package
    stamps = []
    for path in sorted(package.rglob("*.py")):
        try:
            info = path.stat()
        except OSError:
            continue
        stamps.append(f"{path.relative_to(package)}:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(stamps)


def read_regular_file(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file, else None (missing, unreadable, or a
    FIFO, socket or device someone left there).  Opened without blocking: a FIFO with no
    writer would otherwise hang the run in ``open``."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                             | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            return handle.read()
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _file_digest(path: Path) -> str | None:
    data = read_regular_file(path)
    return hashlib.sha256(data).hexdigest() if data is not None else None


class Cache:
    """Findings per file path for one configuration of one project."""

    def __init__(self, path: Path | None, modules: Mapping[str, Path]) -> None:
        self.path = path
        self.modules = modules
        self.entries: dict[str, _Entry] = {}
        #: Entries as read, made :class:`_Entry` when looked up: a one-file run reads the
        #: whole project's results and needs one of them.
        self._read: dict[str, object] = {}
        self._module_digests: dict[str, str | None] = {}
        self._dirty = False

    @classmethod
    def open(cls, directory: Path, settings: Settings, modules: Mapping[str, Path], *,
             environment: str = "") -> Cache:
        """The cache for this configuration in ``directory`` (empty if missing or unusable);
        ``environment`` identifies the libraries read (installing one changes findings)."""
        key = hashlib.sha256("\0".join([
            code_key(), settings.cache_key(), environment,
            *sorted(f"{name}={path}" for name, path in path_texts(modules)),
        ]).encode("utf-8", "surrogateescape")).hexdigest()[:32]  # non-UTF-8 file names
        results = directory / f"results-{key}.json"
        cache = cls(results, modules)
        try:
            data = json.loads(read_regular_file(results) or b"null")
            if isinstance(data, dict) and data.get("format") == _FORMAT:
                read = data["entries"]
                if isinstance(read, dict):
                    cache._read = read
        except Exception:  # missing, truncated, foreign: start afresh
            cache._read = {}
        return cache

    def _entry(self, path: str) -> _Entry | None:
        entry = self.entries.get(path)
        if entry is None and path in self._read:
            try:
                entry = _Entry.from_json(self._read.pop(path))
            except Exception:  # malformed: linted again and replaced
                return None
            self.entries[path] = entry
        return entry

    def module_digest(self, module: str) -> str | None:
        """The content hash of a project module's file (None if it has none)."""
        if module not in self._module_digests:
            path = self.modules.get(module)
            self._module_digests[module] = _file_digest(path) if path is not None else None
        return self._module_digests[module]

    def lookup(self, path: str) -> CachedFile | None:
        """The cached findings of ``path`` if the file and its dependencies are unchanged."""
        entry = self._entry(path)
        if entry is None:
            return None
        digest = _file_digest(Path(path))
        if digest is None or digest != entry.digest:
            return None
        for module, module_digest in entry.deps:
            if self.module_digest(module) != module_digest:
                return None
        return CachedFile(entry.digest, tuple(m for m, _ in entry.deps), list(entry.diagnostics))

    def store(self, path: str, result: CachedFile) -> None:
        """Remember the findings of ``path``."""
        deps = tuple((module, self.module_digest(module)) for module in result.deps)
        self.entries[path] = _Entry(result.digest, deps, tuple(result.diagnostics))
        self._dirty = True

    def save(self) -> None:
        """Write the cache atomically (errors are ignored: a cache is an optimisation)."""
        if not self._dirty or self.path is None:
            return
        entries = dict(self._read)
        entries.update((path, entry.to_json()) for path, entry in self.entries.items())
        save_json(self.path, {"format": _FORMAT, "entries": entries})


def save_json(path: Path, data: object) -> None:
    """Write ``data`` to ``path`` in a cache directory, made (with a ``.gitignore`` that
    ignores it) if missing; errors are ignored: a cache is an optimisation."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        gitignore = path.parent / ".gitignore"
        if not gitignore.exists():
            write_file(gitignore, b"# Created by asyncheck.\n*\n", scratch=True)
        _write_json(path, data)
    except (OSError, WriteError):
        pass


def load_json(path: Path) -> object | None:
    """What :func:`save_json` wrote to ``path``; None when missing or unreadable."""
    try:
        data: object = json.loads(read_regular_file(path) or b"null")
    except (ValueError, RecursionError):
        return None
    return data


class FactsStore:
    """The project index's module facts on disk: one small JSON file per module version,
    named by a hash of the module name and its content hash, in a directory per asyncheck
    code and Python version.

    Worker processes of one run share what they extracted through it (a module is parsed
    once, not once per process), and later runs start from it (a one-file run reads the
    facts of the modules it imports instead of parsing them).  Writes are atomic; anything
    unreadable is treated as missing.
    """

    def __init__(self, directory: Path) -> None:
        key = hashlib.sha256(code_key().encode()).hexdigest()[:16]
        self.directory = directory / f"facts-{key}"
        self._made = False

    def _path(self, module: str, is_package: bool, digest: str) -> Path:
        name = hashlib.sha256(f"{module}\0{is_package}\0{digest}".encode(
            "utf-8", "surrogateescape")).hexdigest()[:32]  # a module named by a non-UTF-8 file
        return self.directory / f"{name}.json"

    def load(self, module: str, is_package: bool, digest: str) -> object | None:
        """The JSON data saved for this module version, or None."""
        text = read_regular_file(self._path(module, is_package, digest))
        if text is None:
            return None
        try:
            data: object = json.loads(text)
        except (ValueError, RecursionError):
            return None
        return data

    def save(self, module: str, is_package: bool, digest: str, data: object) -> None:
        """Keep the JSON data of this module version (errors are ignored)."""
        path = self._path(module, is_package, digest)
        if path.exists():
            return
        try:
            if not self._made:
                self.directory.mkdir(parents=True, exist_ok=True)
                self._made = True
            _write_json(path, data)
        except (OSError, WriteError):
            pass


def _write_json(path: Path, data: object) -> None:
    """Write ``data`` as JSON to ``path`` atomically (:func:`~asyncheck.app.writing.write_file`,
    as a scratch file).  Encoded in one call: ``json.dump`` to a file encodes piece by piece
    in Python, which every one-file run would pay for the results of the whole project."""
    write_file(path, json.dumps(data, separators=(",", ":")).encode("utf-8"), scratch=True)
