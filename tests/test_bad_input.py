"""Hostile and broken input: never a crash or traceback, and other files' findings survive.

Each case is linted next to a good file with a known finding, through the installed CLI.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import RunCli

GOOD = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
GOOD_FINDING = ("good.py", 5, "ACK200")


def deep_blocks(depth: int) -> bytes:
    lines = ["async def f(x):"]
    lines += ["    " * (i + 1) + "if x:" for i in range(depth)]
    lines.append("    " * (depth + 1) + "pass")
    return ("\n".join(lines) + "\n").encode()


#: Inputs on which libcst's native parser crashes the process or takes minutes, with the
#: line of their ACK000 and a fragment of its reason.
PARSER_CRASHERS: dict[str, tuple[bytes, int, str]] = {
    "nested_brackets.py": (b"x = " + b"(" * 10_000 + b"1" + b")" * 10_000 + b"\n", 1,
                           "too many nested parentheses"),
    "long_sum.py": (b"x = " + b" + ".join([b"a"] * 20_000) + b"\n", 1, "nested too deeply"),
    # Valid Python (CPython keeps `and` operands in a list; libcst nests them).
    "long_and.py": (b"import asyncio\nx = " + b" and ".join([b"a"] * 10_000) + b"\n", 2,
                    "nested too deeply"),
    "long_elif.py": (b"if a:\n    pass\n" + b"elif a:\n    pass\n" * 10_000, 1,
                     "nested too deeply"),
    "long_attribute.py": (b"x = a" + b".b" * 50_000 + b"\n", 1, "nested too deeply"),
    "long_await_sum.py": (b"async def f():\n    return " + b" + ".join([b"await g()"] * 20_000)
                          + b"\n", 1, "nested too deeply"),
}

#: The inputs flake8 itself cannot take (its own ``ast.parse`` raises and flake8 dies), or
#: takes long over (its per-token checks of 50,000 lines).
FLAKE8_GIVES_UP = {"long_sum.py", "long_elif.py", "long_attribute.py", "long_await_sum.py",
                   "long_string_run.py"}

# name -> (bytes, the diagnostics expected for that file as (line, code, message fragment))
CASES: dict[str, tuple[bytes, list[tuple[int, str, str]]]] = {
    "syntax_error.py": (b"async def f(:\n    pass\n", [(1, "ACK000", "syntax error")]),
    "libcst_rejects.py": (b"(x): int = 1\n", [(1, "ACK000", "cannot parse")]),
    "undecodable.py": (b"x = '\xff\xfe'\n", [(1, "ACK000", "cannot decode as utf-8")]),
    "wrong_cookie.py": (b"# -*- coding: utf-8 -*-\nname = 'caf\xe9'\n",
                        [(2, "ACK000", "cannot decode")]),
    "unknown_cookie.py": (b"# coding: klingon\nx = 1\n", [(1, "ACK000", "unknown encoding")]),
    "latin1_cookie.py": (b"# -*- coding: latin-1 -*-\nimport time\n\n\nasync def f():\n"
                         b"    time.sleep(1)  # caf\xe9\n", [(6, "ACK200", "time.sleep")]),
    "bom.py": (b"\xef\xbb\xbfimport time\n\n\nasync def f():\n    time.sleep(1)\n",
               [(5, "ACK200", "time.sleep")]),
    "crlf.py": (b"import time\r\n\r\n\r\nasync def f():\r\n    time.sleep(1)  # noqa: ACK101\r\n",
                [(5, "ACK200", "time.sleep")]),
    "lone_cr.py": (b"import time\r\rasync def f():\r    time.sleep(1)\r", [(4, "ACK200", "time.sleep")]),
    "nul_byte.py": (b"x = 1\ny = 2\x00\n", [(2, "ACK000", "NUL byte")]),
    "python2.py": (b'print "hello"\nexec "x = 1"\n', [(1, "ACK000", "Missing parentheses")]),
    "empty.py": (b"", []),
    "only_comments.py": (b"# nothing here\n# at all\n", []),
    # Not Python (CPython stops at 200 brackets), and deeper nesting crashed libcst's parser:
    # CPython's error, without handing it to libcst.
    "deep_parens.py": (b"x = " + b"(" * 1000 + b"1" + b")" * 1000 + b"\n",
                       [(1, "ACK000", "too many nested parentheses")]),
    # ~1,200 implicitly concatenated strings (pydoc's topics.py has such a chain): real code.
    "long_string_chain.py": (b"x = (\n" + b"".join(b'    "line %d\\n"\n' % i for i in range(1200))
                             + b")\nimport time\n\n\nasync def f():\n    time.sleep(1)\n",
                             [(1207, "ACK200", "time.sleep")]),
    "deep_lists.py": (b"x = " + b"[" * 1000 + b"]" * 1000 + b"\n",
                      [(1, "ACK000", "too many nested parentheses")]),
    "deep_blocks.py": (deep_blocks(150), [(101, "ACK000", "too many levels of indentation")]),
    "huge.py": (b"async def handler(request):\n    return await request.json()\n\n\n" * 160_000,
                [(1, "ACK000", "too large")]),
    # libcst's native parser overflowed its stack on these (SIGSEGV: the whole run died
    # silently) or took minutes; each gets ACK000 in seconds and the run goes on.
    **{name: (data, [(line, "ACK000", reason)])
       for name, (data, line, reason) in PARSER_CRASHERS.items()},
    # 50,000 implicitly concatenated strings: valid Python libcst rejects; analysed.
    "long_string_run.py": (b"x = (\n" + b'    "a"  # part\n' * 50_000
                           + b")\nimport time\n\n\nasync def f():\n    time.sleep(1)\n",
                           [(50_007, "ACK200", "time.sleep")]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_file_is_reported_and_the_run_goes_on(tmp_path: Path, cli: RunCli, name: str) -> None:
    data, expected = CASES[name]
    (tmp_path / name).write_bytes(data)
    (tmp_path / "good.py").write_text(GOOD)
    result = cli("--format", "json", ".", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)
    assert (GOOD_FINDING in [(f["path"], f["line"], f["code"]) for f in findings])
    mine = [f for f in findings if f["path"] == name]
    assert [(f["line"], f["code"]) for f in mine] == [(line, code) for line, code, _ in expected]
    for finding, (_, _, fragment) in zip(mine, expected):
        assert fragment in finding["message"]


def make_fifo_or_socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))


SPECIAL: dict[str, Callable[[Path], None]] = {
    "dangling_link.py": lambda p: os.symlink(p.parent / "gone.py", p),
    "loop_link.py": lambda p: os.symlink(p, p),
    "socket.py": make_fifo_or_socket,
}


@pytest.mark.parametrize("name", list(SPECIAL))
def test_unusable_path_named_on_the_command_line(tmp_path: Path, cli: RunCli, name: str) -> None:
    SPECIAL[name](tmp_path / name)
    (tmp_path / "good.py").write_text(GOOD)
    result = cli(name, "good.py", cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"asyncheck: {name}: ")
    assert "good.py:5:5: ACK200" in result.stdout


def test_unusable_entries_inside_a_walked_tree_are_skipped(tmp_path: Path, cli: RunCli) -> None:
    for name, make in SPECIAL.items():
        make(tmp_path / name)
    (tmp_path / "package.py").mkdir()  # a directory named like a module
    (tmp_path / "package.py" / "inner.py").write_text(GOOD)
    (tmp_path / "good.py").write_text(GOOD)
    result = cli("--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr == ""
    assert sorted(f["path"] for f in json.loads(result.stdout)) == ["good.py", "package.py/inner.py"]


def test_unreadable_file(tmp_path: Path, cli: RunCli) -> None:
    target = tmp_path / "secret.py"
    target.write_text(GOOD)
    target.chmod(0)
    (tmp_path / "good.py").write_text(GOOD)
    try:
        result = cli("secret.py", "good.py", cwd=tmp_path)
        if os.access(target, os.R_OK):  # root reads anything: then it is simply linted
            assert result.returncode == 1 and "secret.py:5:5: ACK200" in result.stdout
        else:
            assert result.returncode == 2
            assert result.stderr.strip().startswith("asyncheck: cannot read secret.py")
            assert "good.py:5:5: ACK200" in result.stdout
    finally:
        target.chmod(0o644)


def test_analysed_code_is_never_imported_or_run(tmp_path: Path, cli: RunCli) -> None:
    marker = tmp_path / "marker"
    payload = (f"open({str(marker)!r}, 'w').write('ran')\n"
               "import time\n\n\nasync def f():\n    time.sleep(1)\n")
    (tmp_path / "evil.py").write_text(payload)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text(payload)
    (tmp_path / "conftest.py").write_text(payload)
    (tmp_path / "setup.py").write_text(payload)
    result = cli(".", cwd=tmp_path)
    assert result.returncode == 1
    assert not marker.exists()


def test_the_whole_bad_input_set_through_the_flake8_plugin(tmp_path: Path) -> None:
    """Same hostile tree through flake8: it finishes, no traceback, the good file's finding
    is there, and every file asyncheck can read is either linted or reported."""
    from test_flake8_plugin import flake8, flake8_findings

    for name, (data, _) in CASES.items():
        # flake8 itself takes minutes on 10 MB (the engine limit is tested above), and dies
        # on the chains its own `ast.parse` gives up on (RecursionError, MemoryError).
        if name != "huge.py" and name not in FLAKE8_GIVES_UP:
            (tmp_path / name).write_bytes(data)
    (tmp_path / "good.py").write_text(GOOD)
    result = flake8("--isolated", "--select", "ACK,E999", ".", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1
    found = {(Path(path).name, line, code)
             for path, line, _, code in flake8_findings(result.stdout, tmp_path)}
    assert ("good.py", 5, "ACK200") in found
    assert ("libcst_rejects.py", 1, "ACK000") in found
    assert ("latin1_cookie.py", 6, "ACK200") in found
    assert ("long_string_chain.py", 1207, "ACK200") in found
    # Valid Python that crashed libcst's parser, and with it flake8's process.
    assert ("long_and.py", 2, "ACK000") in found
