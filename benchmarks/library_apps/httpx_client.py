"""An API client over httpx."""
from __future__ import annotations

import httpx


class GitHub:
    def __init__(self, token: str) -> None:
        self.client = httpx.AsyncClient(base_url="https://api.github.com",
                                        headers={"Authorization": f"Bearer {token}"})

    async def repo(self, name: str) -> dict:
        response = await self.client.get(f"/repos/{name}")
        response.raise_for_status()
        return response.json()

    async def star(self, name: str) -> None:
        self.client.put(f"/user/starred/{name}")  # expect: ACK100 self-attr/statement

    async def close(self) -> None:
        self.client.aclose()  # expect: ACK100 self-attr/statement


async def download(url: str) -> bytes:
    async with httpx.AsyncClient() as client:
        client.head(url)  # expect: ACK100 async-with/statement
        response = await client.get(url)
        return response.content


async def stream(url: str) -> int:
    total = 0
    async with httpx.AsyncClient() as client:
        async with client.stream("GET", url) as response:
            async for chunk in response.aiter_bytes():
                total += len(chunk)
            response.aread()  # expect: ACK100 chain/statement
    return total


async def ping(client: httpx.AsyncClient) -> bool:
    response = client.get("/ping")  # expect: ACK100 param/assigned
    return True
