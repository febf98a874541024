"""The DeepSeek client maps every DeepSeek-originated row of docs/contract.md "Error codes" (respx-mocked)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from reference_impl.pipeline.deadline import Deadline
from reference_impl.pipeline.deepseek import DeepSeekClient
from reference_impl.pipeline.errors import ErrorCode, PipelineError
from reference_impl.pipeline.prompts import ChatMessage
from reference_impl.pipeline.settings import PipelineSettings

MESSAGES: list[ChatMessage] = [
    {"role": "system", "content": "Stage 1 of 2: answer in json."},
    {"role": "user", "content": "USER: 1"},
]

SettingsFactory = Callable[..., PipelineSettings]
ResponseFactory = Callable[..., httpx.Response]


async def call(http_client: httpx.AsyncClient, settings: PipelineSettings) -> Any:
    client = DeepSeekClient(http_client, settings)
    deadline = Deadline.start(settings.attempt_timeout_ms)
    return await client.chat(MESSAGES, stage=1, deadline=deadline)


async def failure(http_client: httpx.AsyncClient, settings: PipelineSettings) -> PipelineError:
    with pytest.raises(PipelineError) as failed:
        await call(http_client, settings)
    assert settings.api_key is not None
    assert settings.api_key not in failed.value.message
    return failed.value


async def test_success_returns_content_and_sends_a_json_mode_request(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
) -> None:
    route = deepseek_api.post("/chat/completions").mock(return_value=completion_response('{"days": {}}'))
    settings = make_settings(model="deepseek-v4-flash", max_tokens=3000)

    answer = await call(http_client, settings)

    assert (answer.content, answer.finish_reason, answer.requests) == ('{"days": {}}', "stop", 1)
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {settings.api_key}"
    assert json.loads(request.content) == {
        "model": "deepseek-v4-flash",
        "messages": MESSAGES,
        "response_format": {"type": "json_object"},
        "max_tokens": 3000,
        "stream": False,
    }


async def test_missing_api_key_is_config_error_without_a_request(
    deepseek_api: respx.MockRouter, http_client: httpx.AsyncClient, make_settings: SettingsFactory
) -> None:
    route = deepseek_api.post("/chat/completions")

    for key in (None, "", "   "):
        with pytest.raises(PipelineError) as failed:
            await call(http_client, make_settings(api_key=key))
        assert failed.value.code is ErrorCode.CONFIG_ERROR
        assert not failed.value.retryable
        assert "DEEPSEEK_API_KEY" in failed.value.message

    assert route.call_count == 0


@pytest.mark.parametrize(
    ("status", "upstream_message", "hint"),
    [
        (401, "Authentication Fails, Your api key: ****cdef is invalid", "DEEPSEEK_API_KEY"),
        (400, "Invalid request body format", "DEEPSEEK_MODEL"),
        (422, "Invalid max_tokens value, the valid range of max_tokens is [1, 8192]", "max_tokens"),
    ],
)
async def test_our_mistakes_are_config_errors(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    deepseek_error: ResponseFactory,
    status: int,
    upstream_message: str,
    hint: str,
) -> None:
    route = deepseek_api.post("/chat/completions").mock(return_value=deepseek_error(status, upstream_message))

    error = await failure(http_client, make_settings())

    assert error.code is ErrorCode.CONFIG_ERROR
    assert not error.retryable
    assert f"HTTP {status}" in error.message
    assert hint in error.message
    assert "cdef" not in error.message
    assert route.call_count == 1


async def test_401_echoing_the_whole_key_is_redacted(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    deepseek_error: ResponseFactory,
) -> None:
    settings = make_settings(api_key="plainkey-without-prefix-42")
    deepseek_api.post("/chat/completions").mock(
        return_value=deepseek_error(401, f"Your api key: {settings.api_key} is invalid")
    )

    error = await failure(http_client, settings)

    assert "plainkey" not in error.message


async def test_402_is_quota_exceeded(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    deepseek_error: ResponseFactory,
) -> None:
    route = deepseek_api.post("/chat/completions").mock(
        return_value=deepseek_error(402, "Insufficient Balance")
    )

    error = await failure(http_client, make_settings())

    assert error.code is ErrorCode.AI_QUOTA_EXCEEDED
    assert not error.retryable
    assert "HTTP 402" in error.message
    assert "Insufficient Balance" in error.message
    assert route.call_count == 1


async def test_429_after_the_in_call_retries_is_rate_limit(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    deepseek_error: ResponseFactory,
) -> None:
    route = deepseek_api.post("/chat/completions").mock(
        return_value=deepseek_error(429, "Rate Limit Reached")
    )

    error = await failure(http_client, make_settings(in_call_retries=2, retry_backoff_ms=1))

    assert error.code is ErrorCode.AI_RATE_LIMIT
    assert error.retryable
    assert "HTTP 429" in error.message
    assert "after 3 requests" in error.message
    assert route.call_count == 3
    assert error.retry_after_s is None  # no header: the queue's own backoff decides


@pytest.mark.parametrize(
    ("status", "headers", "asked_s"),
    [
        (429, {"retry-after": "12"}, 12.0),
        (503, {"retry-after-ms": "2500"}, 2.5),
        (500, {"retry-after": "12"}, None),
    ],
)
async def test_the_wait_a_retried_status_asks_for_is_carried_by_the_error(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    deepseek_error: ResponseFactory,
    status: int,
    headers: dict[str, str],
    asked_s: float | None,
) -> None:
    deepseek_api.post("/chat/completions").mock(return_value=deepseek_error(status, "busy", **headers))

    error = await failure(http_client, make_settings(in_call_retries=0))

    assert error.retry_after_s == asked_s


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_upstream_errors(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    deepseek_error: ResponseFactory,
    status: int,
) -> None:
    route = deepseek_api.post("/chat/completions").mock(return_value=deepseek_error(status, "Server Error"))

    error = await failure(http_client, make_settings(in_call_retries=1, retry_backoff_ms=1))

    assert error.code is ErrorCode.AI_UPSTREAM_ERROR
    assert error.retryable
    assert f"HTTP {status}" in error.message
    # only 503 (overloaded) is repeated inside the call
    assert route.call_count == (2 if status == 503 else 1)


@pytest.mark.parametrize(
    "transport_error",
    [
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=["reset", "refused", "disconnected"],
)
async def test_connection_failures_are_upstream_errors(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    transport_error: httpx.TransportError,
) -> None:
    deepseek_api.post("/chat/completions").mock(side_effect=transport_error)

    error = await failure(http_client, make_settings())

    assert error.code is ErrorCode.AI_UPSTREAM_ERROR
    assert type(transport_error).__name__ in error.message
    assert str(transport_error) in error.message


@pytest.mark.parametrize(
    ("body", "described"),
    [
        (b"", "empty body"),
        (b"\n\n\n\n", "blank body (4 bytes of whitespace)"),
        (b"<html>Bad gateway</html>", "not JSON"),
        (b'{"id": "x", "choices": []}', "no choices[0].message"),
        (b'{"error": {"message": "overloaded"}}', "overloaded"),
    ],
    ids=["empty", "blank", "html", "no-choices", "error-at-200"],
)
async def test_empty_blank_or_corrupt_200_is_upstream_error(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    body: bytes,
    described: str,
) -> None:
    deepseek_api.post("/chat/completions").mock(return_value=httpx.Response(200, content=body))

    error = await failure(http_client, make_settings())

    assert error.code is ErrorCode.AI_UPSTREAM_ERROR
    assert "answered 200" in error.message
    assert described in error.message


async def test_insufficient_system_resource_is_upstream_error(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
) -> None:
    deepseek_api.post("/chat/completions").mock(
        return_value=completion_response('{"days"', "insufficient_system_resource")
    )

    error = await failure(http_client, make_settings())

    assert error.code is ErrorCode.AI_UPSTREAM_ERROR
    assert "insufficient_system_resource" in error.message


async def test_blank_content_is_passed_on_for_the_json_step(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
) -> None:
    # DeepSeek's JSON mode may replace non-JSON output with spaces: that is content, not
    # a broken envelope, and becomes JSON_PARSE_ERROR later.
    deepseek_api.post("/chat/completions").mock(return_value=completion_response("     "))

    answer = await call(http_client, make_settings())

    assert answer.content == "     "


async def test_unknown_status_is_unexpected_error_naming_it(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    deepseek_error: ResponseFactory,
) -> None:
    deepseek_api.post("/chat/completions").mock(return_value=deepseek_error(418, "teapot"))

    error = await failure(http_client, make_settings())

    assert error.code is ErrorCode.UNEXPECTED_ERROR
    assert "HTTP 418" in error.message


async def test_base_url_path_is_kept(
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
) -> None:
    with respx.mock() as router:
        route = router.post("https://deepseek.test/v1/chat/completions").mock(
            return_value=completion_response("{}")
        )

        await call(http_client, make_settings(base_url="https://deepseek.test/v1/"))

    assert route.call_count == 1


async def test_compressed_answers_are_decoded(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
) -> None:
    body = gzip.compress(completion_response('{"days": {}}').content)
    deepseek_api.post("/chat/completions").mock(
        return_value=httpx.Response(200, content=body, headers={"content-encoding": "gzip"})
    )

    answer = await call(http_client, make_settings())

    assert answer.content == '{"days": {}}'


async def test_works_on_a_client_with_an_in_memory_transport(
    make_settings: SettingsFactory, completion_response: ResponseFactory
) -> None:
    # httpx.MockTransport hands back responses whose body is already read.
    transport = httpx.MockTransport(lambda request: completion_response('{"days": {}}'))

    async with httpx.AsyncClient(transport=transport) as in_memory_client:
        answer = await call(in_memory_client, make_settings())

    assert answer.content == '{"days": {}}'
