"""ACK220 blocking-subprocess."""

from __future__ import annotations

from asyncheck.lint import BlockingCallRule, Invalid, Valid


class BlockingSubprocess(BlockingCallRule):
    """
    ## What it does
    Reports process calls made directly inside an `async def`: `subprocess.run`, `call`,
    `check_call`, `check_output`, `getoutput`, `getstatusoutput`, `Popen`; `os.system`,
    `os.popen`, `os.spawn*`, `os.posix_spawn*`, `os.wait*`; and `.wait()`/`.communicate()`
    on `subprocess.Popen` objects (assigned, bound by `with Popen(...) as proc`, or
    annotated).

    ## Why is this bad?
    Starting a process and waiting for it holds the event loop's thread for as long as the
    child runs: a `git clone` of a few seconds freezes every other coroutine for those
    seconds.

    ## Example
    ```python
    import subprocess

    async def mirror(repo_url: str, target: str) -> None:
        subprocess.run(["git", "clone", "--mirror", repo_url, target], check=True)
    ```

    ## Use instead
    ```python
    import asyncio

    async def mirror(repo_url: str, target: str) -> None:
        proc = await asyncio.create_subprocess_exec("git", "clone", "--mirror", repo_url, target)
        if await proc.wait() != 0:
            raise RuntimeError(f"git clone {repo_url} failed")
    ```
    """

    code = "ACK220"
    name = "blocking-subprocess"

    VALID = [
        Valid(
            "import subprocess\n\n"
            "def current_commit() -> str:\n"
            "    return subprocess.check_output(['git', 'rev-parse', 'HEAD'], text=True).strip()\n"
        ),
        Valid(
            "import asyncio\n\n"
            "async def current_commit() -> str:\n"
            "    proc = await asyncio.create_subprocess_exec(\n"
            "        'git', 'rev-parse', 'HEAD', stdout=asyncio.subprocess.PIPE)\n"
            "    out, _ = await proc.communicate()\n"
            "    await proc.wait()\n"
            "    return out.decode().strip()\n"
        ),
        Valid(
            "import asyncio, subprocess\n\n"
            "async def build(path):\n"
            "    await asyncio.to_thread(subprocess.run, ['make', '-C', path], check=True)\n"
            "    await asyncio.to_thread(lambda: subprocess.check_call(['make', 'install']))\n"
        ),
        # Pure os functions are not processes; a parameter named `subprocess` is not the module.
        Valid(
            "import os\n\n"
            "async def env_path(subprocess, name):\n"
            "    subprocess.run(name)\n"
            "    return os.path.join(os.getcwd(), name), os.getpid()\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import subprocess\n\n"
            "async def mirror(repo_url, target):\n"
            "    subprocess.run(['git', 'clone', '--mirror', repo_url, target], check=True)\n",
            line=4, column=5, message_contains="asyncio.create_subprocess_exec",
        ),
        Invalid(
            "from subprocess import check_output as sh\n\n"
            "async def head_commit(path):\n"
            "    return sh(['git', '-C', path, 'rev-parse', 'HEAD'], text=True)\n",
            line=4, message_contains="`sh(...)` (`subprocess.check_output`)",
        ),
        Invalid(
            "import os\n\nasync def notify(msg):\n    os.system(f'notify-send {msg!r}')\n",
            line=4, message_contains="create_subprocess_shell",
        ),
        Invalid(
            "import os\n\n"
            "async def reap(pid):\n"
            "    os.waitpid(pid, 0)\n"
            "    os.spawnlp(os.P_WAIT, 'sync', 'sync')\n",
            line=4, count=2,
        ),
        # Popen itself forks; wait()/communicate() on the object wait for the child.
        Invalid(
            "import subprocess\n\n"
            "async def tail(path):\n"
            "    with subprocess.Popen(['tail', '-n', '20', path], stdout=subprocess.PIPE) as proc:\n"
            "        out, _ = proc.communicate(timeout=5)\n"
            "    return out\n",
            line=4, count=2,
        ),
        Invalid(
            "import subprocess\n\n"
            "async def stop(proc: subprocess.Popen) -> int:\n"
            "    proc.terminate()\n"
            "    return proc.wait()\n",
            line=5,
        ),
    ]
