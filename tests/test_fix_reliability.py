"""``--fix``, ``--diff`` and ``--output`` never lose a user's byte nor write wrong output:
files changed by another program meanwhile, links, standard input's own bytes, the report
naming a source, interruptions, form feeds, lone carriage returns, missing final newlines."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import RunCli, asyncheck_command

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
SLEEPY_FIXED = "import time\nimport asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"


def run_patched(prelude: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter after ``prelude``, which stands in for what
    happens around asyncheck (an editor saving the file, a signal arriving) at a precise
    moment of the run."""
    code = (textwrap.dedent(prelude)
            + "\nfrom asyncheck.doors.cli import main\n"
            + f"main({['--no-cache', *args]!r})\n")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, check=False, timeout=120)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.name.endswith(".asyncheck-tmp"))


# -- a file another program changes while asyncheck fixes it ----------------------------------
EDITOR_SAVES_DURING_THE_FIX = """
    from pathlib import Path
    import asyncheck.lint.fixer as fixer

    real_fix_source = fixer.fix_source

    def fix_source(*args, **kwargs):
        outcome = real_fix_source(*args, **kwargs)
        # The user's editor saves the file while asyncheck is working on it.
        path = Path(kwargs["path"])
        path.write_text(path.read_text() + "EDITED = True\\n")
        return outcome

    fixer.fix_source = fix_source
"""


def test_fix_keeps_edits_made_after_the_file_was_read(tmp_path: Path) -> None:
    target = tmp_path / "poll.py"
    target.write_text(SLEEPY)
    result = run_patched(EDITOR_SAVES_DURING_THE_FIX, ["--fix", "poll.py"], cwd=tmp_path)
    assert target.read_text() == SLEEPY + "EDITED = True\n"  # the editor's save survives
    assert result.returncode == 2
    assert "cannot write poll.py: it changed after asyncheck read it; not fixed" in result.stderr
    assert "Traceback" not in result.stderr
    assert leftovers(tmp_path) == []


# -- links ------------------------------------------------------------------------------------
def test_fix_through_symbolic_links_fixes_the_target_once_and_keeps_the_links(
        tmp_path: Path, cli: RunCli) -> None:
    target = tmp_path / "poll.py"
    target.write_text(SLEEPY)
    (tmp_path / "alias.py").symlink_to("poll.py")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "again.py").symlink_to("../poll.py")
    result = cli("--fix", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert target.read_text() == SLEEPY_FIXED
    assert os.readlink(tmp_path / "alias.py") == "poll.py"
    assert os.readlink(tmp_path / "sub" / "again.py") == "../poll.py"
    assert "Fixed 1 problem, 0 remaining." in result.stdout
    # A diff names the target, which patch and git apply change (they refuse a link).
    target.write_text(SLEEPY)
    diff = cli("--diff", "alias.py", cwd=tmp_path)
    assert diff.stdout.startswith("--- a/poll.py\n+++ b/poll.py\n"), diff.stdout
    # Named only through the link: the target is fixed, the link stays.
    target.write_text(SLEEPY)
    result = cli("--fix", "alias.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "alias.py").is_symlink() and target.read_text() == SLEEPY_FIXED


def test_fix_keeps_hard_links(tmp_path: Path, cli: RunCli) -> None:
    target = tmp_path / "poll.py"
    target.write_text(SLEEPY)
    os.link(target, tmp_path / "twin.py")
    result = cli("--fix", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Fixed 1 problem, 0 remaining." in result.stdout  # one file, fixed once
    assert target.read_text() == SLEEPY_FIXED
    assert os.path.samefile(target, tmp_path / "twin.py")  # still one file with two names
    assert leftovers(tmp_path) == []


# -- standard input ---------------------------------------------------------------------------
def fix_stdin(data: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*asyncheck_command(), "--fix", "--no-cache", *args, "-"],
                          input=data, capture_output=True, check=False, timeout=120)


def test_fix_of_standard_input_answers_in_the_input_encoding() -> None:
    latin = (b"# -*- coding: latin-1 -*-\nimport time\n\n\nasync def caf\xe9():\n"
             b"    time.sleep(1)  # d\xe9j\xe0 vu\n")
    result = fix_stdin(latin)
    assert result.stdout == (b"# -*- coding: latin-1 -*-\nimport time\nimport asyncio\n\n\n"
                             b"async def caf\xe9():\n    await asyncio.sleep(1)  # d\xe9j\xe0 vu\n")
    bom = b"\xef\xbb\xbfimport time\r\n\r\n\r\nasync def f():\r\n    time.sleep(1)\r\n"
    assert fix_stdin(bom).stdout == (b"\xef\xbb\xbfimport time\r\nimport asyncio\r\n\r\n\r\n"
                                     b"async def f():\r\n    await asyncio.sleep(1)\r\n")


def test_fix_of_standard_input_with_nothing_to_fix_answers_the_same_bytes() -> None:
    for data in (b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n",
                 b"name = '\xff\xfe not UTF-8'\n",
                 b"\xef\xbb\xbfname = 'x'\n",
                 b"import time\n\nasync def f(log):\n    log(time.sleep(1))\n"):
        assert fix_stdin(data).stdout == data


# -- the report must not overwrite a source ---------------------------------------------------
def test_output_naming_an_input_is_refused(tmp_path: Path, cli: RunCli) -> None:
    target = tmp_path / "poll.py"
    target.write_text(SLEEPY)
    (tmp_path / "pkg").mkdir()
    inside = tmp_path / "pkg" / "mod.py"
    inside.write_text(SLEEPY)
    os.link(target, tmp_path / "twin.py")
    for args in (["poll.py", "-o", "poll.py"], ["./poll.py", "-o", str(target)],
                 ["twin.py", "-o", "poll.py"], [".", "-o", "pkg/mod.py"],
                 ["--fix", "pkg", "-o", "pkg/mod.py"],
                 ["-", "--stdin-filename", "poll.py", "-o", "poll.py"]):
        result = cli(*args, cwd=tmp_path, input=SLEEPY)
        assert result.returncode == 2, args
        assert "is one of the files to check" in result.stderr, args
        assert target.read_text() == SLEEPY and inside.read_text() == SLEEPY, args
    # A report next to the sources is fine.
    assert cli(".", "-o", "report.txt", cwd=tmp_path).returncode == 1
    assert "poll.py:5:5: ACK200" in (tmp_path / "report.txt").read_text()


def test_output_naming_the_configuration_or_the_baseline_is_refused(tmp_path: Path,
                                                                    cli: RunCli) -> None:
    (tmp_path / "poll.py").write_text(SLEEPY)
    config = "[tool.asyncheck]\nbaseline = \"accepted.json\"\n"
    (tmp_path / "pyproject.toml").write_text(config)
    assert cli(".", "--write-baseline", "accepted.json", cwd=tmp_path).returncode == 0
    accepted = (tmp_path / "accepted.json").read_bytes()
    for args in ([".", "-o", "pyproject.toml"], [".", "-o", "accepted.json"],
                 [".", "--write-baseline", "pyproject.toml"],
                 [".", "--write-baseline", "new.json", "-o", "new.json"]):
        result = cli(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert (tmp_path / "pyproject.toml").read_text() == config, args
        assert (tmp_path / "accepted.json").read_bytes() == accepted, args


# -- interruptions ----------------------------------------------------------------------------
def signal_during_the_write(signame: str) -> str:
    return f"""
        import os, signal
        # A run started in the background inherits SIGINT ignored; Ctrl-C reaches a
        # foreground run, whose Python turns it into KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        real_fsync = os.fsync
        def fsync(fd):
            # Ctrl-C or CI cancellation while the fixed file is being written.
            os.kill(os.getpid(), signal.{signame})
            return real_fsync(fd)
        os.fsync = fsync
    """


def test_interrupted_fix_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "poll.py"
    for signame, code in (("SIGINT", 130), ("SIGTERM", -signal.SIGTERM)):
        target.write_text(SLEEPY)
        result = run_patched(signal_during_the_write(signame), ["--fix", "poll.py"], cwd=tmp_path)
        assert result.returncode == code, (signame, result.stderr)
        assert leftovers(tmp_path) == [], signame
        assert target.read_text() in (SLEEPY, SLEEPY_FIXED), signame
        assert "Traceback" not in result.stderr


def test_fix_that_fails_unexpectedly_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "poll.py"
    target.write_text(SLEEPY)
    breaks_rename = """
        import os
        def replace(*args, **kwargs):
            raise RuntimeError("renaming went wrong")
        os.replace = replace
    """
    result = run_patched(breaks_rename, ["--fix", "poll.py"], cwd=tmp_path)
    assert result.returncode == 2
    assert "internal error: RuntimeError: renaming went wrong" in result.stderr
    assert target.read_text() == SLEEPY
    assert leftovers(tmp_path) == []


# -- what the fix and the diff contain --------------------------------------------------------
def test_form_feed_does_not_stop_the_fixes(tmp_path: Path, cli: RunCli) -> None:
    target = tmp_path / "paged.py"
    source = "import time\n\x0c\n\nasync def poll():\n    time.sleep(1)  # \x0c page\n"
    target.write_text(source)
    diff = cli("--diff", "paged.py", cwd=tmp_path)
    assert diff.returncode == 1, diff.stderr
    assert "+    await asyncio.sleep(1)  # \x0c page\n" in diff.stdout
    result = cli("--fix", "paged.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert target.read_text() == ("import time\nimport asyncio\n\x0c\n\nasync def poll():\n"
                                  "    await asyncio.sleep(1)  # \x0c page\n")


def test_lone_carriage_returns_are_kept(tmp_path: Path, cli: RunCli) -> None:
    last = tmp_path / "last.py"
    last.write_bytes(b"import time\r\r\rasync def poll():\r    time.sleep(1)\r")
    middle = tmp_path / "middle.py"
    middle.write_bytes(b"import time\r\r\rasync def poll():\r    time.sleep(1)\r    return 1\r")
    result = cli("--fix", "last.py", "middle.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert last.read_bytes() == (b"import time\rimport asyncio\r\r\rasync def poll():\r"
                                 b"    await asyncio.sleep(1)\r")
    assert middle.read_bytes() == (b"import time\rimport asyncio\r\r\rasync def poll():\r"
                                   b"    await asyncio.sleep(1)\r    return 1\r")


def test_diffs_apply_with_git(tmp_path: Path, cli: RunCli) -> None:
    sources = {
        "no_newline.py": b"import time\n\n\nasync def poll():\n    time.sleep(1)",
        "crlf.py": b"import time\r\n\r\n\r\nasync def poll():\r\n    time.sleep(1)\r\n",
        "lone_cr.py": b"import time\r\r\rasync def poll():\r    time.sleep(1)\r",
        "paged.py": b"import time\n\x0c\nasync def poll():\n    time.sleep(1)\n\x0c",
    }
    for name, data in sources.items():
        (tmp_path / name).write_bytes(data)
    diff = subprocess.run([*asyncheck_command(), "--no-cache", "--diff", *sources],
                          cwd=tmp_path, capture_output=True, check=False, timeout=120)
    assert diff.returncode == 1, diff.stderr
    assert b"-    time.sleep(1)\n\\ No newline at end of file\n" in diff.stdout
    (tmp_path / "fixes.patch").write_bytes(diff.stdout)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    check = subprocess.run(["git", "apply", "--check", "fixes.patch"], cwd=tmp_path,
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    subprocess.run(["git", "apply", "fixes.patch"], cwd=tmp_path, check=True)
    patched = {name: (tmp_path / name).read_bytes() for name in sources}
    for name, data in sources.items():
        (tmp_path / name).write_bytes(data)
    assert cli("--fix", *sources, cwd=tmp_path).returncode == 0
    assert patched == {name: (tmp_path / name).read_bytes() for name in sources}
