"""Stopping the fake: hangs, stalls and delays end at once, with no task or socket left behind."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from fake_llm.journal import JournalFilter
from fake_llm.server import FakeDeepSeek
from fake_llm.settings import ServerSettings
from tests.fake_llm.fake_llm_support import plan_messages

LONG = 60_000


@pytest.mark.parametrize(
    "action",
    [
        {"type": "hang"},
        {"type": "keepalive_stall", "ms": LONG, "interval_ms": 20},
        {"type": "delay", "ms": LONG},
        {"type": "slow_stream", "chunk_delay_ms": LONG},
    ],
)
async def test_stop_releases_waiting_calls(action: dict[str, object]) -> None:
    fake = FakeDeepSeek(ServerSettings(shutdown_timeout_s=30))
    await fake.start()
    fake.add_fault({"action": action})
    client = httpx.AsyncClient(base_url=fake.url, timeout=30)
    call = asyncio.create_task(
        client.post(
            "/chat/completions",
            json={"model": "deepseek-chat", "messages": plan_messages()},
            headers={"Authorization": f"Bearer {fake.api_key}"},
        )
    )
    async with asyncio.timeout(2):
        while not fake.journal() or fake.journal()[-1].action is None:
            await asyncio.sleep(0.01)
    journal = fake.state.journal
    async with asyncio.timeout(2):  # far below the 30 s shutdown timeout: waits were released
        await fake.stop()
    outcomes = await asyncio.gather(call, return_exceptions=True)
    await client.aclose()
    assert isinstance(outcomes[0], httpx.HTTPError)
    assert [record.outcome for record in journal.select(JournalFilter())] == ["server_shutdown"]
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_url_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = FakeDeepSeek().url
