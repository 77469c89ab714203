"""Inputs at the limits of libcst's parser: expressions too deep for it (refused before it
sees them, in every kind of run), and large or unusual valid files (analysed, with the
findings a parse of the whole file gives)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from conftest import ROOT, RunCli
from test_bad_input import GOOD, PARSER_CRASHERS

from asyncheck.core.source import SourceError
from asyncheck.syntax import parse
from asyncheck.syntax.parse import parse_text

SOURCES = sorted((ROOT / "fixtures").rglob("*.py")) + sorted((ROOT / "src").rglob("*.py"))


def findings_of(result: subprocess.CompletedProcess[str]) -> list[tuple[str, int, int, str]]:
    assert "Traceback" not in result.stderr, result.stderr
    return sorted((f["path"], f["line"], f["column"], f["code"]) for f in json.loads(result.stdout))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_parser_crashers_in_a_run_of_many_files(tmp_path: Path, cli: RunCli, jobs: str) -> None:
    # Enough files for the pool (--jobs 2) or the in-process run of a large run (--jobs 1):
    # each crasher gets ACK000, every other file its findings.
    for number in range(24):
        (tmp_path / f"good_{number}.py").write_text(GOOD)
    for name, (data, _, _) in PARSER_CRASHERS.items():
        (tmp_path / name).write_bytes(data)
    result = cli("--no-cache", "--jobs", jobs, "--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    found = findings_of(result)
    assert [f for f in found if f[0].startswith("good_")] == sorted(
        (f"good_{number}.py", 5, 5, "ACK200") for number in range(24))
    assert [(path, line, code) for path, line, _, code in found
            if not path.startswith("good_")] == sorted(
        (name, line, "ACK000") for name, (_, line, _) in PARSER_CRASHERS.items())


def string_run(parts: int) -> str:
    """An ``async def`` whose statement joins ``parts`` string literals on as many lines,
    with a blocking call after them on the last line."""
    lines = ["import time", "", "", "async def f():", '    x = ("start"  # the first']
    lines += ['         "part"'] * (parts - 2)
    lines.append('         "end"); time.sleep(1)')
    return "\n".join(lines) + "\n"


def test_a_long_run_of_strings_is_analysed_without_fixes(tmp_path: Path, cli: RunCli) -> None:
    # libcst rejects 4,000 or more implicitly concatenated strings: the run is stood in for,
    # the finding after it on the same line keeps its column, and no fix is offered (a fix
    # would write the stand-in back).
    text = string_run(50_000)
    target = tmp_path / "strings.py"
    target.write_text(text)
    result = cli("--no-cache", "--format", "json", "strings.py", cwd=tmp_path)
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)
    assert (finding["code"], finding["line"], finding["column"]) == (
        "ACK200", 50_004, len('         "end"); ') + 1)
    assert finding["fix"] is None
    fixed = cli("--no-cache", "--fix", "strings.py", cwd=tmp_path)
    assert fixed.returncode == 1 and "Traceback" not in fixed.stderr
    assert target.read_text() == text


def test_a_shorter_run_of_strings_keeps_its_fix(tmp_path: Path, cli: RunCli) -> None:
    (tmp_path / "strings.py").write_text(string_run(2_000))
    result = cli("--no-cache", "--format", "json", "strings.py", cwd=tmp_path)
    [finding] = json.loads(result.stdout)
    assert finding["line"] == 2_004 and finding["fix"] is not None


def generated_module(classes: int, doc_lines: int) -> str:
    """A generated module of many small classes (as Telegram clients ship), with a blocking
    call in the first and the last one."""
    doc = "    Generated from the schema; see the layer's documentation for the details.\n"
    parts = ['"""Generated module: do not edit."""\nimport struct\nimport time\n']
    for number in range(classes):
        call = "time.sleep(1)" if number in (1, classes - 1) else "await client(self)"
        parts.append(
            f"\n\nclass Request{number}:\n    \"\"\"\n{doc * doc_lines}    \"\"\"\n"
            f"    ID = 0x{number:08x}\n\n"
            f"    async def resolve(self, client):\n        {call}\n\n"
            f"    def _bytes(self):\n        return b''.join((struct.pack('<i', self.ID),))\n")
    return "".join(parts)


def test_a_generated_module_over_two_megabytes_is_analysed(tmp_path: Path, cli: RunCli) -> None:
    # It used to be refused as too large (the limit was 2 MB; the parser's memory was the
    # reason): it is parsed a group of statements at a time now.
    text = generated_module(900, 30)
    assert 2_200_000 < len(text) < 2_900_000
    (tmp_path / "generated.py").write_text(text)
    result = cli("--no-cache", "--format", "json", "generated.py", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = text.splitlines()
    expected = [index + 1 for index, line in enumerate(lines) if "time.sleep(1)" in line]
    assert findings_of(result) == [("generated.py", line, 9, "ACK200") for line in expected]


def test_a_large_file_is_linted_in_bounded_memory(tmp_path: Path) -> None:
    # A whole-file parse needed ~450 bytes of memory per byte of source while it worked
    # (a 1.9 MB file took gigabytes); a group of statements at a time, a fraction of that.
    text = generated_module(1100, 0)
    assert len(text) > 200_000
    (tmp_path / "generated.py").write_text(text)
    (tmp_path / "small.py").write_text(GOOD)
    code = textwrap.dedent("""\
        import resource
        from click.testing import CliRunner
        from asyncheck.doors.cli import main
        def peak():
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        warm = CliRunner().invoke(main, ["--no-cache", "-q", "small.py"])
        before = peak()
        result = CliRunner().invoke(main, ["--no-cache", "-q", "generated.py"])
        print(warm.exit_code, result.exit_code, before, peak())
        """)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True, timeout=300)
    warm, linted, before, after = (int(word) for word in out.stdout.split())
    assert (warm, linted) == (1, 1)
    grown = (after - before) * 1024  # ru_maxrss is in kilobytes
    assert grown < 250 * len(text), f"{grown / len(text):.0f} bytes per byte of source"
    print(f"{grown / len(text):.0f} bytes per byte of source")


TRICKY = (
    "#!/usr/bin/env python\n# header comment\n\n"
    '"""Docstring."""\n'
    "import os; import sys\n"
    "@decorator\n# between decorators\n@other(1,\n  2)\ndef f(a,\n      b):\n"
    "\tif a:\n\t\treturn b\n\t# indented trailing comment\n\n# column-0 comment\n\n"
    "x = [1,\n2,\n3]\n"
    "if x:\n    pass\nelif y:\n    pass\nelse:\n    pass\n"
    "try:\n  pass\nexcept ValueError:\n  pass\nfinally:\n  pass\n"
    "y = 1 + \\\n    2\n"
    "s = '''\nclass NotAStatement:\n    pass\n'''\n"
    "match x:\n    case 1:\n        pass\n"
    "class C:\n    async def m(self):\n        await g()\n\n\n"
    "\x0cz = 3\n"
    "last = 4  # no final newline"
)


def segmented(text: str, monkeypatch: pytest.MonkeyPatch, size: int = 1) -> parse.Parsed:
    """Parse ``text`` a statement or so at a time."""
    monkeypatch.setattr(parse, "SEGMENT_ABOVE", 0)
    monkeypatch.setattr(parse, "SEGMENT_CHARS", size)
    return parse_text(text)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_parsing_in_groups_of_statements_gives_the_whole_files_tree(
        monkeypatch: pytest.MonkeyPatch, newline: str) -> None:
    text = TRICKY.replace("\n", newline)
    parsed = segmented(text, monkeypatch)
    whole = cst.parse_module(text)
    assert not parsed.stands_in and parsed.code == text
    assert parsed.module.code == whole.code  # libcst drops the form feed either way
    assert parsed.module.deep_equals(whole)


@pytest.mark.parametrize("text", [
    # libcst drops blank lines before an indented line at the end of a text (not in the
    # middle): no group may end there.
    "x = 1\n\n\n   # indented comment at the top level\n\ny = 2\n",
    "def f():\n    pass\n\n\n        # deeper\n    # body\n\n# top\ny = 2\n",
    "x = 1\n   \n\t\ny = 2   ",
])
def test_groups_never_end_with_an_indented_blank_or_comment_line(
        monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    parsed = segmented(text, monkeypatch)
    whole = cst.parse_module(text)
    assert parsed.module.code == text == whole.code
    assert parsed.module.deep_equals(whole)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_groups_of_statements_give_the_whole_files_tree_on_real_code(
        monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        whole = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return  # the ACK000 fixtures
    parsed = segmented(text, monkeypatch, size=2_000)
    assert parsed.module.code == text
    assert parsed.module.deep_equals(whole)


@pytest.mark.parametrize(("error", "message"), [
    ("def broken(:\n    pass\n", "syntax error: invalid syntax"),
    ("(x): int = 1\n", "cannot parse"),
])
def test_an_error_in_a_later_group_is_placed_in_the_file(
        monkeypatch: pytest.MonkeyPatch, error: str, message: str) -> None:
    text = "import os\n\n\ndef f():\n    pass\n\n\n" + error + "y = 2\n"
    with pytest.raises(SourceError) as raised:
        segmented(text, monkeypatch)
    assert raised.value.reason.startswith(message)
    assert raised.value.line == 8


def test_a_stood_in_run_in_a_later_group(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "import os\n\n\n" + string_run(5_000)
    parsed = segmented(text, monkeypatch)
    assert parsed.stands_in and len(parsed.code) == len(text)
    assert parsed.module.code == parsed.code
    # One string literal, spanning the same lines and columns.
    last = parsed.code.splitlines()[-1]
    assert last == " " * 11 + '"""); time.sleep(1)' and len(last) == len(text.splitlines()[-1])
    assert parsed.module.code.count('"""') == 2


def test_a_top_level_statement_too_large_to_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "MAX_STATEMENT_CHARS", 1_000)
    text = "import os\n\nTABLE = {\n" + "    'key': 'value',\n" * 100 + "}\nx = 1\n"
    with pytest.raises(SourceError) as raised:
        parse_text(text)
    assert raised.value.reason.startswith("too large to analyse: a statement of")
    assert raised.value.line == 3


def test_a_run_of_strings_on_one_line_is_stood_in_for() -> None:
    text = "async def f():\n    x = " + " ".join(['"a"'] * 5_000) + "; g()\n"
    parsed = parse_text(text)
    assert parsed.stands_in and parsed.module.code == parsed.code
    assert parsed.code.splitlines()[1] == "    x = " + '"""'.ljust(5_000 * 4 - 4) + '"""; g()'
