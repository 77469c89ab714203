"""A notes service over aiosqlite, pushed to websockets."""
from __future__ import annotations

import aiosqlite
import websockets


async def add_note(path: str, body: str) -> None:
    async with aiosqlite.connect(path) as db:
        db.execute("insert into notes(body) values(?)", (body,))  # expect: ACK100 async-with/statement
        await db.commit()


async def count_notes(path: str) -> int:
    async with aiosqlite.connect(path) as db:
        async with db.execute("select count(*) from notes") as cursor:
            row = await cursor.fetchone()
            cursor.close()  # expect: ACK100 chain/statement
            return row[0] if row else 0


async def push(uri: str, message: str) -> None:
    async with websockets.connect(uri) as ws:
        ws.send(message)  # expect: ACK100 async-with/statement
        await ws.send(message)
        reply = await ws.recv()
        print(reply)
