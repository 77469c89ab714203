"""Nightly report export: SQL built by coroutines, files written with aiofiles, events
logged through a typed helper."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import aiofiles
import asyncpg

log = logging.getLogger(__name__)


@dataclass
class Event:
    name: str
    payload: dict[str, Any]


def record(event_name: str, detail: str | None = None) -> None:
    log.info("%s %s", event_name, detail or "")


def emit(event: Event) -> None:
    log.info("event %s", event.name)


async def render_csv(conn: asyncpg.Connection, table: str) -> str:
    rows = await conn.fetch(f"SELECT * FROM {table}")
    return "\n".join(",".join(str(v) for v in row.values()) for row in rows)


async def purge_sql(conn: asyncpg.Connection, table: str) -> str:
    days = await conn.fetchval("SELECT retention FROM settings")
    return f"DELETE FROM {table} WHERE age > {days}"


async def summary(conn: asyncpg.Connection) -> dict[str, Any]:
    return dict(await conn.fetchrow("SELECT count(*) AS n FROM trades"))


async def export(dsn: str, path: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        async with aiofiles.open(path, "w") as out:
            await out.write(await render_csv(conn, "trades"))
            await out.write(render_csv(conn, "quotes"))  # expect: ACK100 direct/argument
        await conn.execute(purge_sql(conn, "trades"))  # expect: ACK100 direct/argument
        await conn.execute(await purge_sql(conn, "quotes"))
        record("export", json.dumps(summary(conn)))  # expect: ACK100 direct/argument
        record("export", json.dumps(await summary(conn)))
        record(render_csv(conn, "audit"))  # expect: ACK100 direct/argument
        record("done", detail=await render_csv(conn, "audit"))
        trailer = render_csv(conn, "summary")  # expect: ACK100 direct/argument
        record("trailer", trailer)
        header = render_csv(conn, "header")
        record("header", await header)
    finally:
        await conn.close()
