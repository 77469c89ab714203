"""Which files a directory walk lints, and how modules are named for the project index."""

from __future__ import annotations

import os
from pathlib import Path

from asyncheck.core.config import Settings
from asyncheck.app.discovery import discover_files, find_project_root, module_name_for


def touch(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def relative(paths: list[Path], root: Path) -> list[str]:
    return sorted(p.resolve().relative_to(root.resolve()).as_posix() for p in paths)


def test_walk_honours_gitignore_and_default_excludes(tmp_path: Path) -> None:
    touch(tmp_path / ".git" / "HEAD")
    touch(tmp_path / ".gitignore", "generated/\n*_pb2.py\n!keep_pb2.py\n")
    touch(tmp_path / "app" / ".gitignore", "local_settings.py\n")
    for name in ("app/main.py", "app/local_settings.py", "generated/x.py", "app/api_pb2.py",
                 "app/keep_pb2.py", ".venv/lib/x.py", "build/lib/x.py", "node_modules/x.py",
                 "app/__pycache__/x.py", "app/notes.txt", "tests/test_app.py"):
        touch(tmp_path / name)
    found = discover_files([tmp_path], Settings(), root=tmp_path)
    assert relative(found.files, tmp_path) == ["app/keep_pb2.py", "app/main.py", "tests/test_app.py"]
    assert found.errors == []


def test_extend_exclude_and_explicit_files(tmp_path: Path) -> None:
    touch(tmp_path / "pyproject.toml")
    touch(tmp_path / "migrations" / "0001.py")
    touch(tmp_path / "app.py")
    settings = Settings(extend_exclude=("migrations",))
    assert relative(discover_files([tmp_path], settings, root=tmp_path).files, tmp_path) == ["app.py"]
    # A file named on the command line is linted even when excluded.
    named = discover_files([tmp_path / "migrations" / "0001.py"], settings, root=tmp_path)
    assert relative(named.files, tmp_path) == ["migrations/0001.py"]


def test_symlinks_never_lead_out_of_the_tree_or_loop(tmp_path: Path) -> None:
    outside = touch(tmp_path / "outside" / "secret.py")
    project = tmp_path / "project"
    touch(project / "pyproject.toml")
    touch(project / "app.py")
    os.symlink(outside, project / "linked_out.py")
    os.symlink(project / "app.py", project / "alias.py")
    os.symlink(project, project / "loop")
    os.symlink(project / "gone.py", project / "dangling.py")
    found = discover_files([project], Settings(), root=project)
    assert relative(found.files, project) == ["app.py"]  # alias.py resolves to app.py: once
    broken = discover_files([project / "dangling.py"], Settings(), root=project)
    assert broken.files == [] and "broken symbolic link" in broken.errors[0]


def test_missing_path_is_an_error_line(tmp_path: Path) -> None:
    found = discover_files([tmp_path / "nope.py"], Settings(), root=tmp_path)
    assert found.files == [] and found.errors == [f"asyncheck: {tmp_path / 'nope.py'}: no such file or directory"]


def test_project_root_and_module_names(tmp_path: Path) -> None:
    touch(tmp_path / "pyproject.toml")
    touch(tmp_path / "src" / "shop" / "__init__.py")
    client = touch(tmp_path / "src" / "shop" / "api" / "client.py")
    touch(tmp_path / "src" / "shop" / "api" / "__init__.py")
    script = touch(tmp_path / "scripts" / "sync.py")
    assert find_project_root([client]) == tmp_path.resolve()
    assert module_name_for(client, tmp_path) == "shop.api.client"
    assert module_name_for(tmp_path / "src" / "shop" / "__init__.py", tmp_path) == "shop"
    assert module_name_for(script, tmp_path) == "scripts.sync"


def test_a_named_directory_is_walked_even_if_an_ancestor_ignores_it(tmp_path: Path) -> None:
    touch(tmp_path / ".git" / "HEAD")
    touch(tmp_path / ".gitignore", "/vendor\n")
    touch(tmp_path / "vendor" / "lib" / "client.py")
    touch(tmp_path / "vendor" / "lib" / ".gitignore", "generated_*.py\n")
    touch(tmp_path / "vendor" / "lib" / "generated_api.py")
    touch(tmp_path / "app.py")
    assert relative(discover_files([tmp_path], Settings(), root=tmp_path).files, tmp_path) == ["app.py"]
    named = discover_files([tmp_path / "vendor"], Settings(), root=tmp_path)
    assert relative(named.files, tmp_path) == ["vendor/lib/client.py"]
