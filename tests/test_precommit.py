"""The pre-commit door: the hook installs from a checkout of this project and, passed one
changed file, still knows the rest of the project.

No network: pip resolves asyncheck's dependencies from a local wheel directory built from the
distributions installed next to the running tests, and its build backend (setuptools) from
the wheels virtualenv embeds.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import BIN, ROOT
from readme_snippets import readme_snippet
from sample_project import CROSS_MODULE_CODES, write_shop
from test_fixtures import expected_findings

from asyncheck.app.registry import all_rules

#: What ``pip install .`` of asyncheck needs at run time (tomli only below Python 3.11).
RUNTIME_DISTRIBUTIONS = ("libcst", "pyyaml", "click", "pathspec", "tomli", "typing_extensions")
_FINDING_RE = re.compile(r"^(?P<path>[^\s:]+\.py):(?P<line>\d+):(?P<col>\d+): (?P<code>ACK\d{3}) ",
                         re.MULTILINE)


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def wheel_from_installed(name: str, wheelhouse: Path) -> Path | None:
    """Pack an installed distribution back into a wheel (None when it is not installed).

    The files come from its ``RECORD``; compiled bytecode and install-time markers stay out,
    and a fresh ``RECORD`` is written, so pip installs it like the wheel it came from.
    """
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None
    files = [f for f in dist.files or () if ".." not in f.parts and "__pycache__" not in f.parts]
    dist_info = next(f.parts[0] for f in files if f.parts[0].endswith(".dist-info"))
    wheel_meta = Path(str(dist.locate_file(f"{dist_info}/WHEEL"))).read_text(encoding="utf-8")
    tag = next(line.split(":", 1)[1].strip() for line in wheel_meta.splitlines()
               if line.startswith("Tag:"))
    project = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    target = wheelhouse / f"{project}-{dist.version}-{tag}.whl"
    skipped = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            if file.parts[0] == dist_info and file.name in skipped:
                continue
            data = Path(str(dist.locate_file(file))).read_bytes()
            archive.writestr(file.as_posix(), data)
            writer.writerow([file.as_posix(), _record_hash(data), len(data)])
        writer.writerow([f"{dist_info}/RECORD", "", ""])
        archive.writestr(f"{dist_info}/RECORD", record.getvalue())
    return target


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for pre-commit: pip only sees a local wheel directory; a private
    pre-commit cache; git identity for the throwaway repositories."""
    wheelhouse = tmp_path_factory.mktemp("wheelhouse")
    for name in RUNTIME_DISTRIBUTIONS:
        wheel_from_installed(name, wheelhouse)
    import virtualenv

    embedded = Path(virtualenv.__file__).parent / "seed" / "wheels" / "embed"
    for wheel in embedded.glob("setuptools-*.whl"):
        shutil.copy(wheel, wheelhouse)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PIP_", "PRE_COMMIT", "VIRTUAL_ENV", "GIT_"))}
    env.update({
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
        "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre-commit-home")),
        "GIT_AUTHOR_NAME": "asyncheck tests", "GIT_AUTHOR_EMAIL": "tests@example.invalid",
        "GIT_COMMITTER_NAME": "asyncheck tests", "GIT_COMMITTER_EMAIL": "tests@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    return env


def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True, timeout=60).stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, offline_env: dict[str, str]) -> Path:
    """A git repository holding this project's working tree as it is now (what a user's
    ``repo:`` points at), so that uncommitted work is what gets tested."""
    repo = tmp_path_factory.mktemp("asyncheck-hook-repo")
    shutil.copytree(ROOT / "src", repo / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, repo / name)
    git("init", "-q", "-b", "main", cwd=repo, env=offline_env)
    git("add", ".", cwd=repo, env=offline_env)
    git("commit", "-q", "-m", "asyncheck under test", cwd=repo, env=offline_env)
    return repo


@pytest.fixture
def user_repo(tmp_path: Path, offline_env: dict[str, str]) -> Path:
    """A throwaway user project: the two-module ``shop`` package, committed."""
    write_shop(tmp_path)
    git("init", "-q", "-b", "main", cwd=tmp_path, env=offline_env)
    git("add", ".", cwd=tmp_path, env=offline_env)
    git("commit", "-q", "-m", "shop", cwd=tmp_path, env=offline_env)
    return tmp_path


def pre_commit(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = BIN / "pre-commit"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pre_commit"]
    return subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False, timeout=600)


def default_expectations(root: Path) -> set[tuple[str, int, str]]:
    """Annotated findings of rules that exist and are on by default (what the hook runs)."""
    rules = all_rules()
    return {(path, line, code) for path, line, code in expected_findings(root)
            if rules[code].default_enabled}


def hook_findings(output: str) -> set[tuple[str, int, str]]:
    return {(m["path"], int(m["line"]), m["code"]) for m in _FINDING_RE.finditer(output)}


def test_try_repo_on_one_module_sees_cross_module_findings(
    hook_repo: Path, user_repo: Path, offline_env: dict[str, str]
) -> None:
    result = pre_commit("try-repo", str(hook_repo), "asyncheck", "--files", "shop/report.py",
                        "--verbose", cwd=user_repo, env=offline_env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    found = hook_findings(result.stdout)
    expected = default_expectations(user_repo)
    # Only the file passed is linted; the other module is read through the project index.
    assert {path for path, _, _ in found} == {"shop/report.py"}
    assert found == expected, output
    # The annotations of cross-module rules count once those rules exist; then at least
    # one such finding must be there, which only the index of shop/pricing.py can give.
    landed = CROSS_MODULE_CODES & set(all_rules())
    assert not landed or landed & {code for _, _, code in found}


def test_hook_definitions() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    by_id = {hook["id"]: hook for hook in hooks}
    assert by_id["asyncheck"]["entry"] == "asyncheck"
    for hook in hooks:
        assert hook["entry"].split()[0] == "asyncheck"
        assert hook["language"] == "python" and hook["types"] == ["python"]


def test_readme_pre_commit_snippet_runs_the_hook(
    hook_repo: Path, user_repo: Path, offline_env: dict[str, str]
) -> None:
    snippet = yaml.safe_load(readme_snippet("pre-commit", "yaml"))
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [repo] = snippet["repos"]
    assert {h["id"] for h in repo["hooks"]} <= {h["id"] for h in hooks}
    # Point the user's copy at the local checkout instead of the published repository.
    repo["repo"] = str(hook_repo)
    repo["rev"] = git("rev-parse", "HEAD", cwd=hook_repo, env=offline_env).strip()
    (user_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(snippet), encoding="utf-8")
    result = pre_commit("run", "--files", "shop/report.py", cwd=user_repo, env=offline_env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert hook_findings(result.stdout) == default_expectations(user_repo)
