"""Configuration semantics: rule selection by prefix, validation, per-file ignores."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncheck.core.config import ConfigError, Settings, find_config_file, load_settings, with_overrides
from asyncheck.core.catalog import CATALOG

DEFAULTS = {"ACK000": True, "ACK100": True, "ACK200": True, "ACK231": False, "ACK310": False}


def test_defaults_enable_only_default_rules() -> None:
    assert Settings().enabled_codes(DEFAULTS) == {"ACK000", "ACK100", "ACK200"}


def test_select_replaces_extend_select_adds_ignore_removes() -> None:
    assert Settings(select=("ACK2",)).enabled_codes(DEFAULTS) == {"ACK200", "ACK231"}
    assert Settings(extend_select=("ACK231",)).enabled_codes(DEFAULTS) == {
        "ACK000", "ACK100", "ACK200", "ACK231"}
    assert Settings(select=("ALL",), ignore=("ACK2",)).enabled_codes(DEFAULTS) == {
        "ACK000", "ACK100", "ACK310"}
    # A more specific select beats a broader ignore, as in ruff.
    assert "ACK231" in Settings(ignore=("ACK2",), extend_select=("ACK231",)).enabled_codes(DEFAULTS)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("body", "fragment"), [
    ('select = ["ACK2"]\nmax-fanout = "ten"', "'max-fanout' must be a positive integer"),
    ("max-fanout = 0", "'max-fanout' must be a positive integer"),
    ('ignore = ["ACK777"]', "unknown rule code 'ACK777'"),
    ('per-file-ignores = { "tests/*" = ["XYZ1"] }', "unknown rule code 'XYZ1'"),
    ("limiters = 3", "'limiters' must be a list of strings"),
    ('blocking-calls = ["legacy.*"]', "'blocking-calls' must be a table"),
    ('blocking-calls = { "legacy.*" = 1 }', "must be a string"),
    ("extend_select = []", "did you mean 'extend-select'"),
    # A lone string is a wrong type for every list-valued setting (README: Configuration).
    ('ignore = "ACK200"', """'ignore' must be a list of strings, not a string (write ["ACK200"])"""),
    ('select = "ACK2"', "'select' must be a list of strings, not a string"),
    ('extend-select = "ACK231"', "'extend-select' must be a list of strings, not a string"),
    ('exclude = "build"', "'exclude' must be a list of strings, not a string"),
    ('extend-exclude = "migrations"', "'extend-exclude' must be a list of strings"),
    ('coroutine-functions = "svc.fetch"', "'coroutine-functions' must be a list of strings"),
    ('limiters = "svc.Throttle"', "'limiters' must be a list of strings, not a string"),
    ('per-file-ignores = { "tests/*" = "ACK100" }',
     "'per-file-ignores.tests/*' must be a list of strings, not a string"),
    ('ignore = ["ACK200", 3]', "'ignore' must be a list of strings, not a list holding an integer"),
    ("extend-exclude = true", "'extend-exclude' must be a list of strings, not a boolean"),
    ("per-file-ignores = []", "'per-file-ignores' must be a table, not a list"),
    ("target-version = 310", "'target-version' must be a version"),
])
def test_invalid_configuration_names_key_and_file(tmp_path: Path, body: str, fragment: str) -> None:
    config = write(tmp_path / "pyproject.toml", f"[tool.asyncheck]\n{body}\n")
    with pytest.raises(ConfigError) as error:
        load_settings(config, known_codes=CATALOG)
    assert fragment in str(error.value)
    assert str(config) in str(error.value)


def test_valid_configuration_round_trip(tmp_path: Path) -> None:
    config = write(tmp_path / "pyproject.toml", """
[tool.asyncheck]
extend-select = ["ACK2"]
per-file-ignores = { "tests/*" = ["ACK200"] }
max-fanout = 5
blocking-calls = { "legacy.client.*" = "use legacy.aio" }
coroutine-functions = ["svc.fetch"]
limiters = ["svc.Throttle"]
""")
    settings = load_settings(config, known_codes=CATALOG)
    assert settings.max_fanout == 5
    assert settings.blocking_call_suggestion("legacy.client.get") == "use legacy.aio"
    assert settings.blocking_call_suggestion("other.get") is None
    assert settings.ignored_for_path(tmp_path / "tests" / "test_app.py") == {"ACK200"}
    assert settings.ignored_for_path(tmp_path / "app.py") == frozenset()
    assert settings.cache_key() != Settings().cache_key()


def test_nearest_pyproject_with_a_tool_table_is_used(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.asyncheck]\nmax-fanout = 3\n")
    inner = tmp_path / "pkg"
    inner.mkdir()
    write(inner / "pyproject.toml", "[project]\nname = 'pkg'\n")
    assert find_config_file(inner) == tmp_path / "pyproject.toml"


@pytest.mark.parametrize(("text", "expected"), [
    (">=3.10", ((3, 10), None)),
    (">=3.11.0, <3.16", ((3, 11), (3, 16))),
    ("<3.15,>=3.10", ((3, 10), (3, 15))),
    ("<=3.13, >3.8", ((3, 8), (3, 14))),
    ("<3.15.2", (None, (3, 16))),
    ("==3.12.*", ((3, 12), (3, 13))),
    ("~=3.9", ((3, 9), None)),
    (">=3.9,<4", ((3, 9), (4, 0))),
    ("not a specifier", (None, None)),
])
def test_requires_python_bounds(text: str, expected: tuple[object, object]) -> None:
    from asyncheck.core.config import parse_requires_python
    assert parse_requires_python(text) == expected


def test_python_versions_come_from_requires_python_or_target_version(tmp_path: Path) -> None:
    """Advice must fit the oldest Python the project supports (SPEC §1, Trust)."""
    project = write(tmp_path / "pyproject.toml",
                    '[project]\nname = "x"\nrequires-python = ">=3.9, <3.16"\n')
    settings = load_settings(None, known_codes=CATALOG, root=tmp_path)
    assert (settings.target_version, settings.python_below) == ((3, 9), (3, 16))
    write(project, '[project]\nrequires-python = ">=3.9"\n\n'
                   '[tool.asyncheck]\ntarget-version = "py311"\n')
    settings = load_settings(project, known_codes=CATALOG)
    assert (settings.target_version, settings.python_below) == ((3, 11), None)
    write(project, '[tool.asyncheck]\ntarget-version = "3.11"\n')
    with pytest.raises(ConfigError, match="'target-version' must be a version"):
        load_settings(project, known_codes=CATALOG)


@pytest.mark.parametrize(("path", "role"), [
    ("pkg/tests/unit/test_api.py", "test"),
    ("pkg/test_api.py", "test"),
    ("pkg/api_test.py", "test"),
    ("conftest.py", "test"),
    ("pkg/testing/helpers.py", "test"),
    ("pkg/cli/run.py", "script"),
    ("pkg/cli.py", "script"),
    ("pkg/__main__.py", "script"),
    ("tools/scripts/dump.py", "script"),
    ("pkg/contest.py", None),
    ("pkg/testdata_loader.py", None),
    ("pkg/client.py", None),
    ("pkg/clients/http.py", None),
])
def test_file_roles_follow_test_and_script_conventions(tmp_path: Path, path: str, role: str | None) -> None:
    settings = with_overrides(Settings(), root=tmp_path)
    assert settings.role_of(tmp_path / path) == role
    assert settings.role_of(Path(path)) == role


def test_file_roles_only_count_folders_inside_the_project(tmp_path: Path) -> None:
    # A checkout that happens to live under a folder named "tests" is not all test code.
    root = tmp_path / "tests" / "project"
    settings = with_overrides(Settings(), root=root)
    assert settings.role_of(root / "pkg" / "client.py") is None


def test_file_roles_are_configurable(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.asyncheck]\ntest-paths = ["checks/*"]\nscript-paths = []\n')
    settings = load_settings(tmp_path / "pyproject.toml", known_codes=["ACK230"])
    assert settings.role_of(tmp_path / "checks" / "x.py") == "test"
    assert settings.role_of(tmp_path / "tests" / "x.py") is None
    assert settings.role_of(tmp_path / "cli" / "x.py") is None
