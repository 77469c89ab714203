"""A job runner written before annotations: PEP 484 type comments over redis and asyncpg."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Optional

import asyncpg
import redis.asyncio as redis

if TYPE_CHECKING:
    from asyncpg import Connection, Pool
    from redis.asyncio import Redis


class JobStore:
    def __init__(self, dsn, redis_url):
        # type: (str, str) -> None
        self.dsn = dsn
        self.pool = None  # type: Optional[Pool]
        self.queue = redis.from_url(redis_url)  # type: Redis
        self.locks = None  # type: Optional[Redis]

    async def start(self):
        # type: () -> None
        self.pool = await asyncpg.create_pool(self.dsn)
        self.locks = redis.from_url("redis://locks")

    async def enqueue(self, job_id, payload):
        # type: (str, dict) -> None
        self.queue.rpush("jobs", json.dumps({"id": job_id, **payload}))  # expect: ACK100 type-comment/statement
        await self.queue.publish("jobs:new", job_id)

    async def mark_done(self, job_id):
        # type: (str) -> None
        async with self.pool.acquire() as conn:
            await conn.execute("UPDATE jobs SET done = true WHERE id = $1", job_id)
        self.locks.delete(f"lock:{job_id}")  # expect: ACK100 type-comment/statement

    async def requeue(self, job_id):
        # type: (str) -> None
        await self.locks.delete(f"lock:{job_id}")
        await self.queue.lpush("jobs", job_id)


async def archive(conn, job_id):
    # type: (Connection, str) -> None
    conn.execute("INSERT INTO archive SELECT * FROM jobs WHERE id = $1", job_id)  # expect: ACK100 type-comment/statement
    await conn.execute("DELETE FROM jobs WHERE id = $1", job_id)


async def purge(pool, older_than):
    # type: (Pool, int) -> int
    conn = await pool.acquire()  # type: Connection
    try:
        status = await conn.execute("DELETE FROM jobs WHERE age > $1", older_than)
        conn.execute("VACUUM jobs")  # expect: ACK100 type-comment/statement
        return int(status.split()[-1])
    finally:
        await pool.release(conn)


async def stats(url):
    # type: (str) -> dict
    client = redis.from_url(url)  # type: Redis
    pending = await client.llen("jobs")
    if client.exists("jobs:paused"):  # expect: ACK100 type-comment/truth
        return {"pending": pending, "paused": True}
    return {"pending": pending, "paused": False}
