"""An AMQP worker over aio-pika (second held-out batch)."""
from __future__ import annotations

import aio_pika


async def publish(url: str, body: bytes) -> None:
    connection = await aio_pika.connect_robust(url)
    channel = await connection.channel()
    channel.declare_queue("jobs", durable=True)  # expect: ACK100 await-result/statement
    await channel.default_exchange.publish(aio_pika.Message(body=body), routing_key="jobs")
    connection.close()  # expect: ACK100 await-result/statement


async def consume(url: str) -> None:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue("jobs")
        async with queue.iterator() as messages:
            async for message in messages:
                message.ack()  # expect: ACK100 chain/statement
                await message.ack()
