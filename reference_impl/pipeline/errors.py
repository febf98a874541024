"""The pipeline's error codes (docs/contract.md "Error codes"), their retryability, and the error it raises.

Exception
 └── PipelineError(code: ErrorCode, message: str, retry_after_s)   .retryable follows the code
"""

from __future__ import annotations

from enum import StrEnum

from reference_impl.pipeline.redaction import redact


class ErrorCode(StrEnum):
    """Every `error_code` of docs/contract.md "Error codes", spelled as stored in `plan_generation_jobs`."""

    AI_TIMEOUT = "AI_TIMEOUT"
    AI_RATE_LIMIT = "AI_RATE_LIMIT"
    AI_QUOTA_EXCEEDED = "AI_QUOTA_EXCEEDED"
    AI_UPSTREAM_ERROR = "AI_UPSTREAM_ERROR"
    CONFIG_ERROR = "CONFIG_ERROR"
    JSON_PARSE_ERROR = "JSON_PARSE_ERROR"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    WORKER_TIMEOUT = "WORKER_TIMEOUT"
    STALE_PENDING = "STALE_PENDING"
    CANCELLED = "CANCELLED"
    SUPERSEDED = "SUPERSEDED"
    UNEXPECTED_ERROR = "UNEXPECTED_ERROR"

    @property
    def retryable(self) -> bool:
        """Whether another attempt may follow a failure with this code (docs/contract.md "Error codes")."""
        return self not in _NOT_RETRYABLE


_NOT_RETRYABLE = frozenset(
    {
        ErrorCode.AI_QUOTA_EXCEEDED,
        ErrorCode.CONFIG_ERROR,
        ErrorCode.STALE_PENDING,
        ErrorCode.CANCELLED,
        ErrorCode.SUPERSEDED,
    }
)


class PipelineError(Exception):
    """One failed attempt: the code to store on the job and a message naming the cause.

    The message is passed through pattern redaction, so a bearer token, `sk-` key or
    JWT that slipped into it never reaches the job row or a log. Callers that know a
    literal secret (the API key) redact it before building the message.

    `retry_after_s` is how long DeepSeek asked us to wait (`Retry-After` of the 429 or 503
    that ended the attempt), passed to `fail_plan_job` so the next attempt is not
    scheduled sooner; None when it asked nothing.
    """

    def __init__(self, code: ErrorCode, message: str, *, retry_after_s: float | None = None) -> None:
        self.code = code
        self.message = redact(message)
        self.retry_after_s = retry_after_s
        super().__init__(f"{code}: {self.message}")

    @property
    def retryable(self) -> bool:
        """Whether the job may be retried after this error; passed to `fail_plan_job`."""
        return self.code.retryable
