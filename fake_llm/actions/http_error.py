"""HTTP error: one of DeepSeek's error statuses with its body and optional retry headers."""

from __future__ import annotations

import json
from typing import Literal

from aiohttp import web
from pydantic import Field

from fake_llm import wire
from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext
from fake_llm.errors import ErrorStatus, error_body


class HttpErrorAction(ActionSpec):
    """Answer `status` with DeepSeek's body; `retry_after` (s) / `retry_after_ms` add headers."""

    type: Literal["http_error"]
    status: ErrorStatus
    message: str | None = None
    retry_after: float | None = Field(default=None, ge=0)
    retry_after_ms: int | None = Field(default=None, ge=0)

    def headers(self) -> dict[str, str]:
        """The retry headers this error carries."""
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        if self.retry_after_ms is not None:
            headers["retry-after-ms"] = str(self.retry_after_ms)
        return headers

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Send the error."""
        body = json.dumps(error_body(self.status, self.message)).encode()
        ctx.record.outcome = f"http_{self.status}"
        return wire.body_response(ctx.record, self.status, body, headers=self.headers())
