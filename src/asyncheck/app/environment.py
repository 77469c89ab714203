"""The environment whose libraries asyncheck reads (SPEC §9): where its site-packages are,
and which file holds a library module.

In order: ``--python PATH`` / ``python = "..."`` in ``[tool.asyncheck]`` (an interpreter or a
virtualenv directory; ``none`` turns library knowledge off); the active virtualenv
(``VIRTUAL_ENV``); a ``.venv`` or ``venv`` directory at the project root; the interpreter
running asyncheck.  A virtualenv is read from its directory (``pyvenv.cfg``,
``lib/pythonX.Y/site-packages``) without running anything; only a bare interpreter outside a
virtualenv is asked for its ``site.getsitepackages()``, once: the answer is kept in the
cache directory, by the interpreter's path and modification time.

Library modules are only ever read as text (the project index parses them); nothing here
imports them.
"""

from __future__ import annotations

import hashlib
import json
import os
import site
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from asyncheck.app.cache import load_json, save_json

#: How a module's file is looked for inside one search directory, best first: a stub beats
#: the source next to it (``.pyi`` says the types; the ``.py`` may say nothing).
_MODULE_SUFFIXES = (".pyi", ".py")


@dataclass(frozen=True)
class Environment:
    """The environment found: how it was chosen, where it is, its search directories."""

    #: How it was chosen: ``--python``, ``python in <config>``, ``VIRTUAL_ENV``,
    #: ``.venv at the project root``, ``the running interpreter``, ``none``.
    source: str
    #: The virtualenv directory or interpreter (empty for ``none``).
    location: str
    #: Site-packages directories, then the directories their ``.pth`` files add.
    search_paths: tuple[Path, ...] = ()
    #: Why an explicit choice gave no directories (shown by ``--explain-env``).
    problem: str | None = None
    _found: dict[str, Path | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def none(cls) -> Environment:
        """No library knowledge (``--python none``, in-memory projects)."""
        return cls("none", "")

    def module_file(self, module: str) -> Path | None:
        """The file that defines library module ``module`` (``.pyi`` preferred, a ``*-stubs``
        package first), or None when no search directory has it as Python text."""
        if module in self._found:
            return self._found[module]
        found = None
        parts = module.split(".")
        if all(part.isidentifier() for part in parts):
            for directory in self.search_paths:
                found = _module_in(directory, parts)
                if found is not None:
                    break
        self._found[module] = found
        return found

    def fingerprint(self) -> str:
        """What identifies this environment's libraries for the result cache: its search
        directories and their modification times (installing, removing or upgrading a
        package changes its site-packages directory)."""
        parts = [self.source, self.location]
        for directory in self.search_paths:
            try:
                parts.append(f"{directory}:{directory.stat().st_mtime_ns}")
            except OSError:
                parts.append(f"{directory}:?")
        return "\n".join(parts)

    def describe(self) -> str:
        """Lines for ``--explain-env``."""
        lines = [f"environment: {self.source}" + (f" ({self.location})" if self.location else "")]
        if self.problem:
            lines.append(f"  problem: {self.problem}")
        for directory in self.search_paths:
            lines.append(f"  search path: {directory}")
        if not self.search_paths and self.source != "none":
            lines.append("  no site-packages found: library knowledge is off")
        return "\n".join(lines)


def _module_in(directory: Path, parts: Sequence[str]) -> Path | None:
    top, rest = parts[0], parts[1:]
    for package in (f"{top}-stubs", top):
        base = directory / package
        for path in _candidates(base, rest):
            if path.is_file():
                return path
        if package == top and not rest:
            for suffix in _MODULE_SUFFIXES:
                single = directory / f"{top}{suffix}"
                if single.is_file():
                    return single
    return None


def _candidates(base: Path, rest: Sequence[str]) -> list[Path]:
    target = base.joinpath(*rest) if rest else base
    paths = [target / f"__init__{suffix}" for suffix in _MODULE_SUFFIXES]
    if rest:
        paths += [target.with_name(target.name + suffix) for suffix in _MODULE_SUFFIXES]
    return paths


_KNOWLEDGE = Path(__file__).with_name("library_knowledge.zip")
_KNOWLEDGE_INDEX = Path(__file__).with_name("library_knowledge_index.json")


@lru_cache(maxsize=1)
def bundled_packages() -> frozenset[str]:
    """The top-level packages the bundled knowledge covers
    (``scripts/build_library_knowledge.py`` makes it)."""
    try:
        index = json.loads(_KNOWLEDGE_INDEX.read_text(encoding="utf-8"))
        return frozenset(str(p) for p in index["packages"])
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()


@lru_cache(maxsize=None)
def bundled_package(top: str) -> dict[str, object]:
    """The bundled knowledge of one top-level package: module name -> its facts (JSON),
    read from its own member of the file on first use (a run decodes only the packages it
    asks about); empty when the file does not cover it."""
    # Imported here, on first use: start-up time (a run answered from the cache needs none).
    import zipfile

    try:
        with zipfile.ZipFile(_KNOWLEDGE) as bundle:
            modules = json.loads(bundle.read(f"{top}.json"))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return {}
    return modules if isinstance(modules, dict) else {}


def bundled_modules() -> dict[str, object]:
    """All the bundled knowledge: module name -> its facts (JSON)."""
    found: dict[str, object] = {}
    for top in sorted(bundled_packages()):
        found.update(bundled_package(top))
    return found


class BundledKnowledge(Mapping[str, object]):
    """The bundled knowledge (module name -> its facts, JSON), read one top-level package
    at a time (:func:`bundled_package`)."""

    def __getitem__(self, module: str) -> object:
        return bundled_package(module.partition(".")[0])[module]

    def __contains__(self, module: object) -> bool:
        return isinstance(module, str) and module in bundled_package(module.partition(".")[0])

    def __iter__(self) -> Iterator[str]:
        return iter(bundled_modules())

    def __len__(self) -> int:
        return len(bundled_modules())


def resolve_environment(
    python: str | None,
    root: Path | None,
    *,
    environ: Mapping[str, str] | None = None,
    origin: str | None = None,
    cache_dir: Path | None = None,
) -> Environment:
    """The environment to read libraries from (see the module docstring for the order).

    ``python`` is the setting (``--python`` or config ``python``), located already
    (:func:`asyncheck.core.config.locate_python`); ``origin`` says where it was set
    (``--python`` when not given).  A bare interpreter's answer is kept in ``cache_dir``."""
    environ = os.environ if environ is None else environ
    if python is not None:
        if python.strip().lower() == "none":
            return Environment.none()
        return _from_path(Path(python).expanduser(), origin or "--python", cache_dir)
    virtual_env = environ.get("VIRTUAL_ENV")
    if virtual_env:
        found = _from_path(Path(virtual_env), "VIRTUAL_ENV", cache_dir)
        if found.search_paths:
            return found
    if root is not None:
        for name in (".venv", "venv"):
            candidate = root / name
            if (candidate / "pyvenv.cfg").is_file():
                found = _from_path(candidate, f"{name} at the project root", cache_dir)
                if found.search_paths:
                    return found
    return _running_interpreter()


def _from_path(path: Path, source: str, cache_dir: Path | None) -> Environment:
    """An interpreter or a virtualenv directory."""
    if path.is_dir():
        paths = _venv_site_packages(path)
        return _with_pth(Environment(source, str(path), paths, None if paths else
                                     "no lib/pythonX.Y/site-packages in this directory"))
    if path.is_file():
        # bin/python of a virtualenv: read the virtualenv, do not run it.
        venv = path.parent.parent
        if (venv / "pyvenv.cfg").is_file():
            return _with_pth(Environment(source, str(venv), _venv_site_packages(venv)))
        paths, problem = _ask_interpreter(str(path), cache_dir)
        return _with_pth(Environment(source, str(path), paths, problem))
    return Environment(source, str(path), (), "no such interpreter or directory")


def _venv_site_packages(venv: Path) -> tuple[Path, ...]:
    """The site-packages of a virtualenv directory (and of its base interpreter when
    ``include-system-site-packages`` is true), read from the directory alone."""
    config = _read_pyvenv_cfg(venv / "pyvenv.cfg")
    version = config.get("version_info") or config.get("version") or ""
    major_minor = ".".join(version.split(".")[:2])
    found: list[Path] = []
    lib = venv / "lib"
    if major_minor and (lib / f"python{major_minor}" / "site-packages").is_dir():
        found.append(lib / f"python{major_minor}" / "site-packages")
    else:
        try:
            found.extend(sorted(p / "site-packages" for p in lib.glob("python3*")
                                if (p / "site-packages").is_dir()))
        except OSError:
            pass
    if (venv / "Lib" / "site-packages").is_dir():  # Windows layout
        found.append(venv / "Lib" / "site-packages")
    if config.get("include-system-site-packages", "").lower() == "true" and major_minor:
        home = config.get("home")
        if home:
            base = Path(home).parent / "lib" / f"python{major_minor}" / "site-packages"
            if base.is_dir():
                found.append(base)
    return tuple(found)


def _read_pyvenv_cfg(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    return values


def _ask_interpreter(python: str, cache_dir: Path | None
                     ) -> tuple[tuple[Path, ...], str | None]:
    """A bare interpreter's site-packages: the one case that runs something.  Asked once
    per process, and once for all runs with a cache directory (the answer is kept there
    by the interpreter's resolved path, size and modification time: running it costs a
    one-file pre-commit run a tenth of a second)."""
    try:
        executable = os.path.realpath(python)
        info = os.stat(executable)
        identity = f"{executable}\0{info.st_size}\0{info.st_mtime_ns}"
    except OSError:
        identity = None
    store = None
    if cache_dir is not None and identity is not None:
        name = hashlib.sha256(identity.encode()).hexdigest()[:32]
        store = cache_dir / f"interpreter-{name}.json"
        kept = load_json(store)
        if isinstance(kept, dict) and kept.get("identity") == identity and isinstance(
                kept.get("paths"), list):
            return tuple(Path(str(p)) for p in kept["paths"] if Path(str(p)).is_dir()), None
    paths, problem = _run_interpreter(python)
    if store is not None and problem is None:
        save_json(store, {"identity": identity, "paths": [str(p) for p in paths]})
    return paths, problem


@lru_cache(maxsize=8)
def _run_interpreter(python: str) -> tuple[tuple[Path, ...], str | None]:
    # Imported here: only a bare interpreter is run (start-up time).
    import subprocess

    script = ("import json, site; p = site.getsitepackages(); "
              "u = site.getusersitepackages() if site.ENABLE_USER_SITE else None; "
              "print(json.dumps(p + ([u] if u else [])))")
    try:
        done = subprocess.run([python, "-I", "-c", script], capture_output=True, text=True,
                              timeout=10, check=False)
        paths = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.SubprocessError) as error:
        return (), f"cannot ask {python} for its site-packages: {error}"
    if not isinstance(paths, list):
        return (), f"{python} gave no site-packages"
    return tuple(Path(p) for p in paths if isinstance(p, str) and Path(p).is_dir()), None


def _running_interpreter() -> Environment:
    paths = [Path(p) for p in site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        paths.append(Path(site.getusersitepackages()))
    return _with_pth(Environment("the running interpreter", sys.executable,
                                 tuple(p for p in paths if p.is_dir())))


def _with_pth(environment: Environment) -> Environment:
    """Adds the directories that ``.pth`` files of the site-packages name (editable
    installs, ``src`` layouts); ``import`` lines are code and are not run."""
    extra: list[Path] = []
    for directory in environment.search_paths:
        try:
            pth_files = sorted(directory.glob("*.pth"))
        except OSError:
            continue
        for pth in pth_files:
            try:
                lines = pth.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                added = (directory / line).resolve() if not Path(line).is_absolute() else Path(line)
                if added.is_dir() and added not in extra and added not in environment.search_paths:
                    extra.append(added)
    if not extra:
        return environment
    return Environment(environment.source, environment.location,
                       environment.search_paths + tuple(extra), environment.problem)
