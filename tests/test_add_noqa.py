"""``--add-noqa``: every finding commented away, every other byte kept, idempotent."""

from __future__ import annotations

from pathlib import Path

from conftest import RunCli

SOURCE = (
    b"import time\n"
    b"import asyncio\n"
    b"\n"
    b"async def f():\n"
    b"    time.sleep(1)  # keep me\n"
    b"    x = (\n"
    b"        time.sleep(2))\n"
    b"    asyncio.get_event_loop()  # noqa: E501\n"
    b"    y = '''abc\n"
    b"%s''' % time.sleep(3)\n"
    b"    z = 1 + \\\n"
    b"        time.sleep(4)\n"
    b"    print('# noqa: E501', time.sleep(5))\n"
)

EXPECTED = (
    b"import time\n"
    b"import asyncio\n"
    b"\n"
    b"async def f():\n"
    b"    time.sleep(1)  # keep me  # noqa: ACK200\n"
    b"    x = (\n"
    b"        time.sleep(2))  # noqa: ACK200\n"
    b"    asyncio.get_event_loop()  # noqa: E501, ACK401\n"
    b"    y = '''abc\n"
    b"%s''' % time.sleep(3)  # noqa: ACK200\n"
    b"    z = 1 + \\\n"
    b"        time.sleep(4)  # noqa: ACK200\n"
    b"    print('# noqa: E501', time.sleep(5))  # noqa: ACK200\n"
)


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    return tmp_path


def test_add_noqa_then_a_plain_run_reports_nothing(tmp_path: Path, cli: RunCli) -> None:
    target = _project(tmp_path) / "a.py"
    target.write_bytes(SOURCE)
    before = cli("--no-cache", ".", cwd=tmp_path)
    assert before.returncode == 1 and "ACK200" in before.stdout
    added = cli("--no-cache", "--add-noqa", ".", cwd=tmp_path)
    assert added.returncode == 0, added.stdout + added.stderr
    assert "Added 6 noqa comments." in added.stderr
    assert target.read_bytes() == EXPECTED
    after = cli("--no-cache", ".", cwd=tmp_path)
    assert after.returncode == 0, after.stdout
    again = cli("--no-cache", "--add-noqa", ".", cwd=tmp_path)
    assert "Added 0 noqa comments." in again.stderr
    assert target.read_bytes() == EXPECTED


def test_add_noqa_keeps_crlf_bom_and_latin1(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\r\nimport time\r\n\r\nasync def caf\xe9():\r\n"
                      b"    time.sleep(1)  # d\xe9j\xe0 vu\r\n")
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfimport time\n\nasync def f():\n    time.sleep(1)")
    result = cli("--no-cache", "--add-noqa", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert latin.read_bytes() == (
        b"# -*- coding: latin-1 -*-\r\nimport time\r\n\r\nasync def caf\xe9():\r\n"
        b"    time.sleep(1)  # d\xe9j\xe0 vu  # noqa: ACK200\r\n")
    assert bom.read_bytes() == (b"\xef\xbb\xbfimport time\n\nasync def f():\n"
                                b"    time.sleep(1)  # noqa: ACK200")


def test_add_noqa_leaves_unparsable_files_alone(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    broken = tmp_path / "broken.py"
    data = b"import time\nasync def f():\n    time.sleep(1)\n    x = (\n"
    broken.write_bytes(data)
    result = cli("--no-cache", "--add-noqa", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert "ACK000" in result.stdout
    assert "Added 0 noqa comments." in result.stderr
    assert broken.read_bytes() == data


def test_add_noqa_refuses_stdin_and_fix(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    stdin = cli("--add-noqa", "-", cwd=tmp_path, input="import time\n")
    assert stdin.returncode == 2 and "standard input" in stdin.stderr
    both = cli("--add-noqa", "--fix", ".", cwd=tmp_path)
    assert both.returncode == 2 and "cannot be combined" in both.stderr
    assert "Traceback" not in stdin.stderr + both.stderr


def test_add_noqa_through_the_process_pool(tmp_path: Path, cli: RunCli) -> None:
    _project(tmp_path)
    for number in range(30):
        (tmp_path / f"m{number}.py").write_bytes(SOURCE)
    added = cli("--no-cache", "--jobs", "2", "--add-noqa", ".", cwd=tmp_path)
    assert "Added 180 noqa comments." in added.stderr, added.stderr
    assert all((tmp_path / f"m{n}.py").read_bytes() == EXPECTED for n in range(30))
    assert cli("--no-cache", "--jobs", "2", ".", cwd=tmp_path).returncode == 0
