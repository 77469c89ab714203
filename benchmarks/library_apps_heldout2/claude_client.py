"""An LLM client over anthropic's AsyncAnthropic (second held-out batch)."""
from __future__ import annotations

from anthropic import AsyncAnthropic


class Summarizer:
    def __init__(self) -> None:
        self.client = AsyncAnthropic()

    async def summarize(self, text: str) -> str:
        message = await self.client.messages.create(
            model="claude-sonnet", max_tokens=512,
            messages=[{"role": "user", "content": text}])
        return message.content[0].text

    async def fire_and_forget(self, text: str) -> None:
        self.client.messages.create(  # expect: ACK100 chain/statement
            model="claude-sonnet", max_tokens=16, messages=[{"role": "user", "content": text}])


async def count(client: AsyncAnthropic, text: str) -> int:
    result = client.messages.count_tokens(  # expect: ACK100 param/assigned
        model="claude-sonnet", messages=[{"role": "user", "content": text}])
    return 0
