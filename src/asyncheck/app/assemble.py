"""Where a :class:`~asyncheck.lint.engine.Linter` is assembled from settings: the rules they
turn on and the lazy project index.

Every door lints through a linter made here: the command line's workers, the flake8 plugin
and the in-memory projects of :mod:`asyncheck.doors.testing`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import libcst as cst

from asyncheck.app.discovery import project_module_names
from asyncheck.app.environment import (
    BundledKnowledge,
    Environment,
    bundled_packages,
    resolve_environment,
)
from asyncheck.app.registry import all_rules
from asyncheck.core.config import Settings
from asyncheck.core.tables import listed_coroutines
from asyncheck.lint.engine import Linter
from asyncheck.lint.rule import Rule
from asyncheck.semantics.library import LibraryIndex
from asyncheck.semantics.project import FactsHandOff, FactsStore, ProjectIndex
from asyncheck.syntax.parse import read_module
from asyncheck.text.prefilter import PreFilter


def enabled_rules(settings: Settings) -> list[type[Rule]]:
    """The rule classes the settings turn on."""
    codes = settings.enabled_codes()
    return [rule for code, rule in all_rules().items() if code in codes]


def _parse_for_index(path: Path) -> cst.Module | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return read_module(data)


def build_index(
    settings: Settings,
    *,
    root: Path | None = None,
    modules: Mapping[str, Path] | None = None,
    parse: Callable[[Path], cst.Module | None] = _parse_for_index,
    store: FactsStore | None = None,
    hand_off: FactsHandOff | None = None,
    prefilter: PreFilter | None = None,
    environment: Environment | None = None,
) -> ProjectIndex:
    """The lazy project index over ``modules`` (by default every Python file of the project
    under ``root``), reading files with ``parse``; module facts are kept in ``store`` when
    given, another process may be making them (``hand_off``), and the ``prefilter``'s scans
    of module text are reused."""
    if modules is None:
        if root is None:
            raise TypeError("build_index needs the project's root or its modules")
        modules = project_module_names(root, settings)
    if environment is None:
        environment = project_environment(settings, root)
    library = None
    if environment.source != "none":
        # The environment's libraries, and the bundled knowledge for those it lacks.
        bundled = BundledKnowledge()
        library = LibraryIndex(environment.module_file, store=store,
                               describe=environment.source, bundled=lambda: bundled,
                               bundled_packages=bundled_packages())
    return ProjectIndex(modules, parse, store=store, hand_off=hand_off,
                        known_text=prefilter.scanned_text if prefilter is not None else None,
                        listed_coroutines=listed_coroutines(settings), library=library)


def project_environment(settings: Settings, root: Path | None, *,
                        cache_dir: Path | None = None) -> Environment:
    """The environment whose libraries a project's lint reads (SPEC §9): as configured,
    else found from the project root; none for in-memory projects that configure none.
    ``cache_dir`` keeps what a bare interpreter said about its site-packages."""
    if root is None and settings.python is None:
        return Environment.none()
    return resolve_environment(settings.python, root, origin=settings.python_origin,
                               cache_dir=cache_dir)


def build_linter(
    settings: Settings,
    *,
    rules: Sequence[type[Rule]] | None = None,
    apply_noqa: bool = True,
    root: Path | None = None,
    modules: Mapping[str, Path] | None = None,
    parse: Callable[[Path], cst.Module | None] = _parse_for_index,
    store: FactsStore | None = None,
    hand_off: FactsHandOff | None = None,
    prefilter: PreFilter | None = None,
    environment: Environment | None = None,
) -> Linter:
    """A linter running ``rules`` (by default those the settings turn on) over the project
    index :func:`build_index` makes of the other arguments (the linter's ``index``).
    ``apply_noqa=False`` leaves ``# noqa`` comments to the caller (flake8 reads them)."""
    index = build_index(settings, root=root, modules=modules, parse=parse, store=store,
                        hand_off=hand_off, prefilter=prefilter, environment=environment)
    return Linter(enabled_rules(settings) if rules is None else rules, settings, index,
                  apply_noqa=apply_noqa)
