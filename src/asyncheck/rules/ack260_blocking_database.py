"""ACK260 blocking-database."""

from __future__ import annotations

from asyncheck.lint import BlockingCallRule, Invalid, Valid


class BlockingDatabase(BlockingCallRule):
    """
    ## What it does
    Reports synchronous database calls made directly inside an `async def`:
    `sqlite3.connect`, `psycopg2.connect`, `psycopg.connect`, `pymysql.connect`,
    `MySQLdb.connect`, `redis.Redis`/`redis.StrictRedis`/`redis.from_url`,
    `pymongo.MongoClient`; and `execute`, `executemany`, `executescript`, `fetchone`,
    `fetchmany`, `fetchall` and `commit` on the connections and cursors they make (assigned,
    bound by `with sqlite3.connect(...) as conn`, from `conn.cursor()`, or annotated such as
    `conn: sqlite3.Connection`).

    SQLAlchemy's synchronous API too: `connect`, `begin`, `execute`, `scalar` on an `Engine`
    (from `create_engine(...)`, also SQLModel's), `execute`, `scalar(s)`, `commit` on its
    connections, and `execute`, `scalar`, `scalars`, `query`, `get`, `commit`, `flush`,
    `refresh` (and SQLModel's `exec`) on a `Session` (`Session(engine)`, a
    `sessionmaker(...)`'s call, a `scoped_session`, or an annotation such as
    `db: Session`). The asyncio API (`AsyncEngine`, `AsyncSession`, `async_sessionmaker`,
    and a `sessionmaker(class_=AsyncSession)`) is not reported, nor is an awaited call
    (`await session.execute(query)` on a `session: Session` that holds an async one).

    ## Why is this bad?
    A query waits for the database while holding the event loop's thread: one slow query in
    a FastAPI handler stalls every other request the worker is serving.

    ## Example
    ```python
    import sqlite3

    async def get_user(user_id: int) -> tuple | None:
        with sqlite3.connect("app.db") as conn:
            return conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    ```

    ## Use instead
    ```python
    import aiosqlite

    async def get_user(user_id: int) -> tuple | None:
        async with aiosqlite.connect("app.db") as conn:
            async with conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)) as cursor:
                return await cursor.fetchone()
    ```
    For PostgreSQL use asyncpg or psycopg's `AsyncConnection`, for Redis `redis.asyncio`,
    for MongoDB motor, for SQLAlchemy `create_async_engine` and `AsyncSession`.
    """

    code = "ACK260"
    name = "blocking-database"

    VALID = [
        # SQLAlchemy's asyncio API, also through a `sessionmaker(class_=AsyncSession)`.
        Valid(
            "from sqlalchemy import select\n"
            "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine\n"
            "from sqlalchemy.orm import sessionmaker\n\n"
            "engine = create_async_engine('postgresql+asyncpg://db/app')\n"
            "Sessions = async_sessionmaker(engine)\n"
            "LegacySessions = sessionmaker(engine, class_=AsyncSession)\n\n"
            "async def list_users(db: AsyncSession, query):\n"
            "    async with Sessions() as session:\n"
            "        await session.execute(query)\n"
            "        await session.commit()\n"
            "    legacy = LegacySessions()\n"
            "    await legacy.execute(query)\n"
            "    return (await db.scalars(query)).all()\n"
        ),
        # Awaited: an async session whatever the annotation says (a sync session's
        # `execute` gives a result that cannot be awaited).
        Valid(
            "import sqlalchemy as sa\n\n"
            "async def run_history(session: sa.orm.Session, query):\n"
            "    result = await session.execute(query)\n"
            "    return result.mappings().all()\n"
        ),
        Valid(
            "import sqlite3\n\n"
            "def migrate(path):\n"
            "    with sqlite3.connect(path) as conn:\n"
            "        conn.execute('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY)')\n"
            "        conn.commit()\n"
        ),
        Valid(
            "import aiosqlite\nimport redis.asyncio as aioredis\n\n"
            "async def get_user(user_id):\n"
            "    cache = aioredis.from_url('redis://localhost')\n"
            "    async with aiosqlite.connect('app.db') as conn:\n"
            "        async with conn.execute('SELECT 1') as cursor:\n"
            "            row = await cursor.fetchone()\n"
            "    await cache.set(str(user_id), repr(row))\n"
            "    return row\n"
        ),
        Valid(
            "import asyncio, sqlite3\n\n"
            "def count_users(path):\n"
            "    with sqlite3.connect(path) as conn:\n"
            "        return conn.execute('SELECT count(*) FROM users').fetchone()[0]\n\n"
            "async def stats(path):\n"
            "    return await asyncio.to_thread(count_users, path)\n"
        ),
        # An asyncpg pool's methods are coroutines; `execute` on an unknown object is not ours.
        Valid(
            "async def close_order(pool, order_id):\n"
            "    async with pool.acquire() as conn:\n"
            "        await conn.execute('UPDATE orders SET done = true WHERE id = $1', order_id)\n"
        ),
    ]
    INVALID = [
        # SQLAlchemy's sync session in a FastAPI-style handler.
        Invalid(
            "from sqlalchemy import create_engine, select\n"
            "from sqlalchemy.orm import Session, sessionmaker\n\n"
            "engine = create_engine('postgresql://db/app')\n"
            "SessionLocal = sessionmaker(bind=engine)\n\n"
            "async def list_users(db: Session):\n"
            "    return db.scalars(select(User)).all()\n\n"
            "async def rename(user_id: int, name: str):\n"
            "    with SessionLocal() as session:\n"
            "        user = session.get(User, user_id)\n"
            "        user.name = name\n"
            "        session.commit()\n\n"
            "class User:\n"
            "    name: str\n",
            line=8, count=3, message_contains="AsyncSession",
        ),
        Invalid(
            "import sqlalchemy\n\n"
            "engine = sqlalchemy.create_engine('sqlite:///app.db')\n\n"
            "async def count_rows(table):\n"
            "    with engine.connect() as conn:\n"
            "        return conn.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(table)).scalar()\n",
            line=6, count=2,
        ),
        Invalid(
            "import sqlite3\n\n"
            "async def get_user(user_id):\n"
            "    with sqlite3.connect('app.db') as conn:\n"
            "        return conn.execute('SELECT * FROM users WHERE id = ?', (user_id,)).fetchone()\n",
            line=4, count=2, message_contains="aiosqlite",
        ),
        # A module-level connection used from handlers, through a cursor.
        Invalid(
            "import sqlite3\n\n"
            "db = sqlite3.connect('app.db', check_same_thread=False)\n\n"
            "async def list_orders(customer):\n"
            "    cur = db.cursor()\n"
            "    cur.execute('SELECT * FROM orders WHERE customer = ?', (customer,))\n"
            "    return cur.fetchall()\n",
            line=7, count=2,
        ),
        Invalid(
            "import psycopg2\n\n"
            "async def archive(dsn):\n"
            "    conn = psycopg2.connect(dsn)\n"
            "    with conn.cursor() as cur:\n"
            "        cur.execute('DELETE FROM events WHERE ts < now() - interval \\'30 days\\'')\n"
            "    conn.commit()\n",
            line=4, count=3, message_contains="asyncpg",
        ),
        Invalid(
            "import redis\n\nasync def hits():\n    r = redis.from_url('redis://cache:6379/0')\n    return r\n",
            line=4, message_contains="redis.asyncio",
        ),
        Invalid(
            "from pymongo import MongoClient\n\n"
            "async def users():\n    return MongoClient('mongodb://db')['app']['users']\n",
            line=4, message_contains="motor",
        ),
        Invalid(
            "import sqlite3\n\n"
            "class Repo:\n"
            "    def __init__(self, conn: 'sqlite3.Connection | None' = None):\n"
            "        self.conn = conn\n\n"
            "    async def save(self, conn: sqlite3.Connection, row):\n"
            "        conn.execute('INSERT INTO t VALUES (?)', row)\n"
            "        conn.commit()\n",
            line=8, count=2,
        ),
    ]
