"""Object tracking for the blocking rules: how a name comes to be a ``requests.Session``."""

from __future__ import annotations

import pytest

from asyncheck.doors.testing import lint_source

BLOCKING = ("ACK210", "ACK220", "ACK230", "ACK231", "ACK240", "ACK260", "ACK270")


def codes(source: str, **kwargs: object) -> list[str]:
    return [d.code for d in lint_source(source, codes=BLOCKING, options={"select": ("ALL",)},
                                         **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize("binding", [
    "s = requests.Session()",
    "s = requests.session()",
    "s = Session()",
    "s = requests.sessions.Session()",
    "s: requests.Session = make()",
    "s: 'requests.Session' = make()",
    "s: Optional[requests.Session] = None",
    "s: 'Optional[Session]' = None",
    "s: requests.Session | None = None",
    "s: Union[None, requests.Session] = None",
    "s: Final[requests.Session] = make()",
])
def test_session_bindings_at_module_level(binding: str) -> None:
    source = ("import requests\nfrom requests import Session\n"
              "from typing import Final, Optional, Union\n\n"
              f"{binding}\n\nasync def fetch(url):\n    return s.get(url)\n")
    assert codes(source) == ["ACK210"]


@pytest.mark.parametrize("binding", [
    "with requests.Session() as s:",
    "with requests.Session() as s, open_log() as log:",
])
def test_with_as_binding_inside_the_function(binding: str) -> None:
    source = (f"import requests\n\nasync def fetch(url):\n    {binding}\n"
              "        return s.post(url)\n")
    assert codes(source) == ["ACK210"]


def test_function_local_binding_and_parameter_annotations() -> None:
    source = ("import httpx, sqlite3\n\n"
              "async def handler(db: 'sqlite3.Connection', url: str):\n"
              "    client = httpx.Client()\n"
              "    client.get(url)\n"
              "    db.commit()\n")
    assert codes(source) == ["ACK210", "ACK260"]


def test_self_attributes_from_init_and_class_annotations() -> None:
    source = ("import queue, subprocess, threading\nfrom typing import Optional\n\n"
              "class Worker:\n"
              "    proc: Optional[subprocess.Popen] = None\n\n"
              "    def __init__(self):\n"
              "        self.jobs = queue.Queue()\n"
              "        self.lock = threading.Lock()\n\n"
              "    async def step(self):\n"
              "        job = self.jobs.get()\n"
              "        with self.lock:\n"
              "            self.proc.wait()\n"
              "        return job\n")
    assert codes(source) == ["ACK270", "ACK270", "ACK220"]


def test_paths_through_operators_properties_and_factories() -> None:
    source = ("from pathlib import Path\nimport pathlib\n\n"
              "def data_dir() -> Path:\n    return Path('/srv/data')\n\n"
              "async def load(name: str):\n"
              "    here = Path(__file__).parent\n"
              "    (here / 'x.txt').read_text()\n"
              "    data_dir().joinpath(name).read_bytes()\n"
              "    pathlib.Path.home().with_suffix('.bak').write_text('')\n")
    assert codes(source) == ["ACK230", "ACK230", "ACK230"]


def test_generic_annotations_and_annotated_factories_of_other_files() -> None:
    source = ("import queue\nfrom app.db import connect\n\n"
              "jobs: 'queue.Queue[str]' = queue.Queue()\n\n"
              "async def handler():\n"
              "    conn = connect()\n"
              "    conn.execute('select 1')\n"
              "    return jobs.get()\n")
    other = {"app/__init__.py": "",
             "app/db.py": "import sqlite3\n\ndef connect() -> sqlite3.Connection:\n"
                          "    return sqlite3.connect('x.db')\n"}
    assert codes(source, filename="app/api.py", other_files=other) == ["ACK260", "ACK270"]


@pytest.mark.parametrize("source", [
    # A dict's get, a parameter that shadows the module, an unknown object.
    "import requests\n\nasync def f(cache: dict, url):\n    return cache.get(url)\n",
    "import requests\n\nasync def f(requests, url):\n    return requests.get(url)\n",
    "import requests\n\nasync def f(client, url):\n    return client.get(url)\n",
    # A name bound to two different things is unknown (flow-insensitive on purpose).
    "import requests, httpx\n\nasync def f(url, sync):\n"
    "    c = requests.Session() if sync else None\n    c = httpx.AsyncClient()\n"
    "    return c.get(url)\n",
    # Async clients and async paths.
    "import httpx\n\nclient = httpx.AsyncClient()\n\nasync def f(url):\n    return await client.get(url)\n",
    "import anyio\n\nasync def f():\n    p = anyio.Path('x') / 'y'\n    return await p.read_text()\n",
    # A local class with the same method names.
    "class Session:\n    def get(self, url):\n        return url\n\n"
    "async def f(url):\n    return Session().get(url)\n",
    # An async factory's result is a coroutine, not the annotated type.
    "import sqlite3\n\nasync def connect() -> sqlite3.Connection: ...\n\n"
    "async def f():\n    conn = connect()\n    return conn.commit()\n",
])
def test_must_not_report(source: str) -> None:
    assert codes(source) == []


def test_names_unpacked_from_tuple_results() -> None:
    source = ("import socket\n\n"
              "async def serve(listener: socket.socket):\n"
              "    conn, addr = listener.accept()\n"
              "    left, right = socket.socketpair()\n"
              "    first, *rest = socket.socketpair()\n"
              "    data = conn.recv(1024)\n"
              "    right.sendall(data)\n"
              "    rest[0].sendall(data)\n"
              "    return addr.upper()\n")
    found = [(d.code, d.line) for d in lint_source(source, codes=["ACK240"])]
    assert found == [("ACK240", 4), ("ACK240", 7), ("ACK240", 8)]
