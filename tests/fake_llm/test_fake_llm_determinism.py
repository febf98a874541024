"""Same seed and request body give byte-identical answers; a different seed gives different ones."""

from __future__ import annotations

import json

import httpx

from fake_llm.server import FakeDeepSeek
from fake_llm.settings import RuntimeSettings, ServerSettings
from tests.fake_llm.fake_llm_support import plan_messages

BODY = json.dumps({"model": "deepseek-chat", "messages": plan_messages(), "stream": False}).encode()
STREAM_BODY = json.dumps(
    {"model": "deepseek-reasoner", "messages": plan_messages(stage=2), "stream": True}
).encode()


async def answer(settings: ServerSettings, body: bytes) -> bytes:
    async with FakeDeepSeek(settings) as fake, httpx.AsyncClient(base_url=fake.url) as client:
        response = await client.post(
            "/chat/completions",
            content=body,
            headers={"Authorization": f"Bearer {fake.api_key}", "Content-Type": "application/json"},
        )
        assert response.status_code == 200
        return response.content


def seeded(seed: int, quality: str = "exact") -> ServerSettings:
    return ServerSettings(runtime=RuntimeSettings.model_validate({"seed": seed, "quality": quality}))


async def test_same_seed_same_bytes_across_servers() -> None:
    for body in (BODY, STREAM_BODY):
        assert await answer(seeded(42), body) == await answer(seeded(42), body)


async def test_realistic_quality_is_deterministic_too() -> None:
    assert await answer(seeded(3, "realistic"), BODY) == await answer(seeded(3, "realistic"), BODY)


async def test_another_seed_changes_ids_and_plan() -> None:
    first = json.loads(await answer(seeded(1), BODY))
    second = json.loads(await answer(seeded(2), BODY))
    assert first["id"] != second["id"]
    assert first["choices"][0]["message"]["content"] != second["choices"][0]["message"]["content"]


async def test_another_request_changes_the_answer() -> None:
    other = json.dumps({"model": "deepseek-chat", "messages": plan_messages(stage=2)}).encode()
    first = json.loads(await answer(seeded(1), BODY))
    second = json.loads(await answer(seeded(1), other))
    assert first["id"] != second["id"]
