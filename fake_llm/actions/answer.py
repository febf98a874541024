"""Answer: the normal answer, with this rule's answer quality instead of the server's setting.

Lets one scenario ask for `realistic` answers for its own users while others sharing the fake
keep theirs (the `quality` setting is global).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from aiohttp import web

from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext
from fake_llm.settings import Quality


class AnswerAction(ActionSpec):
    """Answer normally, rendered at `quality`."""

    type: Literal["answer"]
    quality: Quality

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Send the default answer at this rule's quality."""
        return await replace(ctx, quality=self.quality).send_default()
