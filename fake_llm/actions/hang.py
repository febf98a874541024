"""Hang: accept the call and never answer (until the client gives up or the server stops)."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field

from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext


class HangAction(ActionSpec):
    """Send nothing; with `ms`, close the connection after that long without a response."""

    type: Literal["hang"]
    ms: float | None = Field(default=None, gt=0)

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Wait without a byte; end at `ms`, at client disconnect (cancellation) or at shutdown."""
        ctx.record.outcome = "hanging"
        if self.ms is None:
            await ctx.shutdown.wait()
            return ctx.end_for_shutdown()
        if not await ctx.pause(self.ms / 1000):
            return ctx.end_for_shutdown()
        return ctx.drop(reset=False, outcome="hang_closed")
