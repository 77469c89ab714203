"""Issue 20's blocking calls: TLS set-up (ACK232), imports (ACK233), archives and file
objects (ACK230), metadata changes (ACK231), SQLAlchemy's sync API (ACK260), waits through
``self`` in subclasses (ACK270), and ACK290 following them through helpers."""

from __future__ import annotations

import json
from pathlib import Path

from asyncheck.doors.testing import lint_source
from conftest import RunCli


def _found(source: str, *codes: str, filename: str = "app/service.py",
           other_files: dict[str, str] | None = None) -> list[tuple[int, str]]:
    return [(d.line, d.code) for d in lint_source(
        source, codes=list(codes), filename=filename, other_files=other_files,
        options={"select": ("ALL",)})]


def test_new_rules_are_explained_and_off_by_default(cli: RunCli, tmp_path: Path) -> None:
    for code, words in (("ACK232", "create_default_context"), ("ACK233", "import_module")):
        explain = cli("--explain", code)
        assert explain.returncode == 0 and "## Precision" in explain.stdout
        assert words in explain.stdout
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "setup.py").write_text(
        "import importlib, ssl\n\n"
        "async def setup(name, cafile):\n"
        "    context = ssl.create_default_context(cafile=cafile)\n"
        "    return context, importlib.import_module(name)\n")
    assert cli("--no-cache", "setup.py", cwd=tmp_path).returncode == 0
    found = cli("--no-cache", "--extend-select", "ACK232,ACK233", "--format", "json", "setup.py",
                cwd=tmp_path)
    assert [(d["line"], d["code"]) for d in json.loads(found.stdout)] == [
        (4, "ACK232"), (5, "ACK233")]


def test_an_httpx_client_given_its_tls_setup_is_not_reported() -> None:
    source = (
        "import ssl\nimport httpx\n\n"
        "async def clients(settings, ctx: ssl.SSLContext):\n"
        "    a = httpx.AsyncClient(verify=False)\n"
        "    b = httpx.AsyncClient(verify=ctx)\n"
        "    c = httpx.AsyncClient(verify=settings.ssl_context)\n"
        "    d = httpx.AsyncClient(transport=settings.transport)\n"
        "    e = httpx.AsyncClient(verify=True)\n"
        "    f = httpx.Client(verify='/etc/ssl/ca.pem')\n"
        "    return a, b, c, d, e, f\n"
    )
    assert _found(source, "ACK232") == [(9, "ACK232"), (10, "ACK232")]


def test_ssl_context_methods_need_a_known_context() -> None:
    source = (
        "import ssl\n\n"
        "async def load(holder, cafile):\n"
        "    holder.context.load_verify_locations(cafile)\n"
        "    own = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
        "    own.set_default_verify_paths()\n"
    )
    assert _found(source, "ACK232") == [(6, "ACK232")]


def test_helpers_that_set_up_tls_are_followed_by_ack290_and_imports_are_not() -> None:
    # A helper's import runs once per process, then it is a lookup in sys.modules.
    source = (
        "import importlib, ssl\n\n"
        "def make_context(cafile):\n"
        "    return ssl.create_default_context(cafile=cafile)\n\n"
        "def load_plugin(name):\n"
        "    return importlib.import_module(name)\n\n"
        "async def start(cafile, name):\n"
        "    return make_context(cafile), load_plugin(name)\n"
    )
    found = lint_source(source, codes=["ACK290"], filename="app/start.py",
                        options={"select": ("ALL",)})
    assert [(d.line, d.code) for d in found] == [(10, "ACK290")]
    assert "make_context -> ssl.create_default_context" in found[0].message


def test_file_object_methods_known_by_attribute_or_annotation() -> None:
    source = (
        "import io\n\n"
        "class Recorder:\n"
        "    def __init__(self, path):\n"
        "        self.out = open(path, 'ab')\n\n"
        "    async def record(self, chunk: bytes, extra: io.BufferedWriter, log):\n"
        "        self.out.write(chunk)\n"
        "        extra.seek(0)\n"
        "        log.write('not a known file')\n"
        "        with open('x') as same:\n"
        "            same.read()\n"
    )
    assert _found(source, "ACK230") == [(8, "ACK230"), (9, "ACK230"), (11, "ACK230")]


def test_in_memory_archives_are_not_reported_but_unpacking_them_is() -> None:
    source = (
        "import io, tarfile, zipfile\n\n"
        "async def inspect(blob: bytes, target):\n"
        "    buffer = io.BytesIO(blob)\n"
        "    with tarfile.open(fileobj=buffer) as tar:\n"
        "        names = tar.getnames()\n"
        "    archive = zipfile.ZipFile(buffer)\n"
        "    archive.read('a.txt')\n"
        "    archive.extractall(target)\n"
        "    zipfile.ZipFile(target + '.zip').read('a.txt')\n"
        "    return names\n"
    )
    # The chained call on line 10 is one finding (one position).
    assert _found(source, "ACK230") == [(9, "ACK230"), (10, "ACK230")]


def test_metadata_changes_are_ack231() -> None:
    source = (
        "import os\nfrom pathlib import Path\n\n"
        "async def rotate(path: Path):\n"
        "    os.rename(path, path.with_suffix('.old'))\n"
        "    path.touch()\n"
    )
    assert _found(source, "ACK231") == [(5, "ACK231"), (6, "ACK231")]


def test_sqlalchemy_sync_api_is_reported_and_the_async_api_is_not() -> None:
    source = (
        "from sqlalchemy import create_engine, text\n"
        "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine\n"
        "from sqlalchemy.orm import Session, scoped_session, sessionmaker\n\n"
        "engine = create_engine('sqlite://')\n"
        "db = scoped_session(sessionmaker(bind=engine))\n"
        "aengine = create_async_engine('sqlite+aiosqlite://')\n"
        "Async = async_sessionmaker(aengine)\n"
        "Legacy = sessionmaker(aengine, class_=AsyncSession)\n\n"
        "class Repo:\n"
        "    def __init__(self):\n"
        "        self.sessions = sessionmaker(bind=engine)\n\n"
        "    async def purge(self):\n"
        "        with self.sessions() as session:\n"
        "            session.execute(text('DELETE FROM t'))\n"
        "        db.query(Repo).all()\n"
        "        db.commit()\n"
        "        async with Async() as session2:\n"
        "            await session2.execute(text('SELECT 1'))\n"
        "        await Legacy().commit()\n"
        "        async with aengine.connect() as conn:\n"
        "            await conn.execute(text('SELECT 1'))\n"
    )
    assert _found(source, "ACK260") == [(17, "ACK260"), (18, "ACK260"), (19, "ACK260")]


def test_waits_through_self_keep_their_exemptions() -> None:
    source = (
        "import asyncio, queue, threading\n\n"
        "class Gate(threading.Condition):\n"
        "    async def count(self, items):\n"
        "        with self:\n"
        "            return len(items)\n\n"
        "    async def hold(self):\n"
        "        with self:\n"
        "            await asyncio.sleep(1)\n\n"
        "class Outbox(queue.Queue):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n\n"
        "    async def push(self, item):\n"
        "        self.put(item)\n\n"
        "class Window(queue.Queue):\n"
        "    def __init__(self):\n"
        "        super().__init__(maxsize=8)\n\n"
        "    async def push(self, item):\n"
        "        self.put(item)\n\n"
        "async def feed(item):\n"
        "    Outbox().put(item)\n"
        "    spare = Outbox()\n"
        "    spare.put(item)\n"
    )
    # Held across an await; a bounded subclass; a queue made in the call (only names and
    # attributes are followed).  Not: a short section, `put` on unbounded subclasses.
    assert _found(source, "ACK270") == [(9, "ACK270"), (24, "ACK270"), (27, "ACK270")]
