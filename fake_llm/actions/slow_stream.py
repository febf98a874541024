"""Slow stream: the answer dribbled out with a pause between pieces (chunkedDribbleDelay)."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field

from fake_llm import wire
from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext, StreamShape


class SlowStreamAction(ActionSpec):
    """Streams: `chunk_delay_ms` between SSE events. Non-streaming: the body in `pieces` parts,
    `chunk_delay_ms` apart."""

    type: Literal["slow_stream"]
    chunk_delay_ms: float = Field(gt=0)
    pieces: int = Field(default=10, ge=1)

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Send the normal answer slowly."""
        ctx.record.outcome = "slow_stream"
        reply = ctx.default_reply()
        delay_s = self.chunk_delay_ms / 1000
        if ctx.chat.stream:
            return await ctx.send(reply, StreamShape(chunk_delay_s=delay_s))
        body = ctx.completion_bytes(reply)
        response = await wire.open_stream(
            ctx.http, ctx.record, "application/json", content_length=len(body)
        )
        size = -(-len(body) // self.pieces)
        for start in range(0, len(body), size):
            if start and not await ctx.pause(delay_s):
                return ctx.end_for_shutdown()
            await wire.write(response, ctx.record, body[start : start + size])
        await response.write_eof()
        return response
