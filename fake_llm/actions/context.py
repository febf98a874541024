"""What every fault action works with: the call, the default answer, ways to send or end."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from fake_llm import json_out, wire
from fake_llm.answers import AnswerMaker
from fake_llm.chat_request import ChatRequest
from fake_llm.completion import Identity, Reply, completion_body
from fake_llm.errors import error_body
from fake_llm.journal import CallRecord
from fake_llm.settings import Quality
from fake_llm.sse import DONE_EVENT, SSE_CONTENT_TYPE, encode_event, stream_chunks

StreamEnd = Literal["eof", "abort"]


@dataclass(frozen=True)
class StreamShape:
    """How a streamed answer is paced and how it ends."""

    chunk_delay_s: float = 0.0
    cut_after: int | None = None
    end: StreamEnd = "eof"
    error_status: int | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class ActionContext:
    """One chat call being answered, and the tools an action uses to answer it."""

    http: web.Request
    chat: ChatRequest
    identity: Identity
    record: CallRecord
    answers: AnswerMaker
    quality: Quality
    chunk_chars: int
    shutdown: asyncio.Event
    rule_rng: random.Random | None

    def draws(self) -> random.Random:
        """The random generator of the firing rule (seeded by the run), else one for this call."""
        return self.rule_rng if self.rule_rng is not None else self.identity.rng("draws")

    async def pause(self, seconds: float) -> bool:
        """Wait `seconds`; False when the server started shutting down meanwhile."""
        if self.shutdown.is_set():
            return False
        if seconds <= 0:
            return True
        try:
            async with asyncio.timeout(seconds):
                await self.shutdown.wait()
        except TimeoutError:
            return True
        return False

    def default_reply(self) -> Reply:
        """The fake's normal reply to this call."""
        return self.answers.default_reply(self.chat, self.identity, self.quality)

    def completion_bytes(self, reply: Reply) -> bytes:
        """The non-streaming body carrying `reply`."""
        self.record.finish_reason = reply.finish_reason
        return json_out.dumps(completion_body(self.chat, reply, self.identity))

    def sse_events(self, reply: Reply) -> list[bytes]:
        """The SSE events carrying `reply`, without `[DONE]`."""
        self.record.finish_reason = reply.finish_reason
        return [
            encode_event(c)
            for c in stream_chunks(self.chat, reply, self.identity, self.chunk_chars)
        ]

    def end_for_shutdown(self) -> web.StreamResponse:
        """Close the connection because the server is stopping."""
        wire.drop_connection(self.http, reset=False)
        self.record.finish("server_shutdown")
        return wire.nothing_sent()

    def drop(self, *, reset: bool, outcome: str) -> web.StreamResponse:
        """Close the connection without (the rest of) a response."""
        wire.drop_connection(self.http, reset=reset)
        self.record.finish(outcome)
        return wire.nothing_sent()

    async def send_default(self) -> web.StreamResponse:
        """Answer normally (non-streaming bodies come ready-made for repeated requests)."""
        if self.chat.stream:
            return await self.send(self.default_reply())
        rendered = self.answers.default_body(self.chat, self.identity, self.quality)
        self.record.finish_reason = rendered.finish_reason
        return wire.body_response(self.record, 200, rendered.body)

    async def send(self, reply: Reply, shape: StreamShape | None = None) -> web.StreamResponse:
        """Answer with `reply`, streamed when the request asked for a stream."""
        if self.chat.stream:
            response = await wire.open_stream(self.http, self.record, SSE_CONTENT_TYPE)
            return await self.stream_events(
                response, self.sse_events(reply), shape or StreamShape()
            )
        return wire.body_response(self.record, 200, self.completion_bytes(reply))

    async def stream_events(
        self, response: web.StreamResponse, events: Sequence[bytes], shape: StreamShape
    ) -> web.StreamResponse:
        """Write `events` on an open SSE response with `shape`'s pacing and ending."""
        for index, event in enumerate(events):
            if shape.cut_after is not None and index >= shape.cut_after:
                return await self._end_early(response, shape)
            if index and shape.chunk_delay_s and not await self.pause(shape.chunk_delay_s):
                return self.end_for_shutdown()
            await wire.write(response, self.record, event)
        await wire.write(response, self.record, DONE_EVENT)
        await response.write_eof()
        return response

    async def _end_early(
        self, response: web.StreamResponse, shape: StreamShape
    ) -> web.StreamResponse:
        if shape.error_status is not None:
            await wire.write(
                response,
                self.record,
                encode_event(error_body(shape.error_status, shape.error_message)),
            )
            self.record.outcome = "stream_error_event"
        if shape.end == "abort":
            return self.drop(reset=False, outcome="stream_aborted")
        await response.write_eof()
        if shape.error_status is None:
            self.record.outcome = "stream_cut"
        return response
