"""A gateway over httpx and aiohttp (held out)."""
from __future__ import annotations

from typing import Optional

import aiohttp
import httpx


class Gateway:
    session: Optional[aiohttp.ClientSession] = None

    def __init__(self) -> None:
        self.http = httpx.AsyncClient(timeout=10)

    async def forward(self, url: str, body: bytes) -> int:
        response = await self.http.post(url, content=body)
        self.http.delete(url)  # expect: ACK100 self-attr/statement
        return response.status_code

    async def legacy(self, url: str) -> str:
        if self.session is None:
            self.session = aiohttp.ClientSession()
        async with self.session.get(url) as response:
            response.text()  # expect: ACK100 chain/statement
            return await response.text()

    async def shutdown(self) -> None:
        await self.http.aclose()
        if self.session is not None:
            self.session.close()  # expect: ACK100 self-attr/statement


async def probe(url: str) -> bool:
    client = httpx.AsyncClient()
    try:
        response = await client.get(url)
        return response.is_success
    finally:
        client.aclose()  # expect: ACK100 factory/statement
