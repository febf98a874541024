"""Deadlines by cancellation, keep-alive stalls, and Retry-After within the deadline.

Every delay here is tens of milliseconds; the margins allow for a loaded machine
while still being far below what the stalls would take if the deadline did not hold.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from reference_impl.pipeline.deadline import Deadline
from reference_impl.pipeline.deepseek import ChatCompletion, DeepSeekClient
from reference_impl.pipeline.errors import ErrorCode, PipelineError
from reference_impl.pipeline.prompts import ChatMessage
from reference_impl.pipeline.settings import PipelineSettings

MESSAGES: list[ChatMessage] = [{"role": "system", "content": "Stage 1 of 2, json"}]
MARGIN_MS = 150
STALL_MS = 3_000

SettingsFactory = Callable[..., PipelineSettings]
ResponseFactory = Callable[..., httpx.Response]


async def timed_call(
    http_client: httpx.AsyncClient, settings: PipelineSettings, deadline: Deadline | None = None
) -> tuple[Any, float]:
    client = DeepSeekClient(http_client, settings)
    started = time.monotonic()
    answer: ChatCompletion | PipelineError
    try:
        answer = await client.chat(
            MESSAGES, stage=1, deadline=deadline or Deadline.start(settings.attempt_timeout_ms)
        )
    except PipelineError as failure:
        answer = failure
    return answer, (time.monotonic() - started) * 1000


async def test_keep_alive_lines_do_not_extend_the_attempt_deadline(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    dribble: Any,
) -> None:
    stream = dribble(interval_ms=5, duration_ms=STALL_MS)
    deepseek_api.post("/chat/completions").mock(return_value=httpx.Response(200, stream=stream))
    settings = make_settings(attempt_timeout_ms=60, call_timeout_ms=5_000)

    error, elapsed_ms = await timed_call(http_client, settings)

    assert isinstance(error, PipelineError)
    assert error.code is ErrorCode.AI_TIMEOUT
    assert 60 <= elapsed_ms < 60 + MARGIN_MS
    assert stream.sent >= 2, "the stall must have been sending keep-alive bytes"
    assert "INTERNAL_TIMEOUT_MS=60" in error.message
    assert "keep-alive whitespace" in error.message


async def test_keep_alive_lines_do_not_extend_the_per_call_limit(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    dribble: Any,
) -> None:
    stream = dribble(interval_ms=5, duration_ms=STALL_MS)
    deepseek_api.post("/chat/completions").mock(return_value=httpx.Response(200, stream=stream))
    settings = make_settings(attempt_timeout_ms=5_000, call_timeout_ms=40)

    error, elapsed_ms = await timed_call(http_client, settings)

    assert isinstance(error, PipelineError)
    assert error.code is ErrorCode.AI_TIMEOUT
    assert 40 <= elapsed_ms < 40 + MARGIN_MS
    assert "DEEPSEEK_CALL_TIMEOUT_MS=40" in error.message


async def test_keep_alive_lines_then_the_answer_succeed(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
    dribble: Any,
) -> None:
    # DeepSeek's non-streaming keep-alive: blank lines, then the JSON body, all within
    # the limits; the leading whitespace is part of a valid body.
    body = completion_response('{"days": {}}').content
    stream = dribble(interval_ms=5, duration_ms=30, tail=body)
    deepseek_api.post("/chat/completions").mock(return_value=httpx.Response(200, stream=stream))

    answer, _ = await timed_call(http_client, make_settings())

    assert not isinstance(answer, PipelineError), answer
    assert answer.content == '{"days": {}}'


async def test_each_request_carries_its_budget_over_the_shared_clients_timeout(
    deepseek_api: respx.MockRouter,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
) -> None:
    # The shared client may have httpx's 5 s default or less; each request overrides it
    # with its own budget so that only our deadlines decide.
    route = deepseek_api.post("/chat/completions").mock(return_value=completion_response("{}"))

    async with httpx.AsyncClient(timeout=0.001) as impatient_client:
        await timed_call(impatient_client, make_settings(call_timeout_ms=900))

    timeouts = route.calls.last.request.extensions["timeout"]
    assert timeouts["read"] == pytest.approx(0.9)
    assert timeouts["connect"] == pytest.approx(0.9)


async def test_hanging_server_is_aborted_at_the_deadline(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    dribble: Any,
) -> None:
    # Headers sent, then nothing at all.
    stream = dribble(interval_ms=STALL_MS, duration_ms=STALL_MS, filler=b"")
    deepseek_api.post("/chat/completions").mock(return_value=httpx.Response(200, stream=stream))

    error, elapsed_ms = await timed_call(http_client, make_settings(attempt_timeout_ms=50))

    assert isinstance(error, PipelineError)
    assert error.code is ErrorCode.AI_TIMEOUT
    assert elapsed_ms < 50 + MARGIN_MS
    assert "no response bytes received" in error.message


async def test_an_already_spent_deadline_sends_nothing(
    deepseek_api: respx.MockRouter, http_client: httpx.AsyncClient, make_settings: SettingsFactory
) -> None:
    route = deepseek_api.post("/chat/completions")
    readings = iter([0.0, 10.0])
    spent = Deadline.start(1_000, clock=lambda: next(readings))

    error, _ = await timed_call(http_client, make_settings(), spent)

    assert isinstance(error, PipelineError)
    assert error.code is ErrorCode.AI_TIMEOUT
    assert "before the DeepSeek stage 1 call" in error.message
    assert route.call_count == 0


@pytest.mark.parametrize(
    "headers", [{"retry-after-ms": "60"}, {"retry-after": "0.06"}], ids=["ms", "seconds"]
)
async def test_retry_after_is_honoured(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
    deepseek_error: ResponseFactory,
    headers: dict[str, str],
) -> None:
    sent_at: list[float] = []
    answers = iter([deepseek_error(429, "Rate Limit Reached", **headers), completion_response("{}")])

    def answer(request: httpx.Request) -> httpx.Response:
        sent_at.append(time.monotonic())
        return next(answers)

    deepseek_api.post("/chat/completions").mock(side_effect=answer)

    result, _ = await timed_call(http_client, make_settings(retry_backoff_ms=0))

    assert not isinstance(result, PipelineError), result
    assert result.requests == 2
    assert (sent_at[1] - sent_at[0]) * 1000 >= 59


async def test_retry_after_beyond_the_deadline_fails_at_once(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    deepseek_error: ResponseFactory,
) -> None:
    route = deepseek_api.post("/chat/completions").mock(
        return_value=deepseek_error(429, "Rate Limit Reached", **{"retry-after": "30"})
    )

    error, elapsed_ms = await timed_call(http_client, make_settings(attempt_timeout_ms=80))

    assert isinstance(error, PipelineError)
    assert error.code is ErrorCode.AI_RATE_LIMIT
    assert route.call_count == 1
    assert elapsed_ms < 80
    assert "retry wait of 30000 ms does not fit" in error.message
    assert error.retry_after_s == 30, "the wait DeepSeek asked for is not passed on to the queue"


async def test_503_overloaded_then_success(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
    deepseek_error: ResponseFactory,
) -> None:
    deepseek_api.post("/chat/completions").mock(
        side_effect=[
            deepseek_error(503, "Server Overloaded"),
            deepseek_error(503, "Server Overloaded", **{"retry-after-ms": "5"}),
            completion_response('{"ok": true}'),
        ]
    )

    answer, _ = await timed_call(http_client, make_settings(in_call_retries=2))

    assert not isinstance(answer, PipelineError), answer
    assert (answer.content, answer.requests) == ('{"ok": true}', 3)


async def test_backoff_without_retry_after_doubles(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    deepseek_error: ResponseFactory,
) -> None:
    sent_at: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent_at.append(time.monotonic())
        return deepseek_error(429, "Rate Limit Reached")

    deepseek_api.post("/chat/completions").mock(side_effect=answer)

    error, _ = await timed_call(http_client, make_settings(in_call_retries=2, retry_backoff_ms=20))

    assert isinstance(error, PipelineError)
    assert error.code is ErrorCode.AI_RATE_LIMIT
    gaps_ms = [(later - earlier) * 1000 for earlier, later in itertools.pairwise(sent_at)]
    assert len(gaps_ms) == 2
    assert gaps_ms[0] >= 19
    assert gaps_ms[1] >= 39
