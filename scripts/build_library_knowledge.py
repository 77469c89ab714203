"""Build asyncheck's bundled library knowledge (issue 19, SPEC §9).

Runs that find no environment holding a library (pre-commit installs hooks into an
isolated virtualenv) still know the most used async libraries from
``src/asyncheck/app/library_knowledge.zip``: the facts asyncheck would read from the
libraries' sources (coroutine functions and methods, return annotations, classes, bases,
re-exports), extracted by the same code, at the versions pinned below.  The environment wins
whenever it holds a library.

Refresh it (the package index must be reachable; about a minute)::

    .venv/bin/python scripts/build_library_knowledge.py            # installs the pins
    .venv/bin/python scripts/build_library_knowledge.py --site-packages DIR   # or reads DIR

then run the tests and commit both generated files.  To add a library, add its pin and its
top-level packages below.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "src" / "asyncheck" / "app" / "library_knowledge.zip"
INDEX = REPO / "src" / "asyncheck" / "app" / "library_knowledge_index.json"

#: Pinned distribution -> its top-level import packages.
PINS: dict[str, tuple[str, ...]] = {
    "asyncpg==0.32.0": ("asyncpg",),
    "redis==8.1.0": ("redis",),
    "aiofiles==25.1.0": ("aiofiles",),
    "types-aiofiles==25.1.0.20261107": ("aiofiles-stubs",),
    "httpx==0.29.0": ("httpx",),
    "httpcore==1.0.9": ("httpcore",),
    "aiohttp==3.14.5": ("aiohttp",),
    "openai==3.60.0": ("openai",),
    "anthropic==2.16.0": ("anthropic",),
    "sqlalchemy[asyncio]==2.1.9": ("sqlalchemy",),
    "aiokafka==0.14.0": ("aiokafka",),
    "aiosqlite==0.22.1": ("aiosqlite",),
    "websockets==17.4": ("websockets",),
    "motor==3.7.1": ("motor",),
    "anyio==4.16.0": ("anyio",),
    "aio-pika==10.2.1": ("aio_pika",),
    "aiormq==7.2.4": ("aiormq",),
    "aiomysql==0.3.2": ("aiomysql",),
    "aiopg==1.4.0": ("aiopg",),
    "asyncssh==2.24.1": ("asyncssh",),
    "aiobotocore==3.10.0": ("aiobotocore",),
    "botocore==1.43.117": ("botocore",),
    "tortoise-orm==1.1.9": ("tortoise",),
    "databases==0.9.0": ("databases",),
    "nats-py==2.16.0": ("nats",),
    "aiosmtplib==5.1.3": ("aiosmtplib",),
    "psycopg==3.3.9": ("psycopg",),
    "asyncmy==0.2.18": ("asyncmy",),
    "aiocache==0.12.3": ("aiocache",),
}

#: Module name parts never bundled: tests, vendored copies, generated API models (openai's
#: and anthropic's ``types`` are pydantic models with no coroutine methods).
SKIPPED_PARTS = frozenset({"tests", "test", "_vendor", "types", "testing"})


def module_name(site: Path, path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(site).with_suffix("").parts)
    parts[0] = parts[0].removesuffix("-stubs")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def build(site: Path) -> tuple[dict[str, object], dict[str, str]]:
    sys.path.insert(0, str(REPO / "src"))
    from asyncheck.semantics.library import extract_library_module, parse_library_source

    modules: dict[str, object] = {}
    for tops in PINS.values():
        for top in tops:
            base = site / top
            if not base.is_dir():
                print(f"warning: {top} is not in {site}", file=sys.stderr)
                continue
            # .pyi before .py: a stub wins over the source next to it, a -stubs package
            # over the package (it comes later in PINS and replaces it).
            for path in sorted(base.rglob("*.py*"), key=lambda p: (str(p.with_suffix("")),
                                                                    p.suffix != ".pyi")):
                if path.suffix not in (".py", ".pyi"):
                    continue
                name, is_package = module_name(site, path)
                if set(name.split(".")) & SKIPPED_PARTS:
                    continue
                if name in modules and path.suffix == ".py" and not top.endswith("-stubs"):
                    continue
                tree = parse_library_source(path.read_bytes())
                if tree is None:
                    continue
                facts = extract_library_module(tree, name, is_package=is_package,
                                               is_stub=path.suffix == ".pyi")
                data = facts.to_json()
                data["package"] = is_package
                modules[name] = data
    versions = {}
    for dist in site.glob("*.dist-info"):
        distribution, _, version = dist.name.removesuffix(".dist-info").partition("-")
        versions[distribution.lower().replace("_", "-")] = version
    return modules, versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-packages", type=Path,
                        help="read the libraries from DIR instead of installing the pins")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        site = args.site_packages
        if site is None:
            site = Path(scratch) / "site"
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                            "--target", str(site), *PINS], check=True)
        modules, versions = build(site)
    tops = sorted({name.split(".")[0] for name in modules})
    wanted = {pin.split("[")[0].split("==")[0].lower() for pin in PINS}
    write_knowledge(modules)
    INDEX.write_text(json.dumps({
        "packages": tops,
        "versions": {k: v for k, v in sorted(versions.items())
                     if k in wanted or k.replace("_", "-") in wanted},
    }, indent=1) + "\n")
    print(f"{len(modules)} modules of {len(tops)} packages: {OUTPUT.stat().st_size // 1000} kB")
    return 0


def write_knowledge(modules: dict[str, object]) -> None:
    """Write :data:`OUTPUT`: one JSON member per top-level package (``redis.json``: module
    name -> facts), so that a run reads and decodes only the packages it asks about; fixed
    member dates keep the file the same for the same facts."""
    parts: dict[str, dict[str, object]] = {}
    for module, facts in sorted(modules.items()):
        parts.setdefault(module.partition(".")[0], {})[module] = facts
    with zipfile.ZipFile(OUTPUT, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for package, part in sorted(parts.items()):
            member = zipfile.ZipInfo(f"{package}.json", date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(member, json.dumps(part, separators=(",", ":"), sort_keys=True),
                        compresslevel=9)


if __name__ == "__main__":
    raise SystemExit(main())
