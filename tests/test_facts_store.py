"""The project index keeps module facts on disk by content hash: processes of one run
share them and later runs start from them, without changing any answer."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import libcst as cst
import pytest

from asyncheck.semantics.project import ModuleFacts, ProjectIndex, extract_module_facts
from asyncheck.app.cache import FactsStore
from asyncheck.core.config import Settings
from asyncheck.app.pool import Job, Outcome, Triaged, _lint_order
from asyncheck.app.runner import run

PROJECT = {
    "crawler/__init__.py": "from .fetch import fetch_page, PageClient\n",
    "crawler/fetch.py": (
        "import asyncio\nimport time\n\nimport aiohttp\n\n\n"
        "def backoff(attempt: int) -> None:\n"
        "    time.sleep(2 ** attempt)\n\n\n"
        "async def fetch_page(session: aiohttp.ClientSession, url: str) -> str:\n"
        "    async with session.get(url) as response:\n"
        "        return await response.text()\n\n\n"
        "class PageClient:\n"
        "    def __init__(self, session: aiohttp.ClientSession) -> None:\n"
        "        self.session = session\n\n"
        "    async def get(self, url: str) -> str:\n"
        "        return await fetch_page(self.session, url)\n\n"
        "    def retry_later(self, attempt: int) -> None:\n"
        "        backoff(attempt)\n"
    ),
    "crawler/jobs.py": (
        "from crawler import PageClient, fetch_page\nfrom crawler.fetch import backoff\n\n\n"
        "async def crawl(client: PageClient, urls: list[str]) -> None:\n"
        "    for attempt, url in enumerate(urls):\n"
        "        client.get(url)\n"
        "        backoff(attempt)\n"
    ),
}


def _write(root: Path, files: dict[str, str] = PROJECT) -> dict[str, Path]:
    """Write the files under ``root``; their module names -> paths."""
    modules = {}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        module = name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        modules[module] = path
    return modules


def _index(modules: dict[str, Path], store: FactsStore, parsed: list[str]) -> ProjectIndex:
    def parse(path: Path) -> cst.Module:
        parsed.append(path.name)
        return cst.parse_module(path.read_text())

    return ProjectIndex(modules, parse, store=store)


def _stored_index(modules: dict[str, Path], root: Path) -> tuple[ProjectIndex, list[str]]:
    """An index over ``modules`` with a facts store under ``root``, and the names of the
    files it parses (in order), to tell answers from bytes from answers from a parse."""
    parsed: list[str] = []
    return _index(modules, FactsStore(root / "cache"), parsed), parsed


def _answers(index: ProjectIndex) -> tuple[object, ...]:
    fetch = index.function("crawler.fetch_page")
    return (
        index.makes_coroutine("crawler.fetch_page"),
        index.makes_coroutine("crawler.PageClient.get"),
        index.makes_coroutine("crawler.fetch.backoff"),
        fetch.calls if fetch is not None else None,
        index.function("crawler.fetch.backoff"),
        index.class_lineage("crawler.PageClient"),
    )


def test_module_facts_survive_json() -> None:
    for name, text in PROJECT.items():
        module = name.removesuffix(".py").replace("/", ".")
        facts = extract_module_facts(cst.parse_module(text), module)
        assert ModuleFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts


def test_stored_facts_answer_without_parsing_until_a_file_changes(tmp_path: Path) -> None:
    modules = _write(tmp_path / "src")
    store = FactsStore(tmp_path / "cache")
    parsed: list[str] = []
    first = _answers(_index(modules, store, parsed))
    assert first[:3] == (True, True, False)
    assert sorted(parsed) == ["__init__.py", "fetch.py"]

    parsed.clear()
    assert _answers(_index(modules, store, parsed)) == first
    assert parsed == []

    # A changed file is parsed again; the other one still comes from the store.
    modules["crawler.fetch"].write_text(PROJECT["crawler/fetch.py"].replace(
        "async def get", "def get"))
    second = _answers(_index(modules, store, parsed))
    assert parsed == ["fetch.py"]
    assert second[:3] == (True, False, False)


def test_unreadable_stored_facts_are_parsed_again(tmp_path: Path) -> None:
    modules = _write(tmp_path / "src")
    store = FactsStore(tmp_path / "cache")
    expected = _answers(_index(modules, store, []))
    for stored in store.directory.iterdir():
        stored.write_text('{"module": "crawler", "functions": [["truncated')
    parsed: list[str] = []
    assert _answers(_index(modules, store, parsed)) == expected
    assert sorted(parsed) == ["__init__.py", "fetch.py"]


def test_runs_with_and_without_shared_facts_agree(tmp_path: Path) -> None:
    _write(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.asyncheck]\n")
    settings = Settings(select=("ALL",))

    def findings(**options: object) -> list[tuple[str, int, str]]:
        result = run([str(tmp_path)], settings, **options)  # type: ignore[arg-type]
        return [(Path(d.path).name, d.line, d.code) for d in result.diagnostics]

    cold = findings(jobs=1)
    assert ("jobs.py", 7, "ACK100") in cold and ("jobs.py", 8, "ACK290") in cold
    cache = tmp_path / ".asyncheck_cache"
    assert findings(jobs=1, cache_dir=cache) == cold
    assert any(cache.glob("facts-*/*.json"))
    # Linting one file starts from the facts the previous run stored.
    (cache / next(cache.glob("results-*.json")).name).unlink()
    one = run([str(tmp_path / "crawler/jobs.py")], settings, jobs=1, cache_dir=cache)
    assert [(Path(d.path).name, d.line, d.code) for d in one.diagnostics] == [
        f for f in cold if f[0] == "jobs.py"]


def _triaged(module: str, imports: tuple[str, ...], size: int) -> Triaged:
    return Triaged(Job(f"{module}.py", module, False), imports=imports, size=size)


def test_lint_order_puts_imported_modules_first_and_keeps_every_file() -> None:
    skipped = Triaged(Job("notes.py", "notes", False), outcome=Outcome("notes.py"))
    triaged = [
        _triaged("app.views", ("app.models", "app.db"), 900),
        _triaged("app.models", ("app.db", "app"), 500),
        _triaged("app.db", (), 300),
        # The package imports its modules, and they import it: a cycle.
        _triaged("app", ("app.views",), 50),
        skipped,
    ]
    done: list[Outcome] = []
    order = [item.job.module_name for item in _lint_order(triaged, done.append)]
    assert done == [skipped.outcome]
    assert sorted(order) == ["app", "app.db", "app.models", "app.views"]
    assert order.index("app.db") < order.index("app.models") < order.index("app.views")
    # In the cycle, the small package module is the one linted last (parsed twice).
    assert order[-1] == "app"


def test_a_module_the_index_parsed_is_not_parsed_again_for_its_lint(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from asyncheck.syntax import parse

    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    # Linted first (alphabetical order), it asks the index about app.worker ...
    (tmp_path / "app/api.py").write_text(
        "from app.worker import refresh_thumbnails\n\n\n"
        "async def upload(request):\n"
        "    refresh_thumbnails(request.files)\n")
    # ... whose own lint then takes the tree the index parsed.
    (tmp_path / "app/worker.py").write_text(
        "import asyncio\nimport subprocess\n\n\n"
        "def refresh_thumbnails(files):\n"
        "    for name in files:\n"
        "        subprocess.run(['convert', name, name + '.png'], check=True)\n\n\n"
        "async def refresh_in_background(files):\n"
        "    await asyncio.to_thread(refresh_thumbnails, files)\n")
    parsed: list[str] = []
    real_parse = parse._parse_source

    def counting_parse(text: str) -> cst.Module:
        parsed.append(text)
        return real_parse(text)

    monkeypatch.setattr(parse, "_parse_source", counting_parse)
    result = run([str(tmp_path / "app")], Settings(select=("ALL",)), jobs=1)
    assert [(Path(d.path).name, d.line, d.code) for d in result.diagnostics] == [
        ("api.py", 5, "ACK290")]
    assert len(parsed) == len(set(parsed)) == 2  # app/__init__.py is empty: not parsed


SYNC_AND_ASYNC = {
    "svc/__init__.py": "from .compat import fetch\n",
    "svc/compat.py": "from svc.net import fetch as fetch\n",
    "svc/net.py": (
        "import aiohttp\n\n\n"
        "async def fetch(session: aiohttp.ClientSession, url: str) -> bytes:\n"
        "    async with session.get(url) as response:\n"
        "        return await response.read()\n\n\n"
        "class Poller:\n"
        "    async def poll(self) -> None:\n"
        "        ...\n"
    ),
    "svc/textutil.py": (
        "import re\nfrom svc.net import Poller\n\n\n"
        "def slugify(title: str) -> str:\n"
        "    return re.sub(r'[^a-z0-9]+', '-', title.lower())\n\n\n"
        "class Formatter:\n"
        "    def render(self, text: str) -> str:\n"
        "        return slugify(text)\n\n\n"
        "class QuietPoller(Poller):\n"
        "    interval = 30\n"
    ),
}


def test_modules_without_async_code_are_answered_from_bytes(tmp_path: Path) -> None:
    modules = _write(tmp_path, SYNC_AND_ASYNC)
    index, parsed = _stored_index(modules, tmp_path)
    # Plain functions and methods of a module without async code: no parse.
    assert index.makes_coroutine("svc.textutil.slugify") is False
    assert index.makes_coroutine("svc.textutil.Formatter.render") is False
    assert parsed == []
    # Re-exported through two modules, inherited from another module: parsed, and right.
    assert index.makes_coroutine("svc.fetch") is True
    assert index.makes_coroutine("svc.textutil.QuietPoller.poll") is True
    assert "textutil.py" in parsed and "net.py" in parsed


def test_lint_queue_hands_out_a_file_after_the_modules_it_imports() -> None:
    from asyncheck.app.pool import _LintQueue

    queue = _LintQueue([
        _triaged("shop.db", (), 100),
        _triaged("shop.models", ("shop.db",), 100),
        _triaged("shop.views", ("shop.models", "jinja2"), 100),
        _triaged("shop.cli", (), 100),
    ])
    first = queue.take(4)
    assert [job.module_name for job in first] == ["shop.db", "shop.cli"]
    # Nothing is ready while shop.db is being linted: the next in order comes anyway.
    assert [job.module_name for job in queue.take(4)] == ["shop.models"]
    for job in first:
        queue.linted(job.path)
    assert len(queue) == 1 and [job.module_name for job in queue.take(4)] == ["shop.views"]
    assert not queue


def test_lint_queue_in_an_import_cycle_prefers_a_file_whose_imports_nobody_is_linting() -> None:
    from asyncheck.app.pool import _LintQueue

    queue = _LintQueue([
        _triaged("chat.client", ("chat.session",), 100),
        _triaged("chat.session", ("chat.client",), 100),
        _triaged("billing.invoice", ("billing.tax",), 100),
        _triaged("billing.tax", ("billing.invoice",), 100),
    ])
    first = queue.take(4)
    assert [job.module_name for job in first] == ["chat.client"]
    # chat.session would wait for the facts of chat.client, which a process is linting:
    # billing.invoice comes first (its process parses billing.tax for its facts itself).
    assert [job.module_name for job in queue.take(4)] == ["billing.invoice"]
    queue.linted(first[0].path)
    assert [job.module_name for job in queue.take(4)] == ["chat.session"]


def test_lint_queue_drops_a_file_a_process_linted_before_it_was_handed_out() -> None:
    from asyncheck.app.pool import _LintQueue

    queue = _LintQueue([
        _triaged("api.models", (), 100),
        _triaged("api.routes", ("api.models", "api.schemas"), 100),
        _triaged("api.schemas", ("api.models",), 100),
    ])
    first = queue.take(1)
    assert [job.module_name for job in first] == ["api.models"]
    # The process linting api.models needed api.schemas' facts: it parsed and linted it.
    assert queue.linted("api.schemas.py")
    assert not queue.linted("api.schemas.py")  # reported once, whoever linted it
    assert len(queue) == 1
    queue.linted(first[0].path)
    assert [job.module_name for job in queue.take(4)] == ["api.routes"]
    assert not queue and queue.take(4) == []


def test_a_process_waiting_for_facts_parses_its_next_file_meanwhile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from asyncheck.app import facts, pool, runner
    from asyncheck.syntax import parse

    modules = _write(tmp_path, {
        "feeds/__init__.py": "",
        "feeds/http.py": (
            "import aiohttp\n\n\n"
            "async def fetch(session: aiohttp.ClientSession, url: str) -> str:\n"
            "    async with session.get(url) as response:\n"
            "        return await response.text()\n"),
        "feeds/rss.py": (
            "from feeds.http import fetch\n\n\n"
            "async def poll(session):\n    fetch(session, 'https://example.com/rss')\n"),
        "feeds/atom.py": (
            "from feeds.http import fetch\n\n\n"
            "async def poll(session):\n    return await fetch(session, 'https://example.com/atom')\n"),
    })
    names = {path.read_text(): path.name for path in modules.values()}
    parsed: list[str] = []
    real_parse = parse._parse_source

    def logged_parse(text: str) -> cst.Module:
        parsed.append(names[text])
        return real_parse(text)

    monkeypatch.setattr(parse, "_parse_source", logged_parse)
    monkeypatch.setattr(facts, "_WAIT_LIMIT", 0.3)
    claims = tmp_path / "claims"
    claims.mkdir()
    jobs = {module: Job(str(path), module, path.name == "__init__.py")
            for module, path in modules.items()}
    spec = pool.WorkerSpec(Settings(), tmp_path, modules, None, None,
                           FactsStore(tmp_path / "store"), runner._triage_file,
                           runner._lint_triaged, claims=claims, lint_jobs=jobs)
    other, worker = pool.Worker(spec), pool.Worker(spec)
    assert other.claim("feeds.http")  # another process is making feeds/http.py's facts
    saved: list[str] = []
    real_save = FactsStore.save

    def logged_save(store: FactsStore, module: str, *args: object) -> None:
        saved.append(module)
        real_save(store, module, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(FactsStore, "save", logged_save)
    monkeypatch.setattr(pool, "_WORKER", worker)
    outcomes = pool._check_chunk([jobs["feeds.rss"], jobs["feeds.atom"]])
    assert [(Path(o.path).name, [d.code for d in o.diagnostics]) for o in outcomes] == [
        ("rss.py", ["ACK100"]), ("atom.py", [])]
    # While rss.py's lint waited for them, its process parsed atom.py (once: its lint took
    # that tree); the other process never stored them, so it then parsed http.py itself.
    assert parsed == ["rss.py", "atom.py", "http.py"]
    # atom.py's facts were stored when it was parsed ahead, before the wait ended (another
    # process may wait for them in turn).
    assert saved[:3] == ["feeds.rss", "feeds.atom", "feeds.http"]
    # A process may parse what it has claimed; the other may not.
    assert worker.claim("feeds.atom") and not other.claim("feeds.atom")


def test_a_file_that_kills_its_process_costs_only_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from asyncheck.syntax import parse

    real_parse = parse._parse_source

    def parse_or_die(text: str) -> cst.Module:
        # Stands in for libcst's native parser crashing on a pathological file (it does on
        # a 20,000-term expression, which takes too long for a test): the process dies.
        if "# kills the parser" in text:
            os._exit(70)
        return real_parse(text)

    monkeypatch.setattr(parse, "_parse_source", parse_or_die)  # inherited by forked workers
    for number in range(30):
        (tmp_path / f"job_{number:02}.py").write_text(
            "import time\n\n\nasync def poll():\n    time.sleep(1)\n")
    (tmp_path / "job_13.py").write_text("async def generated():\n    pass\n# kills the parser\n")
    result = run([str(tmp_path)], Settings(), jobs=2)
    found = {(Path(d.path).name, d.code) for d in result.diagnostics}
    assert found == {(f"job_{n:02}.py", "ACK200") for n in range(30) if n != 13} | {
        ("job_13.py", "ACK000")}
    assert "crashed" in next(d.message for d in result.diagnostics if d.code == "ACK000")


def test_pool_processes_parse_each_module_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    from asyncheck.syntax import parse

    project = tmp_path / "project"
    (project / "feeds").mkdir(parents=True)
    # The package and its client import each other: no lint order puts either first, and
    # the client is big, so while one process parses it the other needs its facts.
    (project / "feeds/__init__.py").write_text("from . import http\n\nDEFAULT_TIMEOUT = 10\n")
    helpers = "".join(f"def parse_header_{n}(value: str) -> str:\n    return value.strip()\n\n\n"
                      for n in range(1500))
    (project / "feeds/http.py").write_text(
        "import time\n\nimport aiohttp\n\nfrom feeds import DEFAULT_TIMEOUT\n\n\n" + helpers +
        "def backoff(attempt: int) -> None:\n    time.sleep(attempt)\n\n\n"
        "async def fetch(session: aiohttp.ClientSession, url: str) -> str:\n"
        "    async with session.get(url, timeout=DEFAULT_TIMEOUT) as response:\n"
        "        return await response.text()\n")
    for number in range(40):
        (project / f"feeds/feed_{number:02}.py").write_text(
            "import feeds\n\n\n"
            f"async def poll_{number}(session, url):\n"
            "    feeds.http.backoff(1)\n"
            "    feeds.http.fetch(session, url)\n")
    log = tmp_path / "parses.log"
    real_parse = parse._parse_source

    def logged_parse(text: str) -> cst.Module:
        with open(log, "a") as handle:  # the pool's processes append to one file
            handle.write(hashlib.sha256(text.encode()).hexdigest() + "\n")
        return real_parse(text)

    monkeypatch.setattr(parse, "_parse_source", logged_parse)  # inherited by forked workers
    # The waiting process gives up after a while and parses for itself (a safety net for
    # a stuck claim); on a loaded machine that can come before the other parse ends.
    from asyncheck.app import facts
    monkeypatch.setattr(facts, "_WAIT_LIMIT", 120.0)
    chains = Settings(extend_select=("ACK290",))  # ACK290 is off by default
    pooled = run([str(project)], chains, jobs=2)
    parsed = log.read_text().split()
    # Every feed needs feeds/http.py's facts: one process parses it, the other waits.
    assert len(parsed) == len(set(parsed)) == 41  # the package __init__ is not needed
    serial = run([str(project)], chains, jobs=1)
    assert [(d.path, d.line, d.code) for d in pooled.diagnostics] == [
        (d.path, d.line, d.code) for d in serial.diagnostics]
    assert {d.code for d in pooled.diagnostics} == {"ACK100", "ACK290"}
    assert len(pooled.diagnostics) == 80


def test_a_class_whose_docstring_has_text_at_column_0_still_has_its_async_methods(
        tmp_path: Path) -> None:
    # Text at column 0 inside a docstring looks like the end of the class to a line scan:
    # the index must not conclude from bytes that Client has no async method.
    modules = _write(tmp_path, {
        "feeds/__init__.py": "",
        "feeds/client.py": (
            "class Client:\n"
            "    '''Fetches feeds.\n"
            "\n"
            "Example:\n"
            "    client = Client()\n"
            "    '''\n"
            "\n"
            "    async def fetch(self, url: str) -> bytes:\n"
            "        ...\n"),
        "feeds/cli.py": (
            "from feeds.client import Client\n\n\n"
            "def main() -> None:\n"
            "    Client().fetch('https://example.com/rss')\n"),
    })
    index, _parsed = _stored_index(modules, tmp_path)
    assert index.surely_not_coroutine("feeds.client.Client.fetch") is False
    assert index.makes_coroutine("feeds.client.Client.fetch") is True
    result = run([str(tmp_path / "feeds/cli.py")], Settings(), jobs=1)
    assert [(d.line, d.code) for d in result.diagnostics] == [(5, "ACK100")]


#: A package whose base class has an async method, for the line-scan tests below.
POLLER_PACKAGE = {
    "svc/__init__.py": "",
    "svc/base.py": "class Poller:\n    async def poll(self) -> None:\n        ...\n",
}


def test_bytes_see_continued_async_defs_classes_under_if_and_dotted_bases(tmp_path: Path) -> None:
    modules = _write(tmp_path, {
        **POLLER_PACKAGE,
        "svc/compat.py": (
            "import sys\n\nfrom svc.base import Poller\n\n\n"
            "class Ping:\n    async \\\n    def send(self):\n        return 1\n\n\n"
            "if sys.version_info >= (3, 11):\n"
            "    class QuietPoller(Poller):\n"
            "        interval = 30\n\n\n"
            "class \\\n    SlowPoller(Poller):\n"
            "    interval = 300\n\n\n"
            "class LatePoller \\\n    (Poller):\n"
            "    interval = 600\n\n\n"
            # A form feed is a blank too (found in review).
            "class PagedPoller\f(Poller):\n"
            "    interval = 900\n"),
        "svc/jobs.py": (
            "import abc\n\nfrom svc import base\n\n\n"
            "class NightlyPoller(base.Poller, metaclass=abc.ABCMeta):\n"
            "    hour = 3\n"),
    })
    index, _parsed = _stored_index(modules, tmp_path)
    assert not index.surely_not_coroutine("svc.compat.Ping.send")
    # A dotted base: `base.Poller.poll`, not a function `poll` of module `base`.
    assert not index.surely_not_coroutine("svc.jobs.NightlyPoller.poll")
    assert index.makes_coroutine("svc.jobs.NightlyPoller.poll") is True
    assert not index.surely_not_coroutine("svc.compat.QuietPoller.poll")
    assert index.makes_coroutine("svc.compat.QuietPoller.poll") is True
    # Headers continued with a backslash: read, or (when the scan cannot) unsure.
    for poller in ("SlowPoller", "LatePoller", "PagedPoller"):
        assert not index.surely_not_coroutine(f"svc.compat.{poller}.poll")
        assert index.makes_coroutine(f"svc.compat.{poller}.poll") is True


def test_prose_about_a_class_is_no_class_header(tmp_path: Path) -> None:
    # Docstring lines that begin with "class" are not headers the scan failed to read: bytes
    # still answer for the module's classes, without parsing it (a large module such as
    # typing.py would otherwise be parsed for every such question).
    modules = _write(tmp_path, {
        **POLLER_PACKAGE,
        "svc/retry.py": (
            '"""Retry policies.\n\n'
            'class attributes are read once; a subclass overrides them.\n"""\n\n\n'
            "class RetryPolicy:\n"
            '    """One policy per client.\n\n'
            '    class Backoff is the default.\n    """\n\n'
            "    def wait(self, attempt: int) -> float:\n"
            "        return 0.5 * 2 ** attempt\n"),
        "svc/pages.py": (
            "from svc.base import Poller\n\n\n"
            "class PagePoller[T: dict[str, int]](Poller):\n"
            "    interval = 30\n"),
    })
    index, parsed = _stored_index(modules, tmp_path)
    assert index.surely_not_coroutine("svc.retry.RetryPolicy.wait")
    assert index.surely_not_coroutine("svc.retry.Backoff.wait")
    assert parsed == []
    # Type parameters the scan cannot read: unsure, so the index parses and answers.
    assert not index.surely_not_coroutine("svc.pages.PagePoller.poll")
    assert index.makes_coroutine("svc.pages.PagePoller.poll") is True


def test_a_subclass_of_a_library_class_keeps_its_listed_coroutine_methods(
        tmp_path: Path) -> None:
    # JobQueue().get() makes a coroutine because asyncio.Queue.get does (the built-in
    # table): bytes must not answer "no async def here" for it.
    _write(tmp_path, {
        "jobs/__init__.py": "",
        "jobs/queue.py": "import asyncio\n\n\nclass JobQueue(asyncio.Queue):\n    retries = 3\n",
        "jobs/worker.py": (
            "from jobs.queue import JobQueue\n\n\n"
            "async def drain(queue: JobQueue) -> None:\n"
            "    queue.get()\n"),
    })
    result = run([str(tmp_path)], Settings(), jobs=1)
    assert [(Path(d.path).name, d.line, d.code) for d in result.diagnostics] == [
        ("worker.py", 5, "ACK100")]


def test_a_library_class_reexported_by_the_project_keeps_its_listed_coroutine_methods(
        tmp_path: Path) -> None:
    # `compat` re-exports asyncio.Queue; a subclass of it still has the coroutine method
    # `get`, and bytes must not conclude otherwise on reaching a library name.
    _write(tmp_path, {
        "jobs/__init__.py": "",
        "jobs/compat.py": "from asyncio import Queue\n",
        "jobs/queue.py": (
            "from jobs.compat import Queue\n\n\nclass JobQueue(Queue):\n    retries = 3\n"),
        "jobs/worker.py": (
            "from jobs.queue import JobQueue\n\n\n"
            "async def drain(queue: JobQueue) -> None:\n"
            "    queue.get()\n"
            "    queue.qsize()\n"),
    })
    result = run([str(tmp_path)], Settings(), jobs=1)
    assert [(Path(d.path).name, d.line, d.code) for d in result.diagnostics] == [
        ("worker.py", 5, "ACK100")]


def test_comments_in_imports_and_class_headers_hide_no_name(tmp_path: Path) -> None:
    # A bracket in a comment ended the scan of a parenthesised import or base list, so
    # the names after it were lost, and bytes concluded "no async def reached".
    modules = _write(tmp_path, {
        "feeds/__init__.py": (
            "from feeds.client import (  # the public API (stable)\n"
            "    fetch,\n"
            "    Client,\n"
            ")\n"),
        "feeds/base.py": "class Retrying:\n    async def fetch_again(self) -> bytes:\n        ...\n",
        "feeds/client.py": (
            "from feeds.base import Retrying\n\n\n"
            "class Base:\n    pass\n\n\n"
            "class Client(\n"
            "    Base,  # plain (no I/O)\n"
            "    Retrying,\n"
            "):\n"
            "    pass\n\n\n"
            "async def fetch(url: str) -> bytes:\n"
            "    ...\n"),
        "feeds/cli.py": (
            "import feeds\n\n\n"
            "def main() -> None:\n"
            "    feeds.fetch('https://example.com/rss')\n"
            "    feeds.Client().fetch_again()\n"),
    })
    index, _parsed = _stored_index(modules, tmp_path)
    assert not index.surely_not_coroutine("feeds.fetch")
    assert not index.surely_not_coroutine("feeds.client.Client.fetch_again")
    result = run([str(tmp_path / "feeds/cli.py")], Settings(), jobs=1)
    assert [(d.line, d.code) for d in result.diagnostics] == [(5, "ACK100"), (6, "ACK100")]


def test_bytes_answer_for_attributes_of_attributes_only_without_nested_classes(
        tmp_path: Path) -> None:
    modules = _write(tmp_path, {
        "shop/__init__.py": "",
        "shop/base.py": "class Retrying:\n    async def fetch(self, url: str) -> bytes:\n        ...\n",
        "shop/client.py": (
            "from shop.base import Retrying\n\n\n"
            "class Client:\n"
            "    class Api(Retrying):\n"
            "        pass\n\n"
            "    def __init__(self, session) -> None:\n"
            "        self.session = session\n"),
        "shop/cli.py": (
            "from shop.client import Client\n\n\n"
            "def main() -> None:\n"
            "    Client.Api().fetch('/stock')\n"
            "    Client.Api.fetch(Client.Api(), '/stock')\n"),
    })
    index, parsed = _stored_index(modules, tmp_path)
    # `Client.session.get`: no class `session` anywhere, so no project method: no parse.
    assert index.surely_not_coroutine("shop.client.Client.session.get")
    assert parsed == []
    # A nested class (with an async method from its base): the index must look.
    assert not index.surely_not_coroutine("shop.client.Client.Api.fetch")
    assert index.makes_coroutine("shop.client.Client.Api.fetch") is True
    result = run([str(tmp_path / "shop/cli.py")], Settings(), jobs=1)
    assert [(d.line, d.code) for d in result.diagnostics] == [(5, "ACK100"), (6, "ACK100")]


def test_return_types_are_read_from_bytes_only_where_no_annotation_is_near(
        tmp_path: Path) -> None:
    modules = _write(tmp_path, {
        "db/__init__.py": "",
        "db/pool.py": (
            "import sqlite3\n\n\n"
            "def connect(\n"
            "    path: str,\n"
            ") -> sqlite3.Connection:\n"
            "    return sqlite3.connect(path)\n\n\n"
            "def name(path):\n"
            "    return path\n\n\n"
            "class Pool:\n"
            "    def acquire(self) -> sqlite3.Connection:\n"
            "        return sqlite3.connect(':memory:')\n\n"
            "    def size(self):\n"
            "        return 1\n"),
    })
    index, parsed = _stored_index(modules, tmp_path)
    assert index.return_type("db.pool.name") is None
    assert index.return_type("db.pool.Pool.size") is None
    assert index.return_type("db.pool.Pool") is None
    assert parsed == []  # all three answered from bytes
    assert index.return_type("db.pool.connect") == "sqlite3.Connection"
    assert index.return_type("db.pool.Pool.acquire") == "sqlite3.Connection"


def test_names_bound_without_def_or_class_are_no_project_functions_from_bytes(
        tmp_path: Path) -> None:
    modules = _write(tmp_path, {
        "util/__init__.py": "",
        "util/rand.py": (
            "from _random import Random\n\n"
            "_inst = Random()\n"
            "uniform = _inst.uniform\n\n\n"
            "def choice(seq):\n"
            "    return seq[int(uniform(0, len(seq)))]\n\n\n"
            "def make_poller():\n"
            "    async def poll() -> None:\n"
            "        ...\n"
            "    return poll\n\n\n"
            "if True:\n"
            "    class Shuffler:\n"
            "        def __init__(self, seed: int) -> None:\n"
            "            self.seed = seed\n"),
    })
    index, parsed = _stored_index(modules, tmp_path)
    for _ in range(2):
        # Asked again by the next file (the runner resets `accessed` per file): the module
        # the answer came from is still a dependency of the file for the result cache.
        index.accessed = set()
        assert index.function("util.rand.uniform") is None
        assert "util.rand" in index.accessed
    assert index.function("util.rand._inst.random") is None
    assert not index.is_class("util.rand.uniform")
    assert parsed == []  # all answered from bytes
    assert index.is_class("util.rand.Shuffler")
    assert index.function("util.rand.Shuffler.__init__") is not None
    assert index.function("util.rand.choice") is not None
    # A function nested in a function is known to the index by its `<locals>` name.
    assert index.makes_coroutine("util.rand.make_poller.<locals>.poll") is True


def test_facts_are_stored_only_for_modules_something_imports(tmp_path: Path) -> None:
    # Extracting a module's facts costs a fifth of its lint: a script or test module that
    # nothing imports is never asked about by another file's lint.
    files = {
        "shop/__init__.py": "",
        "shop/client.py": "async def fetch(url: str) -> bytes:\n    ...\n",
        "scripts/report.py": (
            "from shop.client import fetch\n\n\n"
            "async def main() -> None:\n"
            "    fetch('/stock')\n"),
    }
    files.update({f"shop/page{i}.py": f"async def page{i}() -> int:\n    return {i}\n"
                  for i in range(30)})
    modules = _write(tmp_path, files)
    cache = tmp_path / ".asyncheck_cache"
    for jobs in (1, 2):
        result = run([str(tmp_path)], Settings(), jobs=jobs, cache_dir=cache)
        assert [(Path(d.path).name, d.line, d.code) for d in result.diagnostics] == [
            ("report.py", 5, "ACK100")]
        store = FactsStore(cache)

        def stored(module: str) -> bool:
            path = modules[module]
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            return store.load(module, path.name == "__init__.py", digest) is not None

        assert stored("shop.client")
        assert not stored("scripts.report")
        assert not stored("shop.page3")
        shutil.rmtree(cache)


def test_an_arrow_in_a_module_docstring_or_a_split_signature_is_placed(
        tmp_path: Path) -> None:
    modules = _write(tmp_path, {
        "db/__init__.py": "",
        "db/rows.py": (
            '"""Row helpers: tuple -> dict conversions."""\n\n'
            "import sqlite3\n\n\n"
            "def as_dict(row):\n"
            "    return dict(row)\n\n\n"
            "def connect(path,\n"
            "timeout=5.0) -> sqlite3.Connection:\n"
            "    return sqlite3.connect(path, timeout=timeout)\n"),
    })
    index, parsed = _stored_index(modules, tmp_path)
    assert index.return_type("db.rows.as_dict") is None
    assert parsed == []  # the docstring's arrow annotates nothing
    assert index.return_type("db.rows.connect") == "sqlite3.Connection"


def test_methods_inherited_by_a_class_in_a_function_are_answered_from_the_bases_bytes(
        tmp_path: Path) -> None:
    modules = _write(tmp_path, {
        "app/__init__.py": "",
        "app/handlers.py": (
            "import logging\n\n\n"
            "class RotatingHandler(logging.Handler):\n"
            "    def emit(self, record):\n"
            "        print(record)\n\n\n"
            "class AsyncHandler:\n"
            "    async def emit(self, record):\n"
            "        print(record)\n"),
        "app/test_handlers.py": (
            "from app.handlers import AsyncHandler, RotatingHandler\n\n\n"
            "def test_emit():\n"
            "    class Quiet(RotatingHandler):\n"
            "        level = 0\n\n"
            "    class Later(AsyncHandler):\n"
            "        level = 0\n\n"
            "    Quiet().emit(None)\n"
            "    Later().emit(None)\n"),
    })
    index, parsed = _stored_index(modules, tmp_path)
    test_module = "app.test_handlers"
    index.add_module(test_module, cst.parse_module(modules[test_module].read_text()))
    quiet = f"{test_module}.test_emit.<locals>.Quiet.emit"
    assert index.makes_coroutine(quiet) is False
    assert parsed == []  # app/handlers.py was not parsed: its bytes show no async emit
    later = f"{test_module}.test_emit.<locals>.Later.emit"
    assert index.makes_coroutine(later) is True
    result = run([str(tmp_path / "app/test_handlers.py")], Settings(), jobs=1)
    assert [(d.line, d.code) for d in result.diagnostics] == [(12, "ACK100")]


def test_methods_of_a_generic_base_are_found_through_super_and_across_files(
        tmp_path: Path) -> None:
    # `Repository[User]` names the class `Repository`: its async methods are inherited.
    _write(tmp_path, {
        "store/__init__.py": "",
        "store/base.py": (
            "from typing import Generic, TypeVar\n\n"
            "T = TypeVar('T')\n\n\n"
            "class Repository(Generic[T]):\n"
            "    async def fetch(self, key: str) -> T:\n"
            "        ...\n\n"
            "    def cached(self, key: str) -> T | None:\n"
            "        return None\n"),
        "store/users.py": (
            "from store.base import Repository\n\n\n"
            "class User:\n"
            "    name = ''\n\n\n"
            "class UserRepository(Repository[User]):\n"
            "    async def fetch(self, key: str) -> User:\n"
            "        super().fetch(key)\n"
            "        return User()\n"),
        "store/cli.py": (
            "from store.users import UserRepository\n\n\n"
            "async def show(repo: UserRepository) -> None:\n"
            "    repo.fetch('ada')\n"
            "    repo.cached('ada')  # a plain method: nothing to await\n"
            "    await repo.fetch('bob')\n"),
        "store/audit.py": (
            "from store.base import Repository\n"
            "from store.users import User\n\n\n"
            "class AuditedRepository(Repository[User]):\n"
            "    level = 1\n\n\n"
            "async def audit(repo: AuditedRepository) -> None:\n"
            "    repo.fetch('ada')\n"),
    })
    result = run([str(tmp_path)], Settings(), jobs=1)
    assert [(Path(d.path).name, d.line, d.code) for d in result.diagnostics] == [
        ("audit.py", 10, "ACK100"), ("cli.py", 5, "ACK100"), ("users.py", 10, "ACK100")]
