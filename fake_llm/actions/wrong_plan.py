"""Wrong plan: valid JSON, but a plan that breaks one rule of docs/contract.md "Targets and the plan"."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field

from fake_llm.actions.base import ActionSpec
from fake_llm.actions.context import ActionContext
from fake_llm.answers import plan_content
from fake_llm.plans.mutations import Defect, apply_defect

DayName = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class WrongPlanAction(ActionSpec):
    """Answer with the plan for the prompt carrying `defect` on `day` (hash-chosen if not given)."""

    type: Literal["wrong_plan"]
    defect: Defect
    day: DayName | None = None
    percent: float = Field(default=15.0, description="kcal_off / protein_off: how far off")
    food: str | None = Field(default=None, description="diet_violation: the food added")
    exercise: str | None = Field(default=None, description="avoided_exercise: the exercise added")

    async def perform(self, ctx: ActionContext) -> web.StreamResponse:
        """Send the wrong plan."""
        answer = ctx.answers.planned(ctx.chat, ctx.identity)
        wrong = apply_defect(
            answer.plan(),
            self.defect,
            answer.asked.profile,
            ctx.identity.rng(f"defect:{self.defect}"),
            day=self.day,
            percent=self.percent,
            food=self.food,
            exercise=self.exercise,
        )
        ctx.record.outcome = f"wrong_plan_{self.defect}"
        return await ctx.send(ctx.answers.reply_with(ctx.chat, answer, plan_content(wrong)))
