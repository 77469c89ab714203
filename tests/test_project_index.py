"""The project index: coroutine functions and call facts across the files of a project."""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from asyncheck.semantics.project import ProjectIndex
from asyncheck.core.config import Settings
from asyncheck.app.runner import run
from asyncheck.doors.testing import module_name_of

FILES = {
    "shop/__init__.py": "from .api import fetch_stock\nfrom .api import Client as ApiClient\n",
    "shop/api.py": (
        "import asyncio\n"
        "from contextlib import asynccontextmanager\n"
        "from functools import wraps\n\n"
        "def retrying(func):\n"
        "    @wraps(func)\n"
        "    async def wrapper(*args):\n"
        "        return await func(*args)\n"
        "    return wrapper\n\n"
        "def run_sync(func):\n"
        "    def wrapper(*args):\n        return asyncio.run(func(*args))\n"
        "    return wrapper\n\n"
        "async def fetch_stock(sku):\n    await asyncio.sleep(0)\n    return sku\n\n"
        "async def stream_stock(skus):\n    for sku in skus:\n        yield sku\n\n"
        "@asynccontextmanager\nasync def connection():\n    yield None\n\n"
        "@retrying\nasync def fetch_price(sku):\n    return 1\n\n"
        "@run_sync\nasync def report():\n    return None\n\n"
        "def outer():\n    async def inner():\n        return 1\n    return inner\n\n"
        "class Client:\n"
        "    async def get(self, path):\n        return path\n\n"
        "    def close(self):\n        helper()\n\n"
        "def helper():\n    fetch_stock('x')\n"
    ),
    "shop/jobs.py": (
        "from . import ApiClient\n\n"
        "class CachedClient(ApiClient):\n"
        "    def cached(self):\n        return None\n"
    ),
    "shop/compat.py": (
        "import sys\n\nif sys.version_info >= (3, 11):\n"
        "    async def close(conn):\n        await conn.aclose()\nelse:\n"
        "    def close(conn):\n        conn.close()\n"
    ),
    "shop/wrapped.py": (
        "from shop.api import run_sync as blocking\n\n"
        "async def export():\n    ...\n\n"
        "export = blocking(export)\n"
    ),
    "unrelated.py": "def nothing():\n    pass\n",
}


def make_index(parsed: list[str]) -> ProjectIndex:
    sources = {module_name_of(path): text for path, text in FILES.items()}
    modules = {module_name_of(path): Path(path) for path in FILES}

    def parse(path: Path) -> cst.Module:
        name = module_name_of(path.as_posix())
        parsed.append(name)
        return cst.parse_module(sources[name])

    return ProjectIndex(modules, parse)


def test_async_defs_are_coroutine_functions_and_other_defs_are_not() -> None:
    index = make_index([])
    assert index.makes_coroutine("shop.api.fetch_stock") is True
    assert index.makes_coroutine("shop.api.Client.get") is True
    assert index.makes_coroutine("shop.api.outer.<locals>.inner") is True
    assert index.makes_coroutine("shop.api.Client.close") is False
    assert index.makes_coroutine("shop.api.helper") is False
    # Not a project function at all: the caller decides (tables, config).
    assert index.makes_coroutine("asyncio.sleep") is None


def test_generators_and_changing_decorators_are_not_coroutine_functions() -> None:
    index = make_index([])
    assert index.makes_coroutine("shop.api.stream_stock") is False
    assert index.makes_coroutine("shop.api.connection") is False
    assert index.makes_coroutine("shop.api.report") is False  # sync wrapper runs it
    assert index.makes_coroutine("shop.api.fetch_price") is True  # async wrapper
    assert index.makes_coroutine("shop.compat.close") is False  # sync or async: unknown
    assert index.makes_coroutine("shop.wrapped.export") is False  # rebound by a wrapper


def test_reexports_and_inherited_methods_resolve() -> None:
    index = make_index([])
    assert index.canonical("shop.fetch_stock") == "shop.api.fetch_stock"
    assert index.makes_coroutine("shop.fetch_stock") is True
    assert index.makes_coroutine("shop.ApiClient.get") is True
    # A method inherited from a base class in another module, imported relatively.
    assert index.makes_coroutine("shop.jobs.CachedClient.get") is True
    assert index.makes_coroutine("shop.jobs.CachedClient.cached") is False
    assert index.class_lineage("shop.jobs.CachedClient") == [
        "shop.jobs.CachedClient", "shop.api.Client"]


def test_call_facts_are_recorded_for_sync_functions() -> None:
    index = make_index([])
    helper = index.function("shop.api.helper")
    assert helper is not None and helper.calls == ("shop.api.fetch_stock",)
    close = index.function("shop.api.Client.close")
    assert close is not None and close.calls == ("shop.api.helper",)
    fetch = index.function("shop.api.fetch_stock")
    assert fetch is not None and fetch.is_async and "asyncio.sleep" in fetch.calls


def test_only_modules_asked_about_are_parsed() -> None:
    parsed: list[str] = []
    index = make_index(parsed)
    assert index.makes_coroutine("asyncio.sleep") is None
    assert parsed == []
    index.makes_coroutine("shop.fetch_stock")
    assert sorted(parsed) == ["shop", "shop.api"]
    index.makes_coroutine("shop.api.Client.get")
    assert sorted(parsed) == ["shop", "shop.api"]  # facts are kept


def _write_project(root: Path, files: dict[str, str]) -> None:
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_linting_one_file_knows_the_coroutine_functions_of_the_others(tmp_path: Path) -> None:
    _write_project(tmp_path, {
        "src/billing/__init__.py": "from .gateway import charge\n",
        "src/billing/gateway.py": "async def charge(card, amount):\n    ...\n",
        "src/billing/invoices.py": "async def send_invoice(order):\n    ...\n",
        "src/billing/jobs.py": (
            "import billing.invoices\n"
            "from billing import charge\n"
            "from .invoices import send_invoice as send\n\n"
            "async def close_order(order):\n"
            "    charge(order.card, order.total)\n"
            "    send(order)\n"
            "    billing.invoices.send_invoice(order)\n"
        ),
        "scripts/helpers.py": "async def fetch_rates():\n    ...\n",
        "scripts/nightly.py": "from helpers import fetch_rates\n\ndef main():\n    fetch_rates()\n",
    })
    result = run([str(tmp_path / "src/billing/jobs.py"), str(tmp_path / "scripts/nightly.py")],
                 Settings(select=("ACK100",)))
    found = sorted((Path(d.path).name, d.line) for d in result.diagnostics)
    assert found == [("jobs.py", 6), ("jobs.py", 7), ("jobs.py", 8), ("nightly.py", 4)]
    assert result.files_checked == 2


def test_acquires_records_the_limiter_however_it_is_entered() -> None:
    import libcst as cst

    from asyncheck.semantics.project import extract_module_facts

    tree = cst.parse_module(
        "import asyncio\n\nSEM = asyncio.Semaphore(10)\n\n"
        "async def a(url):\n    async with SEM:\n        return url\n\n"
        "async def b(url):\n    async with SEM.acquire():\n        return url\n\n"
        "async def c(url):\n    await SEM.acquire()\n    try:\n        return url\n"
        "    finally:\n        SEM.release()\n")
    facts = extract_module_facts(tree, "svc")
    assert {name: facts.functions[f"svc.{name}"].acquires for name in "abc"} == {
        "a": ("asyncio.Semaphore",), "b": ("asyncio.Semaphore",), "c": ("asyncio.Semaphore",)}


def test_facts_made_lazily_equal_facts_made_at_once() -> None:
    # A module's own lint extracts its facts lazily, function by function.
    from asyncheck.semantics.project import extract_module_facts

    for path, text in FILES.items():
        tree = cst.parse_module(text)
        name = module_name_of(path)
        eager = extract_module_facts(tree, name, is_package=path.endswith("__init__.py"))
        lazy = extract_module_facts(tree, name, is_package=path.endswith("__init__.py"),
                                    lazy=True)
        assert list(lazy.functions) == list(eager.functions)
        # A lint asks for one function at a time, in any order: backwards here, and each
        # alone from a fresh extraction.
        assert {q: lazy.functions[q] for q in reversed(list(lazy.functions))} == dict(
            eager.functions)
        for qualname, made_at_once in eager.functions.items():
            alone = extract_module_facts(tree, name, is_package=path.endswith("__init__.py"),
                                         lazy=True)
            assert alone.functions[qualname] == made_at_once
        assert lazy.classes == eager.classes and lazy.exports == eager.exports
    # The same name defined sync and async is ambiguous either way.
    compat = extract_module_facts(cst.parse_module(FILES["shop/compat.py"]), "shop.compat",
                                  lazy=True)
    assert compat.functions["shop.compat.close"].ambiguous


def test_a_dropped_tree_takes_its_lazy_facts_with_it() -> None:
    parsed: list[str] = []
    index = make_index(parsed)
    index.add_module("shop.api", cst.parse_module(FILES["shop/api.py"]))
    assert index.makes_coroutine("shop.api.fetch_stock") is True
    assert parsed == []  # from the lint's own tree
    index.drop_tree("shop.api")  # its lint is over: the tree must not stay alive
    assert index.makes_coroutine("shop.api.Client.get") is True
    assert parsed == ["shop.api"]


def test_a_file_outside_the_project_is_found_after_earlier_questions() -> None:
    # A script linted from outside the project (or standard input with --stdin-filename)
    # is known to the index only from its lint's tree: answers given before it arrived
    # must not stick.
    index = make_index([])
    assert index.split_module("shop.api.Client.get") == ("shop.api", "Client.get")
    assert index.split_module("nightly_sync.refresh") is None
    index.add_module("nightly_sync", cst.parse_module(
        "import asyncio\n\n\nasync def refresh():\n    await asyncio.sleep(1)\n"))
    assert index.split_module("nightly_sync.refresh") == ("nightly_sync", "refresh")
    assert index.makes_coroutine("nightly_sync.refresh") is True
    assert index.split_module("shop.api.Client.get") == ("shop.api", "Client.get")


def test_modules_mentioning_a_word_are_its_dependencies() -> None:
    """Whole words only (``fetch_stock`` is not ``fetch``), the asking module left out, the
    modules found recorded as dependencies; beyond the limit, None and nothing recorded."""
    index = make_index([])
    index.accessed = set()
    assert index.modules_mentioning("fetch_stock", besides="shop.api") == {"shop"}
    assert index.accessed == {"shop"}
    assert index.modules_mentioning("fetch", besides="shop.api") == frozenset()
    index.accessed = set()
    assert index.modules_mentioning("ApiClient", besides="unrelated", limit=1) is None
    assert index.accessed == set()
