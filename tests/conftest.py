"""Shared helpers: run the installed ``asyncheck`` console script as a user would."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]


def asyncheck_command() -> list[str]:
    """The console script next to the running interpreter."""
    script = BIN / "asyncheck"
    return [str(script)] if script.exists() else [sys.executable, "-m", "asyncheck"]


RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def cli() -> RunCli:
    """``cli(*args, cwd=..., input=...)`` runs asyncheck and returns the completed process."""

    def run(*args: str, cwd: Path | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*asyncheck_command(), *args], cwd=cwd, input=input, capture_output=True,
            text=True, check=False, timeout=300,
        )

    return run


def run_in_fresh_process(args: list[str], cwd: Path | None = None) -> tuple[int, bool]:
    """Run the CLI with ``args`` in a new interpreter: (exit code, whether libcst was
    imported), for start-up paths that must not import it."""
    code = ("import sys\nfrom click.testing import CliRunner\nfrom asyncheck.doors.cli import main\n"
            f"result = CliRunner().invoke(main, {args!r})\n"
            "print(result.exit_code, 'libcst' in sys.modules, len(result.output))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                         check=True)
    exit_code, imported, output_length = out.stdout.split()
    assert int(output_length) > 20, "the command printed (almost) nothing"
    return int(exit_code), imported == "True"
