"""A service over SQLAlchemy's async ORM and aiofiles (held out)."""
from __future__ import annotations

import aiofiles
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker


class Service:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine)

    async def names(self) -> list[str]:
        async with self.sessions() as session:
            result = await session.scalars(select(text("name")))
            session.rollback()  # expect: ACK100 async-with/statement
            return list(result)

    async def reset(self) -> None:
        async with self.engine.connect() as conn:
            conn.execute(text("truncate t"))  # expect: ACK100 async-with/statement
            await conn.commit()

    async def dump(self, session: AsyncSession, path: str) -> None:
        rows = await session.execute(text("select 1"))
        async with aiofiles.open(path, "w") as out:
            for row in rows:
                out.write(str(row))  # expect: ACK100 async-with/statement
        session.close()  # expect: ACK100 param/statement
