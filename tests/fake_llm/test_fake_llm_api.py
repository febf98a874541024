"""The fake speaks DeepSeek's API to the openai SDK: sync, async, streaming, models, refusals."""

from __future__ import annotations

import asyncio
import json

import httpx
import openai
import pytest
from pydantic import SecretStr

from fake_llm.server import FakeDeepSeek
from fake_llm.settings import ServerSettings
from tests.fake_llm.fake_llm_support import (
    PROFILE,
    TARGETS,
    USER_ID,
    AsyncClientFactory,
    SyncClientFactory,
    plan_messages,
    plan_problems,
)


async def test_sync_client_gets_a_valid_plan(sync_client: SyncClientFactory) -> None:
    client = sync_client()

    def call() -> openai.types.chat.ChatCompletion:
        return client.chat.completions.create(
            model="deepseek-chat",
            messages=plan_messages(targets=TARGETS),
            response_format={"type": "json_object"},
        )

    completion = await asyncio.to_thread(call)
    assert completion.object == "chat.completion"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.role == "assistant"
    plan = json.loads(completion.choices[0].message.content or "")
    assert plan_problems(plan, PROFILE, TARGETS) == []


async def test_async_client_gets_usage_with_cache_fields(async_client: AsyncClientFactory) -> None:
    completion = await async_client().chat.completions.create(
        model="deepseek-chat",
        messages=plan_messages(targets=TARGETS),
    )
    usage = completion.model_dump()["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_cache_hit_tokens"] + usage["prompt_cache_miss_tokens"] == usage["prompt_tokens"]
    assert usage["completion_tokens"] > 0


async def test_streaming_has_deepseek_chunk_shape(async_client: AsyncClientFactory) -> None:
    stream = await async_client().chat.completions.create(
        model="deepseek-chat",
        messages=plan_messages(targets=TARGETS),
        stream=True,
    )
    chunks = [chunk async for chunk in stream]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""
    assert all(chunk.choices[0].finish_reason is None for chunk in chunks[:-1])
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert len({chunk.id for chunk in chunks}) == 1
    content = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert plan_problems(json.loads(content), PROFILE, TARGETS) == []


async def test_raw_stream_ends_with_done(fake: FakeDeepSeek) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as client:
        response = await client.post(
            "/v1/chat/completions",
            json={"model": "deepseek-chat", "messages": plan_messages(), "stream": True},
            headers={"Authorization": f"Bearer {fake.api_key}"},
        )
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = [event for event in response.text.split("\n\n") if event]
    assert events[-1] == "data: [DONE]"
    assert all(event.startswith("data: {") for event in events[:-1])


async def test_reasoner_sends_reasoning_content(async_client: AsyncClientFactory) -> None:
    client = async_client()
    completion = await client.chat.completions.create(
        model="deepseek-reasoner",
        messages=plan_messages(targets=TARGETS),
    )
    message = completion.model_dump()["choices"][0]["message"]
    assert message["reasoning_content"]
    assert json.loads(message["content"])["days"]
    stream = await client.chat.completions.create(
        model="deepseek-reasoner",
        messages=plan_messages(targets=TARGETS),
        stream=True,
    )
    deltas = [chunk.model_dump()["choices"][0]["delta"] async for chunk in stream]
    assert deltas[0]["content"] is None and deltas[0]["reasoning_content"] == ""
    assert "".join(d.get("reasoning_content") or "" for d in deltas) == message["reasoning_content"]


async def test_max_tokens_cuts_content_with_finish_reason_length(
    async_client: AsyncClientFactory,
) -> None:
    completion = await async_client().chat.completions.create(
        model="deepseek-chat",
        messages=plan_messages(),
        max_tokens=50,
    )
    assert completion.choices[0].finish_reason == "length"
    content = completion.choices[0].message.content or ""
    assert 0 < len(content) <= 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)


async def test_models_are_listed_on_both_paths(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    listed = [model.id async for model in async_client().models.list()]
    assert {"deepseek-chat", "deepseek-reasoner", "deepseek-v4-flash", "deepseek-v4-pro"} <= set(listed)
    async with httpx.AsyncClient(base_url=fake.url) as client:
        response = await client.get("/models", headers={"Authorization": f"Bearer {fake.api_key}"})
        balance = await client.get("/user/balance", headers={"Authorization": f"Bearer {fake.api_key}"})
    assert [model["id"] for model in response.json()["data"]] == listed
    assert balance.json()["is_available"] is True


async def test_wrong_key_gets_401_with_masked_key(async_client: AsyncClientFactory) -> None:
    async with FakeDeepSeek(ServerSettings(api_keys=(SecretStr("sk-right-key-1234"),))) as strict:
        client = openai.AsyncOpenAI(base_url=strict.url, api_key="sk-wrong-key-9876", max_retries=0)
        try:
            with pytest.raises(openai.AuthenticationError) as raised:
                await client.chat.completions.create(model="deepseek-chat", messages=plan_messages())
        finally:
            await client.close()
    assert raised.value.status_code == 401
    message = raised.value.body["message"]  # type: ignore[index]
    assert "****9876" in message
    assert "sk-wrong" not in message


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "parse"),
        (b'{"model": "deepseek-chat"}', 422, "missing field `messages`"),
        (
            b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}',
            400,
            "Model Not Exist",
        ),
        (
            b'{"model": "deepseek-chat", "messages": [{"role": "robot", "content": "hi"}]}',
            422,
            "robot",
        ),
        (
            b'{"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}], '
            b'"response_format": {"type": "json_object"}}',
            400,
            "json",
        ),
        (
            b'{"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}], '
            b'"max_tokens": 9000}',
            400,
            "max_tokens",
        ),
        (
            b'{"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}], "temperature": 3}',
            422,
            "temperature",
        ),
    ],
)
async def test_bad_requests_get_deepseek_error_bodies(
    fake: FakeDeepSeek, body: bytes, status: int, words: str
) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as client:
        response = await client.post(
            "/chat/completions",
            content=body,
            headers={"Authorization": f"Bearer {fake.api_key}", "Content-Type": "application/json"},
        )
    assert response.status_code == status
    error = response.json()["error"]
    assert words in error["message"]
    assert set(error) == {"message", "type", "param", "code"}
    assert fake.journal()[-1].outcome == "invalid_request"


async def test_journal_records_stage_user_and_body(
    fake: FakeDeepSeek, async_client: AsyncClientFactory
) -> None:
    client = async_client()
    for stage in (1, 2, 2):
        await client.chat.completions.create(model="deepseek-chat", messages=plan_messages(stage=stage))
    await client.chat.completions.create(model="deepseek-chat", messages=plan_messages(user="someone-else"))
    assert fake.count(user=USER_ID) == 3
    assert fake.count(user=USER_ID, stage=2) == 2
    entry = fake.journal(user=USER_ID, stage=1)[0]
    assert entry.path == "/chat/completions" and entry.model == "deepseek-chat"
    assert entry.status == 200 and entry.outcome == "answered"
    assert entry.duration_ms is not None and entry.bytes_sent > 0
    assert entry.request_body["messages"][1]["content"].startswith(f"USER: {USER_ID}")
