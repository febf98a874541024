"""Error event in a stream: SSE chunks, then a `data: {"error": ...}` event instead of the rest."""

from __future__ import annotations

import json
from typing import Literal

from aiohttp import web
from pydantic import Field

from fake_llm import wire
from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext, StreamShape
from fake_llm.errors import ErrorStatus, error_body


class StreamErrorAction(ActionSpec):
    """Streams: `after_chunks` events, then an error event with `status`'s DeepSeek body, then
    the end. Non-streaming: the plain HTTP error `status`."""

    type: Literal["stream_error"]
    after_chunks: int = Field(default=1, ge=0)
    status: ErrorStatus = 500
    message: str | None = None

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Send the stream with an error event, or the error itself."""
        if ctx.chat.stream:
            shape = StreamShape(
                cut_after=self.after_chunks, error_status=self.status, error_message=self.message
            )
            return await ctx.send(ctx.default_reply(), shape)
        ctx.record.outcome = f"http_{self.status}"
        body = json.dumps(error_body(self.status, self.message)).encode()
        return wire.body_response(ctx.record, self.status, body)
