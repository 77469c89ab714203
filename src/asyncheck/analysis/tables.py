"""Data tables shared by the rules: what library calls return and which are coroutine functions.

Tables, not code: teaching asyncheck a new factory or coroutine function is one line here.
"""

from __future__ import annotations

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
    "psycopg2.connect": "psycopg2.extensions.connection",
    "psycopg2.extensions.connection.cursor": "psycopg2.extensions.cursor",
    "psycopg.connect": "psycopg.Connection",
    "psycopg.Connection.connect": "psycopg.Connection",
    "psycopg.Connection.cursor": "psycopg.Cursor",
    "psycopg.Connection.execute": "psycopg.Cursor",
    "pymysql.connect": "pymysql.connections.Connection",
    "pymysql.connections.Connection.cursor": "pymysql.cursors.Cursor",
    "MySQLdb.connect": "MySQLdb.connections.Connection",
    "MySQLdb.connections.Connection.cursor": "MySQLdb.cursors.Cursor",
    "redis.from_url": "redis.Redis",
    "redis.StrictRedis": "redis.Redis",
    "redis.Redis.from_url": "redis.Redis",
    # sockets and processes
    "socket.create_connection": "socket.socket",
    "socket.socket.accept": "",
    "urllib3.PoolManager": "urllib3.PoolManager",
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
    "pathlib.PurePath": "pathlib.PurePath",
    # futures
    "concurrent.futures.ThreadPoolExecutor.submit": "concurrent.futures.Future",
    "concurrent.futures.ProcessPoolExecutor.submit": "concurrent.futures.Future",
    "concurrent.futures.Executor.submit": "concurrent.futures.Future",
    "asyncio.run_coroutine_threadsafe": "concurrent.futures.Future",
    # threading
    "threading.current_thread": "threading.Thread",
}

#: Coroutine functions of the standard library and common libraries (calling one makes a
#: coroutine that does nothing until awaited).  Config ``coroutine-functions`` extends it.
BUILTIN_COROUTINE_FUNCTIONS: frozenset[str] = frozenset({
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
    "asyncio.AbstractEventLoop.run_in_executor",
    "asyncio.AbstractEventLoop.sock_recv",
    "asyncio.AbstractEventLoop.sock_sendall",
    "asyncio.AbstractEventLoop.sock_connect",
    "asyncio.AbstractEventLoop.sock_accept",
    "asyncio.AbstractEventLoop.getaddrinfo",
    "asyncio.AbstractEventLoop.create_connection",
    "asyncio.AbstractEventLoop.create_server",
    "asyncio.AbstractEventLoop.shutdown_asyncgens",
    "asyncio.AbstractEventLoop.shutdown_default_executor",
    "asyncio.Lock.acquire",
    "asyncio.Semaphore.acquire",
    "asyncio.BoundedSemaphore.acquire",
    "asyncio.Event.wait",
    "asyncio.Condition.wait",
    "asyncio.Condition.wait_for",
    "asyncio.Queue.get",
    "asyncio.Queue.put",
    "asyncio.Queue.join",
    "asyncio.StreamWriter.drain",
    "asyncio.StreamWriter.wait_closed",
    "asyncio.StreamReader.read",
    "asyncio.StreamReader.readline",
    "asyncio.StreamReader.readexactly",
    "asyncio.StreamReader.readuntil",
})
