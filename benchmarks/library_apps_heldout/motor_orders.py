"""Orders stored in MongoDB through motor (written after the tables were frozen)."""
from __future__ import annotations

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorCollection


class Orders:
    def __init__(self, url: str) -> None:
        self.client = AsyncIOMotorClient(url)
        self.collection: AsyncIOMotorCollection = self.client.shop.orders

    async def add(self, order: dict) -> None:
        self.collection.insert_one(order)  # expect: ACK100 self-attr/statement

    async def find(self, order_id: str) -> dict | None:
        return await self.collection.find_one({"_id": order_id})

    async def cancel(self, order_id: str) -> None:
        self.collection.delete_one({"_id": order_id})  # expect: ACK100 self-attr/statement

    async def count(self) -> int:
        return await self.collection.count_documents({})


async def archive(collection: AsyncIOMotorCollection) -> None:
    collection.update_many({}, {"$set": {"archived": True}})  # expect: ACK100 param/statement
