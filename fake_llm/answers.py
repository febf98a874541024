"""The fake's own answer to a chat request: the plan its prompt asks for, at a quality."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

from fake_llm import json_out
from fake_llm.chat_request import ChatRequest
from fake_llm.completion import Identity, Reply, completion_body
from fake_llm.plans.extract import PromptPlanRequest, read_plan_request
from fake_llm.plans.generator import PlanGenerator
from fake_llm.plans.quality import degrade
from fake_llm.settings import Quality

KeyT = TypeVar("KeyT")
ValueT = TypeVar("ValueT")


@dataclass(frozen=True)
class PlannedAnswer:
    """The valid plan for a request as JSON content, and what it was made for.

    Only the text is kept (kept dicts would give the garbage collector thousands of objects
    to walk per cached plan); `plan()` decodes a fresh copy for actions that change it.
    """

    asked: PromptPlanRequest
    content: str

    def plan(self) -> dict[str, Any]:
        """A fresh copy of the plan."""
        decoded: dict[str, Any] = orjson.loads(self.content)
        return decoded


@dataclass(frozen=True)
class RenderedAnswer:
    """A whole non-streaming answer body and the finish reason inside it."""

    body: bytes
    finish_reason: str


class LastUsed(Generic[KeyT, ValueT]):
    """A small least-recently-used store (size 0 keeps nothing)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[KeyT, ValueT] = OrderedDict()

    def get(self, key: KeyT) -> ValueT | None:
        """The value kept for `key`, if any."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def keep(self, key: KeyT, value: ValueT) -> ValueT:
        """Keep `value` for `key`, forgetting the least recently used beyond the size."""
        if self._size:
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


def plan_content(plan: dict[str, Any]) -> str:
    """A plan as the model's JSON content."""
    return json_out.dumps_text(plan)


def reasoning_for(answer: PlannedAnswer) -> str:
    """The thinking text a reasoning model shows before its answer."""
    profile, targets = answer.asked.profile, answer.asked.targets
    return (
        f"The user wants a seven-day plan as JSON. Profile: {profile.dietary_preference}, "
        f"{profile.meal_count} meals, {profile.training_days_per_week} training days. "
        f"Every day must hit {targets.total_kcal} kcal and {targets.protein_g} g protein exactly."
    )


class AnswerMaker:
    """Plans for requests; the last few plans and bodies are kept, so identical requests (same
    seed and bytes, hence the same answer) cost no regeneration."""

    def __init__(self, cache_size: int) -> None:
        self._generator = PlanGenerator()
        self._plans: LastUsed[bytes, PlannedAnswer] = LastUsed(cache_size)
        self._bodies: LastUsed[tuple[bytes, Quality], RenderedAnswer] = LastUsed(cache_size)

    def planned(self, request: ChatRequest, identity: Identity) -> PlannedAnswer:
        """The valid plan for `request` (the same for the same seed and body)."""
        cached = self._plans.get(identity.digest)
        if cached is not None:
            return cached
        asked = read_plan_request(tuple(m.text for m in request.messages))
        plan = self._generator.generate(asked.profile, asked.targets, identity.number("plan"))
        answer = PlannedAnswer(asked=asked, content=plan_content(plan))
        return self._plans.keep(identity.digest, answer)

    def reply_with(self, request: ChatRequest, answer: PlannedAnswer, content: str) -> Reply:
        """`content` as the reply to `request`, cut at its `max_tokens`."""
        reasoning = reasoning_for(answer) if request.thinking else None
        return Reply(content=content, reasoning=reasoning).fit(request.max_tokens)

    def default_reply(self, request: ChatRequest, identity: Identity, quality: Quality) -> Reply:
        """The fake's normal answer: the plan, degraded when the quality is `realistic`."""
        answer = self.planned(request, identity)
        if quality == "exact":
            return self.reply_with(request, answer, answer.content)
        degraded = degrade(answer.plan(), identity.rng("quality"))
        return self.reply_with(request, answer, plan_content(degraded))

    def default_body(
        self, request: ChatRequest, identity: Identity, quality: Quality
    ) -> RenderedAnswer:
        """The whole non-streaming body of the normal answer."""
        cached = self._bodies.get((identity.digest, quality))
        if cached is not None:
            return cached
        reply = self.default_reply(request, identity, quality)
        envelope = completion_body(request, reply, identity)
        rendered = RenderedAnswer(
            json_out.dumps(envelope), reply.finish_reason
        )
        return self._bodies.keep((identity.digest, quality), rendered)
