"""ACK290: chains through sync helpers, across files, with cycles and memoisation."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import RunCli

from asyncheck.semantics.helper_chains import MAX_DEPTH, blocking_chain, project_function
from asyncheck.semantics.project import ProjectIndex
from asyncheck.syntax.parse import read_module
from asyncheck.doors.testing import lint_source

ALL = {"select": ("ALL",)}


def chains(source: str, **kwargs: object) -> list[str]:
    return [d.message for d in lint_source(source, codes=["ACK290"], **kwargs)  # type: ignore[arg-type]
            if d.code == "ACK290"]


def index_of(files: dict[str, str]) -> ProjectIndex:
    modules = {path.removesuffix(".py").replace("/", "."): Path(path) for path in files}
    texts = {Path(path): text for path, text in files.items()}
    return ProjectIndex(modules, lambda path: read_module(texts[path].encode()))


CODES = frozenset({"ACK200", "ACK230", "ACK270"})


def chain_of(index: ProjectIndex, qualname: str) -> str | None:
    facts = project_function(index, qualname)
    assert facts is not None, qualname
    found = blocking_chain(index, facts, codes=CODES, blocking_calls=(),
                           configured=lambda _name: None)
    return found.render("start") if found is not None else None


def test_three_calls_deep_across_two_files() -> None:
    other = {
        "pkg/__init__.py": "",
        "pkg/net.py": (
            "import time\n\n"
            "def backoff(attempt):\n    time.sleep(attempt)\n\n"
            "def retrying_get(send, url):\n"
            "    for attempt in range(3):\n"
            "        if send(url):\n            return True\n"
            "        backoff(attempt)\n"
        ),
    }
    source = ("from pkg.net import retrying_get\n\n"
              "def fetch_report(send, report_id):\n    return retrying_get(send, report_id)\n\n"
              "async def service(send, report_id):\n    return fetch_report(send, report_id)\n")
    (message,) = chains(source, filename="pkg/service.py", other_files=other)
    assert "service -> fetch_report -> retrying_get -> backoff -> time.sleep" in message
    assert "asyncio.to_thread(fetch_report" in message


def test_cycle_members_are_not_memoised_as_clean_too_early() -> None:
    # a -> b -> a is a cycle; a also reaches c -> sleep after b.  Exploring a first meets b
    # while a is open: b's "no" must not be remembered, since b -> a -> c blocks.
    index = index_of({"m.py": (
        "import time\n\n"
        "def a(n):\n    b(n)\n    c()\n\n"
        "def b(n):\n    if n:\n        a(n - 1)\n\n"
        "def c():\n    time.sleep(1)\n"
    )})
    assert chain_of(index, "m.a") == "start -> a -> c -> time.sleep"
    assert chain_of(index, "m.b") == "start -> b -> a -> c -> time.sleep"


def test_pure_cycles_terminate_without_a_chain() -> None:
    index = index_of({"m.py": (
        "def even(n):\n    return n == 0 or odd(n - 1)\n\n"
        "def odd(n):\n    return n != 0 and even(n - 1)\n\n"
        "def self_loop(n):\n    return self_loop(n)\n"
    )})
    assert chain_of(index, "m.even") is None
    assert chain_of(index, "m.odd") is None
    assert chain_of(index, "m.self_loop") is None


def test_very_deep_chains_are_cut() -> None:
    depth = MAX_DEPTH + 5
    lines = ["import time\n"]
    for i in range(depth):
        lines.append(f"def f{i}():\n    f{i + 1}()\n")
    lines.append(f"def f{depth}():\n    time.sleep(1)\n")
    index = index_of({"deep.py": "\n".join(lines)})
    assert chain_of(index, "deep.f0") is None
    assert chain_of(index, f"deep.f{depth - 3}") is not None


def test_results_are_memoised_per_index() -> None:
    index = index_of({"m.py": (
        "import time\n\n"
        "def inner():\n    time.sleep(1)\n\n"
        "def middle():\n    inner()\n\n"
        "def outer():\n    middle()\n"
    )})
    asked: list[str] = []
    original = index.function

    def counting(qualname: str):  # type: ignore[no-untyped-def]
        asked.append(qualname)
        return original(qualname)

    index.function = counting  # type: ignore[method-assign]
    facts = original("m.outer")
    assert facts is not None

    def explore() -> str | None:
        found = blocking_chain(index, facts, codes=CODES, blocking_calls=(),
                               configured=lambda _name: None)
        return found.render("start") if found is not None else None

    assert explore() == "start -> outer -> middle -> inner -> time.sleep"
    assert asked  # the first exploration looked the helpers up
    asked.clear()
    assert explore() == "start -> outer -> middle -> inner -> time.sleep"
    assert asked == []  # the second one reused the memo


def test_methods_and_lock_acquire_in_helpers() -> None:
    source = (
        "import threading\n\n"
        "class Registry:\n"
        "    def __init__(self):\n"
        "        self._lock = threading.Lock()\n"
        "        self._items = {}\n\n"
        "    def add(self, key, value):\n"
        "        with self._lock:\n"
        "            self._items[key] = value\n\n"
        "    def add_slowly(self, key, value):\n"
        "        self._lock.acquire()\n"
        "        self._items[key] = value\n"
        "        self._release_later()\n\n"
        "    async def register(self, key, value):\n"
        "        self.add(key, value)\n"
        "        self.add_slowly(key, value)\n"
    )
    # `with lock:` in a helper is not followed; an explicit acquire() whose release is not
    # in sight is (a short acquire()...release() section is not: see below).
    (message,) = chains(source)
    assert "register -> Registry.add_slowly -> threading.Lock.acquire" in message


def test_short_critical_sections_and_harmless_waits_in_helpers() -> None:
    # Helpers that share state with threads the usual way: the mutex is held for a few
    # statements, a fresh lock is taken before anyone else sees it, the queue cannot fill,
    # the get is guarded by an empty() check.
    source = (
        "import queue, threading\n\n"
        "class Board:\n"
        "    def __init__(self):\n"
        "        self._lock = threading.RLock()\n"
        "        self._notes = {}\n"
        "        self._outbox = queue.Queue()\n\n"
        "    def pin(self, key, note):\n"
        "        self._lock.acquire()\n"
        "        try:\n"
        "            self._notes[key] = note\n"
        "        finally:\n"
        "            self._lock.release()\n"
        "        self._outbox.put(key)\n\n"
        "    def claim(self, key):\n"
        "        mine = threading.Lock()\n"
        "        mine.acquire()\n"
        "        self._notes[key] = mine\n\n"
        "    def next_key(self):\n"
        "        if not self._outbox.empty():\n"
        "            return self._outbox.get()\n"
        "        return None\n\n"
        "    async def handle(self, key, note):\n"
        "        self.pin(key, note)\n"
        "        self.claim(key)\n"
        "        return self.next_key()\n"
    )
    assert chains(source) == []
    # The same helper holding the mutex across a blocking call is still followed.
    slow = source.replace("self._notes[key] = note\n", "self._notes[key] = open(note).read()\n")
    (message,) = chains(slow)
    assert "handle -> Board.pin -> threading.RLock.acquire" in message


def test_off_loaded_and_async_helpers_are_not_reported() -> None:
    source = (
        "import asyncio, time\nfrom functools import partial\n\n"
        "def nap():\n    time.sleep(1)\n\n"
        "async def anap():\n    nap()\n\n"
        "async def main(loop):\n"
        "    await asyncio.to_thread(nap)\n"
        "    await loop.run_in_executor(None, partial(nap))\n"
        "    await loop.run_in_executor(None, lambda: nap())\n"
        "    await anap()\n"
    )
    # Only anap's own call of nap is reported, not main's.
    messages = chains(source)
    assert len(messages) == 1 and "anap -> nap -> time.sleep" in messages[0]


def test_disabled_rules_do_not_make_chains() -> None:
    source = ("import os\n\ndef listing(p):\n    return os.listdir(p)\n\n"
              "async def main(p):\n    return listing(p)\n")
    assert chains(source) == []
    assert chains(source, options=ALL) != []
    assert chains(source, options={"select": ("ALL",), "ignore": ("ACK231",)}) == []


def test_only_the_async_file_is_linted_but_the_chain_crosses_files(tmp_path: Path, cli: RunCli) -> None:
    # pre-commit passes only changed files: the helpers' file is read through the index.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'reports'\n", encoding="utf-8")
    package = tmp_path / "reports"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "net.py").write_text(
        "import time\n\n"
        "def backoff(attempt):\n    time.sleep(attempt)\n\n"
        "def retrying_get(send, url):\n"
        "    for attempt in range(3):\n"
        "        if send(url):\n            return True\n"
        "        backoff(attempt)\n",
        encoding="utf-8")
    (package / "service.py").write_text(
        "import asyncio\n\nfrom .net import retrying_get\n\n"
        "async def service(send, url):\n    return retrying_get(send, url)\n\n"
        "async def offloaded(send, url):\n    return await asyncio.to_thread(retrying_get, send, url)\n",
        encoding="utf-8")
    result = cli("reports/service.py", "--format", "json", "--extend-select", "ACK290", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    (finding,) = json.loads(result.stdout)
    assert (finding["code"], finding["line"]) == ("ACK290", 6)
    assert "service -> retrying_get -> backoff -> time.sleep" in finding["message"]
