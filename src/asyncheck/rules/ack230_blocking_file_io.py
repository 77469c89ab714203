"""ACK230 blocking-file-io (off by default)."""

from __future__ import annotations

from asyncheck.lint import BlockingCallRule, Invalid, Valid


class BlockingFileIo(BlockingCallRule):
    """
    ## What it does
    Reports file I/O made directly inside an `async def`: `open`, `io.open`,
    `builtins.open`, `os.fdopen`; the `open`, `read_text`, `read_bytes`, `write_text` and
    `write_bytes` methods of `pathlib.Path` objects (from `Path(...)`, `Path.cwd()`,
    `path / "name"`, `path.parent`, an annotation); `shutil.copy*`, `shutil.copytree`,
    `shutil.move`, `shutil.rmtree`, `shutil.make_archive`/`unpack_archive`; `tarfile.open`,
    `zipfile.ZipFile` and their objects' `extract`, `extractall`, `extractfile`, `add`,
    `write`, `writestr`, `read`; and the `read`, `readline(s)`, `write`, `writelines`,
    `seek`, `flush` and `truncate` methods of file objects (from `open` and the others
    above, kept in an attribute such as `self._log = open(...)`, or known by an annotation
    such as `handle: io.TextIOWrapper`).

    One file use is one finding: on a name the same function bound to a reported `open`
    (`with open(path) as f: f.read()`) only the `open` is reported. An archive opened on an
    in-memory buffer (`zipfile.ZipFile(io.BytesIO(data))`, `tarfile.open(fileobj=buffer)`)
    reads no disk: it is not reported, nor are its `read`/`writestr`; its `extractall`
    still writes files and is.

    ## Why is this bad?
    Disk I/O blocks the thread. A local SSD answers quickly, but a network share, a busy
    disk or a large file stalls every coroutine in the process for the whole read or write.

    ## Example
    ```python
    import json

    async def load_settings(path: str) -> dict:
        with open(path) as handle:
            return json.load(handle)
    ```

    ## Use instead
    ```python
    import asyncio
    import json
    from pathlib import Path

    async def load_settings(path: str) -> dict:
        text = await asyncio.to_thread(Path(path).read_text)
        return json.loads(text)
    ```
    Or `aiofiles.open(...)`/`anyio.open_file(...)`, or `anyio.Path(path).read_text()`.

    ## Precision
    Off by default: on the ecosystem check (25 real async projects, SPEC §10) 15 of 28
    judged findings were true (54 %), below the 90 % a default rule keeps. Most false ones
    read or wrote a small file once while a service starts (a scheduler file, a private key,
    a config file) or a few KB on a long timer; the true ones did file work on every request
    or event. Turn it on where every request path must stay off the disk (`extend-select =
    ["ACK230"]`); flake8-async's ASYNC230 and ruff's are opt-in too.
    """

    code = "ACK230"
    default_enabled = False  # measured below 90 % true: see Precision
    name = "blocking-file-io"
    PEER_CODES = ("ASYNC230",)

    VALID = [
        Valid(
            "import json\n\n"
            "def load_settings(path):\n"
            "    with open(path) as handle:\n"
            "        return json.load(handle)\n"
        ),
        # Off-loaded, and the async file APIs.
        Valid(
            "import asyncio\nfrom pathlib import Path\nimport anyio\n\n"
            "async def load(path: str) -> str:\n"
            "    text = await asyncio.to_thread(Path(path).read_text)\n"
            "    data = await anyio.Path(path).read_bytes()\n"
            "    async with await anyio.open_file(path) as handle:\n"
            "        first = await handle.readline()\n"
            "    return text + first + data.decode()\n"
        ),
        # Pure path arithmetic touches no disk.
        Valid(
            "import os\nfrom pathlib import Path\n\n"
            "async def report_name(base: Path, day: str) -> str:\n"
            "    target = base / 'reports' / f'{day}.csv'\n"
            "    return os.path.join(os.path.normpath(str(target.parent)), target.name)\n"
        ),
        # A local function called open shadows the builtin.
        Valid(
            "async def handler(store):\n"
            "    def open(name):\n"
            "        return store[name]\n"
            "    return open('index')\n"
        ),
        Valid(
            "async def upload(open, name):\n"
            "    return open(name)\n"
        ),
        # An archive read in memory touches no disk.
        Valid(
            "import io, json, zipfile\n\n"
            "async def read_manifest(upload: bytes) -> dict:\n"
            "    with zipfile.ZipFile(io.BytesIO(upload)) as bundle:\n"
            "        return json.loads(bundle.read('manifest.json'))\n"
        ),
        # Silenced for flake8-async's same check (ASYNC230): the maintainers decided.
        Valid(
            "async def save_chunk(path, chunk, write_async):\n"
            "    with open(path, 'ab') as handle:  # noqa: ASYNC230 - only the open is here\n"
            "        await write_async(handle, chunk)\n"
        ),
        # Test code and one-shot commands: nothing else waits on the loop (test-paths,
        # script-paths).
        Valid(
            "import json\nfrom pathlib import Path\n\n"
            "async def test_listing_matches_the_recorded_reply(client):\n"
            "    expected = json.loads(Path('replies/listing.json').read_text())\n"
            "    assert await client.list() == expected\n",
            filename="service/tests/unit/test_listing.py",
        ),
        Valid(
            "import json\n\n"
            "async def export(client, output):\n"
            "    with open(output, 'w') as handle:\n"
            "        json.dump(await client.dump(), handle)\n",
            filename="tool/cli/export.py",
        ),
    ]
    INVALID = [
        # A journal kept open since start-up, written from a coroutine.
        Invalid(
            "class Journal:\n"
            "    def __init__(self, path: str) -> None:\n"
            "        self._log = open(path, 'a', encoding='utf-8')\n\n"
            "    async def record(self, change: str) -> None:\n"
            "        self._log.write(change + '\\n')\n"
            "        self._log.flush()\n",
            line=6, count=2, message_contains="io.TextIOWrapper.write",
        ),
        Invalid(
            "import io\n\n"
            "async def append_row(out: io.BufferedWriter, row: bytes) -> None:\n"
            "    out.write(row)\n",
            line=4,
        ),
        # Archives: unpacking writes files even from an in-memory upload.
        Invalid(
            "import io, shutil, tarfile, zipfile\n\n"
            "async def import_bundle(upload: bytes, target: str) -> list[str]:\n"
            "    with zipfile.ZipFile(io.BytesIO(upload)) as bundle:\n"
            "        names = bundle.namelist()\n"
            "        bundle.extractall(target)\n"
            "    with tarfile.open(target + '.tar.gz', 'w:gz') as backup:\n"
            "        backup.add(target)\n"
            "    shutil.unpack_archive(target + '.zip', target)\n"
            "    return names\n",
            line=6, count=4,
        ),
        # A module that only looks like a test by its folder's neighbours is still linted,
        # and the roles can be switched off.
        Invalid(
            "import json\n\n"
            "async def load_fixture(path):\n"
            "    with open(path) as handle:\n"
            "        return json.load(handle)\n",
            filename="service/testdata_loader.py", line=4,
        ),
        Invalid(
            "import json\n\n"
            "async def load_fixture(path):\n"
            "    with open(path) as handle:\n"
            "        return json.load(handle)\n",
            filename="service/tests/helpers.py", line=4, options={"test_paths": ()},
        ),
        Invalid(
            "import json\n\n"
            "async def load_settings(path):\n"
            "    with open(path) as handle:\n"
            "        return json.load(handle)\n",
            line=4, column=10, message_contains="aiofiles",
        ),
        Invalid(
            "from pathlib import Path\n\n"
            "CACHE = Path.home() / '.cache' / 'crawler'\n\n"
            "async def save_page(slug: str, html: str) -> None:\n"
            "    (CACHE / f'{slug}.html').write_text(html, encoding='utf-8')\n",
            line=6,
        ),
        Invalid(
            "from pathlib import Path\n\n"
            "async def read_template(name):\n"
            "    here = Path(__file__).parent\n"
            "    return here.joinpath('templates', name).read_text()\n",
            line=5,
        ),
        Invalid(
            "import shutil\n\n"
            "async def archive(src, dst):\n"
            "    shutil.copytree(src, dst)\n"
            "    shutil.rmtree(src)\n",
            line=4, count=2, message_contains="asyncio.to_thread",
        ),
        Invalid(
            "import io, os\n\n"
            "async def dump(fd, data: bytes):\n"
            "    with os.fdopen(fd, 'wb') as out:\n"
            "        out.write(data)\n"
            "    with io.open('log.txt', 'a') as log:\n"
            "        log.write('dumped')\n",
            line=4, count=2,
        ),
    ]
