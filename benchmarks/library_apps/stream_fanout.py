"""Fan a market feed out: a websockets reconnect loop, sharded redis writers, an asyncpg
batch writer fed by an async generator."""
from __future__ import annotations

import json
from typing import AsyncIterator

import asyncpg
import websockets
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection


class Shards:
    def __init__(self, urls: list[str]) -> None:
        self.clients: list[Redis] = [Redis.from_url(url) for url in urls]

    async def publish(self, channel: str, message: str) -> None:
        for client in self.clients:
            await client.publish(channel, message)

    async def forget(self, key: str) -> None:
        for client in self.clients:
            client.delete(key)  # expect: ACK100 loop-target/statement

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


async def follow(url: str, shards: Shards) -> None:
    async for ws in websockets.connect(url):
        ws.send(json.dumps({"subscribe": "trades"}))  # expect: ACK100 loop-target/statement
        async for raw in ws:
            await shards.publish("trades", str(raw))


async def follow_once(url: str, shards: Shards) -> None:
    async for ws in websockets.connect(url):
        await ws.send(json.dumps({"subscribe": "quotes"}))
        ws.ping()  # expect: ACK100 loop-target/statement
        break


async def connections(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    async with pool.acquire() as conn:
        yield conn


async def write_batch(pool: asyncpg.Pool, rows: list[tuple[str, float]]) -> None:
    async for conn in connections(pool):
        conn.executemany("INSERT INTO trades VALUES ($1, $2)", rows)  # expect: ACK100 loop-target/statement
    async for conn in connections(pool):
        await conn.executemany("INSERT INTO quotes VALUES ($1, $2)", rows)


class Feed:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    def __aiter__(self) -> Feed:
        return self

    async def __anext__(self) -> ClientConnection:
        return self.ws


async def echo(feed: Feed) -> None:
    async for ws in feed:
        ws.send("pong")  # expect: ACK100 loop-target/statement
        await ws.send("ok")
