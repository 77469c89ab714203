"""A redis pub/sub worker and an asyncpg cursor export (held out)."""
from __future__ import annotations

import asyncpg
from redis.asyncio import Redis


async def listen(redis: Redis) -> None:
    pubsub = redis.pubsub()
    pubsub.subscribe("jobs")  # expect: ACK100 factory/statement
    await pubsub.subscribe("events")
    redis.publish("jobs", "started")  # expect: ACK100 param/statement
    count = redis.incr("runs")  # expect: ACK100 param/assigned


async def export(pool: asyncpg.Pool) -> list:
    rows = []
    async with pool.acquire() as conn:
        async with conn.transaction():
            async for record in conn.cursor("select * from big"):
                rows.append(record)
        conn.executemany("insert into t values($1)", [(1,), (2,)])  # expect: ACK100 async-with/statement
    conn2 = await pool.acquire()
    conn2.fetchval("select 1")  # expect: ACK100 await-result/statement
    await pool.release(conn2)
    return rows
