"""Malformed content: a well-formed completion whose `content` is not the JSON plan."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from aiohttp import web
from pydantic import Field

from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext
from fake_llm.completion import Reply

ContentVariant = Literal["truncated", "fenced", "prose_wrapped", "blank", "empty", "not_json"]


class MalformedContentAction(ActionSpec):
    """Replace the plan content by one of DeepSeek's JSON-mode failures.

    `truncated`: the JSON cut at `keep_fraction` with `finish_reason: length`; `fenced`: in a
    ```json fence; `prose_wrapped`: between sentences; `blank`: only spaces (JSON mode's
    replacement of unrecognisable output), finish `stop`; `empty`: ""; `not_json`: prose only.
    """

    type: Literal["malformed_content"]
    variant: ContentVariant
    keep_fraction: float = Field(default=0.5, gt=0, lt=1)

    def malform(self, reply: Reply) -> Reply:
        """`reply` with its content malformed as this variant says."""
        content = reply.content
        match self.variant:
            case "truncated":
                return replace(
                    reply,
                    content=content[: int(len(content) * self.keep_fraction)],
                    finish_reason="length",
                )
            case "fenced":
                return replace(reply, content=f"```json\n{content}\n```")
            case "prose_wrapped":
                return replace(
                    reply,
                    content=f"Here is your weekly plan:\n\n{content}\n\nWant changes?",
                )
            case "blank":
                return replace(reply, content=" " * max(1, len(content) // 40))
            case "empty":
                return replace(reply, content="")
            case "not_json":
                return replace(
                    reply,
                    content="I'm sorry, I can't produce a plan right now. Try a balanced diet "
                    "and three workouts a week.",
                )

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Send the malformed reply."""
        ctx.record.outcome = f"malformed_{self.variant}"
        return await ctx.send(self.malform(ctx.default_reply()))
