"""Error codes, their retryability (docs/contract.md "Error codes"), and secret redaction in messages."""

from __future__ import annotations

import pytest

from reference_impl.pipeline.errors import ErrorCode, PipelineError
from reference_impl.pipeline.redaction import REDACTED, redact

NOT_RETRYABLE = {"AI_QUOTA_EXCEEDED", "CONFIG_ERROR", "STALE_PENDING", "CANCELLED", "SUPERSEDED"}


def test_all_design_codes_exist() -> None:
    assert {code.value for code in ErrorCode} == {
        "AI_TIMEOUT",
        "AI_RATE_LIMIT",
        "AI_QUOTA_EXCEEDED",
        "AI_UPSTREAM_ERROR",
        "CONFIG_ERROR",
        "JSON_PARSE_ERROR",
        "VALIDATION_FAILED",
        "WORKER_TIMEOUT",
        "STALE_PENDING",
        "CANCELLED",
        "SUPERSEDED",
        "UNEXPECTED_ERROR",
    }


@pytest.mark.parametrize("code", list(ErrorCode))
def test_retryability_follows_the_table(code: ErrorCode) -> None:
    error = PipelineError(code, "something")

    assert error.retryable is (code.value not in NOT_RETRYABLE)
    assert error.code is code


def test_str_carries_code_and_message() -> None:
    assert str(PipelineError(ErrorCode.AI_TIMEOUT, "took 50 ms")) == "AI_TIMEOUT: took 50 ms"


@pytest.mark.parametrize(
    "secret_text",
    [
        "Authorization: Bearer abc.def-ghi",
        "key sk-abcdef123456 refused",
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here",
        "Your api key: ****cd15 is invalid",
    ],
)
def test_secret_shaped_tokens_never_reach_an_error_message(secret_text: str) -> None:
    message = PipelineError(ErrorCode.CONFIG_ERROR, secret_text).message

    assert REDACTED in message
    for token in ("abc.def-ghi", "sk-abcdef123456", "eyJhbGciOiJIUzI1NiJ9", "cd15"):
        assert token not in message


def test_literal_secrets_are_removed_wherever_they_occur() -> None:
    assert redact("key=hunter2-long-key;", ["hunter2-long-key"]) == f"key={REDACTED};"


def test_blank_secrets_are_ignored() -> None:
    assert redact("nothing to hide", ["", "  ", None]) == "nothing to hide"


def test_a_secret_is_found_without_its_surrounding_whitespace() -> None:
    assert redact("key=abc123xyz", ["  abc123xyz\n"]) == f"key={REDACTED}"
