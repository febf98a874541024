"""Fixtures for the fake DeepSeek tests: an in-process fake per test, OpenAI client factories."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import openai
import pytest

from fake_llm.server import FakeDeepSeek
from fake_llm.testing import fake_deepseek_fixture
from tests.fake_llm.fake_llm_support import AsyncClientFactory, SyncClientFactory

fake = fake_deepseek_fixture()


@pytest.fixture
async def async_client(fake: FakeDeepSeek) -> AsyncIterator[AsyncClientFactory]:
    """Make `openai.AsyncOpenAI` clients for the fake (no retries, 5 s timeout unless asked)."""
    clients: list[openai.AsyncOpenAI] = []

    def make(max_retries: int = 0, timeout_s: float = 5.0, api_key: str | None = None) -> openai.AsyncOpenAI:
        client = openai.AsyncOpenAI(
            base_url=fake.url,
            api_key=api_key or fake.api_key,
            max_retries=max_retries,
            timeout=timeout_s,
        )
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        await client.close()


@pytest.fixture
def sync_client(fake: FakeDeepSeek) -> Iterator[SyncClientFactory]:
    """Make `openai.OpenAI` clients for the fake; call them through `asyncio.to_thread`."""
    clients: list[openai.OpenAI] = []

    def make(max_retries: int = 0, timeout_s: float = 5.0) -> openai.OpenAI:
        client = openai.OpenAI(
            base_url=fake.url, api_key=fake.api_key, max_retries=max_retries, timeout=timeout_s
        )
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.close()
