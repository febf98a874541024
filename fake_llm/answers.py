"""The fake's own answer to a chat request: the plan its prompt asks for, at a quality."""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from fake_llm.chat_request import ChatRequest
from fake_llm.completion import Identity, Reply
from fake_llm.plans.extract import PromptPlanRequest, read_plan_request
from fake_llm.plans.generator import PlanGenerator
from fake_llm.plans.quality import degrade
from fake_llm.settings import Quality


@dataclass(frozen=True)
class PlannedAnswer:
    """The valid plan for a request and what it was made for."""

    asked: PromptPlanRequest
    plan: dict[str, Any]


def plan_content(plan: dict[str, Any]) -> str:
    """A plan as the model's JSON content."""
    return json.dumps(plan, ensure_ascii=False)


def reasoning_for(answer: PlannedAnswer) -> str:
    """The thinking text a reasoning model shows before its answer."""
    profile, targets = answer.asked.profile, answer.asked.targets
    return (
        f"The user wants a seven-day plan as JSON. Profile: {profile.dietary_preference}, "
        f"{profile.meal_count} meals, {profile.training_days_per_week} training days. "
        f"Every day must hit {targets.total_kcal} kcal and {targets.protein_g} g protein exactly."
    )


class AnswerMaker:
    """Plans for requests, with the last few kept so identical requests cost no regeneration."""

    def __init__(self, cache_size: int) -> None:
        self._generator = PlanGenerator()
        self._cache_size = cache_size
        self._cache: OrderedDict[bytes, PlannedAnswer] = OrderedDict()

    def planned(self, request: ChatRequest, identity: Identity) -> PlannedAnswer:
        """The valid plan for `request` (the same for the same seed and body)."""
        cached = self._cache.get(identity.digest)
        if cached is not None:
            self._cache.move_to_end(identity.digest)
            return cached
        asked = read_plan_request(tuple(m.text for m in request.messages))
        plan = self._generator.generate(asked.profile, asked.targets, identity.number("plan"))
        answer = PlannedAnswer(asked=asked, plan=plan)
        if self._cache_size:
            self._cache[identity.digest] = answer
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return answer

    def reply_with(
        self, request: ChatRequest, answer: PlannedAnswer, plan: dict[str, Any]
    ) -> Reply:
        """`plan` as the reply to `request`, cut at its `max_tokens`."""
        reasoning = reasoning_for(answer) if request.thinking else None
        return Reply(content=plan_content(plan), reasoning=reasoning).fit(request.max_tokens)

    def default_reply(self, request: ChatRequest, identity: Identity, quality: Quality) -> Reply:
        """The fake's normal answer: the plan, degraded when the quality is `realistic`."""
        answer = self.planned(request, identity)
        plan = answer.plan if quality == "exact" else degrade(answer.plan, identity.rng("quality"))
        return self.reply_with(request, answer, plan)
