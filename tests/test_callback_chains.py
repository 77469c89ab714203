"""Issue 20's callback and chain rules: ACK104 (an async def handed to a callback API),
ACK400 and ACK102 through sync helpers of the project."""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from asyncheck.app.runner import run
from asyncheck.core.config import Settings
from asyncheck.doors.testing import lint_source
from asyncheck.semantics.project import ModuleFacts, extract_module_facts
from asyncheck.text.scans import sync_functions_around, task_making_functions


def messages(code: str, source: str, **kwargs: object) -> list[str]:
    return [d.message for d in lint_source(source, codes=[code], **kwargs)  # type: ignore[arg-type]
            if d.code == code]


# -- ACK104 ---------------------------------------------------------------------------------

def test_a_name_defined_both_sync_and_async_is_not_reported() -> None:
    source = (
        "import atexit, sys\n\n"
        "if sys.version_info >= (3, 11):\n"
        "    async def cleanup():\n        ...\n"
        "else:\n"
        "    def cleanup():\n        ...\n\n"
        "atexit.register(cleanup)\n"
    )
    assert messages("ACK104", source) == []


def test_a_subclass_method_that_is_sync_is_not_taken_for_the_base_coroutine() -> None:
    source = (
        "import atexit\n\n"
        "class Base:\n    async def close(self):\n        ...\n\n"
        "class SyncClient(Base):\n"
        "    def close(self):\n        ...\n\n"
        "    def install(self):\n        atexit.register(self.close)\n\n"
        "class AsyncClient(Base):\n"
        "    def install(self):\n        atexit.register(self.close)\n"
    )
    found = lint_source(source, codes=["ACK104"])
    assert [(d.line, d.code) for d in found] == [(16, "ACK104")]


def test_positions_of_the_callable_follow_each_api() -> None:
    source = (
        "import asyncio, signal, threading, weakref\n\n"
        "async def job(*args):\n    ...\n\n"
        "def wire(loop: asyncio.AbstractEventLoop, owner):\n"
        "    signal.signal(signal.SIGTERM, job)\n"        # 7: handler, second
        "    threading.Timer(5.0, job).start()\n"          # 8: function, second
        "    threading.Thread(None, job).start()\n"        # 9: target, second
        "    weakref.finalize(owner, job)\n"               # 10: func, second
        "    loop.call_later(1, job)\n"                    # 11: callback, second
        "    loop.call_at(loop.time() + 1, callback=job)\n"  # 12: by keyword
        "    signal.signal(job, signal.SIG_IGN)\n"         # not the handler: no finding
        "    threading.Timer(job, print)\n"                # not the function: no finding
    )
    found = lint_source(source, codes=["ACK104"])
    assert [d.line for d in found] == [7, 8, 9, 10, 11, 12]


# -- ACK400 through helpers ----------------------------------------------------------------

def test_a_call_cycle_still_reaches_the_loop_run_and_one_without_terminates() -> None:
    source = (
        "import asyncio\n\n"
        "async def fetch():\n    ...\n\n"
        "def ping(n):\n    return pong(n - 1) if n else None\n\n"
        "def pong(n):\n"
        "    if n > 5:\n        return ping(n - 1)\n"
        "    return asyncio.run(fetch())\n\n"
        "def even(n):\n    return n == 0 or odd(n - 1)\n\n"
        "def odd(n):\n    return n != 0 and even(n - 1)\n\n"
        "async def main():\n"
        "    even(4)\n"
        "    return ping(10)\n"
    )
    assert messages("ACK400", source) == [
        "`ping(...)` inside `async def main` starts an event loop while one is running "
        "(RuntimeError): main -> ping -> pong -> asyncio.run; make the helper async and "
        "`await` it"]


def test_a_guard_anywhere_on_the_chain_stops_it() -> None:
    source = (
        "import asyncio\n\n"
        "def loop_is_running():\n"
        "    try:\n        asyncio.get_running_loop()\n"
        "    except RuntimeError:\n        return False\n"
        "    return True\n\n"
        "def run(coro):\n    return asyncio.run(coro)\n\n"
        "def maybe_run(coro):\n"
        "    if loop_is_running():\n        return coro\n"
        "    return run(coro)\n\n"
        "async def job():\n    ...\n\n"
        "async def handler():\n"
        "    maybe_run(job())\n"
        "    run(job())\n"
    )
    found = lint_source(source, codes=["ACK400"])
    assert [d.line for d in found] == [23]


def test_a_literal_argument_switching_the_loop_run_off() -> None:
    source = (
        "import asyncio\n\n"
        "def fetch(coro, wait=True):\n"
        "    if wait:\n        return asyncio.run(coro)\n"
        "    return coro\n\n"
        "async def job():\n    ...\n\n"
        "async def handler():\n"
        "    return await fetch(job(), wait=False)\n\n"
        "async def other():\n"
        "    fetch(job())\n"
    )
    found = lint_source(source, codes=["ACK400"])
    assert [d.line for d in found] == [15]


def test_a_loop_that_runs_no_time_for_a_literal_count_or_flag() -> None:
    # asyncpg's cluster: `get_status` asks `_test_connection(timeout=0)`, which tries zero
    # times; `connect` runs a loop for real.
    source = (
        "import asyncio\n\n"
        "class Cluster:\n"
        "    def _test_connection(self, timeout=60):\n"
        "        loop = asyncio.new_event_loop()\n"
        "        try:\n"
        "            for i in range(timeout):\n"
        "                loop.run_until_complete(asyncio.sleep(1))\n"
        "        finally:\n            loop.close()\n\n"
        "    def _drain(self, pending):\n"
        "        while pending:\n"
        "            pending = asyncio.run(asyncio.sleep(0, pending - 1))\n\n"
        "    def get_status(self):\n"
        "        return self._test_connection(timeout=0)\n\n"
        "    async def status(self):\n        return self.get_status()\n\n"
        "    async def drain_nothing(self):\n        self._drain(0)\n\n"
        "    async def connect(self):\n"
        "        self._test_connection(timeout=5)\n"
        "        self._drain(3)\n"
    )
    found = lint_source(source, codes=["ACK400"])
    assert [d.line for d in found] == [26, 27]


# -- ACK102 through helpers ----------------------------------------------------------------

def _returns_task(source: str) -> dict[str, str]:
    facts = extract_module_facts(cst.parse_module(source), "m")
    stored = ModuleFacts.from_json(facts.to_json())  # what the facts store keeps
    return {name: f.returns_task for name, f in stored.functions.items() if f.returns_task}


def test_which_helpers_return_a_fresh_task() -> None:
    source = (
        "import asyncio\n\n"
        "def direct(c):\n    return asyncio.create_task(c)\n\n"
        "def named(loop, c):\n"
        "    task = loop.create_task(c)\n"
        "    task.add_done_callback(print)\n"
        "    return task\n\n"
        "def stored(self, c):\n"
        "    task = asyncio.ensure_future(c)\n"
        "    self.tasks.add(task)\n"
        "    return task\n\n"
        "def on_self(self, c):\n"
        "    self.task = asyncio.create_task(c)\n"
        "    return self.task\n\n"
        "def group(tg: asyncio.TaskGroup, c):\n    return tg.create_task(c)\n\n"
        "def nested(c):\n"
        "    def inner():\n        return asyncio.create_task(c)\n"
        "    return inner\n"
    )
    assert _returns_task(source) == {
        "m.direct": "asyncio.create_task",
        "m.named": "loop.create_task",
        "m.nested.<locals>.inner": "asyncio.create_task",
    }


def test_a_helper_task_kept_by_the_caller_or_dropped() -> None:
    source = (
        "import asyncio\n\n"
        "def spawn(c):\n    return asyncio.create_task(c)\n\n"
        "async def job():\n    ...\n\n"
        "background = set()\n\n"
        "async def main():\n"
        "    background.add(spawn(job()))\n"
        "    _ = spawn(job())\n"
        "    spawn(job()).add_done_callback(print)\n"
        "    await asyncio.gather(spawn(job()))\n"
    )
    found = lint_source(source, codes=["ACK102"])
    assert [(d.line, "spawn" in d.message) for d in found] == [(13, True), (14, True)]


def test_helpers_are_found_from_their_text_whatever_their_layout() -> None:
    # The helpers that may run a loop are found from the modules' text before anything is
    # parsed: a string or a bracketed line further left than the body, a method, a nested
    # def and decorators must not hide the function holding the call.
    source = (
        "import asyncio\n\n"
        "async def fetch(query):\n    ...\n\n"
        "class Reports:\n"
        "    @staticmethod\n"
        "    def render(\n        name,\n    ):\n"
        "        query = '''\nSELECT *\nFROM reports\n'''\n"
        "        def label():\n            return name\n"
        "        rows = (\nlabel())\n"
        "        return asyncio.run(fetch(query))\n\n"
        "def export(name):\n    return Reports.render(name)\n\n"
        "async def handler(name):\n"
        "    return export(name)\n"
    )
    assert messages("ACK400", source) == [
        "`export(...)` inside `async def handler` starts an event loop while one is running "
        "(RuntimeError): handler -> export -> Reports.render -> asyncio.run; make the "
        "helper async and `await` it"]


def test_task_helpers_in_other_files_are_found_through_reexports_bases_and_one_liners(
        tmp_path: Path) -> None:
    # Another file's helper is parsed only when its text may make a task; the bytes are
    # followed through a package's re-export, a base class and a def on one line.
    files = {
        "pyproject.toml": "[project]\nname = 'demo'\n",
        "svc/__init__.py": "from .spawning import spawn\n",
        "svc/spawning.py": (
            "import asyncio\n\n"
            "def spawn(coro): return asyncio.create_task(coro)\n\n"
            "def log(message):\n    print(message)\n\n"
            "class Base:\n"
            "    def start(self, coro):\n"
            "        return asyncio.get_running_loop().create_task(coro)\n"
        ),
        "svc/worker.py": (
            "from svc.spawning import Base\n\n"
            "class Worker(Base):\n    def stop(self):\n        pass\n"
        ),
        "svc/app.py": (
            "from svc import spawn\n"
            "from svc.spawning import log\n"
            "from svc.worker import Worker\n\n"
            "async def job():\n    ...\n\n"
            "async def main(worker: Worker):\n"
            "    spawn(job())\n"
            "    log('started')\n"
            "    worker.start(job())\n"
            "    worker.stop()\n"
        ),
    }
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = run([str(tmp_path / "svc/app.py")], Settings(select=("ACK102",)))
    assert [(d.line, d.message.split(" (")[1].split(" returns")[0])
            for d in result.diagnostics] == [(9, "`spawn`"), (11, "`Base.start`")]


def test_the_functions_around_a_word_from_the_text_alone() -> None:
    text = (
        b"import asyncio\n\n"
        b"def one_line(c): return asyncio.create_task(c)\n\n"
        b"class Pool:\n"
        b"    def start(self):\n"
        b"        '''\nx in a docstring further left\n'''\n"
        b"        return self._loop.create_task(\n            self.run())\n"
        b"    async def close(self):\n        asyncio.create_task(self.stop())\n\n"
        b"if __name__ == '__main__':\n    asyncio.create_task(main())\n"
    )
    assert sync_functions_around(text, b"create_task") == {"one_line", "start"}
    assert sync_functions_around(text, b"run", called=True) == {"start"}
    assert task_making_functions(text) == {b"one_line", b"start"}
    assert task_making_functions(b"def f():\n    return 1\n") == frozenset()


def test_the_loop_run_search_kept_between_runs_sees_each_edit(tmp_path: Path) -> None:
    # A pre-commit run lints the files just edited: the backward search for helpers that may
    # run a loop is kept in the cache and reused only while the modules changed since tell
    # it the same.  A helper that starts running a loop must be found, and one that stops
    # must no longer be (the handler is edited each time too, so that it is linted again).
    files = {
        "pyproject.toml": "[project]\nname = 'demo'\n",
        "svc/cli.py": (
            "import asyncio\n\n"
            "def main():\n    asyncio.run(serve())\n\n"
            "async def serve():\n    ...\n"
        ),
        "svc/settings.py": "def load(path):\n    return {'path': path}\n",
        "svc/handlers.py": (
            "from svc.settings import load\n\n"
            "async def reload(path):\n    return load(path)\n"
        ),
    }
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text, encoding="utf-8")
    cache = tmp_path / ".cache"
    settings, handlers = tmp_path / "svc/settings.py", tmp_path / "svc/handlers.py"

    def findings_after(settings_text: str) -> list[int]:
        settings.write_text(settings_text, encoding="utf-8")
        handlers.write_text(handlers.read_text(encoding="utf-8") + "# edited\n",
                            encoding="utf-8")
        result = run([str(handlers), str(settings)], Settings(select=("ACK400",)),
                     cache_dir=cache)
        return [d.line for d in result.diagnostics]

    quiet = files["svc/settings.py"]
    running = ("import asyncio\n\ndef load(path):\n    return asyncio.run(fetch(path))\n\n"
               "async def fetch(path):\n    return {'path': path}\n")
    assert findings_after(quiet) == []
    assert findings_after(running) == [4]
    assert findings_after(running + "# a comment: the search finds the same\n") == [4]
    assert findings_after(quiet) == []
