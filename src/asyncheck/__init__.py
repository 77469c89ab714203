"""asyncheck: a static analyzer that finds asyncio pitfalls before they reach production."""

__version__ = "0.1.0"
