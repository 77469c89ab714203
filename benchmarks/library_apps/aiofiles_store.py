"""A file store over aiofiles."""
from __future__ import annotations

import aiofiles
import aiofiles.os


async def save(path: str, data: str) -> None:
    async with aiofiles.open(path, "w") as f:
        f.write(data)  # expect: ACK100 async-with/statement
        await f.flush()


async def load(path: str) -> str:
    async with aiofiles.open(path) as f:
        return await f.read()


async def load_lines(path: str) -> list[str]:
    async with aiofiles.open(path) as f:
        lines = f.readlines()  # expect: ACK100 async-with/assigned
        return []


async def append(path: str, line: str) -> None:
    f = await aiofiles.open(path, "a")
    await f.write(line)
    f.close()  # expect: ACK100 await-result/statement


async def remove(path: str) -> None:
    aiofiles.os.remove(path)  # expect: ACK100 direct/statement
    await aiofiles.os.makedirs("/tmp/x", exist_ok=True)


async def size(path: str) -> int:
    stat = await aiofiles.os.stat(path)
    return stat.st_size
