"""Connection reset: a TCP RST instead of an answer (WireMock/Toxiproxy reset_peer)."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field

from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext


class ConnectionResetAction(ActionSpec):
    """Reset the connection after `after_ms` without sending a byte."""

    type: Literal["connection_reset"]
    after_ms: float = Field(default=0, ge=0)

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Wait, then reset."""
        if not await ctx.pause(self.after_ms / 1000):
            return ctx.end_for_shutdown()
        return ctx.drop(reset=True, outcome="connection_reset")
