"""The blocking-call tables: every entry is reported by its rule, only inside ``async def``,
and the argument conditions (``block=False``, constructors without an address) hold."""

from __future__ import annotations

import pytest

from asyncheck.semantics.blocking import (
    BLOCKING_CALLS,
    TYPE_ALIASES,
    blocking_call,
    canonical_blocking_name,
)
from asyncheck.app.registry import all_rules
from asyncheck.doors.testing import lint_source

ALL_BLOCKING = ("ACK200", "ACK210", "ACK220", "ACK230", "ACK231", "ACK232", "ACK233",
                "ACK240", "ACK250", "ACK260", "ACK270", "ACK290")


_MODULES = frozenset({
    "time", "requests", "niquests", "httpx", "httpx2", "urllib.request", "urllib3", "subprocess",
    "os", "os.path", "builtins", "io", "shutil", "glob", "socket", "smtplib", "ftplib",
    "sys.stdin", "sys.stdin.buffer", "sqlite3", "psycopg2", "psycopg", "pymysql", "MySQLdb",
    "redis", "pymongo", "asyncio", "ssl", "importlib", "tarfile", "zipfile",
})


def _is_method(qualname: str) -> bool:
    """Entries of modules are called as functions, the others on an annotated object."""
    owner = qualname.rpartition(".")[0]
    assert owner, qualname
    return owner not in _MODULES


def _module_function_source(qualname: str, *, is_async: bool) -> str:
    module, _, func = qualname.rpartition(".")
    keyword = "async def" if is_async else "def"
    if module == "builtins":
        return f"{keyword} handler(arg):\n    return {func}(arg)\n"
    return f"import {module.split('.')[0]}\nimport {module}\n\n{keyword} handler(arg):\n    return {qualname}(arg)\n"


def _method_source(qualname: str, *, is_async: bool) -> str:
    owner, _, method = qualname.rpartition(".")
    module = owner.rpartition(".")[0]
    keyword = "async def" if is_async else "def"
    if method == "__enter__":
        # Held across an await (a short section on a mutex is fine, see test_waits.py);
        # the await is left out of sync code.
        body = "await arg" if is_async else "arg"
        return (f"import {module}\n\n{keyword} handler(obj: {owner}, arg):\n"
                f"    with obj:\n        return {body}\n")
    return f"import {module}\n\n{keyword} handler(obj: {owner}, arg):\n    return obj.{method}(arg)\n"


def _source(qualname: str, *, is_async: bool) -> str:
    if _is_method(qualname):
        return _method_source(qualname, is_async=is_async)
    return _module_function_source(qualname, is_async=is_async)


TABLE = sorted(BLOCKING_CALLS.items())


@pytest.mark.parametrize(("qualname", "entry"), TABLE, ids=[q for q, _ in TABLE])
def test_every_entry_is_reported_by_its_rule_inside_async_def(qualname: str, entry: object) -> None:
    found = lint_source(_source(qualname, is_async=True), codes=ALL_BLOCKING,
                        options={"select": ("ALL",)})
    codes = [d.code for d in found]
    assert codes == [BLOCKING_CALLS[qualname].code], (qualname, found)
    assert BLOCKING_CALLS[qualname].way_out in found[0].message


@pytest.mark.parametrize(("qualname", "entry"), TABLE, ids=[q for q, _ in TABLE])
def test_no_entry_is_reported_in_sync_code(qualname: str, entry: object) -> None:
    assert lint_source(_source(qualname, is_async=False), codes=ALL_BLOCKING,
                       options={"select": ("ALL",)}) == []


def test_every_table_code_is_a_rule() -> None:
    rules = all_rules()
    assert {entry.code for entry in BLOCKING_CALLS.values()} <= set(rules)
    for code in ALL_BLOCKING:
        assert code in rules


def test_aliases_map_to_table_names() -> None:
    assert canonical_blocking_name("pathlib.PosixPath.read_text") == "pathlib.Path.read_text"
    assert canonical_blocking_name("requests.sessions.Session.get") == "requests.Session.get"
    assert blocking_call("ssl.SSLSocket.recv") == blocking_call("socket.socket.recv")
    for alias, target in TYPE_ALIASES.items():
        assert alias != target
        assert any(name.startswith(target + ".") or name == target for name in BLOCKING_CALLS), alias


def test_pure_names_are_not_in_the_tables() -> None:
    for pure in ("os.path.join", "os.path.normpath", "os.path.basename", "os.getcwd",
                 "queue.Queue.get_nowait", "queue.Queue.put_nowait", "pathlib.Path.with_suffix",
                 "asyncio.sleep", "httpx.AsyncClient.get", "aiohttp.ClientSession.get",
                 "builtins.dict.get"):
        assert blocking_call(pure) is None, pure


@pytest.mark.parametrize("call", [
    "jobs.get(block=False)", "jobs.get(False)", "jobs.put(1, False)", "jobs.put(1, block=False)",
    "jobs.get_nowait()", "jobs.put_nowait(1)", "lock.acquire(False)", "lock.acquire(blocking=False)",
    "jobs.get(timeout=0)", "jobs.get(True, 0)", "jobs.put(1, True, 0.0)", "lock.acquire(True, 0)",
    "ready.wait(0)", "ready.wait(timeout=0)", "worker.join(0)", "future.result(timeout=0)",
])
def test_non_blocking_variants_are_not_reported(call: str) -> None:
    source = ("import queue, threading\nfrom concurrent.futures import Future\n\n"
              "jobs = queue.Queue()\nlock = threading.Lock()\nready = threading.Event()\n"
              "worker = threading.Thread(target=print)\nfuture: 'Future[int]' = Future()\n\n"
              f"async def poll():\n    return {call}\n")
    assert lint_source(source, codes=["ACK270"]) == []


@pytest.mark.parametrize("call", [
    "jobs.get()", "jobs.get(True, 5)", "jobs.get(timeout=1)", "jobs.put(1)", "jobs.put(1, True)",
    "lock.acquire()", "lock.acquire(timeout=2)", "lock.acquire(blocking=True)",
    "ready.wait(1)", "worker.join(timeout=0.5)", "future.result()", "jobs.get(timeout=0.1)",
])
def test_blocking_variants_are_reported(call: str) -> None:
    # A bounded queue: put on an unbounded one never waits (see below).
    source = ("import queue, threading\nfrom concurrent.futures import Future\n\n"
              "jobs = queue.Queue(maxsize=8)\nlock = threading.Lock()\nready = threading.Event()\n"
              "worker = threading.Thread(target=print)\nfuture: 'Future[int]' = Future()\n\n"
              f"async def poll():\n    return {call}\n")
    assert [d.code for d in lint_source(source, codes=["ACK270"])] == ["ACK270"]


def test_fresh_lock_in_with_is_not_a_wait() -> None:
    source = "import threading\n\nasync def f():\n    with threading.Lock():\n        return 1\n"
    assert lint_source(source, codes=["ACK270"]) == []


def test_messages_name_the_call_as_written_and_resolved() -> None:
    source = ("from time import sleep as nap\nimport requests\n\n"
              "async def f(session: requests.Session):\n    nap(1)\n    open('x')\n"
              "    session.get('u')\n")
    messages = [d.message for d in lint_source(source)]
    assert any("`nap(...)` (`time.sleep`)" in m for m in messages)
    assert any(m.startswith("`open(...)` blocks") for m in messages)
    assert any("`session.get(...)` (`requests.Session.get`)" in m and "async def f" in m
               for m in messages)
