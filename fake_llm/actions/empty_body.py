"""Empty body: HTTP 200 with the right content type and nothing, or only blank lines."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field

from fake_llm import wire
from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext
from fake_llm.sse import SSE_CONTENT_TYPE


class EmptyBodyAction(ActionSpec):
    """200 and `blank_lines` newlines (0: no body at all); an empty event stream if streaming."""

    type: Literal["empty_body"]
    blank_lines: int = Field(default=0, ge=0, le=10_000)

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Send the empty answer."""
        ctx.record.outcome = "empty_body"
        content_type = SSE_CONTENT_TYPE if ctx.chat.stream else "application/json"
        return wire.body_response(ctx.record, 200, b"\n" * self.blank_lines, content_type)
