"""A user repository over asyncpg."""
from __future__ import annotations

import asyncpg

DSN = "postgresql://app@localhost/app"


class UserRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, name: str) -> int:
        async with self.pool.acquire() as conn:
            conn.execute("insert into users(name) values($1)", name)  # expect: ACK100 async-with/statement
            row = await conn.fetchrow("select id from users where name=$1", name)
            return row["id"]

    async def rename(self, user_id: int, name: str) -> None:
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                await conn.execute("update users set name=$1 where id=$2", name, user_id)
                conn.execute("insert into audit values($1)", user_id)  # expect: ACK100 async-with/statement

    async def count(self) -> int:
        value = await self.pool.fetchval("select count(*) from users")
        return int(value)

    async def purge(self) -> None:
        self.pool.execute("delete from users")  # expect: ACK100 self-attr/statement

    async def exists(self, user_id: int) -> bool:
        if self.pool.fetchval("select 1 from users where id=$1", user_id):  # expect: ACK100 self-attr/truth
            return True
        return False


async def migrate() -> None:
    conn = await asyncpg.connect(DSN)
    try:
        conn.execute("create table if not exists users(id serial, name text)")  # expect: ACK100 await-result/statement
        await conn.execute("create index if not exists users_name on users(name)")
        status = conn.execute("analyze users")  # expect: ACK100 await-result/assigned
    finally:
        await conn.close()


async def report(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch("select name from users")
    conn.fetch("select 1")  # expect: ACK100 param/statement
    return [r["name"] for r in rows]


async def main() -> None:
    pool = await asyncpg.create_pool(DSN, min_size=1, max_size=5)
    repo = UserRepository(pool)
    await repo.create("ann")
    pool.close()  # expect: ACK100 await-result/statement
    await pool.close()
    asyncpg.connect(DSN)  # expect: ACK100 direct/statement
