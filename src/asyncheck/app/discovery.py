"""Paths -> Python files: directory walks honour ``.gitignore`` files and the excludes.

A file named on the command line is always linted (as ruff does), even when excluded; a
directory is walked for ``*.py`` files, skipping excluded and git-ignored entries and never
following a symlinked directory (no loops).  A path that does not exist is an error line.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from asyncheck.app.cache import code_key, load_json, save_json
from asyncheck.app.modules import ProjectModules
from asyncheck.core.config import DEFAULT_EXCLUDES, Settings

if TYPE_CHECKING:
    import pathspec

PROJECT_MARKERS = ("pyproject.toml", ".git")


@dataclass
class DiscoveryResult:
    """Files to lint, and one error line per path that could not be used."""

    files: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: The module name of each file (:func:`module_name_for`), in the same order.
    module_names: list[str] = field(default_factory=list)
    #: With ``explain=True``: each entry a walk left out, and why (``--show-files``).
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def find_project_root(paths: Sequence[Path]) -> Path:
    """The nearest directory holding ``pyproject.toml`` or ``.git`` above the first path,
    else the current directory."""
    for path in paths:
        try:
            start = path.resolve()
        except (OSError, RuntimeError):
            continue
        directory = start if start.is_dir() else start.parent
        for candidate in (directory, *directory.parents):
            if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
                return candidate
        return directory
    return Path.cwd().resolve()


def _excludes(settings: Settings) -> tuple[str, ...]:
    base = DEFAULT_EXCLUDES if settings.exclude is None else settings.exclude
    return tuple(base) + tuple(settings.extend_exclude)


def _is_excluded(path: Path, root: Path, patterns: tuple[str, ...], *,
                 resolved: bool = False) -> bool:
    """A pattern matches the entry's name, or its path relative to the root.

    ``resolved``: ``path`` is already resolved (a walk knows it for all but symlinks).
    """
    try:
        relative = (path if resolved else path.resolve()).relative_to(root).as_posix()
    except (ValueError, OSError, RuntimeError):
        relative = path.as_posix()
    return _excluded(path.name, relative, patterns)


def _excluded(name: str, relative: str, patterns: tuple[str, ...]) -> bool:
    """:func:`_is_excluded` of an entry's name and its path relative to the root (the
    walk's own, with strings: a walk asks for every entry)."""
    matcher = _exclude_matcher(patterns)
    if matcher.match(os.path.normcase(name)) or matcher.match(os.path.normcase(relative)):
        return True
    return any((relative + "/").startswith(prefix) for prefix in _exclude_prefixes(patterns))


@lru_cache(maxsize=16)
def _exclude_matcher(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regular expression for all the patterns, as ``fnmatch`` reads them (compiled
    once: a walk asks for every entry)."""
    translated = [fnmatch.translate(os.path.normcase(p.rstrip("/"))) for p in patterns]
    return re.compile("|".join(f"(?:{t})" for t in translated) or "(?!)")


@lru_cache(maxsize=16)
def _exclude_prefixes(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """Patterns with a ``/`` also exclude everything below the directory they name."""
    return tuple(p.rstrip("/").lstrip("./") + "/" for p in patterns if "/" in p.rstrip("/"))


class _IgnoreStack:
    """``.gitignore`` files from the root down to the directory being walked."""

    def __init__(self) -> None:
        #: (the directory as a string ending in a separator, its patterns).
        self._specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []

    def load(self, directory: Path) -> None:
        gitignore = directory / ".gitignore"
        if gitignore.is_file():
            try:
                lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                return
            # Imported here, where a .gitignore is read: start-up time of the runs that
            # walk no directory (a one-file run answered from the cache).
            import pathspec

            self._specs.append((os.path.join(str(directory), ""),
                                pathspec.GitIgnoreSpec.from_lines(lines)))

    def ignored(self, path: Path, is_dir: bool) -> bool:
        return self.ignored_path(str(path), is_dir)

    def ignored_path(self, path: str, is_dir: bool) -> bool:
        """:meth:`ignored` of an absolute path as a string (a walk asks for every entry)."""
        result = False
        for base, spec in self._specs:
            if not path.startswith(base):
                continue
            relative = path[len(base):]
            if os.sep != "/":
                relative = relative.replace(os.sep, "/")
            if is_dir:
                relative += "/"
            check = spec.check_file(relative)
            if check.include is not None:
                result = check.include
        return result


def exclusion_reason(path: Path, root: Path, patterns: tuple[str, ...]) -> str:
    """Which exclude pattern leaves ``path`` out (for ``--show-files --verbose``)."""
    for pattern in patterns:
        if _is_excluded(path, root, (pattern,), resolved=True):
            default = pattern in DEFAULT_EXCLUDES
            return f"excluded by '{pattern}'{', a default exclude' if default else ''}"
    return "excluded"


def _walk(directory: Path, root: Path, patterns: tuple[str, ...],
          skipped: list[tuple[Path, str]] | None = None,
          record: _WalkRecord | None = None) -> Iterator[tuple[Path, Path]]:
    """(path as found under ``directory``, resolved path) of every Python file to lint."""
    ignores = _IgnoreStack()
    top = directory.resolve()
    # .gitignore files above the walked directory (up to the project root) apply too.
    if top != root and root in top.parents:
        chain = [p for p in reversed(top.parents) if p == root or root in p.parents]
        for ancestor in chain:
            ignores.load(ancestor)
        # A directory named on the command line is walked even if an ancestor's .gitignore
        # ignores it (as a file named there is linted): then only the .gitignore files
        # inside it apply.
        if ignores.ignored(top, True):
            ignores = _IgnoreStack()
    yield from _walk_dir(directory, top, root, patterns, ignores, skipped, record)


def _walk_dir(
    directory: Path, resolved: Path, root: Path, patterns: tuple[str, ...], ignores: _IgnoreStack,
    skipped: list[tuple[Path, str]] | None = None, record: _WalkRecord | None = None,
) -> Iterator[tuple[Path, Path]]:
    ignores.load(resolved)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        if record is not None:
            record.reusable = False
        return
    if record is not None:
        record.directories[str(resolved)] = _listing(str(resolved), entries)
    # The entries' paths relative to the root (or absolute, outside it) and absolute, as
    # strings: Path objects for every entry cost a stdlib walk a third of a second.
    try:
        relative_dir = resolved.relative_to(root).as_posix()
        prefix = "" if relative_dir == "." else relative_dir + "/"
    except ValueError:
        prefix = resolved.as_posix().rstrip("/") + "/"
    absolute_dir = os.path.join(str(resolved), "")
    for entry in entries:
        name = entry.name
        try:
            is_symlink = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if not is_dir and not name.endswith(".py"):
            continue
        path = Path(entry.path)
        resolved_path = resolved / name
        if (_is_excluded(resolved_path, root, patterns) if is_symlink else
                _excluded(name, prefix + name, patterns)):
            if skipped is not None:
                skipped.append((path, exclusion_reason(resolved_path, root, patterns)))
            continue
        if is_dir:
            if ignores.ignored_path(absolute_dir + name, True):
                if skipped is not None:
                    skipped.append((path, "ignored by .gitignore"))
                continue
            yield from _walk_dir(path, resolved_path, root, patterns, ignores, skipped,
                                 record)
        else:
            if ignores.ignored_path(absolute_dir + name, False):
                if skipped is not None:
                    skipped.append((path, "ignored by .gitignore"))
                continue
            if not is_symlink and not entry.is_file(follow_symlinks=False):
                if skipped is not None:
                    skipped.append((path, "not a regular file"))
                continue  # sockets, FIFOs, devices: nothing to read (a FIFO would block)
            if is_symlink:
                if record is not None:
                    record.reusable = False  # its target may change: the listing cannot tell
                # Follow a symlinked file only when it stays inside the walked tree.
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    if skipped is not None:
                        skipped.append((path, "broken symbolic link"))
                    continue
                if not target.is_file() or root not in target.parents:
                    if skipped is not None:
                        skipped.append((path, "symbolic link to a file outside the project"))
                    continue
                resolved_path = target
            yield path, resolved_path


def discover_files(paths: Sequence[Path], settings: Settings, *, root: Path,
                   explain: bool = False, cache_dir: Path | None = None) -> DiscoveryResult:
    """The Python files to lint for the given command-line paths, each once; ``explain``
    also records what the walks left out, and why (``skipped``).  The walk of the project
    root is the one :func:`project_module_names` makes (kept in ``cache_dir``, if given)."""
    result = DiscoveryResult()
    patterns = _excludes(settings)
    root = root.resolve()
    seen: set[Path] = set()
    packages: dict[Path, tuple[str, ...]] = {}

    def add(path: Path, resolved: Path | None = None, module: str | None = None) -> None:
        if resolved is None:
            try:
                resolved = path.resolve()
            except (OSError, RuntimeError):
                resolved = path.absolute()
        if resolved not in seen:
            seen.add(resolved)
            result.files.append(path)
            if module is None:
                module = _module_name(resolved, root, packages) or path.stem
            result.module_names.append(module)

    for path in paths:
        if path.is_dir() and not explain and _same_directory(path, root):
            for relative, module, resolved in _project_walk(root, patterns, cache_dir):
                add(path / relative, resolved or root / relative, module)
        elif path.is_dir():
            for found, resolved in _walk(path, root, patterns,
                                         result.skipped if explain else None):
                add(found, resolved)
        elif path.is_file():
            add(path)
        elif path.is_symlink():
            result.errors.append(f"asyncheck: {path}: broken symbolic link or symlink loop")
        elif os.path.lexists(path):
            result.errors.append(f"asyncheck: {path}: not a regular file or directory")
        else:
            result.errors.append(f"asyncheck: {path}: no such file or directory")
    return result


def module_name_for(path: Path, root: Path) -> str:
    """The dotted module name of ``path``, as ``import`` would spell it.

    Inside a package (directories with ``__init__.py``) the name starts at the outermost
    package, wherever it sits (``src/`` layouts, nested projects); a file outside any package
    is named by its path relative to the project root.
    """
    try:
        resolved = path.resolve()
        resolved_root = root.resolve()
    except (OSError, RuntimeError):
        return path.stem
    return _module_name(resolved, resolved_root) or path.stem


def _module_name(resolved: Path, root: Path,
                 packages: dict[Path, tuple[str, ...]] | None = None) -> str:
    """:func:`module_name_for` of an already resolved path (empty if it has none);
    ``packages`` remembers directories' package names across the files of one walk."""
    package = _package_parts(resolved.parent, {} if packages is None else packages)
    parts = [*package] if resolved.name == "__init__.py" else [*package, resolved.stem]
    if len(parts) > 1 or resolved.name == "__init__.py":
        return ".".join(parts)
    try:
        relative = resolved.relative_to(root)
    except ValueError:
        return ""
    names = list(relative.with_suffix("").parts)
    if len(names) > 1 and names[0] in ("src", "lib"):
        names = names[1:]
    return ".".join(names)


def _package_parts(directory: Path, known: dict[Path, tuple[str, ...]]) -> tuple[str, ...]:
    """The package names from the outermost package down to ``directory`` (empty when it
    is no package)."""
    if directory not in known:
        if directory == directory.parent or not (directory / "__init__.py").is_file():
            known[directory] = ()
        else:
            known[directory] = (*_package_parts(directory.parent, known), directory.name)
    return known[directory]


def project_module_names(root: Path, settings: Settings, *,
                         cache_dir: Path | None = None) -> ProjectModules:
    """Module name -> file for every Python file of the project under ``root`` (the first
    file of a name wins); the walk is kept in ``cache_dir`` when given."""
    return ProjectModules(root, ((module, relative) for relative, module, _ in _project_walk(
        root.resolve(), _excludes(settings), cache_dir)))


def _same_directory(path: Path, root: Path) -> bool:
    try:
        return path.resolve() == root
    except (OSError, RuntimeError):
        return False


# -- the walk of the project, reused ----------------------------------------------------------
# A run walks the project twice (the files to lint, the project's modules), and a one-file
# pre-commit run walks it for its modules only: a tenth of a second or more for a large
# project, most of a one-file run answered from the cache.  The walk is kept, in memory and
# in the cache directory, with the listing of every directory it read (the names of its
# subdirectories and Python files, and its .gitignore): listing the directories again is
# enough to know that the walk would find the same files, and costs a few milliseconds.

_WALK_FORMAT = 1
#: A Python file a walk of the project found: its path relative to the root, its module
#: name, and its resolved path when that is not the root joined with the relative path (a
#: symbolic link).
_Found = tuple[str, str, Path | None]
#: One walk per (root, excludes) of this process: (its record, its files).
_WALKS: dict[tuple[str, tuple[str, ...]], tuple[_WalkRecord, list[_Found]]] = {}


@dataclass
class _WalkRecord:
    """What a walk of the project read: the listing of each directory it walked, and
    whether __init__.py files of the directories above the root (which name modules)
    exist.  Not reusable when a listing cannot tell that the walk is unchanged (a
    symbolic link to a file, whose target may change; an unreadable directory)."""

    directories: dict[str, str] = field(default_factory=dict)
    packages_above: dict[str, bool] = field(default_factory=dict)
    reusable: bool = True

    def unchanged(self) -> bool:
        """Whether a walk now would read the same listings."""
        for directory, listing in self.directories.items():
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError:
                return False
            if _listing(directory, entries) != listing:
                return False
        return all(os.path.isfile(os.path.join(directory, "__init__.py")) == is_package
                   for directory, is_package in self.packages_above.items())


def _listing(directory: str, entries: Sequence[os.DirEntry[str]]) -> str:
    """What a walk depends on in one directory: its subdirectories and Python files, by
    kind, and the text of its .gitignore."""
    parts = []
    for entry in entries:
        name = entry.name
        try:
            if entry.is_symlink():
                kind = "l"
            elif entry.is_dir(follow_symlinks=False):
                kind = "d"
            elif entry.is_file(follow_symlinks=False):
                kind = "f"
            else:
                kind = "o"
        except OSError:
            kind = "?"
        if kind == "d" or name.endswith(".py"):
            parts.append(f"{kind}{name}")
        elif name == ".gitignore":
            try:
                with open(os.path.join(directory, name), "rb") as handle:
                    text = handle.read()
            except OSError:
                text = b"?"
            parts.append(f"{kind}{name}:{hashlib.sha256(text).hexdigest()}")
    # File names that are not UTF-8 arrive as surrogate escapes: encoded back as they were.
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _project_walk(root: Path, patterns: tuple[str, ...], cache_dir: Path | None) -> list[_Found]:
    """Every Python file a walk of the (resolved) project root finds, in walk order: from
    this process's last walk or the cache directory when the directories it read list the
    same, else walked again."""
    key = (str(root), patterns)
    remembered = _WALKS.get(key)
    if remembered is not None and remembered[0].unchanged():
        return remembered[1]
    store = None
    if cache_dir is not None:
        name = hashlib.sha256("\0".join([str(_WALK_FORMAT), code_key(), *key[:1], *patterns])
                              .encode()).hexdigest()[:32]
        store = cache_dir / f"walk-{name}.json"
        loaded = _load_walk(store)
        if loaded is not None and loaded[0].unchanged():
            _WALKS[key] = loaded
            return loaded[1]
    record = _WalkRecord()
    packages: dict[Path, tuple[str, ...]] = {}
    files: list[_Found] = []
    for path, resolved in _walk(root, root, patterns, record=record):
        module = _module_name(resolved, root, packages) or path.stem
        relative = path.relative_to(root).as_posix()
        files.append((relative, module, None if resolved == path else resolved))
    record.packages_above = {str(d): bool(parts) for d, parts in packages.items()
                             if str(d) not in record.directories}
    if record.reusable:
        _WALKS[key] = (record, files)
        if store is not None:
            save_json(store, {"format": _WALK_FORMAT, "directories": record.directories,
                              "packages_above": record.packages_above,
                              "files": [[relative, module] for relative, module, _ in files]})
    return files


def _load_walk(store: Path) -> tuple[_WalkRecord, list[_Found]] | None:
    data = load_json(store)
    try:
        assert isinstance(data, dict) and data["format"] == _WALK_FORMAT
        directories, above, files = data["directories"], data["packages_above"], data["files"]
        assert isinstance(directories, dict) and isinstance(above, dict)
        record = _WalkRecord({str(d): str(listing) for d, listing in directories.items()},
                             {str(d): bool(is_package) for d, is_package in above.items()})
        return record, [(str(relative), str(module), None) for relative, module in files]
    except (AssertionError, KeyError, TypeError, ValueError):
        return None
