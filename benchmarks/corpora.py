"""Build the benchmark corpora and the peers' virtualenv if they are missing.

Two corpora live under ``benchmarks/.corpus/`` (git-ignored):

``stdlib``
    A copy of the ``.py`` files of the running Python's standard library
    (``sysconfig.get_paths()["stdlib"]``), without ``site-packages``.
``async-libs``
    The pinned releases of ``benchmarks/corpus.txt`` installed with
    ``pip install --no-deps --target``.

Each corpus directory gets a ``pyproject.toml`` that makes it its own project root: the
repository's ``.gitignore`` ignores ``benchmarks/.corpus/``, and a corpus inside the
repository's project would otherwise be git-ignored, and share the repository's project
index.  That file also turns asyncheck's default excludes off, so every tool sees every
file (the standard library has a package named ``venv``, a default exclude).

The peers (ruff, flake8 + flake8-async, pinned in ``benchmarks/peers.txt``) are installed
into the throwaway virtualenv ``benchmarks/.venv-peers``.  Everything is rebuilt when its
pin list (or, for ``stdlib``, the Python) changes; a half-built corpus is never used
because it is built beside its final place and renamed into it.

Run ``python benchmarks/corpora.py`` to build everything (``--force`` rebuilds).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
CORPUS_ROOT = BENCH_DIR / ".corpus"
CORPUS_PINS = BENCH_DIR / "corpus.txt"
PEER_PINS = BENCH_DIR / "peers.txt"
PEERS_VENV = BENCH_DIR / ".venv-peers"
STAMP = ".asyncheck-corpus.json"
CORPUS_NAMES = ("stdlib", "async-libs")

#: Written into each corpus root; see the module docstring for why.
CORPUS_PYPROJECT = """\
# Written by benchmarks/corpora.py.  It makes this directory its own project root (the
# repository's .gitignore ignores benchmarks/.corpus/) and lints every file: no default
# excludes, because the standard library has a package named venv.
[tool.asyncheck]
exclude = []
"""

#: Directories of the standard library that are not part of it.
_STDLIB_SKIP = frozenset({"site-packages", "dist-packages", "__pycache__"})


class BuildError(Exception):
    """A corpus or the peers could not be built (the message says why)."""


@dataclass(frozen=True)
class Corpus:
    """A built corpus: where it is and how big it is."""

    name: str
    path: Path
    files: int
    lines: int


def python_files(root: Path) -> list[Path]:
    """Every ``*.py`` file under ``root``, sorted, never following a symlinked directory."""
    found: list[Path] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        found.extend(Path(directory) / name for name in sorted(filenames) if name.endswith(".py"))
    return found


def count_lines(paths: list[Path]) -> int:
    """Physical lines in ``paths`` (a last line without a newline counts)."""
    total = 0
    for path in paths:
        data = path.read_bytes()
        total += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return total


def _pins(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _stamp_matches(directory: Path, key: str) -> bool:
    try:
        stamp = json.loads((directory / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(stamp, dict) and stamp.get("key") == key


def _finish(staging: Path, final: Path, key: str, description: str) -> None:
    """Stamp the staging directory and move it into place (replacing an old build)."""
    (staging / STAMP).write_text(json.dumps({"key": key, "built_from": description}) + "\n",
                                 encoding="utf-8")
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)


def _staging(final: Path) -> Path:
    staging = final.with_name(final.name + ".building")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def _copy_stdlib(source: Path, target: Path) -> None:
    for directory, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if d not in _STDLIB_SKIP)
        relative = Path(directory).relative_to(source)
        for name in filenames:
            if name.endswith(".py"):
                destination = target / relative / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(directory) / name, destination)


def _pip(args: list[str], python: str = sys.executable) -> None:
    command = [python, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-5:])
        raise BuildError(f"{' '.join(command)} failed (exit {completed.returncode}):\n{tail}")


def ensure_corpus(name: str, *, force: bool = False, log: bool = True) -> Corpus:
    """Build the named corpus (``stdlib`` or ``async-libs``) if needed; return it."""
    final = CORPUS_ROOT / name
    if name == "stdlib":
        source = Path(sysconfig.get_paths()["stdlib"])
        key = _key("stdlib", sys.version, str(source))
        description = f"{source} (Python {sys.version.split()[0]})"
    elif name == "async-libs":
        pins = _pins(CORPUS_PINS)
        key = _key("async-libs", sys.version, *pins)
        description = ", ".join(pins)
    else:
        raise BuildError(f"unknown corpus {name!r} (known: {', '.join(CORPUS_NAMES)})")
    if force or not _stamp_matches(final, key):
        if log:
            print(f"building corpus {name} from {description} ...", file=sys.stderr, flush=True)
        staging = _staging(final)
        if name == "stdlib":
            _copy_stdlib(source, staging)
        else:
            _pip(["install", "--no-deps", "--no-compile", "--target", str(staging), *pins])
        (staging / "pyproject.toml").write_text(CORPUS_PYPROJECT, encoding="utf-8")
        _finish(staging, final, key, description)
    files = python_files(final)
    return Corpus(name, final, len(files), count_lines(files))


@dataclass(frozen=True)
class Peers:
    """The peers' executables, or why they are unavailable."""

    ruff: Path | None
    flake8: Path | None
    problem: str | None = None


def ensure_peers(*, force: bool = False, log: bool = True) -> Peers:
    """Install the pinned peers into ``benchmarks/.venv-peers`` if needed.

    Never raises: a failed install is reported in :attr:`Peers.problem` and the benchmark
    shows the peers as unavailable.
    """
    pins = _pins(PEER_PINS)
    key = _key("peers", sys.version, *pins)
    bindir = PEERS_VENV / ("Scripts" if os.name == "nt" else "bin")
    problem = None
    if force or not _stamp_matches(PEERS_VENV, key):
        if log:
            print(f"installing peers {', '.join(pins)} ...", file=sys.stderr, flush=True)
        try:
            # A venv's scripts hard-code its path, so it is built in place; the stamp is
            # written last, so a half-built one is rebuilt next time.
            venv.create(PEERS_VENV, with_pip=True, clear=True)
            _pip(["install", *pins], python=str(bindir / "python"))
            (PEERS_VENV / STAMP).write_text(json.dumps({"key": key}) + "\n", encoding="utf-8")
        except (BuildError, OSError, subprocess.SubprocessError) as error:
            problem = f"could not install the peers: {error}"
    ruff = bindir / "ruff"
    flake8 = bindir / "flake8"
    return Peers(ruff if ruff.is_file() else None, flake8 if flake8.is_file() else None, problem)


def selected_corpora(choice: str) -> Iterator[str]:
    """Corpus names for a ``--corpus`` choice: ``stdlib``, ``async-libs`` or ``both``."""
    if choice == "both":
        yield from CORPUS_NAMES
    else:
        yield choice


def main(argv: list[str] | None = None) -> int:
    """Build the corpora and the peers' virtualenv; print what was built."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpus", choices=(*CORPUS_NAMES, "both"), default="both")
    parser.add_argument("--no-peers", action="store_true", help="do not install the peers")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    try:
        for name in selected_corpora(args.corpus):
            corpus = ensure_corpus(name, force=args.force)
            print(f"{corpus.name}: {corpus.path} ({corpus.files} files, {corpus.lines} lines)")
    except BuildError as error:
        print(f"corpora: {error}", file=sys.stderr)
        return 1
    if not args.no_peers:
        peers = ensure_peers(force=args.force)
        print(f"ruff: {peers.ruff or 'unavailable'}; flake8: {peers.flake8 or 'unavailable'}")
        if peers.problem:
            print(peers.problem, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
