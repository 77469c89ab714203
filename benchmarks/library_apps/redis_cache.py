"""A cache over redis.asyncio."""
from __future__ import annotations

import json
from typing import Any, Optional

import redis.asyncio as redis
from redis.asyncio import Redis

client = redis.from_url("redis://localhost")


class Cache:
    def __init__(self, url: str) -> None:
        self._redis: Redis = Redis.from_url(url)
        self._local: Optional[Redis] = None

    async def get(self, key: str) -> Any:
        raw = await self._redis.get(key)
        return json.loads(raw) if raw else None

    async def put(self, key: str, value: Any, ttl: int = 60) -> None:
        self._redis.set(key, json.dumps(value), ex=ttl)  # expect: ACK100 self-attr/statement

    async def forget(self, key: str) -> None:
        self._redis.delete(key)  # expect: ACK100 self-attr/statement

    async def bump(self, key: str) -> int:
        return await self._redis.incr(key)

    async def put_many(self, items: dict[str, Any]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key, value in items.items():
                pipe.set(key, json.dumps(value))
            await pipe.execute()

    async def put_many_broken(self, items: dict[str, Any]) -> None:
        pipe = self._redis.pipeline()
        for key, value in items.items():
            pipe.set(key, json.dumps(value))
        pipe.execute()  # expect: ACK100 factory/statement

    async def local_touch(self, key: str) -> None:
        if self._local is None:
            return
        self._local.expire(key, 10)  # expect: ACK100 self-attr/statement

    async def close(self) -> None:
        await self._redis.aclose()


async def warm() -> None:
    client.set("warm", "1")  # expect: ACK100 global/statement
    await client.set("warm", "2")
    if client.exists("warm"):  # expect: ACK100 global/truth
        print("warm")
    r = redis.Redis(host="localhost")
    r.hset("h", "k", "v")  # expect: ACK100 factory/statement
    await r.hset("h", "k", "v")
