"""A small two-module project for the end-to-end tests of the doors (flake8, pre-commit).

``shop/report.py`` uses ``shop/pricing.py``: the findings marked ``# expect:`` in it are
cross-module (the coroutine function and the blocking helper live in the other file) except
the direct ``time.sleep``.  Expectations count only rules that exist, as the fixture test does.
"""

from __future__ import annotations

from pathlib import Path

PRICING = '''\
"""Price look-ups against the supplier API."""

import json
import time

import aiohttp

RATES_FILE = "rates.json"


async def fetch_price(session: aiohttp.ClientSession, sku: str) -> float:
    async with session.get(f"https://supplier.example/prices/{sku}") as response:
        response.raise_for_status()
        payload = await response.json()
        return float(payload["price"])


def load_rates(retries: int = 3) -> dict[str, float]:
    for attempt in range(retries):
        try:
            with open(RATES_FILE) as handle:
                return dict(json.load(handle))
        except OSError:
            time.sleep(2 ** attempt)
    return {}
'''

REPORT = '''\
"""Nightly price report."""

import time

import aiohttp

from shop.pricing import fetch_price, load_rates


async def refresh_cache(session: aiohttp.ClientSession, sku: str) -> None:
    fetch_price(session, sku)  # expect: ACK100


async def build_report(session: aiohttp.ClientSession, skus: list[str]) -> dict[str, float]:
    rates = load_rates()  # expect: ACK290
    prices = [fetch_price(session, sku) for sku in skus]  # expect: ACK101
    time.sleep(0.5)  # expect: ACK200
    return {sku: rates.get(sku, 1.0) for sku in skus}
'''

#: Codes whose findings in ``shop/report.py`` need the project index (the other module).
CROSS_MODULE_CODES = frozenset({"ACK100", "ACK101", "ACK290"})


def write_shop(root: Path, *, pyproject: bool = True) -> Path:
    """Write the package under ``root`` (with a ``pyproject.toml`` unless told not to);
    returns ``root``."""
    (root / "shop").mkdir(parents=True, exist_ok=True)
    if pyproject:
        (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1.0"\n',
                                             encoding="utf-8")
    (root / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (root / "shop" / "pricing.py").write_text(PRICING, encoding="utf-8")
    (root / "shop" / "report.py").write_text(REPORT, encoding="utf-8")
    return root
