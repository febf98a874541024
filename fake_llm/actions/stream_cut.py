"""Stream cut: the answer stops part-way, before `[DONE]` or before the body's end."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field

from fake_llm import wire
from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext, StreamShape


class StreamCutAction(ActionSpec):
    """Streams: stop after `after_chunks` events; `end: eof` ends the body cleanly (the SDK
    finishes silently), `abort` drops the connection. Non-streaming: a declared Content-Length,
    `after_chunks` x `stream_chunk_chars` bytes of body, then the connection is dropped."""

    type: Literal["stream_cut"]
    after_chunks: int = Field(default=3, ge=0)
    end: Literal["eof", "abort"] = "eof"

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Send part of the answer, then stop."""
        reply = ctx.default_reply()
        if ctx.chat.stream:
            return await ctx.send(reply, StreamShape(cut_after=self.after_chunks, end=self.end))
        body = ctx.completion_bytes(reply)
        response = await wire.open_stream(
            ctx.http, ctx.record, "application/json", content_length=len(body)
        )
        cut = min(len(body) - 1, self.after_chunks * ctx.chunk_chars)
        await wire.write(response, ctx.record, body[:cut])
        return ctx.drop(reset=False, outcome="body_cut")
