"""A crawler over aiohttp."""
from __future__ import annotations

import aiohttp


async def fetch_json(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.get(url) as response:
        response.raise_for_status()
        response.json()  # expect: ACK100 chain/statement
        return await response.json()


async def fetch_text(url: str) -> str:
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            return await response.text()


async def post(url: str, payload: dict) -> None:
    async with aiohttp.ClientSession() as session:
        session.post(url, json=payload)  # expect: ACK100 async-with/statement


class Crawler:
    def __init__(self) -> None:
        self.session = aiohttp.ClientSession()

    async def visit(self, url: str) -> int:
        response = await self.session.get(url)
        body = await response.read()
        response.release()
        return len(body)

    async def close(self) -> None:
        self.session.close()  # expect: ACK100 self-attr/statement


async def websocket(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            ws.send_str("hello")  # expect: ACK100 chain/statement
            await ws.send_str("hello")
            msg = await ws.receive()
            print(msg)
