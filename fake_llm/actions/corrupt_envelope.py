"""Corrupt envelope: a 200 whose body (or SSE event) is not a usable `chat.completion` object."""

from __future__ import annotations

import json
from typing import Literal

from aiohttp import web

from fake_llm import wire
from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext
from fake_llm.sse import SSE_CONTENT_TYPE


class CorruptEnvelopeAction(ActionSpec):
    """`truncated`: the JSON envelope cut in half; `garbage`: bytes that are not JSON;
    `missing_choices`: valid JSON without `choices`. Streams get one such event after the first."""

    type: Literal["corrupt_envelope"]
    variant: Literal["truncated", "garbage", "missing_choices"] = "truncated"

    def _corrupt(self, whole: bytes, ctx: ActionContext) -> bytes:
        match self.variant:
            case "truncated":
                return whole[: len(whole) // 2]
            case "garbage":
                return bytes(ctx.draws().choice(b"<>{}[]@#~abcxyz0123") for _ in range(64))
            case "missing_choices":
                envelope = json.loads(whole)
                del envelope["choices"]
                return json.dumps(envelope).encode()

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Send the corrupt body or event."""
        ctx.record.outcome = f"corrupt_envelope_{self.variant}"
        reply = ctx.default_reply()
        if not ctx.chat.stream:
            body = self._corrupt(ctx.completion_bytes(reply), ctx)
            ctx.record.finish_reason = None
            return wire.body_response(ctx.record, 200, body)
        events = ctx.sse_events(reply)
        ctx.record.finish_reason = None
        second = events[1][len(b"data: ") : -2]
        response = await wire.open_stream(ctx.http, ctx.record, SSE_CONTENT_TYPE)
        await wire.write(response, ctx.record, events[0])
        await wire.write(response, ctx.record, b"data: " + self._corrupt(second, ctx) + b"\n\n")
        await response.write_eof()
        return response
