"""ACK300/ACK301/ACK310 beyond the rule examples: sizes at the max-fanout boundary, limiters
found across files (also when only the caller is linted), and the limiter really being what
keeps a finding away (the same code without it is reported)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from asyncheck.doors.testing import lint_source

from conftest import RunCli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

_FETCH = '''\
import asyncio
import itertools

async def fetch(client, url):
    return await client.get(url)

'''


def codes_of(source: str, **kwargs: object) -> list[tuple[str, int]]:
    """(code, line) of the ACK3xx findings for ``source``."""
    found = lint_source(source, codes=["ACK300", "ACK301", "ACK310"], **kwargs)  # type: ignore[arg-type]
    assert not [d for d in found if d.internal_error]
    return [(d.code, d.line) for d in found]


@pytest.mark.parametrize(
    ("iterable", "reported"),
    [
        ("range(20)", False),
        ("range(21)", True),
        ("range(0, 40, 2)", False),
        ("range(n)", True),
        ("range(LIMIT)", False),
        ('["a", "b"] * 10', False),
        ('["a", "b"] * 11', True),
        ("[*FIRST, *FIRST]", False),
        ("urls", True),
        ("urls[:20]", False),
        ("urls[:21]", True),
        ("urls[i:i + 10]", False),
        ("urls[i:]", True),
        ("sorted(set(urls))", True),
        ("itertools.islice(urls, 10)", False),
        ("list(zip(urls, range(5)))", False),
        ("self_urls", True),
    ],
)
def test_fanout_size_decides(iterable: str, reported: bool) -> None:
    source = _FETCH + (
        "LIMIT = 15\nFIRST = ('x', 'y', 'z')\n\n"
        "async def run(client, urls, n, i, self_urls):\n"
        f"    return await asyncio.gather(*(fetch(client, u) for u in {iterable}))\n"
    )
    assert codes_of(source) == ([("ACK300", 11)] if reported else [])


def test_max_fanout_setting_moves_the_boundary() -> None:
    source = _FETCH + (
        "async def run(client):\n"
        '    urls = ["https://httpbin.org/delay/1"] * 10\n'
        "    tasks = [fetch(client, url) for url in urls]\n"
        "    return await asyncio.gather(*tasks)\n"
    )
    assert codes_of(source) == []
    assert codes_of(source, options={"max_fanout": 9}) == [("ACK300", 10)]


def test_seed_async_report_is_a_bounded_literal_fanout() -> None:
    text = (FIXTURES / "seed" / "async_report.py").read_text(encoding="utf-8")
    assert codes_of(text) == []
    assert [c for c, _ in codes_of(text, options={"max_fanout": 5})] == ["ACK300"]


def test_list_grown_in_a_bounded_loop_is_bounded() -> None:
    source = _FETCH + (
        "async def run(client):\n"
        "    pending = []\n"
        "    for shard in range(4):\n"
        "        for replica in range(5):\n"
        "            pending.append(fetch(client, f'{shard}/{replica}'))\n"
        "    await asyncio.wait(pending)\n"
        "    more = [fetch(client, 'a')]\n"
        "    for page in range(30):\n"
        "        more.append(fetch(client, str(page)))\n"
        "    await asyncio.wait(more)\n"
    )
    assert codes_of(source) == [("ACK300", 16)]


def test_nested_spawn_loops_multiply() -> None:
    template = _FETCH + (
        "async def run(client):\n"
        "    async with asyncio.TaskGroup() as tg:\n"
        "        for a in range({outer}):\n"
        "            for b in range(4):\n"
        "                tg.create_task(fetch(client, f'{{a}}/{{b}}'))\n"
    )
    assert codes_of(template.format(outer=5)) == []
    assert codes_of(template.format(outer=6)) == [("ACK301", 11)]


def test_tasks_spawned_in_a_loop_are_reported_once_at_the_spawn() -> None:
    source = _FETCH + (
        "async def run(client, urls):\n"
        "    tasks = []\n"
        "    for url in urls:\n"
        "        task = asyncio.create_task(fetch(client, url))\n"
        "        tasks.append(task)\n"
        "    done, _ = await asyncio.wait(tasks)\n"
        "    return await asyncio.gather(*tasks)\n"
    )
    assert codes_of(source) == [("ACK301", 10)]


def test_semaphore_made_per_call_limits_nothing_but_a_shared_one_does() -> None:
    per_call = _FETCH + (
        "async def limited(client, url):\n"
        "    sem = asyncio.Semaphore(5)\n"
        "    async with sem:\n"
        "        return await fetch(client, url)\n\n"
        "async def run(client, urls):\n"
        "    return await asyncio.gather(*(limited(client, u) for u in urls))\n"
    )
    assert codes_of(per_call) == [("ACK300", 13)]
    shared = per_call.replace("    sem = asyncio.Semaphore(5)\n", "").replace(
        "async def limited", "sem = asyncio.Semaphore(5)\n\nasync def limited")
    assert codes_of(shared) == []


def test_wrapper_in_another_module_with_an_untyped_limiter_parameter() -> None:
    wrapper = (
        "async def throttled(gate, coro):\n"
        "    async with gate:\n"
        "        return await coro\n"
    )
    caller = _FETCH + (
        "from netutil.pacing import throttled\n\n"
        "async def run(client, urls):\n"
        "    {setup}\n"
        "    return await asyncio.gather(*(throttled(gate, fetch(client, u)) for u in urls))\n"
    )
    files = {"netutil/__init__.py": "", "netutil/pacing.py": wrapper}
    limited = caller.format(setup="gate = asyncio.Semaphore(4)")
    assert codes_of(limited, filename="app/run.py", other_files=files) == []
    # A lock passed as `gate` is not a limiter for these rules, and the name says nothing.
    locked = caller.format(setup="gate = asyncio.Lock()")
    assert codes_of(locked, filename="app/run.py", other_files=files) == [("ACK300", 11)]


def test_limiter_acquired_by_a_coroutine_the_worker_awaits() -> None:
    client = (
        "import asyncio\n\n"
        "class Api:\n"
        "    _slots = asyncio.Semaphore(4)\n\n"
        "    async def _request(self, path):\n"
        "        async with self._slots:\n"
        "            return path\n\n"
        "    async def user(self, uid):\n"
        "        return await self._request(f'/users/{uid}')\n"
    )
    caller = (
        "import asyncio\n"
        "from api.client import Api\n\n"
        "async def users(api: Api, ids):\n"
        "    return await asyncio.gather(*(api.user(i) for i in ids))\n"
    )
    files = {"api/__init__.py": "", "api/client.py": client}
    assert codes_of(caller, filename="app/users.py", other_files=files) == []
    unlimited = {**files, "api/client.py": client.replace("async with self._slots:", "if True:")}
    assert codes_of(caller, filename="app/users.py", other_files=unlimited) == [("ACK300", 5)]


def test_closing_existing_connections_is_not_a_fanout() -> None:
    source = (
        "import asyncio\n\n"
        "class Pool:\n"
        "    async def close(self):\n"
        "        await asyncio.gather(*(c.close() for c in self._connections))\n"
        "        await asyncio.gather(*(node.ping() for node in self._nodes))\n"
        "        for c in self._idle:\n"
        "            asyncio.create_task(c.disconnect())\n"
    )
    assert codes_of(source) == []


def test_varargs_are_a_fixed_argument_list_of_the_caller() -> None:
    source = _FETCH + (
        "async def first_of(client, *urls):\n"
        "    return await asyncio.gather(*(fetch(client, u) for u in urls))\n"
    )
    assert codes_of(source) == []


def _copy_fixture_package(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "limited_pkg", project / "limited_pkg")
    (project / "pyproject.toml").write_text("[tool.asyncheck]\n", encoding="utf-8")
    return project


def _findings(cli: RunCli, project: Path, *paths: str) -> list[tuple[str, str, int]]:
    done = cli(*paths, "--select", "ACK300,ACK301", "--format", "json", "--no-cache", cwd=project)
    assert done.returncode in (0, 1), done.stderr
    return sorted((Path(d["path"]).name, d["code"], d["line"]) for d in json.loads(done.stdout))


def test_limiters_in_another_module_when_only_the_caller_is_linted(
    cli: RunCli, tmp_path: Path
) -> None:
    project = _copy_fixture_package(tmp_path)
    # As pre-commit runs it: only the changed caller, the index reads client.py on demand.
    assert _findings(cli, project, "limited_pkg/report.py") == [("report.py", "ACK300", 29)]


def test_removing_the_limiters_makes_the_fanouts_reported(cli: RunCli, tmp_path: Path) -> None:
    project = _copy_fixture_package(tmp_path)
    client = project / "limited_pkg" / "client.py"
    text = client.read_text(encoding="utf-8")
    text = text.replace("    async with _api_slots:\n", "    if True:\n")
    text = text.replace("await self._slots.acquire()", "await asyncio.sleep(0)")
    client.write_text(text, encoding="utf-8")
    assert _findings(cli, project, "limited_pkg/report.py") == [
        ("report.py", "ACK300", 16), ("report.py", "ACK300", 29),
        ("report.py", "ACK301", 22), ("report.py", "ACK301", 24),
    ]


def test_seed_reports_flood_and_polite() -> None:
    flood = (FIXTURES / "seed" / "flood_report.py").read_text(encoding="utf-8")
    polite = (FIXTURES / "seed" / "polite_report.py").read_text(encoding="utf-8")
    assert [c for c, _ in codes_of(flood)] == ["ACK300", "ACK310"]
    assert codes_of(polite) == []
    # The cure is what keeps it quiet: without the semaphore the polite report floods too.
    unlimited = polite.replace("        async with sem:\n            return", "        return")
    assert [c for c, _ in codes_of(unlimited)] == ["ACK300"]


def test_tasks_spawned_in_a_comprehension_are_acks301_unless_handed_to_gather() -> None:
    source = _FETCH + (
        "async def run(client, urls):\n"
        "    async with asyncio.TaskGroup() as tg:\n"
        "        pending = {u: tg.create_task(fetch(client, u)) for u in urls}\n"
        "    tasks = [asyncio.create_task(fetch(client, u)) for u in urls]\n"
        "    await asyncio.gather(*tasks)\n"
        "    await asyncio.gather(*[asyncio.create_task(fetch(client, u)) for u in urls])\n"
        "    few = [asyncio.create_task(fetch(client, u)) for u in urls[:3]]\n"
        "    return pending, few\n"
    )
    assert codes_of(source) == [("ACK301", 9), ("ACK301", 10), ("ACK300", 12)]


def test_while_loop_batches_by_tuple_unpacking_and_acquire_context() -> None:
    source = _FETCH + (
        "class Limiter:\n"
        "    async def acquire(self): ...\n\n"
        "async def run(client, urls, limiter: Limiter):\n"
        "    while urls:\n"
        "        batch, urls = urls[:10], urls[10:]\n"
        "        await asyncio.gather(*(fetch(client, u) for u in batch))\n"
        "        head, rest = urls[:30], urls[30:]\n"
        "        await asyncio.gather(*(fetch(client, u) for u in head))\n\n"
        "async def paced(client, url, rate_limiter):\n"
        "    async with rate_limiter.acquire():\n"
        "        return await fetch(client, url)\n\n"
        "async def run_paced(client, urls, rate_limiter):\n"
        "    await asyncio.gather(*(paced(client, u, rate_limiter) for u in urls))\n"
    )
    assert codes_of(source) == [("ACK300", 15)]


def test_worker_pools_sized_by_config_are_the_cure_but_range_over_input_is_not() -> None:
    source = _FETCH + (
        "async def worker(client, queue):\n"
        "    while True:\n"
        "        await fetch(client, await queue.get())\n\n"
        "async def run(client, queue, urls, n):\n"
        "    async with asyncio.TaskGroup() as tg:\n"
        "        for _ in range(n):\n"
        "            tg.create_task(worker(client, queue))\n"
        "        for i in range(len(urls)):\n"
        "            tg.create_task(fetch(client, urls[i]))\n"
        "    await asyncio.gather(*[worker(client, queue) for _ in range(n)])\n"
        "    await asyncio.gather(*[fetch(client, urls[i]) for i in range(n)])\n"
    )
    assert codes_of(source) == [("ACK301", 16), ("ACK300", 18)]
