"""ACK231 blocking-filesystem-query (off by default)."""

from __future__ import annotations

from asyncheck.lint import BlockingCallRule, Invalid, Valid


class BlockingFilesystemQuery(BlockingCallRule):
    """
    ## What it does
    Reports file-system queries made directly inside an `async def`: the `os.path`
    functions that touch the disk (`exists`, `lexists`, `isfile`, `isdir`, `islink`,
    `ismount`, `getsize`, `getmtime`, `getatime`, `getctime`, `samefile`, `realpath`; not
    the pure string ones such as `join`, `normpath`, `basename`), `os.listdir`,
    `os.scandir`, `os.walk`, `os.stat`, `os.lstat`, `glob.glob`/`iglob`, and the
    `exists`, `is_file`, `is_dir`, `is_symlink`, `iterdir`, `glob`, `rglob`, `stat`,
    `lstat` methods of `pathlib.Path` objects; and metadata changes: `os.makedirs`,
    `os.mkdir`, `os.remove`, `os.unlink`, `os.rename`/`renames`, `os.replace`, `os.rmdir`,
    `os.removedirs`, `os.chmod`, `os.chown`, `os.symlink`, `os.link`, `os.utime`, and the
    `mkdir`, `unlink`, `rename`, `replace`, `rmdir`, `touch`, `chmod`, `symlink_to`,
    `hardlink_to` methods of `pathlib.Path` objects.

    Off by default: one `stat` is usually fast, so this is for code that must never touch
    the disk on the loop (enable with `--extend-select ACK231`).

    ## Why is this bad?
    Each query is a system call that can block: on a network file system, a slow disk or a
    directory with a hundred thousand entries, `os.walk` inside a request handler freezes
    every other request.

    ## Example
    ```python
    import os

    async def list_reports(directory: str) -> list[str]:
        return [name for name in os.listdir(directory) if name.endswith(".csv")]
    ```

    ## Use instead
    ```python
    import asyncio
    import os

    async def list_reports(directory: str) -> list[str]:
        names = await asyncio.to_thread(os.listdir, directory)
        return [name for name in names if name.endswith(".csv")]
    ```
    Or `anyio.Path(directory).iterdir()`.

    ## Precision
    Off by default. On the ecosystem check (25 real async projects, SPEC §10) the metadata
    changes were judged 4 true of 14 (29 %): the true ones ran on a request or event path
    (a lease revoked per API call, a dead-letter directory per failed message); most false
    ones made a directory once at start-up or removed a temporary file next to much slower
    work.
    """

    code = "ACK231"
    name = "blocking-filesystem-query"
    default_enabled = False

    VALID = [
        Valid(
            "import os\n\n"
            "def list_reports(directory):\n"
            "    return [n for n in os.listdir(directory) if n.endswith('.csv')]\n"
        ),
        Valid(
            "import os, posixpath\n\n"
            "async def static_path(root: str, name: str) -> str:\n"
            "    full = os.path.normpath(os.path.join(root, name))\n"
            "    return posixpath.basename(full) + os.path.splitext(full)[1]\n"
        ),
        Valid(
            "import asyncio, os\n\n"
            "async def list_reports(directory):\n"
            "    names = await asyncio.to_thread(os.listdir, directory)\n"
            "    exists = await asyncio.to_thread(os.path.exists, directory)\n"
            "    return names if exists else []\n"
        ),
        Valid(
            "import anyio\n\n"
            "async def has_config(root: anyio.Path) -> bool:\n"
            "    return await (root / 'config.toml').exists()\n"
        ),
    ]
    INVALID = [
        Invalid(
            "import os\n\n"
            "async def list_reports(directory):\n"
            "    return [n for n in os.listdir(directory) if n.endswith('.csv')]\n",
            line=4, column=24, message_contains="asyncio.to_thread",
        ),
        Invalid(
            "from os import path\n\n"
            "async def static_file(root, name):\n"
            "    full = path.join(root, name)\n"
            "    if not path.isfile(full):\n"
            "        return None\n"
            "    return full, path.getsize(full)\n",
            line=5, count=2,
        ),
        Invalid(
            "from pathlib import Path\n\n"
            "async def collect(root: Path):\n"
            "    for item in root.iterdir():\n"
            "        if item.is_dir():\n"
            "            print(item)\n"
            "    return sorted(root.glob('*.json'))\n",
            line=4, count=2,
        ),
        Invalid(
            "import os\nfrom pathlib import Path\n\n"
            "async def rotate(log_dir: Path, name: str) -> None:\n"
            "    os.makedirs(log_dir / 'old', exist_ok=True)\n"
            "    os.replace(log_dir / name, log_dir / 'old' / name)\n"
            "    (log_dir / name).touch()\n",
            line=5, count=3,
        ),
        Invalid(
            "import glob\n\nasync def logs():\n    return glob.glob('/var/log/*.log')\n",
            line=4,
        ),
    ]
