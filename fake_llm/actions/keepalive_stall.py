"""Keep-alive stall: blank lines (or `: keep-alive` SSE comments) instead of an answer."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field

from fake_llm import wire
from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext, StreamShape
from fake_llm.sse import KEEPALIVE_COMMENT, SSE_CONTENT_TYPE


class KeepaliveStallAction(ActionSpec):
    """200 headers at once, a keep-alive byte every `interval_ms` for `ms`, then `then`.

    `then`: `answer` sends the normal answer on the same response; `close` ends the body
    (a non-streaming client is left with blank lines only); `abort` drops the connection.
    """

    type: Literal["keepalive_stall"]
    ms: float = Field(gt=0)
    interval_ms: float = Field(default=1000, gt=0)
    then: Literal["answer", "close", "abort"] = "answer"

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Stall with keep-alive bytes, then answer, close or abort."""
        content_type = SSE_CONTENT_TYPE if ctx.chat.stream else "application/json"
        keepalive = KEEPALIVE_COMMENT if ctx.chat.stream else b"\n"
        response = await wire.open_stream(ctx.http, ctx.record, content_type)
        ctx.record.outcome = "stalling"
        remaining_s = self.ms / 1000
        while remaining_s > 0:
            await wire.write(response, ctx.record, keepalive)
            step = min(self.interval_ms / 1000, remaining_s)
            if not await ctx.pause(step):
                return ctx.end_for_shutdown()
            remaining_s -= step
        if self.then == "abort":
            return ctx.drop(reset=False, outcome="stall_aborted")
        if self.then == "close":
            await response.write_eof()
            ctx.record.finish("stall_closed")
            return response
        reply = ctx.default_reply()
        ctx.record.outcome = "stall_answered"
        if ctx.chat.stream:
            return await ctx.stream_events(response, ctx.sse_events(reply), StreamShape())
        await wire.write(response, ctx.record, ctx.completion_bytes(reply))
        await response.write_eof()
        return response
