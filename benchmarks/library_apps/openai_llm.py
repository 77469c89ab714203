"""An LLM client over openai's AsyncOpenAI."""
from __future__ import annotations

from openai import AsyncOpenAI


class Assistant:
    def __init__(self) -> None:
        self.client = AsyncOpenAI()

    async def ask(self, question: str) -> str:
        completion = await self.client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
        return completion.choices[0].message.content or ""

    async def ask_broken(self, question: str) -> str:
        completion = self.client.chat.completions.create(  # expect: ACK100 chain/assigned
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
        return "?"

    async def embed(self, text: str) -> list[float]:
        result = await self.client.embeddings.create(model="text-embedding-3-small", input=text)
        return result.data[0].embedding

    async def log_moderation(self, text: str) -> None:
        self.client.moderations.create(input=text)  # expect: ACK100 chain/statement


async def summarize(client: AsyncOpenAI, text: str) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=[])  # expect: ACK100 param/statement
    models = await client.models.list()
    print(models)


async def main() -> None:
    client = AsyncOpenAI()
    client.files.delete("file-1")  # expect: ACK100 chain/statement
    await client.close()
