"""Data tables shared by the rules: what library calls return and which are coroutine functions.

Tables, not code: teaching asyncheck a new factory or coroutine function is one line here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asyncheck.core.config import Settings

#: Qualified name of a factory function (or method, ``Type.method``) -> qualified name of the
#: type of object it returns.  Classes need no entry: calling ``pkg.Class`` gives a ``pkg.Class``.
#: An empty string means "returns nothing we track" and stops the capitalised-name guess.
FACTORY_RETURN_TYPES: dict[str, str] = {
    # asyncio event loops
    "asyncio.get_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.get_running_loop": "asyncio.AbstractEventLoop",
    "asyncio.new_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.events.get_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.events.get_running_loop": "asyncio.AbstractEventLoop",
    "asyncio.events.new_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.SelectorEventLoop": "asyncio.AbstractEventLoop",
    "asyncio.ProactorEventLoop": "asyncio.AbstractEventLoop",
    "asyncio.create_task": "asyncio.Task",
    "asyncio.ensure_future": "asyncio.Task",
    "asyncio.AbstractEventLoop.create_task": "asyncio.Task",
    # HTTP clients
    "requests.session": "requests.Session",
    "requests.sessions.Session": "requests.Session",
    "niquests.session": "niquests.Session",
    # databases
    "sqlite3.connect": "sqlite3.Connection",
    "sqlite3.Connection.cursor": "sqlite3.Cursor",
    "sqlite3.Connection.execute": "sqlite3.Cursor",
    "sqlite3.Connection.executemany": "sqlite3.Cursor",
    "sqlite3.Connection.executescript": "sqlite3.Cursor",
    "sqlite3.Cursor.execute": "sqlite3.Cursor",
    "sqlite3.Cursor.executemany": "sqlite3.Cursor",
    "psycopg2.connect": "psycopg2.extensions.connection",
    "psycopg2.extensions.connection.cursor": "psycopg2.extensions.cursor",
    "psycopg.connect": "psycopg.Connection",
    "psycopg.Connection.connect": "psycopg.Connection",
    "psycopg.Connection.cursor": "psycopg.Cursor",
    "psycopg.Connection.execute": "psycopg.Cursor",
    "psycopg.Cursor.execute": "psycopg.Cursor",
    "pymysql.connect": "pymysql.connections.Connection",
    "pymysql.connections.Connection.cursor": "pymysql.cursors.Cursor",
    "MySQLdb.connect": "MySQLdb.connections.Connection",
    "MySQLdb.connections.Connection.cursor": "MySQLdb.cursors.Cursor",
    "redis.from_url": "redis.Redis",
    "redis.StrictRedis": "redis.Redis",
    "redis.Redis.from_url": "redis.Redis",
    # sockets and processes
    "socket.socket": "socket.socket",
    "socket.fromfd": "socket.socket",
    "socket.create_connection": "socket.socket",
    "socket.socket.dup": "socket.socket",
    "ssl.SSLContext.wrap_socket": "ssl.SSLSocket",
    "socket.socket.accept": "",
    # elements of tuple results: ``conn, addr = sock.accept()``
    "socket.socket.accept[0]": "socket.socket",
    "socket.socketpair[0]": "socket.socket",
    "socket.socketpair[1]": "socket.socket",
    "urllib3.PoolManager": "urllib3.PoolManager",
    # all-capital class names, which the capitalised-name guess takes for constants
    "smtplib.SMTP": "smtplib.SMTP",
    "smtplib.SMTP_SSL": "smtplib.SMTP_SSL",
    "smtplib.LMTP": "smtplib.LMTP",
    "ftplib.FTP": "ftplib.FTP",
    "ftplib.FTP_TLS": "ftplib.FTP_TLS",
    "http.client.HTTPConnection": "http.client.HTTPConnection",
    "http.client.HTTPSConnection": "http.client.HTTPSConnection",
    # files
    "pathlib.Path.cwd": "pathlib.Path",
    "pathlib.Path.home": "pathlib.Path",
    "pathlib.Path.resolve": "pathlib.Path",
    "pathlib.Path.absolute": "pathlib.Path",
    "pathlib.Path.parent": "pathlib.Path",
    "pathlib.Path.with_name": "pathlib.Path",
    "pathlib.Path.with_suffix": "pathlib.Path",
    "pathlib.Path.joinpath": "pathlib.Path",
    "pathlib.Path.with_stem": "pathlib.Path",
    "pathlib.Path.expanduser": "pathlib.Path",
    "pathlib.Path.relative_to": "pathlib.Path",
    "pathlib.PurePath": "pathlib.PurePath",
    # futures and executors
    "concurrent.futures.thread.ThreadPoolExecutor": "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.process.ProcessPoolExecutor": "concurrent.futures.ProcessPoolExecutor",
    "concurrent.futures.ThreadPoolExecutor.submit": "concurrent.futures.Future",
    "concurrent.futures.ProcessPoolExecutor.submit": "concurrent.futures.Future",
    "concurrent.futures.Executor.submit": "concurrent.futures.Future",
    "asyncio.run_coroutine_threadsafe": "concurrent.futures.Future",
    # threading
    "threading.current_thread": "threading.Thread",
    # TLS contexts (ACK232 reports loading their certificates)
    "ssl.create_default_context": "ssl.SSLContext",
    "ssl._create_unverified_context": "ssl.SSLContext",
    # urllib3 pools (ACK210)
    "urllib3.connection_from_url": "urllib3.HTTPConnectionPool",
    "urllib3.connectionpool.connection_from_url": "urllib3.HTTPConnectionPool",
    "urllib3.proxy_from_url": "urllib3.ProxyManager",
    "urllib3.poolmanager.proxy_from_url": "urllib3.ProxyManager",
    "urllib3.PoolManager.connection_from_url": "urllib3.HTTPConnectionPool",
    "urllib3.PoolManager.connection_from_host": "urllib3.HTTPConnectionPool",
    "urllib3.HTTPConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.HTTPSConnectionPool": "urllib3.HTTPSConnectionPool",
    # file objects and archives (ACK230): what ``open`` and friends give
    "builtins.open": "io.TextIOWrapper",
    "io.open": "io.TextIOWrapper",
    "os.fdopen": "io.TextIOWrapper",
    "pathlib.Path.open": "io.TextIOWrapper",
    "tarfile.open": "tarfile.TarFile",
    "tarfile.TarFile.open": "tarfile.TarFile",
    # SQLAlchemy's synchronous engine and session (ACK260); a ``class_=`` argument makes a
    # session factory give that class instead (see ``Resolver.call_type``)
    "sqlalchemy.create_engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.engine.create_engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.engine_from_config": "sqlalchemy.engine.Engine",
    "sqlmodel.create_engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.engine.Engine.connect": "sqlalchemy.engine.Connection",
    "sqlalchemy.engine.Engine.begin": "sqlalchemy.engine.Connection",
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.session.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.scoping.scoped_session": "sqlalchemy.orm.scoped_session",
    "sqlalchemy.orm.sessionmaker.__call__": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.scoped_session": "sqlalchemy.orm.scoped_session",
    "sqlalchemy.orm.scoped_session.__call__": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.sessionmaker.begin": "sqlalchemy.orm.Session",
}

#: Coroutine functions of the standard library and common libraries (calling one makes a
#: coroutine that does nothing until awaited).  Config ``coroutine-functions`` extends it.
#: Not here: calls that return an already scheduled future (``loop.run_in_executor``,
#: ``asyncio.gather``) or an awaitable that is also a context manager (``session.get``).
BUILTIN_COROUTINE_FUNCTIONS: frozenset[str] = frozenset({
    # asyncio functions
    "asyncio.sleep",
    "asyncio.wait_for",
    "asyncio.wait",
    "asyncio.open_connection",
    "asyncio.open_unix_connection",
    "asyncio.start_server",
    "asyncio.start_unix_server",
    "asyncio.to_thread",
    "asyncio.create_subprocess_exec",
    "asyncio.create_subprocess_shell",
    "asyncio.staggered.staggered_race",
    # event loop methods
    "asyncio.AbstractEventLoop.sock_recv",
    "asyncio.AbstractEventLoop.sock_recv_into",
    "asyncio.AbstractEventLoop.sock_sendall",
    "asyncio.AbstractEventLoop.sock_connect",
    "asyncio.AbstractEventLoop.sock_accept",
    "asyncio.AbstractEventLoop.sock_sendfile",
    "asyncio.AbstractEventLoop.getaddrinfo",
    "asyncio.AbstractEventLoop.getnameinfo",
    "asyncio.AbstractEventLoop.create_connection",
    "asyncio.AbstractEventLoop.create_unix_connection",
    "asyncio.AbstractEventLoop.create_datagram_endpoint",
    "asyncio.AbstractEventLoop.create_server",
    "asyncio.AbstractEventLoop.create_unix_server",
    "asyncio.AbstractEventLoop.connect_read_pipe",
    "asyncio.AbstractEventLoop.connect_write_pipe",
    "asyncio.AbstractEventLoop.subprocess_exec",
    "asyncio.AbstractEventLoop.subprocess_shell",
    "asyncio.AbstractEventLoop.sendfile",
    "asyncio.AbstractEventLoop.start_tls",
    "asyncio.AbstractEventLoop.shutdown_asyncgens",
    "asyncio.AbstractEventLoop.shutdown_default_executor",
    # synchronisation primitives and queues
    "asyncio.Lock.acquire",
    "asyncio.Semaphore.acquire",
    "asyncio.BoundedSemaphore.acquire",
    "asyncio.Event.wait",
    "asyncio.Condition.acquire",
    "asyncio.Condition.wait",
    "asyncio.Condition.wait_for",
    "asyncio.Barrier.wait",
    "asyncio.Barrier.reset",
    "asyncio.Barrier.abort",
    "asyncio.Queue.get",
    "asyncio.Queue.put",
    "asyncio.Queue.join",
    "asyncio.PriorityQueue.get",
    "asyncio.PriorityQueue.put",
    "asyncio.PriorityQueue.join",
    "asyncio.LifoQueue.get",
    "asyncio.LifoQueue.put",
    "asyncio.LifoQueue.join",
    # streams, servers and subprocesses
    "asyncio.StreamWriter.drain",
    "asyncio.StreamWriter.wait_closed",
    "asyncio.StreamWriter.start_tls",
    "asyncio.StreamReader.read",
    "asyncio.StreamReader.readline",
    "asyncio.StreamReader.readexactly",
    "asyncio.StreamReader.readuntil",
    "asyncio.Server.serve_forever",
    "asyncio.Server.start_serving",
    "asyncio.Server.wait_closed",
    "asyncio.subprocess.Process.wait",
    "asyncio.subprocess.Process.communicate",
    # aiohttp (methods that are plain coroutines, not request context managers)
    "aiohttp.ClientSession.close",
    "aiohttp.ClientResponse.json",
    "aiohttp.ClientResponse.text",
    "aiohttp.ClientResponse.read",
    "aiohttp.TCPConnector.close",
    "aiohttp.ClientWebSocketResponse.send_str",
    "aiohttp.ClientWebSocketResponse.send_bytes",
    "aiohttp.ClientWebSocketResponse.send_json",
    "aiohttp.ClientWebSocketResponse.receive",
    "aiohttp.ClientWebSocketResponse.close",
    # httpx
    "httpx.AsyncClient.get",
    "httpx.AsyncClient.post",
    "httpx.AsyncClient.put",
    "httpx.AsyncClient.patch",
    "httpx.AsyncClient.delete",
    "httpx.AsyncClient.head",
    "httpx.AsyncClient.options",
    "httpx.AsyncClient.request",
    "httpx.AsyncClient.send",
    "httpx.AsyncClient.aclose",
    "httpx.Response.aread",
    "httpx.Response.aclose",
    # anyio
    "anyio.sleep",
    "anyio.sleep_forever",
    "anyio.sleep_until",
    "anyio.to_thread.run_sync",
    "anyio.to_process.run_sync",
    "anyio.connect_tcp",
    "anyio.connect_unix",
    "anyio.create_tcp_listener",
    "anyio.create_unix_listener",
    "anyio.run_process",
    "anyio.open_process",
    "anyio.open_file",
    "anyio.Event.wait",
    "anyio.Lock.acquire",
    "anyio.Semaphore.acquire",
    "anyio.CapacityLimiter.acquire",
})


@lru_cache(maxsize=8)
def listed_coroutines(settings: Settings) -> frozenset[str]:
    """The library coroutine functions known by name: the built-in table and config
    ``coroutine-functions`` (the pre-filter, the project index and the file context all
    go by it)."""
    return BUILTIN_COROUTINE_FUNCTIONS | frozenset(settings.coroutine_functions)


# -- library knowledge whose annotations do not say it (SPEC §9) ----------------------------

#: Library classes whose methods are awaitable although their annotations do not say so
#: (redis types its commands ``Awaitable[T] | T`` for the sync and asyncio clients at once):
#: canonical class -> (modules whose methods count, method names that do not).  A method
#: counts when the class (or a subclass) inherits it from one of those modules.  A redis
#: pipeline queues its commands instead (``Pipeline`` is not listed, and its commands are
#: not awaited).
LIBRARY_AWAITABLE_METHODS: dict[str, tuple[tuple[str, ...], frozenset[str]] | None] = {
    # A pipeline queues commands until `execute`: None stops the search along the bases.
    "redis.asyncio.client.Pipeline": None,
    "redis.asyncio.cluster.ClusterPipeline": None,
    "redis.asyncio.client.Redis": (
        ("redis.commands.",),
        frozenset({"pipeline", "pubsub", "lock", "monitor", "register_script", "client",
                   "get_encoder", "get_connection_kwargs", "set_response_callback",
                   "load_external_module", "json", "ft", "ts", "bf", "cf", "cms", "topk",
                   "tdigest", "graph", "vset"})),
    "redis.asyncio.cluster.RedisCluster": (
        ("redis.commands.",),
        frozenset({"pipeline", "pubsub", "lock", "monitor", "register_script",
                   "get_encoder", "get_connection_kwargs", "set_response_callback",
                   "load_external_module", "json", "ft", "ts", "bf", "cf", "cms", "topk",
                   "tdigest", "graph", "vset"})),
}

#: What library calls give when their annotations do not say (asyncpg has none):
#: ``"pkg.func"`` -> the type a call returns, ``"await pkg.func"`` -> the type awaiting it
#: gives, ``"pkg.Class.__aenter__"`` -> what ``async with`` binds, ``"pkg.Class.attr"`` ->
#: an attribute's type.  Canonical names (where the library defines them).  An empty string
#: means "not known" and stops any guess.
LIBRARY_RETURN_TYPES: dict[str, str] = {
    # asyncpg
    "await asyncpg.connection.connect": "asyncpg.connection.Connection",
    "asyncpg.pool.create_pool": "asyncpg.pool.Pool",
    "await asyncpg.pool.create_pool": "asyncpg.pool.Pool",
    "asyncpg.pool.Pool.__aenter__": "asyncpg.pool.Pool",
    "asyncpg.pool.Pool.acquire": "asyncpg.pool.PoolAcquireContext",
    "await asyncpg.pool.Pool.acquire": "asyncpg.connection.Connection",
    "asyncpg.pool.PoolAcquireContext.__aenter__": "asyncpg.connection.Connection",
    "asyncpg.connection.Connection.transaction": "asyncpg.transaction.Transaction",
    "asyncpg.transaction.Transaction.__aenter__": "asyncpg.transaction.Transaction",
    "await asyncpg.connection.Connection.prepare": "asyncpg.prepared_stmt.PreparedStatement",
    # aiohttp: the request methods give context managers that are also awaitable
    "aiohttp.client.ClientSession.__aenter__": "aiohttp.client.ClientSession",
    "aiohttp.client.ClientSession.get": "aiohttp.client._BaseRequestContextManager",
    "await aiohttp.client.ClientSession.get": "aiohttp.client_reqrep.ClientResponse",
    "aiohttp.client.ClientSession.post": "aiohttp.client._BaseRequestContextManager",
    "await aiohttp.client.ClientSession.post": "aiohttp.client_reqrep.ClientResponse",
    "aiohttp.client.ClientSession.put": "aiohttp.client._BaseRequestContextManager",
    "await aiohttp.client.ClientSession.put": "aiohttp.client_reqrep.ClientResponse",
    "aiohttp.client.ClientSession.patch": "aiohttp.client._BaseRequestContextManager",
    "await aiohttp.client.ClientSession.patch": "aiohttp.client_reqrep.ClientResponse",
    "aiohttp.client.ClientSession.delete": "aiohttp.client._BaseRequestContextManager",
    "await aiohttp.client.ClientSession.delete": "aiohttp.client_reqrep.ClientResponse",
    "aiohttp.client.ClientSession.head": "aiohttp.client._BaseRequestContextManager",
    "await aiohttp.client.ClientSession.head": "aiohttp.client_reqrep.ClientResponse",
    "aiohttp.client.ClientSession.options": "aiohttp.client._BaseRequestContextManager",
    "await aiohttp.client.ClientSession.options": "aiohttp.client_reqrep.ClientResponse",
    "aiohttp.client.ClientSession.request": "aiohttp.client._BaseRequestContextManager",
    "await aiohttp.client.ClientSession.request": "aiohttp.client_reqrep.ClientResponse",
    "aiohttp.client._BaseRequestContextManager.__aenter__":
        "aiohttp.client_reqrep.ClientResponse",
    "aiohttp.client.ClientSession.ws_connect": "aiohttp.client._WSRequestContextManager",
    "await aiohttp.client.ClientSession.ws_connect": "aiohttp.client_ws.ClientWebSocketResponse",
    "aiohttp.client._WSRequestContextManager.__aenter__":
        "aiohttp.client_ws.ClientWebSocketResponse",
    # aiofiles: `open` is overloaded by mode; text and binary files both read and write
    # through coroutines, so the text wrapper stands for either.
    "aiofiles.threadpool.open": "aiofiles.base.AiofilesContextManager",
    "await aiofiles.threadpool.open": "aiofiles.threadpool.text.AsyncTextIOWrapper",
    "aiofiles.base.AiofilesContextManager.__aenter__": "aiofiles.threadpool.text.AsyncTextIOWrapper",
    # aiobotocore: a session's client is entered with `async with`
    "aiobotocore.session.AioSession.create_client": "aiobotocore.session.ClientCreatorContext",
    # SQLAlchemy: a session factory's call gives a session
    "sqlalchemy.ext.asyncio.session.async_sessionmaker.__call__":
        "sqlalchemy.ext.asyncio.session.AsyncSession",
}

#: Library decorators that turn an ``async def`` into a function whose result is both a
#: coroutine and an async context manager entering what it returns (aiosqlite's
#: ``execute``): calling it still makes a coroutine.
LIBRARY_AWAITABLE_CONTEXT_DECORATORS: frozenset[str] = frozenset({
    "aiosqlite.context.contextmanager",
    "asyncssh.misc.async_context_manager",
})

#: Library classes whose methods are made at run time (from a service description): every
#: public method the class and its bases do not define is a coroutine function, except the
#: listed sync ones.  aiobotocore's clients (``await s3.put_object(...)``).
LIBRARY_DYNAMIC_COROUTINE_CLASSES: dict[str, frozenset[str]] = {
    "aiobotocore.client.AioBaseClient": frozenset({
        "get_paginator", "get_waiter", "can_paginate", "meta", "exceptions",
        "waiter_names"}),
}

#: Library methods that make awaitables although neither ``async def`` nor their
#: annotations say so: dropping what they return drops a coroutine.  (aiohttp's request
#: methods return a context manager that is also awaitable; ``async with`` of it is fine.)
LIBRARY_COROUTINE_FUNCTIONS: frozenset[str] = frozenset({
    "aiohttp.client.ClientSession.get",
    "aiohttp.client.ClientSession.post",
    "aiohttp.client.ClientSession.put",
    "aiohttp.client.ClientSession.patch",
    "aiohttp.client.ClientSession.delete",
    "aiohttp.client.ClientSession.head",
    "aiohttp.client.ClientSession.options",
    "aiohttp.client.ClientSession.request",
    "aiohttp.client.ClientSession.ws_connect",
})
