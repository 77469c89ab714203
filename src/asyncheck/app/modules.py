"""The project's modules: module name -> file, as a walk of the project found them."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path


class ProjectModules(Mapping[str, Path]):
    """Module name -> file of every Python file of a project, made of the paths relative
    to the project root that a walk (or the cache of one) gives.

    The ``Path`` of a module is made when first asked for: a one-file run answered from
    the cache needs the module list for the cache's key only, and making (and printing)
    a ``Path`` for each of two thousand modules costs it a tenth of its time."""

    def __init__(self, root: Path, relative: Iterable[tuple[str, str]]) -> None:
        """``relative``: (module name, path relative to ``root`` with ``/``); the first
        file of a name wins."""
        self._root = root
        self._relative: dict[str, str] = {}
        for name, path in relative:
            self._relative.setdefault(name, path)
        self._paths: dict[str, Path] = {}

    def __getitem__(self, name: str) -> Path:
        path = self._paths.get(name)
        if path is None:
            path = self._paths[name] = self._root / self._relative[name]
        return path

    def __contains__(self, name: object) -> bool:
        return name in self._relative

    def __iter__(self) -> Iterator[str]:
        return iter(self._relative)

    def __len__(self) -> int:
        return len(self._relative)

    def path_texts(self) -> Iterator[tuple[str, str]]:
        """(module name, ``str()`` of its path), without making the paths."""
        root = os.path.join(str(self._root), "")
        for name, relative in self._relative.items():
            yield name, root + (relative if os.sep == "/" else relative.replace("/", os.sep))


def path_texts(modules: Mapping[str, Path]) -> Iterator[tuple[str, str]]:
    """(module name, ``str()`` of its path) of every module."""
    if isinstance(modules, ProjectModules):
        return modules.path_texts()
    return ((name, str(path)) for name, path in modules.items())
