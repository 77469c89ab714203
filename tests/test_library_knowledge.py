"""Library knowledge (issue 19, SPEC §9): the environment, library facts read as text, and
ACK100 through the types library calls return.

Each test writes a small fake virtualenv whose site-packages hold made-up libraries, so that
every inference step is pinned without installing anything.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from asyncheck.app.environment import resolve_environment
from asyncheck.app.runner import run
from asyncheck.core.catalog import CATALOG
from asyncheck.core.config import ConfigError, load_settings
from asyncheck.doors.cli import main
from asyncheck.doors.testing import lint_source


def make_venv(root: Path, packages: dict[str, str], *, name: str = "venv-libs") -> Path:
    """A virtualenv directory (only what asyncheck reads) with ``packages`` (relative path
    -> source) in its site-packages."""
    venv = root / name
    site = venv / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    for relative, text in packages.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return venv


FAKEDB = {
    "fakedb/__init__.py": """
        from .connection import Connection, connect
        from .pool import create_pool, Pool
        __all__ = ["connect", "Connection", "create_pool", "Pool"]
    """,
    "fakedb/connection.py": """
        from typing import Any, Optional
        from typing_extensions import Self

        class _Base:
            async def close(self) -> None: ...

        class Mixin:
            async def fetchrow(self, query: str) -> "Record": ...

        class Record:
            def get(self, key: str) -> Any: ...

        class Connection(_Base, Mixin):
            closed: bool
            async def execute(self, query: str) -> str: ...
            def cursor(self) -> "Cursor": ...
            def is_closed(self) -> bool: ...
            async def __aenter__(self) -> Self: ...
            async def __aexit__(self, *args: object) -> None: ...
            @classmethod
            async def open(cls, dsn: str) -> Self: ...
            @classmethod
            def from_env(cls) -> "Connection": ...
            async def stream(self, q: str):
                yield 1

        class Cursor:
            async def fetch(self) -> list: ...

        async def connect(dsn: str) -> Connection:
            ...
    """,
    "fakedb/pool.py": """
        from typing import Awaitable, Coroutine, Any, Optional, overload
        from .connection import Connection

        class Acquire:
            async def __aenter__(self) -> Connection: ...
            async def __aexit__(self, *a: object) -> None: ...

        class Pool:
            def acquire(self) -> Acquire: ...
            def release(self, c: Connection) -> Coroutine[Any, Any, None]: ...
            def maybe(self) -> Optional[Connection]: ...
            @property
            def primary(self) -> Connection: ...
            @overload
            async def get(self, key: int) -> int: ...
            @overload
            async def get(self, key: str) -> str: ...
            async def get(self, key): ...
            @overload
            def mixed(self, key: int) -> int: ...
            @overload
            async def mixed(self, key: str) -> str: ...
            def mixed(self, key): ...

        def create_pool(dsn: str) -> Pool: ...
    """,
}


def lint(tmp_path: Path, code: str, packages: dict[str, str] = FAKEDB,
         python: str | None = None) -> list[tuple[int, str]]:
    """(line, code) of the findings of ``code`` in a project whose environment holds
    ``packages`` (configured as ``python = ...`` unless ``python`` says otherwise)."""
    project = tmp_path / "project"
    project.mkdir()
    venv = make_venv(tmp_path, packages)
    (project / "pyproject.toml").write_text(
        f'[tool.asyncheck]\npython = "{python if python is not None else venv}"\n')
    app = project / "app.py"
    app.write_text(textwrap.dedent(code))
    settings = load_settings(project / "pyproject.toml", known_codes=CATALOG, root=project)
    result = run([str(app)], settings, jobs=1)
    return sorted((d.line, d.code) for d in result.diagnostics)


def expected(code: str) -> list[tuple[int, str]]:
    """The lines marked ``# expect: ACKnnn`` in ``code`` (dedented as :func:`lint` does)."""
    found = []
    for number, line in enumerate(textwrap.dedent(code).splitlines(), start=1):
        if "# expect: " in line:
            found.append((number, line.rpartition("# expect: ")[2].strip()))
    return found


# -- the environment ------------------------------------------------------------------------

def test_environment_order(tmp_path: Path) -> None:
    explicit = make_venv(tmp_path, {}, name="explicit")
    active = make_venv(tmp_path, {}, name="active")
    root = tmp_path / "proj"
    make_venv(root, {}, name=".venv")
    env = resolve_environment(str(explicit), root, environ={"VIRTUAL_ENV": str(active)})
    assert env.source == "--python" and env.location == str(explicit)
    env = resolve_environment(None, root, environ={"VIRTUAL_ENV": str(active)})
    assert env.source == "VIRTUAL_ENV"
    env = resolve_environment(None, root, environ={})
    assert env.source == ".venv at the project root"
    env = resolve_environment(None, tmp_path / "elsewhere", environ={})
    assert env.source == "the running interpreter"
    assert resolve_environment("none", root, environ={}).search_paths == ()
    # bin/python of a virtualenv: the virtualenv, read, not run.
    python = explicit / "bin" / "python"
    python.parent.mkdir()
    python.write_text("#!/bin/false\n")
    assert resolve_environment(str(python), root, environ={}).location == str(explicit)


def test_module_files_prefer_stubs_and_pth_paths(tmp_path: Path) -> None:
    extra = tmp_path / "src-layout"
    (extra / "editable").mkdir(parents=True)
    (extra / "editable" / "__init__.py").write_text("")
    venv = make_venv(tmp_path, {
        "lib1/__init__.py": "", "lib1/core.py": "", "lib1/core.pyi": "",
        "lib2/__init__.py": "", "lib2-stubs/__init__.pyi": "",
        "nspkg/part/mod.py": "",
        "paths.pth": f"# comment\nimport os\n{extra}\n",
    })
    env = resolve_environment(str(venv), None, environ={})
    assert env.module_file("lib1.core") == env.search_paths[0] / "lib1" / "core.pyi"
    assert env.module_file("lib2") == env.search_paths[0] / "lib2-stubs" / "__init__.pyi"
    assert env.module_file("nspkg.part.mod") is not None  # a namespace package
    assert env.module_file("editable") == extra / "editable" / "__init__.py"
    assert env.module_file("missing") is None


def test_config_python_is_validated_and_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.asyncheck]\npython = ".venv"\n')
    settings = load_settings(tmp_path / "pyproject.toml", known_codes=CATALOG)
    assert settings.python == str(tmp_path / ".venv")
    (tmp_path / "pyproject.toml").write_text("[tool.asyncheck]\npython = 3\n")
    with pytest.raises(ConfigError, match="'python'"):
        load_settings(tmp_path / "pyproject.toml", known_codes=CATALOG)


def test_explain_env_shows_the_environment_and_a_name(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    venv = make_venv(tmp_path, FAKEDB)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--explain-env", "--python", str(venv),
                                       "fakedb.connect", "fakedb.Pool"])
    assert result.exit_code == 0, result.output
    assert f"environment: --python ({venv})" in result.output
    assert "fakedb.connect: defined as fakedb.connection.connect" in result.output
    assert "awaiting it gives: fakedb.connection.Connection" in result.output
    assert "fakedb.Pool: defined as fakedb.pool.Pool" in result.output


# -- ACK100 through library facts and local types ---------------------------------------------

def test_library_coroutine_functions_and_methods(tmp_path: Path) -> None:
    code = """
        import fakedb
        from fakedb import connect
        from fakedb.connection import Connection


        async def main(dsn):
            connect(dsn)  # expect: ACK100
            conn = await connect(dsn)
            conn.execute("select 1")  # expect: ACK100
            conn.close()  # expect: ACK100
            conn.fetchrow("q")  # expect: ACK100
            conn.is_closed()
            conn.stream("q")
            await conn.execute("select 1")
            other = await fakedb.connect(dsn)
            other.execute("x")  # expect: ACK100
            opened = await Connection.open(dsn)
            opened.execute("x")  # expect: ACK100
            Connection.from_env().execute("x")  # expect: ACK100
            Connection.from_env().cursor().fetch()  # expect: ACK100
    """
    assert lint(tmp_path, code) == expected(code)


def test_types_from_with_factories_properties_and_annotations(tmp_path: Path) -> None:
    code = """
        from typing import Optional
        import fakedb
        from fakedb import Pool

        POOL = fakedb.create_pool("dsn")


        class Repo:
            primary: Optional[fakedb.Connection]

            def __init__(self, pool: Pool) -> None:
                self.pool = pool

            async def save(self) -> None:
                async with self.pool.acquire() as conn:
                    conn.execute("insert")  # expect: ACK100
                self.pool.primary.execute("x")  # expect: ACK100
                self.pool.release(conn)  # expect: ACK100
                self.pool.get(1)  # expect: ACK100
                self.pool.mixed(1)
                if self.primary is None:
                    return
                self.primary.execute("y")  # expect: ACK100


        async def job(pool: "fakedb.Pool") -> None:
            POOL.get("k")  # expect: ACK100
            async with fakedb.Connection() as conn:
                conn.execute("z")  # expect: ACK100
            maybe = pool.maybe()
            maybe.execute("w")  # expect: ACK100
    """
    assert lint(tmp_path, code) == expected(code)


def test_no_environment_no_library_findings(tmp_path: Path) -> None:
    code = """
        from fakedb import connect


        async def main(dsn):
            connect(dsn)
    """
    assert lint(tmp_path, code, python="none") == []


def test_project_class_inheriting_a_library_coroutine_method(tmp_path: Path) -> None:
    code = """
        from fakedb import Connection


        class Mine(Connection):
            async def run(self):
                self.execute("x")  # expect: ACK100
                self.is_closed()
    """
    assert lint(tmp_path, code) == expected(code)


def test_redis_style_table_and_pipeline(tmp_path: Path) -> None:
    packages = {
        "redis/__init__.py": "",
        "redis/commands/__init__.py": "from .core import CoreCommands\n",
        "redis/commands/core.py": """
            from typing import Awaitable, Union
            class CoreCommands:
                def get(self, name: str) -> Union[Awaitable[bytes], bytes]: ...
                def set(self, name: str, value: bytes) -> Union[Awaitable[bool], bool]: ...
        """,
        "redis/asyncio/__init__.py": "from .client import Redis, Pipeline\n",
        "redis/asyncio/client.py": """
            from redis.commands import CoreCommands
            class Redis(CoreCommands):
                @classmethod
                def from_url(cls, url: str) -> "Redis": ...
                def pipeline(self) -> "Pipeline": ...
            class Pipeline(Redis):
                async def execute(self) -> list: ...
        """,
    }
    code = """
        import redis.asyncio as redis


        async def cache(url):
            r = redis.Redis.from_url(url)
            r.set("k", b"v")  # expect: ACK100
            p = r.pipeline()
            p.set("k", b"v")
            p.execute()  # expect: ACK100
            await r.get("k")
    """
    assert lint(tmp_path, code, packages) == expected(code)


def test_library_facts_are_cached_by_content(tmp_path: Path) -> None:
    from asyncheck.app.cache import FactsStore
    from asyncheck.app.environment import resolve_environment
    from asyncheck.semantics.library import LibraryIndex, parse_library_source

    venv = make_venv(tmp_path, FAKEDB)
    env = resolve_environment(str(venv), None, environ={})
    store = FactsStore(tmp_path / "cache")
    parsed: list[bytes] = []

    def parse(data: bytes):  # type: ignore[no-untyped-def]
        parsed.append(data)
        return parse_library_source(data)

    first = LibraryIndex(env.module_file, parse, store=store)
    assert first.makes_coroutine("fakedb.connect") is True
    assert parsed and first.read == ["fakedb", "fakedb.connection"]
    parsed.clear()
    second = LibraryIndex(env.module_file, parse, store=store)
    assert second.makes_coroutine("fakedb.connect") is True
    assert parsed == []  # the warm run read the store
    assert second.makes_coroutine("os.path.join") is None
    assert "fakedb.pool" not in second.read  # nothing read for modules not asked about


def test_result_cache_follows_the_environment(tmp_path: Path) -> None:
    """Installing a library changes findings: the result cache must not answer from the
    run before."""
    project = tmp_path / "project"
    project.mkdir()
    venv = make_venv(tmp_path, {"other/__init__.py": ""})
    (project / "pyproject.toml").write_text(f'[tool.asyncheck]\npython = "{venv}"\n')
    app = project / "app.py"
    app.write_text("from fakedb import connect\n\n\nasync def main(dsn):\n    connect(dsn)\n")
    settings = load_settings(project / "pyproject.toml", known_codes=CATALOG, root=project)
    cache = tmp_path / "cache"
    assert run([str(app)], settings, jobs=1, cache_dir=cache).diagnostics == []
    site = venv / "lib" / "python3.11" / "site-packages"
    for relative, text in FAKEDB.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(textwrap.dedent(text))
    import os
    os.utime(site, ns=(site.stat().st_atime_ns, site.stat().st_mtime_ns + 10**9))
    assert [d.code for d in run([str(app)], settings, jobs=1, cache_dir=cache).diagnostics
            ] == ["ACK100"]


def test_bundled_knowledge_when_the_environment_lacks_a_library(tmp_path: Path) -> None:
    from asyncheck.app.environment import bundled_modules, bundled_packages
    from asyncheck.semantics.library import LibraryIndex

    assert "asyncpg" in bundled_packages() and "redis.asyncio.client" in bundled_modules()
    empty = resolve_environment(str(make_venv(tmp_path, {}, name="empty")), None, environ={})
    library = LibraryIndex(empty.module_file, bundled=bundled_modules,
                           bundled_packages=bundled_packages())
    assert library.makes_coroutine("asyncpg.connect") is True
    assert library.awaited_type("asyncpg.connect") == "asyncpg.connection.Connection"
    assert library.makes_coroutine("redis.asyncio.Redis.get") is True
    # The environment wins: its asyncpg has a sync `connect`.
    own = resolve_environment(str(make_venv(tmp_path, {
        "asyncpg/__init__.py": "def connect(dsn): ...\n"}, name="own")), None, environ={})
    library = LibraryIndex(own.module_file, bundled=bundled_modules,
                           bundled_packages=bundled_packages())
    assert library.makes_coroutine("asyncpg.connect") is False
    assert library.makes_coroutine("redis.asyncio.Redis.get") is True  # still bundled


def test_bundled_knowledge_is_small() -> None:
    from asyncheck.app import environment

    assert environment._KNOWLEDGE.stat().st_size < 2_000_000


def test_ack103_async_only_library_objects(tmp_path: Path) -> None:
    packages = {
        "fakefiles/__init__.py": """
            import contextlib
            from contextlib import AbstractAsyncContextManager
            from typing import AsyncIterator
            from unknown_base import Base

            class AsyncFile:
                async def read(self) -> str: ...

            class Opener(AbstractAsyncContextManager):
                async def __aenter__(self) -> AsyncFile: ...

            class Both:
                async def __aenter__(self) -> "Both": ...
                def __enter__(self) -> "Both": ...

            class Unsure(Base):
                async def __aenter__(self) -> "Unsure": ...

            class Lines:
                def __aiter__(self) -> "Lines": ...
                async def __anext__(self) -> str: ...

            def open(path: str) -> Opener: ...
            def both() -> Both: ...
            def unsure() -> Unsure: ...
            def lines() -> Lines: ...

            @contextlib.asynccontextmanager
            async def session() -> AsyncIterator[AsyncFile]:
                yield AsyncFile()

            async def pages():
                yield 1
        """,
    }
    code = """
        import fakefiles


        async def main(path):
            with fakefiles.open(path) as f:  # expect: ACK103
                pass
            async with fakefiles.open(path) as f:
                await f.read()
            with fakefiles.both():
                pass
            with fakefiles.unsure():
                pass
            with fakefiles.session() as s:  # expect: ACK103
                pass
            for line in fakefiles.lines():  # expect: ACK103
                pass
            for page in fakefiles.pages():  # expect: ACK103
                pass
            async for page in fakefiles.pages():
                pass
    """
    assert lint(tmp_path, code, packages) == expected(code)


def test_type_variables_bound_by_a_subclass(tmp_path: Path) -> None:
    packages = {
        "fakeorm/__init__.py": "from .engine import Engine, Connection\n",
        "fakeorm/base.py": """
            from typing import Awaitable, Generic, TypeVar
            _T_co = TypeVar("_T_co", covariant=True)
            _P = TypeVar("_P")

            class StartableContext(Awaitable[_T_co]):
                async def __aenter__(self) -> _T_co: ...

            class Proxy(Generic[_P]):
                def target(self) -> _P: ...
        """,
        "fakeorm/engine.py": """
            from .base import StartableContext, Proxy

            class Raw:
                def close(self) -> None: ...

            class Connection(Proxy[Raw], StartableContext["Connection"]):
                async def execute(self, q: str) -> None: ...

            class Engine:
                def connect(self) -> Connection: ...
        """,
    }
    code = """
        from fakeorm import Engine


        async def main(engine: Engine):
            async with engine.connect() as conn:
                conn.execute("x")  # expect: ACK100
                conn.target().close()
    """
    assert lint(tmp_path, code, packages) == expected(code)


def test_unannotated_factories_overloads_bounds_and_dynamic_clients(tmp_path: Path) -> None:
    packages = {
        "fakeamqp/__init__.py": """
            from typing import TypeVar, overload, Generator, Any
            from typing_extensions import Self

            class Channel:
                async def declare(self, name: str) -> None: ...
                def __await__(self) -> Generator[Any, Any, Self]: ...

            class Connection:
                def channel(self) -> Channel: ...
                async def close(self) -> None: ...

            class Robust(Connection):
                pass

            ConnT = TypeVar("ConnT", bound=Connection)

            @overload
            async def connect(url: str) -> Robust: ...
            @overload
            async def connect(url: str, cls: type) -> Connection: ...
            async def connect(url, cls=None): ...

            async def connect_as(url: str, cls: type[ConnT]) -> ConnT: ...

            def session():
                return Session()

            class Session:
                def client(self):
                    return Client()

            from .clients import Client
        """,
        "aiobotocore/__init__.py": "",
        "aiobotocore/client.py": """
            class AioBaseClient:
                def __getattr__(self, item): ...
                def get_paginator(self, name): ...
        """,
        "fakeamqp/clients.py": """
            from aiobotocore.client import AioBaseClient
            class Client(AioBaseClient):
                pass
        """,
    }
    code = """
        import fakeamqp


        async def main(url):
            conn = await fakeamqp.connect(url)
            conn.close()  # expect: ACK100
            channel = await conn.channel()
            channel.declare("q")  # expect: ACK100
            other = await fakeamqp.connect_as(url, fakeamqp.Robust)
            other.close()  # expect: ACK100
            s3 = fakeamqp.session().client()
            s3.put_object(Bucket="b")  # expect: ACK100
            s3.get_paginator("list")
    """
    assert lint(tmp_path, code, packages) == expected(code)


MQ = dict(FAKEDB)
MQ["fakemq/__init__.py"] = """
from typing import AsyncIterator, AsyncGenerator
from typing_extensions import Self

class Message:
    body: bytes
    async def ack(self) -> None: ...
    async def reject(self, requeue: bool = False) -> None: ...
    def info(self) -> dict: ...

class Consumer:
    def __aiter__(self) -> Self: ...
    async def __anext__(self) -> Message: ...
    def messages(self) -> AsyncIterator[Message]: ...
    async def batches(self) -> AsyncGenerator[Message, None]:
        yield Message()

class Stream:
    def __aiter__(self) -> AsyncIterator[Message]: ...

class Plain:
    def __aiter__(self):
        return self
    async def __anext__(self) -> Message: ...

def consumer() -> Consumer: ...
"""

def test_type_comments_and_loop_targets(tmp_path: Path) -> None:
    """``# type:`` comments (also of names imported only under TYPE_CHECKING, and a def's
    signature comment), and ``async for``/``for`` targets typed from ``__aiter__``/
    ``__anext__``, ``AsyncIterator[T]`` returns and ``list[T]`` annotations."""
    code = """
    from typing import TYPE_CHECKING, AsyncIterator
    import fakemq
    if TYPE_CHECKING:
        from fakedb import Connection
        from fakemq import Message

    def get():
        ...

    class Repo:
        def __init__(self, conn):
            self.conn = conn  # type: Connection
            self.other = None  # type: Connection | None

        async def save(self):
            self.conn.execute("x")  # expect: ACK100
            self.other.execute("x")  # expect: ACK100

    async def handler(conn, n):
        # type: (Connection, int) -> None
        conn.execute("x")  # expect: ACK100

    async def local():
        conn = get()  # type: Connection
        conn.execute("x")  # expect: ACK100

    async def consume(c: fakemq.Consumer, s: fakemq.Stream, p: fakemq.Plain):
        async for msg in c:
            msg.ack()  # expect: ACK100
        async for m2 in c.messages():
            m2.reject()  # expect: ACK100
        async for m3 in s:
            m3.ack()  # expect: ACK100
        async for m4 in p:
            m4.ack()  # expect: ACK100
        async for m5 in fakemq.consumer():
            m5.ack()  # expect: ACK100
        async for m6 in c.batches():
            m6.ack()  # expect: ACK100
            await m6.reject()

    class Own:
        def __aiter__(self):
            return self
        async def __anext__(self) -> "Message":
            ...

    async def gen() -> AsyncIterator["Message"]:
        yield fakemq.Message()

    async def own(o: Own, msgs: list["Message"]):
        async for a in o:
            a.ack()  # expect: ACK100
        async for b in gen():
            b.ack()  # expect: ACK100
        for c in msgs:
            c.ack()  # expect: ACK100
    """
    assert [f for f in lint(tmp_path, code, MQ) if f[1] == "ACK100"] == expected(code)

LOGLIB = dict(MQ)
LOGLIB["fakelog/__init__.py"] = """
from typing import Any, Optional, TypeVar, Awaitable, Callable, Protocol
T = TypeVar("T")

class Event:
    def __init__(self, name: str, payload: dict[str, Any]) -> None: ...

class Sink(Protocol):
    def write(self, data: bytes) -> None: ...

def log(msg: str, *, level: int = 0) -> None: ...
def anything(value: Any) -> None: ...
def obj(value: object) -> None: ...
def generic(value: T) -> T: ...
def waits(value: Awaitable[int]) -> None: ...
def maybe(value: Optional[str]) -> None: ...
def union(value: "str | Awaitable[str]") -> None: ...
def to_sink(sink: Sink) -> None: ...
def emit(event: Event) -> None: ...
def many(*values: int, **named: str) -> None: ...
"""

def test_coroutine_passed_to_a_non_awaitable_parameter(tmp_path: Path) -> None:
    """A parameter annotated with a class no awaitable is an instance of (this file's
    defs and classes, a library's functions and constructors, a few builtins); ``Any``,
    ``object``, type variables, ``Awaitable``, unions holding one, protocols: silent."""
    code = """
    import json
    from typing import Any
    import fakelog
    from fakelog import log, Event

    async def status() -> str:
        return "ok"

    class Report:
        def __init__(self, title: str, rows: list[str]) -> None:
            self.title = title

        def add(self, row: str) -> None:
            ...

    def show(text: str | None, extra: Any = None) -> None:
        print(text)

    async def main(report: Report):
        log(status())  # expect: ACK100
        log("x", level=status())  # expect: ACK100
        fakelog.maybe(status())  # expect: ACK100
        fakelog.emit(status())  # expect: ACK100
        Event(status(), {})  # expect: ACK100
        Event("x", payload=status())  # expect: ACK100
        fakelog.many(1, status())  # expect: ACK100
        fakelog.many(named=status())  # expect: ACK100
        show(status())  # expect: ACK100
        report.add(status())  # expect: ACK100
        Report(status(), [])  # expect: ACK100
        json.dumps(status())  # expect: ACK100
        sorted(status())  # expect: ACK100
        show("x", status())
        fakelog.anything(status())
        fakelog.obj(status())
        fakelog.generic(status())
        fakelog.waits(status())
        fakelog.union(status())
        fakelog.to_sink(status())
        await log(await status()) if False else None
        text = status()  # expect: ACK100
        log(text)
        kept = status()
        fakelog.anything(kept)
    """
    assert [f for f in lint(tmp_path, code, LOGLIB) if f[1] == "ACK100"] == expected(code)


def test_non_awaitable_parameter_of_another_project_file(tmp_path: Path) -> None:
    util = textwrap.dedent("""
        from dataclasses import dataclass
        from typing import Protocol

        class Store:
            def __init__(self, name: str) -> None: ...
            def put(self, key: "bytes | None") -> None: ...
            @staticmethod
            def check(value: int) -> None: ...

        @dataclass
        class Row(Store):
            value: object

        def log(msg: str) -> None: ...

        def wrap(coro) -> None: ...
    """)
    code = textwrap.dedent("""
        from .util import log, Store, Row, wrap

        async def status() -> str:
            return "ok"

        async def main(store: Store):
            store.put(status())
            log(status())
            Store(status())
            Store.check(status())
            Row(status())
            wrap(status())
    """)
    found = lint_source(code, codes=["ACK100"], filename="pkg/app.py",
                        other_files={"pkg/__init__.py": "", "pkg/util.py": util})
    assert [(d.line, d.message.partition(" is passed to ")[2].partition(",")[0])
            for d in found] == [(8, "parameter `key` of `store.put`"),
                                (9, "parameter `msg` of `log`"),
                                (10, "parameter `name` of `Store`"),
                                (11, "parameter `value` of `Store.check`")]
    assert "which expects `bytes | None`, not an awaitable" in found[0].message
