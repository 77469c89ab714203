"""Paths -> Python files: directory walks honour ``.gitignore`` files and the excludes.

A file named on the command line is always linted (as ruff does), even when excluded; a
directory is walked for ``*.py`` files, skipping excluded and git-ignored entries and never
following a symlinked directory (no loops).  A path that does not exist is an error line.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pathspec

from asyncheck.core.config import DEFAULT_EXCLUDES, Settings

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
    name = path.name
    try:
        relative = (path if resolved else path.resolve()).relative_to(root).as_posix()
    except (ValueError, OSError, RuntimeError):
        relative = path.as_posix()
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
        self._specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []

    def load(self, directory: Path) -> None:
        gitignore = directory / ".gitignore"
        if gitignore.is_file():
            try:
                lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                return
            self._specs.append((directory, pathspec.GitIgnoreSpec.from_lines(lines)))

    def ignored(self, path: Path, is_dir: bool) -> bool:
        result = False
        for base, spec in self._specs:
            try:
                relative = path.relative_to(base).as_posix()
            except ValueError:
                continue
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
          skipped: list[tuple[Path, str]] | None = None) -> Iterator[tuple[Path, Path]]:
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
    yield from _walk_dir(directory, top, root, patterns, ignores, skipped)


def _walk_dir(
    directory: Path, resolved: Path, root: Path, patterns: tuple[str, ...], ignores: _IgnoreStack,
    skipped: list[tuple[Path, str]] | None = None,
) -> Iterator[tuple[Path, Path]]:
    ignores.load(resolved)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        resolved_path = resolved / entry.name
        try:
            is_symlink = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if _is_excluded(resolved_path, root, patterns, resolved=not is_symlink):
            if skipped is not None and (is_dir or entry.name.endswith(".py")):
                skipped.append((path, exclusion_reason(resolved_path, root, patterns)))
            continue
        if is_dir:
            if ignores.ignored(resolved_path, True):
                if skipped is not None:
                    skipped.append((path, "ignored by .gitignore"))
                continue
            yield from _walk_dir(path, resolved_path, root, patterns, ignores, skipped)
        elif entry.name.endswith(".py"):
            if ignores.ignored(resolved_path, False):
                if skipped is not None:
                    skipped.append((path, "ignored by .gitignore"))
                continue
            if not is_symlink and not entry.is_file(follow_symlinks=False):
                if skipped is not None:
                    skipped.append((path, "not a regular file"))
                continue  # sockets, FIFOs, devices: nothing to read (a FIFO would block)
            if is_symlink:
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
                   explain: bool = False) -> DiscoveryResult:
    """The Python files to lint for the given command-line paths, each once; ``explain``
    also records what the walks left out, and why (``skipped``)."""
    result = DiscoveryResult()
    patterns = _excludes(settings)
    root = root.resolve()
    seen: set[Path] = set()
    packages: dict[Path, tuple[str, ...]] = {}

    def add(path: Path, resolved: Path | None = None) -> None:
        if resolved is None:
            try:
                resolved = path.resolve()
            except (OSError, RuntimeError):
                resolved = path.absolute()
        if resolved not in seen:
            seen.add(resolved)
            result.files.append(path)
            result.module_names.append(_module_name(resolved, root, packages) or path.stem)

    for path in paths:
        if path.is_dir():
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


def project_module_names(root: Path, settings: Settings) -> dict[str, Path]:
    """Module name -> file for every Python file of the project under ``root`` (the first
    file of a name wins), without resolving each file again."""
    resolved_root = root.resolve()
    modules: dict[str, Path] = {}
    packages: dict[Path, tuple[str, ...]] = {}
    for path, resolved in _walk(root, resolved_root, _excludes(settings)):
        modules.setdefault(_module_name(resolved, resolved_root, packages) or path.stem, path)
    return modules
