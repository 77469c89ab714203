"""The pre-filter skips parsing, never findings."""

from __future__ import annotations

from pathlib import Path

from asyncheck.core.config import Settings
from asyncheck.text.prefilter import PreFilter
from asyncheck.app.assemble import enabled_rules
from asyncheck.app.runner import run
from asyncheck.doors.testing import lint_source

ROOT = Path(__file__).resolve().parents[1]


def _findings(paths: list[str], settings: Settings, *, prefilter: bool) -> list[tuple[str, int, str]]:
    result = run(paths, settings, prefilter=prefilter, jobs=1)
    return [(d.path, d.line, d.code) for d in result.diagnostics]


def test_same_findings_with_and_without_prefilter_on_fixtures() -> None:
    for settings in (Settings(), Settings(select=("ALL",)), Settings(select=("ACK2",))):
        assert _findings([str(ROOT / "fixtures")], settings, prefilter=True) == _findings(
            [str(ROOT / "fixtures")], settings, prefilter=False)


def test_prefilter_skips_files_without_triggers_but_not_broken_ones(tmp_path: Path) -> None:
    rules = [r for r in enabled_rules(Settings(select=("ACK0", "ACK2")))]
    skipper = PreFilter(rules, Settings(), {})
    assert skipper.active
    assert not skipper.may_report(b"import time\n\ndef poll():\n    time.sleep(1)\n")
    assert skipper.may_report(b"import time\n\nasync def poll():\n    time.sleep(1)\n")
    # CPython rejects it: it must be parsed so that ACK000 is reported.
    assert skipper.may_report(b"def broken(:\n")
    assert skipper.may_report(b"x = '\xff'\n")


def test_project_coroutine_names_are_triggers_for_sync_callers(tmp_path: Path) -> None:
    (tmp_path / "client.py").write_text("async def refresh_prices():\n    return 1\n")
    caller = tmp_path / "main.py"
    caller.write_text("from client import refresh_prices\n\nrefresh_prices()\n")
    rules = enabled_rules(Settings(select=("ACK0", "ACK1")))
    skipper = PreFilter(rules, Settings(), {"client": tmp_path / "client.py", "main": caller})
    assert skipper.active
    assert skipper.may_report(caller.read_bytes())
    # Without the project's coroutine functions the same bytes hold nothing to check.
    assert not PreFilter(rules, Settings(), {"main": caller}).may_report(caller.read_bytes())
    findings = run([str(caller)], Settings(select=("ACK1",)), jobs=1)
    assert [(d.line, d.code) for d in findings.diagnostics] == [(3, "ACK100")]


def test_valid_python_that_libcst_rejects_is_still_reported(tmp_path: Path) -> None:
    (tmp_path / "odd.py").write_text("(x): int = 1\n")
    result = run([str(tmp_path)], Settings(), jobs=1)
    assert [(d.line, d.code) for d in result.diagnostics] == [(1, "ACK000")]


def test_coroutine_names_are_whole_words_and_methods_count_by_class(tmp_path: Path) -> None:
    client = tmp_path / "client.py"
    client.write_text("class Client:\n    async def fetch(self):\n        return 1\n\n\n"
                      "async def f():\n    return 2\n")
    rules = enabled_rules(Settings(select=("ACK1",)))
    skipper = PreFilter(rules, Settings(), {"client": client})
    assert skipper.may_report(b"from client import Client\n\nClient().fetch()\n")
    assert skipper.may_report(b"from client import f\n\nf()\n")
    # "f" inside other words, or a method name alone, does not make a file worth parsing.
    assert not skipper.may_report(b"def fetch(url):\n    return format(url)\n")


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


#: A price-tracking project: the coroutine functions live in `shop`; `jobs` holds sync
#: scripts, some of which reach them through re-exports, aliases and a subclass.
_SHOP = {
    "shop/__init__.py": "from .client import fetch_prices\n\n__all__ = ['fetch_prices']\n",
    "shop/client.py": (
        "import aiohttp\n\n\n"
        "async def fetch_prices(session: aiohttp.ClientSession, sku: str) -> dict:\n"
        "    async with session.get(f'https://api.example.com/prices/{sku}') as response:\n"
        "        return await response.json()\n\n\n"
        "class PriceClient:\n"
        "    def __init__(self, session: aiohttp.ClientSession) -> None:\n"
        "        self.session = session\n\n"
        "    async def refresh(self, sku: str) -> dict:\n"
        "        return await fetch_prices(self.session, sku)\n"
    ),
    "shop/compat.py": "from shop.client import fetch_prices as get_prices\n",
    "shop/retrying.py": (
        "from shop.client import PriceClient\n\n\n"
        "class RetryingClient(PriceClient):\n"
        "    attempts = 3\n"
    ),
    "jobs/__init__.py": "",
    "jobs/nightly.py": (
        "from shop import fetch_prices\n\n\n"
        "def run(session, skus):\n"
        "    for sku in skus:\n"
        "        fetch_prices(session, sku)\n"
    ),
    "jobs/legacy.py": (
        "from shop.compat import get_prices\n\n\n"
        "def run(session):\n"
        "    get_prices(session, 'A-1')\n"
    ),
    "jobs/warm_cache.py": (
        "from shop.retrying import RetryingClient\n\n\n"
        "def warm(session):\n"
        "    RetryingClient(session).refresh('A-1')\n"
    ),
    "jobs/report.py": (
        "import csv\n\n\n"
        "def refresh(rows, fetch_prices):\n"
        "    # fetch_prices: the caller's own price lookup, a plain callable.\n"
        "    return [fetch_prices(row) for row in csv.reader(rows)]\n"
    ),
}


def test_prefilter_follows_reexports_aliases_and_subclasses(tmp_path: Path) -> None:
    _write(tmp_path, _SHOP)
    settings = Settings(select=("ACK0", "ACK1"))
    with_filter = _findings([str(tmp_path)], settings, prefilter=True)
    assert with_filter == _findings([str(tmp_path)], settings, prefilter=False)
    assert {(Path(path).relative_to(tmp_path).as_posix(), line, code)
            for path, line, code in with_filter} == {
        ("jobs/nightly.py", 6, "ACK100"),
        ("jobs/legacy.py", 5, "ACK100"),
        ("jobs/warm_cache.py", 5, "ACK100"),
    }
    modules = {"shop": tmp_path / "shop/__init__.py", "shop.client": tmp_path / "shop/client.py",
               "shop.compat": tmp_path / "shop/compat.py",
               "shop.retrying": tmp_path / "shop/retrying.py",
               "jobs.report": tmp_path / "jobs/report.py"}
    skipper = PreFilter(enabled_rules(settings), settings, modules)
    # Names one of shop's coroutine functions, but imports nothing of shop: not parsed.
    assert not skipper.may_report((tmp_path / "jobs/report.py").read_bytes())


def test_prefilter_scan_of_definitions(tmp_path: Path) -> None:
    _write(tmp_path, {
        "tasks/__init__.py": "",
        "tasks/compat.py": (
            "import sys\n\n"
            "if sys.version_info >= (3, 11):\n"
            "    async def sleep_until(deadline):\n"
            "        ...\n"
            "else:\n"
            "    async def sleep_until(deadline):\n"
            "        ...\n\n\n"
            "def run_blocking(coro_fn):\n"
            "    async def runner():\n"
            "        await coro_fn()\n"
            "    return runner\n"
        ),
        "tasks/__main__.py": "async def main():\n    ...\n",
    })
    settings = Settings(select=("ACK1",))
    modules = {"tasks": tmp_path / "tasks/__init__.py", "tasks.compat": tmp_path / "tasks/compat.py",
               "tasks.__main__": tmp_path / "tasks/__main__.py"}
    skipper = PreFilter(enabled_rules(settings), settings, modules)
    # A module-level async def under `if` counts ...
    assert skipper.may_report(b"from tasks.compat import sleep_until\nsleep_until(3)\n")
    # ... one nested in a function does not (only its own file can call it).
    assert not skipper.may_report(b"from tasks import compat\n\ndef runner():\n    pass\n")
    # Every script says `__main__`; a package's __main__ module is imported through the package.
    assert not skipper.may_report(b"def main():\n    pass\n\nif __name__ == '__main__':\n    main()\n")
    assert skipper.may_report(b"from tasks.__main__ import main\nmain()\n")


def test_a_file_too_large_to_analyse_is_reported_with_or_without_the_prefilter(
        tmp_path: Path) -> None:
    from asyncheck.core.source import MAX_FILE_BYTES

    # Generated code: a big lookup table without any async code.
    table = "".join(f"    {n}: 'code-{n}',\n" for n in range(MAX_FILE_BYTES // 16))
    (tmp_path / "codes.py").write_text("CODES = {\n" + table + "}\n")
    for prefilter in (True, False):
        result = run([str(tmp_path)], Settings(), prefilter=prefilter, jobs=1)
        assert [(d.code, "too large" in d.message) for d in result.diagnostics] == [
            ("ACK000", True)]


def test_async_def_trigger_allows_any_blanks_but_not_asyncio_alone() -> None:
    rules = enabled_rules(Settings(select=("ACK2", "ACK5")))
    skipper = PreFilter(rules, Settings(), {})
    for header in ("async def poll():\n", "async\tdef poll():\n", "async \\\n  def poll():\n",
                   "class Poller:\n    async  def poll(self):\n    "):
        source = f"import time\n\n{header}    time.sleep(1)\n"
        assert skipper.may_report(source.encode())
        assert [d.code for d in lint_source(source, codes=["ACK200"])] == ["ACK200"]
    # A sync module that only names asyncio has no `async def` for these rules to look in.
    assert not skipper.may_report(
        b"import asyncio\nimport time\n\n\ndef main():\n    time.sleep(1)\n    asyncio.run(job())\n")


def test_a_name_counts_only_in_files_that_import_its_module(tmp_path: Path) -> None:
    _write(tmp_path, {
        "shop/__init__.py": "",
        "shop/queues.py": (
            "import asyncio\n\n\n"
            "class Queue:\n"
            "    def __init__(self) -> None:\n"
            "        self._items: asyncio.Queue[str] = asyncio.Queue()\n\n"
            "    async def get(self) -> str:\n"
            "        return await self._items.get()\n"
        ),
        # Names a Queue and says "queues", but it is the standard library's.
        "tools/__init__.py": "",
        "tools/export.py": (
            "import queue\n\n\n"
            "def drain(q: queue.Queue) -> list:\n"
            "    # Empties one of the export queues.\n"
            "    items = []\n"
            "    while not q.empty():\n"
            "        items.append(q.get())\n"
            "    return items\n"
        ),
        "tools/drain.py": (
            "from shop.queues import Queue\n\n\n"
            "def drain_one() -> None:\n"
            "    Queue().get()\n"
        ),
        # A script importing the script next to it, as `python scripts/run.py` allows.
        "scripts/helpers.py": "async def refresh_prices() -> None:\n    ...\n",
        "scripts/run.py": "from helpers import refresh_prices\n\nrefresh_prices()\n",
    })
    settings = Settings(select=("ACK0", "ACK1"))
    with_filter = _findings([str(tmp_path)], settings, prefilter=True)
    assert with_filter == _findings([str(tmp_path)], settings, prefilter=False)
    assert {(Path(path).relative_to(tmp_path).as_posix(), line, code)
            for path, line, code in with_filter} == {
        ("tools/drain.py", 5, "ACK100"), ("scripts/run.py", 3, "ACK100")}
    modules = {"shop": tmp_path / "shop/__init__.py", "shop.queues": tmp_path / "shop/queues.py",
               "tools": tmp_path / "tools/__init__.py", "tools.export": tmp_path / "tools/export.py",
               "scripts.helpers": tmp_path / "scripts/helpers.py"}
    skipper = PreFilter(enabled_rules(settings), settings, modules)
    export = (tmp_path / "tools/export.py").read_bytes()
    assert not skipper.may_report(export, "tools.export")
    assert skipper.may_report(b"from shop import queues\n\nqueues.Queue().get()\n", "tools.x")
    assert skipper.may_report(b"from helpers import refresh_prices\nrefresh_prices()\n",
                              "scripts.run")


def test_a_prepared_prefilter_has_read_the_project_once_for_every_process(
        tmp_path: Path) -> None:
    # The runner prepares the pre-filter before it forks its processes: they decide from
    # what the parent read, and read no project file again.
    client = tmp_path / "client.py"
    client.write_text("class PriceClient:\n    async def refresh(self):\n        return 1\n")
    caller = tmp_path / "main.py"
    caller.write_text("from client import PriceClient\n\nPriceClient().refresh()\n")
    rules = enabled_rules(Settings(select=("ACK1",)))
    skipper = PreFilter(rules, Settings(), {"client": client, "main": caller})
    skipper.prepare()
    data = caller.read_bytes()
    client.unlink()
    assert skipper.may_report(data, "main")


RETRY_HELPERS = '''"""Retry helpers shared by the sync and async clients.

The async client awaits ``backoff_delay()`` between attempts (see asyncio.sleep); code
that gathers many requests should use asyncio.gather behind a Semaphore.
"""

import random
import time

# The async twin lives in retry_async.py: there we `await asyncio.sleep(delay)`.


def backoff_delay(attempt: int, cap: float = 30.0) -> float:
    """Seconds to wait before ``attempt``: await it in async code, sleep in sync code."""
    return min(cap, 0.5 * 2 ** attempt) * random.uniform(0.8, 1.2)


def retry(call, attempts: int = 5):
    for attempt in range(attempts):
        try:
            return call()
        except ConnectionError:
            time.sleep(backoff_delay(attempt))
    raise RuntimeError(f"gave up after {attempts} attempts (create_task would not help)")
'''


def test_triggers_only_in_docstrings_and_comments_are_skipped(tmp_path: Path) -> None:
    settings = Settings(select=("ALL",))
    skipper = PreFilter(enabled_rules(settings), settings, {})
    assert not skipper.may_report(RETRY_HELPERS.encode())
    (tmp_path / "retry.py").write_text(RETRY_HELPERS)
    assert _findings([str(tmp_path)], settings, prefilter=False) == []


def test_triggers_in_code_among_strings_and_comments_are_linted() -> None:
    settings = Settings(select=("ALL",))
    skipper = PreFilter(enabled_rules(settings), settings, {})
    body = RETRY_HELPERS.replace("import random\n", "import json, random, asyncio\n")
    variants = {
        # A '#' in a string is not a comment: the code after it counts.
        "after a hash in a string": body + 'COLOR = "#0a0"; loop = asyncio.get_event_loop()\n',
        # Names in an f-string's expressions are code.
        "in an f-string": RETRY_HELPERS + 'print(f"#{len(jobs)}: {scheduler.create_task!r}")\n',
        # A string annotation names a type.
        "in a string annotation": RETRY_HELPERS.replace(
            "def retry(call,", 'def retry(call: "ClientSession",'),
        # Async syntax the line test does not see.
        "async def after a continuation": RETRY_HELPERS + (
            "\n\nasync \\\n    def retry_later(call):\n        return call()\n"),
        # A declared encoding other than UTF-8: CPython's columns would not match.
        "in a latin-1 module": "# -*- coding: latin-1 -*-\n" + RETRY_HELPERS,
    }
    for name, source in variants.items():
        assert skipper.may_report(source.encode("latin-1" if "latin" in name else "utf-8")), name
    # asyncio.get_event_loop() outside a coroutine: the finding a skip would lose.
    assert [(d.line, d.code) for d in lint_source(variants["after a hash in a string"])] == [
        (25, "ACK401")]


def test_what_only_the_project_index_asks_is_read_when_asked(tmp_path: Path) -> None:
    from asyncheck.text.scans import UNSURE, ModuleText

    path = tmp_path / "jobs.py"
    path.write_text("import asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n\n\n"
                    "def schedule(interval: float) -> asyncio.TimerHandle:\n"
                    "    return asyncio.get_running_loop().call_later(interval, print)\n")
    read = ModuleText.scan(path.read_bytes(), "jobs", is_package=False, path=path)
    assert read.defined_names == {b"poll", b"schedule"}
    assert read.annotated_names == {b"schedule"}
    # Scanned by the pre-filter, asked by the index after the file went away: unsure (the
    # index then parses, and finds nothing), never an answer from nothing.
    unread = ModuleText.scan(path.read_bytes(), "jobs", is_package=False, path=path)
    path.unlink()
    assert unread.defined_names == unread.annotated_names == {UNSURE}
    assert unread.async_names == {b"poll"}


def test_code_after_comments_and_strings_survives_every_line_ending_and_encoding() -> None:
    # Found in review: each of these was skipped while linting it reports ACK102 (a task
    # created and dropped) on its last line.
    settings = Settings(select=("ALL",))
    skipper = PreFilter(enabled_rules(settings), settings, {})
    schedule = "def schedule(loop, coro):\n    loop.create_task(coro)\n"
    variants = {
        # CPython ends a line (and a comment) at a lone carriage return.
        "classic Mac line endings": ("#!/usr/bin/env python\n" + schedule).replace("\n", "\r"),
        # A '#' in a string inside an annotation is no comment either.
        "hash in an annotation": (
            "from typing import Literal\n\n\n"
            'def schedule(loop, coro, marker: Literal["#"] = "#"): loop.create_task(coro)\n'),
        # CPython takes the first line's declaration: latin-1, so its columns count 'é' twice.
        "two encoding declarations": (
            "# -*- coding: latin-1 -*-\n# vim: set fileencoding=utf-8 :\n"
            "def schedule(loop, coro):\n    x = 'éééééé'; loop.create_task(coro)\n"),
    }
    for name, source in variants.items():
        data = source.encode("latin-1" if "declarations" in name else "utf-8")
        assert skipper.may_report(data), name
        assert [d.code for d in lint_source(data.decode("latin-1" if "declarations" in name
                                                        else "utf-8"))] == ["ACK102"], name


def test_an_import_continued_with_a_backslash_in_a_crlf_file(tmp_path: Path) -> None:
    # Found in review: the line scan read `import os, \<CR><LF>` as ending at the line feed,
    # so the module after it was lost and the file skipped.
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "pkg/client.py").write_text(
        "import asyncio\n\n\nasync def fetch(url):\n    await asyncio.sleep(0)\n    return url\n")
    (tmp_path / "nightly.py").write_bytes(
        b"import os, \\\r\n    pkg.client\r\n\r\n\r\ndef main():\r\n"
        b"    pkg.client.fetch(os.environ['FEED_URL'])\r\n")
    for settings in (Settings(), Settings(select=("ALL",))):
        with_filter = _findings([str(tmp_path)], settings, prefilter=True)
        assert with_filter == _findings([str(tmp_path)], settings, prefilter=False)
        assert [(Path(p).name, line, code) for p, line, code in with_filter] == [
            ("nightly.py", 6, "ACK100")]


def test_setup_call_and_callback_rules_read_only_files_that_may_hold_a_coroutine(
        tmp_path: Path) -> None:
    # ACK232/ACK233 report only inside `async def`, ACK104 only where a coroutine function
    # is at hand: `ssl`, `reload(` or `Thread(` in threaded code alone (most of a standard
    # library) is no reason to parse a file.
    settings = Settings(select=("ACK104", "ACK232", "ACK233"))
    client = tmp_path / "client.py"
    client.write_text("class Client:\n    async def close(self):\n        ...\n")
    cleanup = tmp_path / "cleanup.py"
    cleanup.write_text("import atexit\nfrom client import Client\n\n"
                       "client = Client()\natexit.register(client.close)\n")
    modules = {"client": client, "cleanup": cleanup}
    skipper = PreFilter(enabled_rules(settings), settings, modules)
    assert not skipper.may_report(
        b"import importlib, ssl, threading\n\n"
        b"def start(name):\n    threading.Thread(target=print).start()\n"
        b"    ctx = ssl.create_default_context()\n    return importlib.reload(name), ctx\n")
    assert skipper.may_report(b"import threading\n\nasync def job():\n    ...\n\n"
                              b"threading.Thread(target=job).start()\n")
    assert skipper.may_report(b"import ssl\n\nasync def connect():\n"
                              b"    return ssl.create_default_context()\n")
    # The coroutine function comes from another module: the import is followed.
    assert skipper.may_report(cleanup.read_bytes(), "cleanup")
    found = run([str(cleanup)], settings, jobs=1).diagnostics
    assert [(d.line, d.code) for d in found] == [(5, "ACK104")]


def test_plain_sync_code_is_not_parsed_with_every_rule_on() -> None:
    # Most of a standard library or a sync code base: threads, files, sockets, SSL, imports,
    # subprocesses and sleeps, but no coroutine anywhere. No rule can report in it, so a new
    # rule's trigger words must not make it parsed (ACK232's `ssl` once had the whole
    # standard library parsed three times over).
    settings = Settings(select=("ALL",))
    skipper = PreFilter(enabled_rules(settings), settings, {})
    assert skipper.active
    assert not skipper.may_report(
        b"import atexit, importlib, os, shutil, signal, socket, ssl, subprocess, threading\n"
        b"import time\nfrom concurrent.futures import ThreadPoolExecutor\n\n"
        b"def serve(path, name):\n"
        b"    ctx = ssl.create_default_context()\n"
        b"    ctx.load_cert_chain(path)\n"
        b"    plugin = importlib.reload(importlib.import_module(name))\n"
        b"    with open(path) as f, ThreadPoolExecutor() as pool:\n"
        b"        pool.submit(f.read).result()\n"
        b"    threading.Thread(target=plugin.run).start()\n"
        b"    threading.Timer(1.0, plugin.stop).start()\n"
        b"    signal.signal(signal.SIGTERM, plugin.stop)\n"
        b"    atexit.register(plugin.stop)\n"
        b"    os.makedirs(path, exist_ok=True)\n"
        b"    shutil.rmtree(path)\n"
        b"    subprocess.run(['ls'], check=True)\n"
        b"    socket.create_connection(('example.org', 443)).close()\n"
        b"    time.sleep(1)\n")
