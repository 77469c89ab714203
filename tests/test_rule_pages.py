"""The generated rule pages are current, and SARIF, ``--explain`` and the README link them."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, RunCli

from asyncheck.app.registry import all_rules
from asyncheck.core.catalog import rule_page_url
from asyncheck.doors.rule_pages import DEFAULT_DIRECTORY, main, pages


def test_pages_are_up_to_date() -> None:
    assert DEFAULT_DIRECTORY == ROOT / "docs" / "rules"
    wanted = pages()
    assert set(wanted) == {f"{code}.md" for code in all_rules()} | {"README.md"}
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in DEFAULT_DIRECTORY.glob("*.md")}
    stale = sorted(name for name in wanted if on_disk.get(name) != wanted[name])
    extra = sorted(set(on_disk) - set(wanted))
    assert not stale and not extra, (
        f"stale {stale}, extra {extra}: run `python -m asyncheck.doors.rule_pages`")


def test_a_page_holds_the_rules_documentation() -> None:
    rule = all_rules()["ACK200"]
    text = (DEFAULT_DIRECTORY / "ACK200.md").read_text(encoding="utf-8")
    assert text.splitlines()[2] == "# ACK200: blocking-sleep"
    assert rule.documentation().strip() in text
    assert "| fix | yes, with `--fix` |" in text


def test_check_mode_finds_a_stale_or_extra_page(tmp_path: Path) -> None:
    assert main(["--directory", str(tmp_path)]) == 0
    assert main(["--directory", str(tmp_path), "--check"]) == 0
    (tmp_path / "ACK200.md").write_text("edited by hand\n")
    assert main(["--directory", str(tmp_path), "--check"]) == 1
    main(["--directory", str(tmp_path)])
    (tmp_path / "ACK999.md").write_text("")
    assert main(["--directory", str(tmp_path), "--check"]) == 1
    main(["--directory", str(tmp_path)])
    assert not (tmp_path / "ACK999.md").exists()


def test_sarif_explain_and_readme_link_the_pages(tmp_path: Path, cli: RunCli) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "a.py").write_text("x = 1\n")
    sarif = json.loads(cli("--format", "sarif", "--no-cache", ".", cwd=tmp_path).stdout)
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert all(r["helpUri"] == rule_page_url(r["id"]) for r in rules)
    assert rule_page_url("ACK200").endswith("/docs/rules/ACK200.md")
    assert rule_page_url("ACK200").startswith("https://")
    explain = cli("--explain", "ACK200")
    assert explain.stdout.rstrip().endswith(f"Documentation: {rule_page_url('ACK200')}")
    explained = json.loads(cli("--explain", "ACK200", "--format", "json").stdout)
    assert explained["url"] == rule_page_url("ACK200")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in all_rules():
        assert f"[{code}](docs/rules/{code}.md)" in readme
