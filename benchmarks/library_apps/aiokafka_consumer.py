"""A Kafka consumer and producer over aiokafka."""
from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


class Pipeline:
    def __init__(self) -> None:
        self.consumer = AIOKafkaConsumer("orders", bootstrap_servers="localhost:9092")
        self.producer = AIOKafkaProducer(bootstrap_servers="localhost:9092")

    async def start(self) -> None:
        self.consumer.start()  # expect: ACK100 self-attr/statement
        await self.producer.start()

    async def run(self) -> None:
        async for message in self.consumer:
            await self.producer.send_and_wait("shipments", message.value)
            self.consumer.commit()  # expect: ACK100 self-attr/statement

    async def batch(self) -> None:
        batches = self.consumer.getmany(timeout_ms=500)  # expect: ACK100 self-attr/assigned
        print("polled")

    async def stop(self) -> None:
        await self.consumer.stop()
        self.producer.stop()  # expect: ACK100 self-attr/statement


async def produce(producer: AIOKafkaProducer, value: bytes) -> None:
    producer.send_and_wait("events", value)  # expect: ACK100 param/statement
    await producer.flush()
