"""The bundled fixtures: every finding is annotated inline, and nothing else is reported.

An annotation is a trailing ``# expect: ACK200`` (several codes separated by commas) on the
line a finding is reported at.  All rules run, the off-by-default ones too.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from asyncheck.core.config import Settings
from conftest import RunCli
from asyncheck.app.registry import all_rules
from asyncheck.app.runner import run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
_EXPECT_RE = re.compile(r"#.*?\bexpect: *(ACK\d{3}(?: *, *ACK\d{3})*)")


def expected_findings(root: Path) -> Counter[tuple[str, int, str]]:
    """(path, line, code) annotated in the fixture files, for codes of existing rules."""
    known = set(all_rules())
    expected: Counter[tuple[str, int, str]] = Counter()
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            match = _EXPECT_RE.search(line)
            if match:
                for code in re.split(r" *, *", match.group(1)):
                    if code in known:
                        expected[(path.relative_to(root).as_posix(), number, code)] += 1
    return expected


def test_fixture_findings_match_annotations() -> None:
    result = run([str(FIXTURES)], Settings(select=("ALL",)))
    found: Counter[tuple[str, int, str]] = Counter(
        (Path(d.path).resolve().relative_to(FIXTURES).as_posix(), d.line, d.code)
        for d in result.diagnostics
    )
    expected = expected_findings(FIXTURES)
    missing = sorted((expected - found).elements())
    unexpected = sorted((found - expected).elements())
    messages = {(Path(d.path).resolve().relative_to(FIXTURES).as_posix(), d.line, d.code): d.message
                for d in result.diagnostics}
    assert not missing and not unexpected, (
        f"missing: {missing}\nunexpected: "
        + "\n".join(f"{u}: {messages.get(u)}" for u in unexpected))
    assert result.files_checked == len(list(FIXTURES.rglob("*.py")))
    assert not result.errors


def test_installed_script_on_fixtures_matches_annotations(cli: RunCli) -> None:
    import json

    result = cli("--no-cache", "--select", "ALL", "--format", "json", "fixtures", cwd=FIXTURES.parent)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    found: Counter[tuple[str, int, str]] = Counter(
        (Path(f["path"]).relative_to("fixtures").as_posix(), f["line"], f["code"])
        for f in json.loads(result.stdout))
    assert found == expected_findings(FIXTURES)
