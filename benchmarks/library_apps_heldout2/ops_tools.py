"""Operations helpers over asyncssh, psycopg's async connection and nats (second held-out)."""
from __future__ import annotations

import asyncssh
import nats
import psycopg


async def uptime(host: str) -> str:
    async with asyncssh.connect(host) as conn:
        conn.run("true")  # expect: ACK100 async-with/statement
        result = await conn.run("uptime", check=True)
        return str(result.stdout)


async def vacuum(dsn: str) -> None:
    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    conn.execute("vacuum")  # expect: ACK100 factory/statement
    await conn.execute("analyze")
    await conn.close()


async def notify(servers: str, subject: str) -> None:
    nc = await nats.connect(servers)
    nc.publish(subject, b"ping")  # expect: ACK100 await-result/statement
    await nc.flush()
    nc.drain()  # expect: ACK100 await-result/statement
