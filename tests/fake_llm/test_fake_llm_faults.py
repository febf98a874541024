"""Every fault action seen through the official openai SDK, and the journal's record of it."""

from __future__ import annotations

import asyncio
import json

import openai
import pytest
from openai import AsyncStream
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from fake_llm.journal import JournalEntry
from fake_llm.server import FakeDeepSeek
from tests.fake_llm.fake_llm_support import (
    PROFILE,
    TARGETS,
    USER_ID,
    AsyncClientFactory,
    SyncClientFactory,
    plan_messages,
    plan_problems,
)

CHAT = "deepseek-chat"


async def create(client: openai.AsyncOpenAI, max_tokens: int | None = None) -> ChatCompletion:
    return await client.chat.completions.create(
        model=CHAT, messages=plan_messages(targets=TARGETS), max_tokens=max_tokens
    )


async def create_stream(client: openai.AsyncOpenAI) -> AsyncStream[ChatCompletionChunk]:
    return await client.chat.completions.create(
        model=CHAT, messages=plan_messages(targets=TARGETS), stream=True
    )


async def settled(fake: FakeDeepSeek, seq: int, timeout_s: float = 2.0) -> JournalEntry:
    """The journal entry `seq` once its handler has finished (cancellations land a moment later)."""
    async with asyncio.timeout(timeout_s):
        while True:
            entry = next(e for e in fake.journal() if e.seq == seq)
            if entry.duration_ms is not None:
                return entry
            await asyncio.sleep(0.01)


async def test_429_is_retried_by_the_sdk_then_raised(
    fake: FakeDeepSeek, async_client: AsyncClientFactory
) -> None:
    fake.add_fault(
        {
            "match": {"user": USER_ID},
            "action": {"type": "http_error", "status": 429, "retry_after": 0.05},
        }
    )
    with pytest.raises(openai.RateLimitError) as raised:
        await create(async_client(max_retries=2))
    assert raised.value.response.headers["retry-after"] == "0.05"
    assert raised.value.body["message"] == "Rate Limit Reached"  # type: ignore[index]
    assert fake.count(user=USER_ID) == 1 + 2
    assert [e.outcome for e in fake.journal()] == ["http_429"] * 3


async def test_retry_after_ms_header(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    fake.add_fault({"action": {"type": "http_error", "status": 503, "retry_after_ms": 20}})
    with pytest.raises(openai.InternalServerError) as raised:
        await create(async_client(max_retries=1))
    assert raised.value.response.headers["retry-after-ms"] == "20"
    assert fake.count() == 2


async def test_402_is_a_plain_status_error(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    fake.add_fault({"action": {"type": "http_error", "status": 402}})
    with pytest.raises(openai.APIStatusError) as raised:
        await create(async_client(max_retries=2))
    assert raised.value.status_code == 402
    assert raised.value.body == {  # DeepSeek's observed 402 body
        "message": "Insufficient Balance",
        "type": "unknown_error",
        "param": None,
        "code": "invalid_request_error",
    }
    assert fake.count() == 1


async def test_401_fault(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    fake.add_fault({"action": {"type": "http_error", "status": 401}})
    with pytest.raises(openai.AuthenticationError):
        await create(async_client(max_retries=2))
    assert fake.count() == 1


async def test_hang_ends_in_the_sdk_timeout(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    fake.add_fault({"action": {"type": "hang"}})
    with pytest.raises(openai.APITimeoutError):
        await create(async_client(timeout_s=0.3))
    entry = await settled(fake, fake.journal()[-1].seq)
    assert entry.outcome == "client_disconnected"
    assert entry.bytes_sent == 0
    assert entry.duration_ms is not None and entry.duration_ms >= 250


async def test_keepalive_stall_then_answer_parses(fake: FakeDeepSeek, sync_client: SyncClientFactory) -> None:
    fake.add_fault({"action": {"type": "keepalive_stall", "ms": 300, "interval_ms": 50, "then": "answer"}})
    client = sync_client(timeout_s=0.2)  # a read timeout shorter than the stall: keep-alive bytes reset it

    def call() -> ChatCompletion:
        return client.chat.completions.create(model=CHAT, messages=plan_messages(targets=TARGETS))

    completion = await asyncio.to_thread(call)
    assert plan_problems(json.loads(completion.choices[0].message.content or ""), PROFILE, TARGETS) == []
    entry = fake.journal()[-1]
    assert entry.outcome == "stall_answered"
    assert entry.duration_ms is not None and entry.duration_ms >= 300


async def test_keepalive_stall_in_stream_then_answer(
    async_client: AsyncClientFactory, fake: FakeDeepSeek
) -> None:
    fake.add_fault({"action": {"type": "keepalive_stall", "ms": 150, "interval_ms": 30}})
    stream = await create_stream(async_client(timeout_s=0.1))
    chunks = [chunk async for chunk in stream]
    assert chunks[-1].choices[0].finish_reason == "stop"


async def test_keepalive_stall_then_close_leaves_blank_lines(
    fake: FakeDeepSeek, async_client: AsyncClientFactory
) -> None:
    fake.add_fault({"action": {"type": "keepalive_stall", "ms": 100, "interval_ms": 25, "then": "close"}})
    with pytest.raises(json.JSONDecodeError) as raised:
        await create(async_client())
    assert raised.value.pos == raised.value.doc.count("\n") > 0
    assert fake.journal()[-1].outcome == "stall_closed"


async def test_keepalive_stall_then_abort(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    fake.add_fault({"action": {"type": "keepalive_stall", "ms": 60, "interval_ms": 20, "then": "abort"}})
    with pytest.raises(openai.APIConnectionError):
        await create(async_client())


@pytest.mark.parametrize(("blank_lines", "position"), [(0, 0), (4, 4)])
async def test_empty_200_body(
    fake: FakeDeepSeek, async_client: AsyncClientFactory, blank_lines: int, position: int
) -> None:
    fake.add_fault({"action": {"type": "empty_body", "blank_lines": blank_lines}})
    with pytest.raises(json.JSONDecodeError) as raised:
        await create(async_client(max_retries=2))
    assert raised.value.pos == position
    assert fake.count() == 1  # a decode error comes after the SDK's retry loop


async def test_connection_reset(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    fake.add_fault({"action": {"type": "connection_reset"}, "times": 2})
    with pytest.raises(openai.APIConnectionError):
        await create(async_client(max_retries=1))
    assert [e.outcome for e in fake.journal()] == ["connection_reset", "connection_reset"]


async def test_stream_cut_before_done_finishes_silently(
    fake: FakeDeepSeek, async_client: AsyncClientFactory
) -> None:
    fake.add_fault({"action": {"type": "stream_cut", "after_chunks": 4}})
    stream = await create_stream(async_client())
    chunks = [chunk async for chunk in stream]
    assert len(chunks) == 4
    assert all(chunk.choices[0].finish_reason is None for chunk in chunks)
    assert fake.journal()[-1].outcome == "stream_cut"


async def test_stream_cut_with_abort_is_a_connection_error(
    fake: FakeDeepSeek, async_client: AsyncClientFactory
) -> None:
    fake.add_fault({"action": {"type": "stream_cut", "after_chunks": 2, "end": "abort"}})
    stream = await create_stream(async_client())
    with pytest.raises(openai.APIConnectionError):
        _ = [chunk async for chunk in stream]


async def test_non_streaming_body_cut_is_a_connection_error(
    fake: FakeDeepSeek, async_client: AsyncClientFactory
) -> None:
    fake.add_fault({"action": {"type": "stream_cut", "after_chunks": 2}})
    with pytest.raises(openai.APIConnectionError):
        await create(async_client())


async def test_error_event_inside_stream(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    fake.add_fault({"action": {"type": "stream_error", "after_chunks": 3, "status": 503}})
    stream = await create_stream(async_client())
    received = []
    with pytest.raises(openai.APIError) as raised:
        async for chunk in stream:
            received.append(chunk)
    assert len(received) == 3
    assert "Overloaded" in raised.value.message


async def test_slow_stream_paces_chunks(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    fake.add_fault({"action": {"type": "slow_stream", "chunk_delay_ms": 40}, "match": {"stream": False}})
    completion = await create(async_client(), max_tokens=20)
    assert completion.choices[0].finish_reason == "length"
    entry = fake.journal()[-1]
    assert entry.outcome == "slow_stream"
    assert entry.duration_ms is not None and entry.duration_ms >= 40 * 9  # 10 pieces, 9 pauses


@pytest.mark.parametrize(
    ("variant", "finish_reason"),
    [
        ("truncated", "length"),
        ("fenced", "stop"),
        ("prose_wrapped", "stop"),
        ("blank", "stop"),
        ("empty", "stop"),
        ("not_json", "stop"),
    ],
)
async def test_malformed_content_variants(
    fake: FakeDeepSeek, async_client: AsyncClientFactory, variant: str, finish_reason: str
) -> None:
    fake.add_fault({"action": {"type": "malformed_content", "variant": variant}})
    completion = await create(async_client())
    content = completion.choices[0].message.content or ""
    assert completion.choices[0].finish_reason == finish_reason
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)
    if variant in ("fenced", "prose_wrapped"):  # recoverable: the plan is inside
        inner = content[content.index("{") : content.rindex("}") + 1]
        assert plan_problems(json.loads(inner), PROFILE, TARGETS) == []
    if variant == "blank":
        assert content and not content.strip()


@pytest.mark.parametrize("variant", ["truncated", "garbage"])
async def test_corrupt_envelope_fails_decoding(
    fake: FakeDeepSeek, async_client: AsyncClientFactory, variant: str
) -> None:
    fake.add_fault({"action": {"type": "corrupt_envelope", "variant": variant}})
    with pytest.raises(json.JSONDecodeError):
        await create(async_client())


async def test_corrupt_envelope_without_choices(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    fake.add_fault({"action": {"type": "corrupt_envelope", "variant": "missing_choices"}})
    completion = await create(async_client())
    assert completion.choices is None  # the SDK does not validate; the pipeline must


@pytest.mark.parametrize(
    ("defect", "expected"),
    [
        ("missing_day", "tuesday: missing"),
        ("kcal_off", "tuesday: kcal 1966"),
        ("protein_off", "tuesday: protein 147"),
        ("diet_violation", "tuesday: Grilled chicken breast breaks Vegetarian"),
        ("missing_reason", "tuesday: no reason"),
        ("missing_supplement_card", "tuesday: no supplementCard"),
        ("wrong_meal_count", "tuesday: 4 meals"),
    ],
)
async def test_wrong_plan_defects(
    fake: FakeDeepSeek, async_client: AsyncClientFactory, defect: str, expected: str
) -> None:
    fake.add_fault({"action": {"type": "wrong_plan", "defect": defect, "day": "tuesday"}})
    completion = await create(async_client())
    plan = json.loads(completion.choices[0].message.content or "")
    assert plan_problems(plan, PROFILE, TARGETS) == [expected]


async def test_wrong_plan_with_avoided_exercise(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    fake.add_fault({"action": {"type": "wrong_plan", "defect": "avoided_exercise"}})
    completion = await create(async_client())
    problems = plan_problems(json.loads(completion.choices[0].message.content or ""), PROFILE, TARGETS)
    assert len(problems) == 1 and problems[0].endswith("avoided exercise Push ups")


async def test_fail_twice_then_succeed(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    rule_id = fake.add_fault(
        {"match": {"stage": 1}, "times": 2, "action": {"type": "http_error", "status": 500}}
    )
    completion = await create(async_client(max_retries=2))
    assert completion.choices[0].finish_reason == "stop"
    assert [e.status for e in fake.journal()] == [500, 500, 200]
    assert [e.rule_id for e in fake.journal()] == [rule_id, rule_id, None]
    view = fake.faults()[0]
    assert view.hits == 2 and view.expired


async def test_delay_then_answer(fake: FakeDeepSeek, async_client: AsyncClientFactory) -> None:
    fake.add_fault({"action": {"type": "delay", "ms": 120}})
    completion = await create(async_client())
    assert completion.choices[0].finish_reason == "stop"
    entry = fake.journal()[-1]
    assert entry.duration_ms is not None and entry.duration_ms >= 120
    assert entry.action == "delay"
