"""A unit of work over SQLAlchemy's asyncio extension."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

engine = create_async_engine("postgresql+asyncpg://app@localhost/app")
Session = async_sessionmaker(engine, expire_on_commit=False)


async def add_user(name: str) -> None:
    async with Session() as session:
        session.execute(text("insert into users(name) values(:n)"), {"n": name})  # expect: ACK100 async-with/statement
        session.commit()  # expect: ACK100 async-with/statement
        await session.commit()


async def list_users(session: AsyncSession) -> list[str]:
    result = await session.execute(text("select name from users"))
    session.flush()  # expect: ACK100 param/statement
    return [row[0] for row in result]


async def schema() -> None:
    async with engine.begin() as conn:
        conn.execute(text("create table users(id serial, name text)"))  # expect: ACK100 async-with/statement
        await conn.execute(text("create index users_name on users(name)"))


async def shutdown() -> None:
    engine.dispose()  # expect: ACK100 global/statement
    await engine.dispose()
