"""The base of every action's JSON spec: strict, frozen, and able to act on a call."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from fake_llm.actions.context import ActionContext


class ActionSpec(BaseModel):
    """An action as a rule states it; `perform` answers (or refuses to answer) one call."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Answer the call in `ctx` the way this fault does."""
        raise NotImplementedError
