"""One DeepSeek chat call: request, deadlines, in-call retries and the §3.4 error mapping.

Deadlines are enforced by cancelling the whole request, body included, so the blank
lines DeepSeek sends while a request waits for capacity (for 10-30 minutes) cannot
extend them; httpx's own read timeout restarts on every chunk and cannot do that.
Each HTTP request gets `min(DEEPSEEK_CALL_TIMEOUT_MS, time left in the attempt)`.

429 and 503 are repeated inside the call up to `DEEPSEEK_IN_CALL_RETRIES` times,
waiting as `retry-after-ms` / `Retry-After` ask (else an exponential backoff), but
only when the wait ends before the attempt's deadline; otherwise the call fails at
once with the status's own code rather than sleeping into a timeout. The error then
carries the wait the answer asked for, so the queue does not schedule the next attempt
sooner (docs/contract.md, backoff).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import httpx

from reference_impl.pipeline import json_codec
from reference_impl.pipeline.deadline import Clock, Deadline
from reference_impl.pipeline.errors import ErrorCode, PipelineError
from reference_impl.pipeline.prompts import ChatMessage
from reference_impl.pipeline.redaction import redact
from reference_impl.pipeline.retry_after import retry_after_seconds
from reference_impl.pipeline.settings import PipelineSettings, env_name_of

MAX_RESPONSE_BYTES = 8 * 1024 * 1024
UPSTREAM_MESSAGE_LIMIT = 200
RETRIED_STATUSES = frozenset({429, 503})

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatCompletion:
    """The model's answer to one call, and how many HTTP requests it took."""

    content: str | None
    finish_reason: str | None
    requests: int


@dataclass(frozen=True)
class _RawResponse:
    status: int
    headers: httpx.Headers
    body: bytes


class DeepSeekClient:
    """Makes chat calls to DeepSeek on a shared `httpx.AsyncClient`."""

    def __init__(
        self, http: httpx.AsyncClient, settings: PipelineSettings, *, clock: Clock = time.monotonic
    ) -> None:
        self._http = http
        self._settings = settings
        self._clock = clock
        self._url = settings.base_url.rstrip("/") + "/chat/completions"

    async def chat(self, messages: list[ChatMessage], *, stage: int, deadline: Deadline) -> ChatCompletion:
        """Run one chat call in JSON mode; raise `PipelineError` with the §3.4 code on failure.

        A missing API key fails with `CONFIG_ERROR` before any request is sent.
        """
        api_key = self._settings.api_key
        if api_key is None or not api_key.strip():
            raise PipelineError(
                ErrorCode.CONFIG_ERROR,
                f"{env_name_of('api_key')} is not set; no DeepSeek call was made",
            )
        body = {
            "model": self._settings.model,
            "messages": messages,
            "response_format": {"type": "json_object"},
            "max_tokens": self._settings.max_tokens,
            "stream": False,
        }
        headers = {
            "Authorization": f"Bearer {api_key.strip()}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        content = json_codec.dumps(body)
        retries = self._settings.in_call_retries
        request_number = 0
        while True:
            request_number += 1
            response = await self._send(content, headers, stage, deadline)
            if response.status == 200:
                return self._completion(response, stage, request_number)
            if response.status not in RETRIED_STATUSES or request_number > retries:
                raise self._status_error(response, stage, request_number)
            wait_s = self._retry_wait_s(response, request_number)
            remaining_s = deadline.remaining_s()
            if wait_s >= remaining_s:
                raise self._status_error(
                    response,
                    stage,
                    request_number,
                    note=f"; the retry wait of {_ms(wait_s)} ms does not fit in the "
                    f"{_ms(remaining_s)} ms left before the attempt deadline",
                )
            logger.warning(
                "DeepSeek stage %d answered %d; retrying in %d ms",
                stage,
                response.status,
                _ms(wait_s),
                extra={"stage": stage, "status": response.status, "retry_in_ms": _ms(wait_s)},
            )
            await asyncio.sleep(wait_s)

    async def _send(
        self, content: bytes, headers: Mapping[str, str], stage: int, deadline: Deadline
    ) -> _RawResponse:
        call_limit_s = self._settings.call_timeout_ms / 1000
        remaining_s = deadline.remaining_s()
        if remaining_s <= 0:
            raise PipelineError(
                ErrorCode.AI_TIMEOUT,
                f"attempt deadline {env_name_of('attempt_timeout_ms')}="
                f"{deadline.budget_ms} ms reached before the DeepSeek stage {stage} call",
            )
        budget_s = min(call_limit_s, remaining_s)
        started = self._clock()
        received = bytearray()
        try:
            async with asyncio.timeout(budget_s):
                async with self._http.stream(
                    "POST", self._url, content=content, headers=headers, timeout=httpx.Timeout(budget_s)
                ) as response:
                    async for chunk in response.aiter_bytes():
                        received += chunk
                        if len(received) > MAX_RESPONSE_BYTES:
                            raise PipelineError(
                                ErrorCode.AI_UPSTREAM_ERROR,
                                f"DeepSeek stage {stage} response exceeded {MAX_RESPONSE_BYTES} bytes",
                            )
                    return _RawResponse(response.status_code, response.headers, bytes(received))
        except (TimeoutError, httpx.TimeoutException):
            limit = (
                f"per-call limit {env_name_of('call_timeout_ms')}={self._settings.call_timeout_ms}"
                if call_limit_s <= remaining_s
                else f"attempt deadline {env_name_of('attempt_timeout_ms')}={deadline.budget_ms}"
            )
            raise PipelineError(
                ErrorCode.AI_TIMEOUT,
                f"DeepSeek stage {stage} call aborted after {_ms(self._clock() - started)} ms: "
                f"{limit} ms reached; {_describe_received(received)}",
            ) from None
        except httpx.RequestError as failure:
            raise PipelineError(
                ErrorCode.AI_UPSTREAM_ERROR,
                f"DeepSeek stage {stage} call failed: {type(failure).__name__}: "
                f"{self._redact(str(failure)) or 'no detail'}",
            ) from None

    def _retry_wait_s(self, response: _RawResponse, request_number: int) -> float:
        asked = _asked_wait_s(response)
        if asked is not None:
            return asked
        return self._settings.retry_backoff_ms / 1000 * 2.0 ** (request_number - 1)

    def _status_error(
        self, response: _RawResponse, stage: int, requests: int, *, note: str = ""
    ) -> PipelineError:
        status = response.status
        code, hint = _code_for_status(status)
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "unknown status"
        tries = f" after {requests} requests" if requests > 1 else ""
        upstream = self._upstream_message(response.body)
        detail = f": {upstream}" if upstream else ""
        answer = f"DeepSeek stage {stage} call answered HTTP {status} {phrase}{tries}"
        return PipelineError(code, f"{answer}{detail}{hint}{note}", retry_after_s=_asked_wait_s(response))

    def _upstream_message(self, body: bytes) -> str:
        try:
            document = json_codec.loads(body)
        except ValueError:
            text = body.decode("utf-8", "replace").strip()
        else:
            error = document.get("error") if isinstance(document, dict) else None
            message = error.get("message") if isinstance(error, dict) else error
            text = str(message).strip() if message else ""
        text = " ".join(self._redact(text).split())
        if len(text) > UPSTREAM_MESSAGE_LIMIT:
            text = text[: UPSTREAM_MESSAGE_LIMIT - 3] + "..."
        return text

    def _completion(self, response: _RawResponse, stage: int, requests: int) -> ChatCompletion:
        def upstream(problem: str) -> PipelineError:
            return PipelineError(
                ErrorCode.AI_UPSTREAM_ERROR, f"DeepSeek stage {stage} answered 200 {problem}"
            )

        if not response.body:
            raise upstream("with an empty body")
        if not response.body.strip():
            raise upstream(f"with a blank body ({len(response.body)} bytes of whitespace)")
        try:
            envelope = json_codec.loads(response.body)
        except ValueError as invalid:
            raise upstream(f"with a body that is not JSON ({invalid})") from None
        choice = _first_choice(envelope)
        if choice is None:
            error = envelope.get("error") if isinstance(envelope, dict) else None
            if error is not None:
                raise upstream(f"with an error: {self._upstream_message(response.body)}")
            raise upstream("with no choices[0].message in the envelope")
        message = choice["message"]
        content = message.get("content")
        finish_reason = choice.get("finish_reason")
        if content is not None and not isinstance(content, str):
            raise upstream("with a non-string choices[0].message.content")
        if finish_reason is not None and not isinstance(finish_reason, str):
            raise upstream("with a non-string choices[0].finish_reason")
        if finish_reason == "insufficient_system_resource":
            raise upstream("but stopped: finish_reason 'insufficient_system_resource'")
        return ChatCompletion(content=content, finish_reason=finish_reason, requests=requests)

    def _redact(self, text: str) -> str:
        return redact(text, [self._settings.api_key])


def _asked_wait_s(response: _RawResponse) -> float | None:
    """The wait a 429 or 503 asks for (`retry-after-ms`, `Retry-After`); None otherwise."""
    if response.status not in RETRIED_STATUSES:
        return None
    return retry_after_seconds(response.headers, datetime.now(UTC))


def _first_choice(envelope: object) -> dict[str, Any] | None:
    if not isinstance(envelope, dict):
        return None
    choices = envelope.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    choice: dict[str, Any] = choices[0]
    return choice if isinstance(choice.get("message"), dict) else None


def _code_for_status(status: int) -> tuple[ErrorCode, str]:
    """The §3.4 code for a DeepSeek error status, and a hint naming what to check."""
    if status in (400, 422):
        return ErrorCode.CONFIG_ERROR, (
            f"; our request was refused, check {env_name_of('model')} and {env_name_of('max_tokens')}"
        )
    if status in (401, 403):
        return ErrorCode.CONFIG_ERROR, f"; check {env_name_of('api_key')}"
    if status == 404:
        return ErrorCode.CONFIG_ERROR, f"; check {env_name_of('base_url')}"
    if status == 402:
        return ErrorCode.AI_QUOTA_EXCEEDED, "; the DeepSeek account balance is used up"
    if status == 429:
        return ErrorCode.AI_RATE_LIMIT, ""
    if 500 <= status <= 599:
        return ErrorCode.AI_UPSTREAM_ERROR, ""
    return ErrorCode.UNEXPECTED_ERROR, ""


def _describe_received(received: bytearray) -> str:
    if not received:
        return "no response bytes received"
    if not received.strip():
        return (
            f"only {len(received)} bytes of keep-alive whitespace received, which do not extend the deadline"
        )
    return f"{len(received)} bytes received before the abort"


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
