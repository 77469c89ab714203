"""Blocking calls: the tables of library calls that freeze the event loop, and their matching.

Tables, not code: each entry maps a qualified name (as resolved through imports and object
tracking, e.g. ``requests.Session.get`` for ``session.get`` when ``session`` is a
``requests.Session``) to the rule that reports it and the asyncio way out.  Teaching asyncheck
``pymysql.connect`` is one line in :data:`BLOCKING_CALLS`.

Entering an object with a plain ``with`` is looked up as the pseudo-method ``Type.__enter__``
(``with lock:`` on a ``threading.Lock`` is ``threading.Lock.__enter__``).

The matching functions take a :class:`~asyncheck.semantics.names.Resolver` and a scope rather
than a rule's context so that the project index can record the blocking calls of every
function body with exactly the same logic (ACK290 follows them through helpers).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import libcst as cst

from asyncheck.semantics.names import (
    Resolver,
    Scope,
    base_class,
    dotted_name,
    find_class_scope,
)
from asyncheck.syntax.walk import iter_children


@dataclass(frozen=True)
class BlockingCall:
    """How a blocking call is reported: by which rule, with which way out.

    ``block_argument`` names the ``block``-style argument (position among the call's
    positional arguments, keyword) of calls that have a non-blocking mode: a literal
    ``False`` there (``queue.get(block=False)``, ``lock.acquire(False)``) does not block.
    ``needs_arguments`` marks constructors that only do I/O when given an address
    (``smtplib.SMTP("mail")`` connects, ``smtplib.SMTP()`` does not).
    ``timeout_argument`` is the position of a ``timeout`` parameter: a literal ``0`` there
    (``event.wait(0)``, ``future.result(timeout=0)``) polls instead of waiting.
    ``nonblocking_socket`` marks socket methods that do not block on a socket the same
    function (or class, for ``self.sock``) switched to non-blocking mode.
    ``in_memory_argument`` marks archive constructors (and the methods of their objects)
    that touch no disk when given an in-memory buffer (``zipfile.ZipFile(io.BytesIO(data))``).
    ``verify_argument`` marks HTTP clients that load no certificates when given a TLS context
    built elsewhere (``verify=ctx``), ``verify=False`` or a ``transport=``.
    ``file_method`` marks methods of file objects: not reported on a name the same function
    bound to a call that is itself reported (``with open(p) as f: f.read()`` is one finding,
    on the ``open``).
    """

    code: str
    way_out: str
    block_argument: tuple[int, str] | None = None
    needs_arguments: bool = False
    nonblocking_socket: bool = False
    timeout_argument: int | None = None
    in_memory_argument: bool = False
    verify_argument: bool = False
    file_method: bool = False


BLOCKING_CALLS: dict[str, BlockingCall] = {}


def _add(
    code: str,
    way_out: str,
    names: Iterable[str],
    *,
    block_argument: tuple[int, str] | None = None,
    needs_arguments: bool = False,
    nonblocking_socket: bool = False,
    timeout_argument: int | None = None,
    in_memory_argument: bool = False,
    verify_argument: bool = False,
    file_method: bool = False,
) -> None:
    entry = BlockingCall(code, way_out, block_argument, needs_arguments, nonblocking_socket,
                         timeout_argument, in_memory_argument, verify_argument, file_method)
    for name in names:
        BLOCKING_CALLS[name] = entry


def _methods(owners: Iterable[str], methods: Iterable[str]) -> list[str]:
    method_list = list(methods)
    return [f"{owner}.{method}" for owner in owners for method in method_list]


_TO_THREAD = "`await asyncio.to_thread(...)`"
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

# -- ACK200 blocking-sleep -------------------------------------------------------------------
_add("ACK200", "`await asyncio.sleep(...)`", ["time.sleep"])

# -- ACK210 blocking-http --------------------------------------------------------------------
_add("ACK210", "`aiohttp.ClientSession` or `httpx.AsyncClient`, or " + _TO_THREAD,
     [*_methods(["requests"], _HTTP_VERBS),
      *_methods(["requests.Session"], [*_HTTP_VERBS, "send"])])
_add("ACK210", "`niquests.AsyncSession`, or " + _TO_THREAD,
     [*_methods(["niquests"], _HTTP_VERBS),
      *_methods(["niquests.Session"], [*_HTTP_VERBS, "send"])])
_add("ACK210", "`httpx.AsyncClient`, or " + _TO_THREAD,
     [*_methods(["httpx", "httpx2"], [*_HTTP_VERBS, "stream"]),
      *_methods(["httpx.Client", "httpx2.Client"], [*_HTTP_VERBS, "stream", "send", "close"])])
_add("ACK210", "`aiohttp.ClientSession` or `httpx.AsyncClient`, or " + _TO_THREAD,
     ["urllib.request.urlopen", "urllib.request.urlretrieve", "urllib3.request",
      *_methods(["urllib3.PoolManager", "urllib3.ProxyManager", "urllib3.HTTPConnectionPool",
                 "urllib3.HTTPSConnectionPool"],
                ["request", "urlopen", "request_encode_url", "request_encode_body"]),
      *_methods(["http.client.HTTPConnection", "http.client.HTTPSConnection"],
                ["connect", "request", "getresponse", "send", "endheaders"])])

# -- ACK220 blocking-subprocess --------------------------------------------------------------
_add("ACK220", "`await asyncio.create_subprocess_exec(...)`",
     [*_methods(["subprocess"], ["run", "call", "check_call", "check_output", "Popen"]),
      *_methods(["os"], ["spawnl", "spawnle", "spawnlp", "spawnlpe",
                         "spawnv", "spawnve", "spawnvp", "spawnvpe",
                         "posix_spawn", "posix_spawnp"])])
_add("ACK220", "`await asyncio.create_subprocess_shell(...)`",
     ["subprocess.getoutput", "subprocess.getstatusoutput", "os.system", "os.popen"])
_add("ACK220", "`asyncio.create_subprocess_exec(...)` and `await process.wait()`",
     _methods(["os"], ["wait", "wait3", "wait4", "waitid", "waitpid"]))
_add("ACK220", "`asyncio.create_subprocess_exec(...)` and `await process.wait()`",
     ["subprocess.Popen.wait"], timeout_argument=0)
_add("ACK220", "`asyncio.create_subprocess_exec(...)` and `await process.communicate()`",
     ["subprocess.Popen.communicate"], timeout_argument=1)

# -- ACK230 blocking-file-io -----------------------------------------------------------------
_add("ACK230", "`aiofiles.open(...)` or `anyio.open_file(...)`, or " + _TO_THREAD,
     ["builtins.open", "io.open", "os.fdopen", "pathlib.Path.open"])
_add("ACK230", "`anyio.Path` or aiofiles, or " + _TO_THREAD,
     _methods(["pathlib.Path"], ["read_text", "read_bytes", "write_text", "write_bytes"]))
_add("ACK230", _TO_THREAD,
     _methods(["shutil"], ["copy", "copy2", "copyfile", "copyfileobj", "copymode", "copystat",
                           "copytree", "move", "rmtree", "make_archive", "unpack_archive"]))
_add("ACK230", _TO_THREAD,
     ["tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open", "zipfile.ZipFile"],
     in_memory_argument=True)
_add("ACK230", _TO_THREAD,
     [*_methods(["tarfile.TarFile"], ["extract", "extractall", "extractfile", "add", "addfile"]),
      *_methods(["zipfile.ZipFile"], ["extract", "extractall", "write"])])
_add("ACK230", _TO_THREAD,
     _methods(["zipfile.ZipFile"], ["read", "writestr", "testzip"]), in_memory_argument=True)
#: File objects (what ``open``, ``io.open``, ``os.fdopen`` and ``Path.open`` give, or an
#: annotation names): their methods that read, write or wait for the disk.
FILE_OBJECT_TYPES = ("io.TextIOWrapper", "io.BufferedReader", "io.BufferedWriter",
                     "io.BufferedRandom", "io.FileIO")
_add("ACK230", "`aiofiles.open(...)` or `anyio.open_file(...)`, or " + _TO_THREAD,
     _methods(FILE_OBJECT_TYPES, ["read", "read1", "readinto", "readline", "readlines", "write",
                                  "writelines", "seek", "flush", "truncate"]),
     file_method=True)

# -- ACK231 blocking-filesystem-query (off by default) ---------------------------------------
_add("ACK231", "`anyio.Path` or aiofiles.os, or " + _TO_THREAD,
     [*_methods(["os.path"], ["exists", "lexists", "isfile", "isdir", "islink", "ismount",
                              "getsize", "getmtime", "getatime", "getctime", "samefile",
                              "realpath"]),
      *_methods(["os"], ["listdir", "scandir", "walk", "stat", "lstat"]),
      "glob.glob", "glob.iglob",
      *_methods(["pathlib.Path"], ["exists", "is_file", "is_dir", "is_symlink", "iterdir",
                                   "glob", "rglob", "stat", "lstat"])])
_add("ACK231", "`anyio.Path` or aiofiles.os, or " + _TO_THREAD,
     [*_methods(["os"], ["makedirs", "mkdir", "remove", "unlink", "rename", "renames",
                         "replace", "rmdir", "removedirs", "chmod", "chown", "symlink", "link",
                         "utime"]),
      *_methods(["pathlib.Path"], ["mkdir", "unlink", "rename", "replace", "rmdir", "touch",
                                   "chmod", "symlink_to", "hardlink_to"])])

# -- ACK232 blocking-ssl-setup ---------------------------------------------------------------
_SSL_ONCE = ("build the context once at start-up and reuse it, or "
             "`await asyncio.to_thread(...)`")
_add("ACK232", _SSL_ONCE,
     ["ssl.create_default_context", "ssl._create_unverified_context",
      "ssl.get_server_certificate",
      *_methods(["ssl.SSLContext"], ["load_verify_locations", "load_cert_chain",
                                     "load_default_certs", "set_default_verify_paths"])])
_add("ACK232", "create the client once at start-up and reuse it, or pass `verify=` a context "
     "built once",
     _methods(["httpx", "httpx2"], ["Client", "AsyncClient", "HTTPTransport",
                                    "AsyncHTTPTransport"]),
     verify_argument=True)

# -- ACK233 blocking-import ------------------------------------------------------------------
_add("ACK233", "import the module at start-up (or at the top of the file), or "
     "`await asyncio.to_thread(importlib.import_module, name)`",
     ["importlib.import_module", "importlib.reload", "builtins.__import__"])

# -- ACK240 blocking-network -----------------------------------------------------------------
_add("ACK240", "`await asyncio.open_connection(...)`, or " + _TO_THREAD,
     ["socket.create_connection"])
_add("ACK240", "`await loop.getaddrinfo(...)`, or " + _TO_THREAD,
     _methods(["socket"], ["getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"]))
_add("ACK240", "asyncio streams (`asyncio.open_connection`) or `await loop.sock_*(...)`",
     _methods(["socket.socket"], ["recv", "recvfrom", "recv_into", "recvfrom_into", "send",
                                  "sendall", "sendto", "accept", "connect"]),
     nonblocking_socket=True)
_add("ACK240", "aiosmtplib, or " + _TO_THREAD,
     ["smtplib.SMTP", "smtplib.SMTP_SSL", "smtplib.LMTP"], needs_arguments=True)
_add("ACK240", "aiosmtplib, or " + _TO_THREAD,
     _methods(["smtplib.SMTP", "smtplib.SMTP_SSL", "smtplib.LMTP"],
              ["connect", "login", "starttls", "ehlo", "helo", "sendmail", "send_message",
               "quit", "noop", "verify", "rset", "docmd", "auth"]))
_add("ACK240", "aioftp, or " + _TO_THREAD,
     ["ftplib.FTP", "ftplib.FTP_TLS"], needs_arguments=True)
_add("ACK240", "aioftp, or " + _TO_THREAD,
     _methods(["ftplib.FTP", "ftplib.FTP_TLS"],
              ["connect", "login", "cwd", "pwd", "nlst", "dir", "mlsd", "size", "retrbinary",
               "retrlines", "storbinary", "storlines", "delete", "rename", "mkd", "rmd",
               "sendcmd", "voidcmd", "transfercmd", "ntransfercmd", "quit"]))

# -- ACK250 blocking-input -------------------------------------------------------------------
_add("ACK250", "`await asyncio.to_thread(input, ...)` or a `StreamReader` from "
     "`loop.connect_read_pipe`",
     ["builtins.input",
      *_methods(["sys.stdin", "sys.stdin.buffer"], ["read", "readline", "readlines"])])

# -- ACK260 blocking-database ----------------------------------------------------------------
_SQL_METHODS = ("execute", "executemany", "executescript", "fetchone", "fetchmany", "fetchall",
                "commit")
_add("ACK260", "aiosqlite, or " + _TO_THREAD,
     ["sqlite3.connect", *_methods(["sqlite3.Connection", "sqlite3.Cursor"], _SQL_METHODS)])
_add("ACK260", "asyncpg or psycopg's `AsyncConnection`, or " + _TO_THREAD,
     ["psycopg2.connect",
      *_methods(["psycopg2.extensions.connection", "psycopg2.extensions.cursor"], _SQL_METHODS)])
_add("ACK260", "`await psycopg.AsyncConnection.connect(...)`, or " + _TO_THREAD,
     ["psycopg.connect", "psycopg.Connection.connect",
      *_methods(["psycopg.Connection", "psycopg.Cursor"], _SQL_METHODS)])
_add("ACK260", "aiomysql or asyncmy, or " + _TO_THREAD,
     ["pymysql.connect", "MySQLdb.connect",
      *_methods(["pymysql.connections.Connection", "pymysql.cursors.Cursor",
                 "MySQLdb.connections.Connection", "MySQLdb.cursors.Cursor"], _SQL_METHODS)])
_add("ACK260", "`redis.asyncio.Redis`",
     ["redis.Redis", "redis.StrictRedis", "redis.from_url", "redis.Redis.from_url"])
_add("ACK260", "motor (`motor.motor_asyncio.AsyncIOMotorClient`)", ["pymongo.MongoClient"])
_SQLALCHEMY_WAY_OUT = ("SQLAlchemy's `AsyncEngine`/`AsyncSession` (`create_async_engine`, "
                       "`async_sessionmaker`), or " + _TO_THREAD)
_add("ACK260", _SQLALCHEMY_WAY_OUT,
     [*_methods(["sqlalchemy.engine.Engine"], ["connect", "begin", "execute", "scalar",
                                               "raw_connection"]),
      *_methods(["sqlalchemy.engine.Connection"], ["execute", "exec_driver_sql", "scalar",
                                                   "scalars", "commit"]),
      *_methods(["sqlalchemy.orm.Session", "sqlalchemy.orm.scoped_session"],
                ["execute", "scalar", "scalars", "query", "get", "commit", "flush", "refresh",
                 "exec"])])

# -- ACK270 blocking-wait --------------------------------------------------------------------
_THREADING_LOCKS = ("threading.Lock", "threading.RLock", "threading.Semaphore",
                    "threading.BoundedSemaphore", "threading.Condition")
_add("ACK270", "`asyncio.Lock`/`asyncio.Semaphore`, or `await asyncio.to_thread(lock.acquire)`",
     _methods(_THREADING_LOCKS, ["acquire"]), block_argument=(0, "blocking"), timeout_argument=1)
_add("ACK270", "`asyncio.Lock`/`asyncio.Semaphore` with `async with`",
     _methods(_THREADING_LOCKS, ["__enter__"]))
_add("ACK270", "`asyncio.Event`/`asyncio.Condition`, or `await asyncio.to_thread(...)`",
     ["threading.Event.wait", "threading.Condition.wait"], timeout_argument=0)
_add("ACK270", "`asyncio.Event`/`asyncio.Condition`, or `await asyncio.to_thread(...)`",
     ["threading.Condition.wait_for"], timeout_argument=1)
_QUEUES = ("queue.Queue", "queue.LifoQueue", "queue.PriorityQueue", "queue.SimpleQueue")
_add("ACK270", "`asyncio.Queue`, `get_nowait()`, or `await asyncio.to_thread(q.get)`",
     _methods(_QUEUES, ["get"]), block_argument=(0, "block"), timeout_argument=1)
_add("ACK270", "`asyncio.Queue`, `put_nowait()`, or `await asyncio.to_thread(q.put, item)`",
     _methods(_QUEUES[:3], ["put"]), block_argument=(1, "block"), timeout_argument=2)
_add("ACK270", "`asyncio.Queue`, or `await asyncio.to_thread(q.join)`",
     _methods(_QUEUES[:3], ["join"]))
_add("ACK270", "`await asyncio.to_thread(thread.join)`", ["threading.Thread.join"],
     timeout_argument=0)
_add("ACK270", "`await asyncio.wrap_future(future)`", ["concurrent.futures.Future.result"],
     timeout_argument=0)

#: Other spellings of the types in the tables (where the class is defined, platform classes),
#: mapped to the name the tables use.
TYPE_ALIASES: dict[str, str] = {
    "requests.sessions.Session": "requests.Session",
    "niquests.sessions.Session": "niquests.Session",
    "httpx._client.Client": "httpx.Client",
    "urllib3.poolmanager.PoolManager": "urllib3.PoolManager",
    "urllib3.poolmanager.ProxyManager": "urllib3.ProxyManager",
    "pathlib.PosixPath": "pathlib.Path",
    "pathlib.WindowsPath": "pathlib.Path",
    "ssl.SSLSocket": "socket.socket",
    "socket.SocketType": "socket.socket",
    "threading._RLock": "threading.RLock",
    "threading.Timer": "threading.Thread",
    "concurrent.futures._base.Future": "concurrent.futures.Future",
    "psycopg.connection.Connection": "psycopg.Connection",
    "psycopg.cursor.Cursor": "psycopg.Cursor",
    "redis.client.Redis": "redis.Redis",
    "pymongo.mongo_client.MongoClient": "pymongo.MongoClient",
    "httpx2._client.Client": "httpx2.Client",
    "urllib3.connectionpool.HTTPConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.connectionpool.HTTPSConnectionPool": "urllib3.HTTPSConnectionPool",
    "_io.TextIOWrapper": "io.TextIOWrapper",
    "_io.BufferedReader": "io.BufferedReader",
    "_io.BufferedWriter": "io.BufferedWriter",
    "_io.BufferedRandom": "io.BufferedRandom",
    "_io.FileIO": "io.FileIO",
    "zipfile._ZipFile": "zipfile.ZipFile",
    "sqlalchemy.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.engine.base.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.future.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.future.engine.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.Connection": "sqlalchemy.engine.Connection",
    "sqlalchemy.engine.base.Connection": "sqlalchemy.engine.Connection",
    "sqlalchemy.future.Connection": "sqlalchemy.engine.Connection",
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.scoping.scoped_session": "sqlalchemy.orm.scoped_session",
    "sqlmodel.Session": "sqlalchemy.orm.Session",
    "sqlmodel.orm.session.Session": "sqlalchemy.orm.Session",
}


def canonical_blocking_name(qualname: str) -> str:
    """``pathlib.PosixPath.read_text`` -> ``pathlib.Path.read_text`` (see :data:`TYPE_ALIASES`)."""
    if qualname in TYPE_ALIASES:
        return TYPE_ALIASES[qualname]
    owner, _, attr = qualname.rpartition(".")
    alias = TYPE_ALIASES.get(owner)
    return f"{alias}.{attr}" if alias is not None else qualname


def blocking_call(qualname: str) -> BlockingCall | None:
    """The table entry for a resolved qualified name, if it is a blocking call."""
    return BLOCKING_CALLS.get(canonical_blocking_name(qualname))


@dataclass(frozen=True)
class BlockingMatch:
    """A call (or ``with`` item) that blocks: its table name and entry."""

    qualname: str
    entry: BlockingCall


def match_blocking_call(resolver: Resolver, scope: Scope, call: cst.Call) -> BlockingMatch | None:
    """The table entry ``call`` matches in ``scope``, honouring non-blocking arguments."""
    qualname = resolver.qualified_name(call.func, scope)
    if qualname is None:
        return None
    qualname = canonical_blocking_name(qualname)
    entry = BLOCKING_CALLS.get(qualname)
    if entry is None:
        qualname = inherited_name(resolver, scope, qualname)
        entry = BLOCKING_CALLS.get(qualname)
        if entry is None:
            return None
    if entry.needs_arguments and not call.args:
        return None
    if entry.in_memory_argument and _in_memory(resolver, scope, call, qualname):
        return None
    if entry.verify_argument and _prebuilt_tls(resolver, scope, call):
        return None
    if entry.file_method and _opened_here(resolver, scope, call):
        return None
    if entry.block_argument is not None and _passes_false(call, *entry.block_argument):
        return None
    if entry.timeout_argument is not None and _passes_zero(call, entry.timeout_argument):
        return None
    if entry.nonblocking_socket and isinstance(call.func, cst.Attribute):
        receiver = dotted_name(call.func.value)
        if receiver is not None and _made_nonblocking(scope, receiver):
            return None
    return BlockingMatch(qualname, entry)


def match_blocking_with(resolver: Resolver, scope: Scope, item: cst.BaseExpression) -> BlockingMatch | None:
    """The table entry for entering ``item`` with a plain ``with`` (``with lock:``).

    Only existing objects count: ``with threading.Lock():`` takes a brand-new lock, which
    nobody else holds.
    """
    if isinstance(item, cst.Call):
        return None
    owner = resolver.expression_type(item, scope)
    if owner is None:
        return None
    qualname = canonical_blocking_name(f"{owner}.__enter__")
    entry = BLOCKING_CALLS.get(qualname)
    if entry is None:
        qualname = inherited_name(resolver, scope, qualname)
        entry = BLOCKING_CALLS.get(qualname)
    return BlockingMatch(qualname, entry) if entry is not None else None


# -- subclasses of the tables' classes ----------------------------------------------------------

def inherited_name(resolver: Resolver, scope: Scope, qualname: str) -> str:
    """The table name a method of a class of this module inherits: ``pkg.Inbox.get`` for a
    ``class Inbox(queue.Queue)`` that does not define ``get`` is ``queue.Queue.get`` (so
    ``self.get(timeout=5)`` in its methods is the queue's blocking ``get``); ``qualname``
    itself when nothing is inherited from the tables."""
    owner, _, attr = qualname.rpartition(".")
    module = scope.module_scope
    if not owner or not owner.startswith(module.qualname + "." if module.qualname else ""):
        return qualname
    seen: set[str] = set()
    pending = [owner]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for base in _local_class_bases(resolver, module, current, attr):
            candidate = canonical_blocking_name(f"{base}.{attr}")
            if candidate in BLOCKING_CALLS:
                return candidate
            pending.append(base)
    return qualname


def table_class(resolver: Resolver, scope: Scope, class_qualname: str, method: str) -> str | None:
    """The class of the tables whose ``method`` a class of this module inherits
    (``queue.Queue`` for ``class Inbox(queue.Queue)`` and ``put``), if any."""
    found = inherited_name(resolver, scope, f"{class_qualname}.{method}")
    return found.rpartition(".")[0] if found in BLOCKING_CALLS else None


def local_class_scope(scope: Scope, class_qualname: str) -> Scope | None:
    """The scope of a class of this module, from its qualified name."""
    module = scope.module_scope
    if not class_qualname.startswith(module.qualname + "." if module.qualname else ""):
        return None
    return find_class_scope(module, class_qualname)


def _class_bases_key(node: cst.CSTNode) -> object:
    """The key of :func:`_local_class_bases`'s memo in a module scope's facts (the facts are
    keyed by the function that computes them from the scope's node; this memo is filled
    class by class instead)."""
    return {}


def _local_class_bases(resolver: Resolver, module: Scope, owner: str,
                       attr: str) -> tuple[str, ...]:
    """The resolved bases of the module's class ``owner`` when it does not define ``attr``
    itself (none for a class that does, or that is not a class of the module)."""
    known = module.facts.get(_class_bases_key)
    if known is None:
        known = module.facts[_class_bases_key] = {}
    assert isinstance(known, dict)
    bases = known.get(owner)
    if bases is None:
        class_scope = find_class_scope(module, owner)
        if class_scope is None or class_scope.parent is None:
            bases = ((), frozenset())
        else:
            node = class_scope.node
            assert isinstance(node, cst.ClassDef)
            names = tuple(q for arg in node.bases if arg.keyword is None
                          and (q := resolver.qualified_name(base_class(arg), class_scope.parent))
                          is not None)
            bases = (names, frozenset(class_scope.bindings))
        known[owner] = bases
    names, defined = bases
    return () if attr in defined else names


# -- arguments that make a call harmless --------------------------------------------------------

_ARCHIVE_CONSTRUCTORS = frozenset({"tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open",
                                   "zipfile.ZipFile"})
_IN_MEMORY_TYPES = frozenset({"io.BytesIO", "io.StringIO"})


def _in_memory(resolver: Resolver, scope: Scope, call: cst.Call, qualname: str) -> bool:
    """An archive opened on an in-memory buffer (``zipfile.ZipFile(io.BytesIO(data))``,
    ``tarfile.open(fileobj=buffer)``), or a method of one such archive object."""
    if qualname in _ARCHIVE_CONSTRUCTORS:
        return _in_memory_archive(resolver, scope, call)
    if type(call.func) is not cst.Attribute:
        return False
    values = resolver.bound_values(call.func.value, scope)
    return bool(values) and all(
        type(value) is cst.Call and _in_memory_archive(resolver, value_scope, value)
        for value, value_scope in values)


def _in_memory_archive(resolver: Resolver, scope: Scope, call: cst.Call) -> bool:
    """``call`` opens an archive (``tarfile.open``, ``zipfile.ZipFile``) on an in-memory
    buffer: its ``fileobj=``/``file=`` argument, else its first one, is a ``BytesIO``."""
    for keyword in ("fileobj", "file"):
        given = _keyword_argument(call, keyword)
        if given is not None:
            return _is_in_memory(resolver, scope, given)
    qualname = resolver.qualified_name(call.func, scope)
    if qualname is None or canonical_blocking_name(qualname) not in _ARCHIVE_CONSTRUCTORS:
        return False
    first = call_argument(call, 0, "name")
    return first is not None and _is_in_memory(resolver, scope, first)


def _keyword_argument(call: cst.Call, keyword: str) -> cst.BaseExpression | None:
    """The argument passed as ``keyword=``, if any."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    return None


def _is_in_memory(resolver: Resolver, scope: Scope, expr: cst.BaseExpression) -> bool:
    found = resolver.expression_type(expr, scope)
    return found is not None and found in _IN_MEMORY_TYPES


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _prebuilt_tls(resolver: Resolver, scope: Scope, call: cst.Call) -> bool:
    """An HTTP client given its TLS set-up (or maybe given it, through ``**options``):
    ``transport=...``, ``verify=False``, or ``verify=`` a context (an ``ssl.SSLContext``, a
    call that makes one, a name such as ``ssl_context``/``ctx``) rather than ``True`` or a
    certificate file to load."""
    if any(arg.star == "**" for arg in call.args):
        return True  # ``httpx.AsyncClient(**options)``: the options may carry ``verify=``
    transport = _keyword_argument(call, "transport")
    if transport is not None and not _is_none(transport):
        return True
    verify = _keyword_argument(call, "verify")
    if verify is None:
        return False
    if _is_false(verify) or type(verify) is cst.Call:
        return True
    found = resolver.expression_type(verify, scope)
    if found is not None and canonical_blocking_name(found) == "ssl.SSLContext":
        return True
    text = dotted_name(verify)
    last = text.rpartition(".")[2].lower() if text is not None else ""
    return "context" in last or "ctx" in last


def _opened_here(resolver: Resolver, scope: Scope, call: cst.Call) -> bool:
    """``f.read()`` on a name the same function bound only to calls that are themselves
    blocking (``with open(path) as f:``, ``f = open(path)``): that call is the finding."""
    receiver = call.func.value if type(call.func) is cst.Attribute else None
    if type(receiver) is not cst.Name or scope.kind != "function":
        return False
    bindings = scope.bindings.get(receiver.value)
    if not bindings:
        return False
    for binding in bindings:
        value = binding.value
        if binding.kind != "assign" or type(value) is not cst.Call:
            return False
        if match_blocking_call(resolver, scope, value) is None:
            return False
    return True


def _is_false(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "False"


def _is_zero(expr: cst.BaseExpression | None) -> bool:
    """A literal zero, however written (``0``, ``0.0``, ``0x0``, ``0_0``)."""
    return isinstance(expr, (cst.Integer, cst.Float)) and expr.evaluated_value == 0


def call_argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    """The argument passed as ``keyword=`` or else at ``position``, if any."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[position].value if len(positional) > position else None


def _passes_false(call: cst.Call, position: int, keyword: str) -> bool:
    return _is_false(call_argument(call, position, keyword))


def _passes_zero(call: cst.Call, position: int) -> bool:
    """A literal ``timeout=0`` (or ``0.0``), by keyword or at ``position``."""
    return _is_zero(call_argument(call, position, "timeout"))


def _made_nonblocking(scope: Scope, receiver: str) -> bool:
    """Whether ``<receiver>.setblocking(False)`` or ``.settimeout(0)`` appears in the
    function (for ``self.x``: anywhere in its class), which makes socket calls return at once."""
    current: Scope | None = scope
    while current is not None and current.kind in ("function", "lambda"):
        if receiver in _nonblocking_receivers_of(current):
            return True
        if receiver.partition(".")[0] in ("self", "cls") and current.parent is not None \
                and current.parent.kind == "class":
            return receiver in _nonblocking_receivers_of(current.parent)
        current = current.parent
    return False


def _nonblocking_receivers_of(scope: Scope) -> frozenset[str]:
    """:func:`_nonblocking_receivers` of the scope's node, computed once per scope (every
    socket call of a function asks about the same function)."""
    found = scope.facts.get(_nonblocking_receivers)
    if found is None:
        found = scope.facts[_nonblocking_receivers] = _nonblocking_receivers(scope.node)
    assert isinstance(found, frozenset)
    return found


def _nonblocking_receivers(node: cst.CSTNode) -> frozenset[str]:
    """The receivers (dotted names) that ``node`` switches to non-blocking mode, anywhere
    inside it: ``sock.setblocking(False)`` (or ``0``), ``sock.settimeout(0)``, or calls on
    ``sock`` in a ``try`` that catches ``BlockingIOError``."""
    receivers: set[str] = set()
    for found in _nodes_in(node, (cst.Try, cst.Call)):
        if isinstance(found, cst.Try):
            # ``try: sock.recv(...) except BlockingIOError:`` only makes sense on a
            # non-blocking socket: the call returns at once and the loop is asked to wait.
            if any(_catches_blocking_io_error(h.type) for h in found.handlers):
                receivers.update(
                    name for call in _nodes_in(found.body, (cst.Call,))
                    if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                    and (name := dotted_name(call.func.value)) is not None)
            continue
        assert isinstance(found, cst.Call)
        func = found.func
        if not isinstance(func, cst.Attribute) or not found.args:
            continue
        receiver = dotted_name(func.value)
        if receiver is None:
            continue
        value = found.args[0].value
        if func.attr.value == "setblocking" and (_is_false(value) or _is_zero(value)):
            receivers.add(receiver)
        elif func.attr.value == "settimeout" and _is_zero(value):
            receivers.add(receiver)
    return frozenset(receivers)


def _catches_blocking_io_error(handler_type: cst.BaseExpression | None) -> bool:
    if handler_type is None:
        return False
    if isinstance(handler_type, cst.Tuple):
        return any(_catches_blocking_io_error(e.value) for e in handler_type.elements)
    name = dotted_name(handler_type)
    return name is not None and name.rpartition(".")[2] in ("BlockingIOError", "SSLWantReadError",
                                                            "SSLWantWriteError")


def _nodes_in(node: cst.CSTNode, kinds: tuple[type[cst.CSTNode], ...]) -> Iterator[cst.CSTNode]:
    """The nodes of the given types in ``node`` (itself included), by the cheap walk."""
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, kinds):
            yield current
        pending.extend(iter_children(current))


def describe_call(func: cst.BaseExpression, qualname: str) -> str:
    """How a message names a call: the source text, plus the resolved name when they differ
    (``session.get`` (``requests.Session.get``))."""
    text = dotted_name(func)
    if text is None and isinstance(func, cst.Attribute):
        # ``run_coroutine_threadsafe(coro, loop).result``: show the source when it is short.
        source = cst.Module([]).code_for_node(func)
        if len(source) <= 60 and "\n" not in source:
            text = source
    if text is None or text == qualname:
        return f"`{qualname}(...)`"
    if qualname == f"builtins.{text}":
        return f"`{text}(...)`"
    return f"`{text}(...)` (`{qualname}`)"
