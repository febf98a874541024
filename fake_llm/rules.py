"""Fault rules: the matcher, the rule as JSON states it, and the store that picks a rule per call.

A call is offered to the active rules in order (`priority` ascending, 1 first; then the order
they were added). Every rule whose static conditions match counts the call (for `nth`) and,
if it has a `probability`, draws from its own generator seeded by the run's seed and the
rule's definition, so adding a rule never changes another rule's draws. The first rule that
matches fully fires; after `times` firings it expires.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import uuid
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fake_llm.actions import Action
from fake_llm.chat_request import ChatRequest


class Match(BaseModel):
    """Conditions on a chat call; every condition given must hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str | None = Field(
        default=None, description="`/chat/completions` matches with or without `/v1`"
    )
    model: str | None = None
    stage: Literal[1, 2] | None = None
    user: str | None = Field(default=None, description="body `user` field or prompt `USER:` line")
    stream: bool | None = None
    body_regex: str | None = None
    nth: int | list[int] | None = Field(
        default=None, description="1-based, among calls matching the rest"
    )
    probability: float | None = Field(default=None, ge=0, le=1)

    @field_validator("body_regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a valid regular expression: {error}") from error
        return value

    @field_validator("nth")
    @classmethod
    def _positive(cls, value: int | list[int] | None) -> int | list[int] | None:
        numbers = [value] if isinstance(value, int) else value or []
        if any(number < 1 for number in numbers):
            raise ValueError("call numbers start at 1")
        return value

    def holds_statically(self, path: str, chat: ChatRequest) -> bool:
        """Every condition but `nth` and `probability`."""
        return (
            (self.path is None or self.path in (path, path.removeprefix("/v1")))
            and (self.model is None or self.model == chat.model.id)
            and (self.stage is None or self.stage == chat.stage)
            and (self.user is None or chat.mentions_user(self.user))
            and (self.stream is None or self.stream == chat.stream)
            and (
                self.body_regex is None
                or re.search(self.body_regex, chat.raw.decode("utf-8", "replace")) is not None
            )
        )

    def wants_call(self, number: int) -> bool:
        """Whether the `number`-th statically matching call is one `nth` selects."""
        if self.nth is None:
            return True
        return number in (self.nth if isinstance(self.nth, list) else [self.nth])


class FaultRule(BaseModel):
    """A rule: when `match` holds, `action` answers the call, at most `times` times."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    match: Match = Match()
    action: Action
    times: int | None = Field(default=None, ge=1)
    priority: int = Field(default=5, ge=1)


class RuleView(BaseModel):
    """A stored rule as the admin API lists it."""

    model_config = ConfigDict(frozen=True)

    id: str
    rule: FaultRule
    hits: int
    matched_calls: int
    expired: bool


def rule_seed(run_seed: int, rule: FaultRule, duplicate: int) -> bytes:
    """The seed of a rule's generators: the run seed and the rule's own definition."""
    definition = json.dumps(rule.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(f"{run_seed}\n{duplicate}\n{definition}".encode()).digest()


@dataclass
class StoredRule:
    """A rule in the store, with its counters and seeded generators."""

    id: str
    order: int
    rule: FaultRule
    match_rng: random.Random
    action_rng: random.Random
    hits: int = 0
    matched_calls: int = 0
    duplicate: int = field(default=0)

    @property
    def expired(self) -> bool:
        """Whether the rule has fired `times` times."""
        return self.rule.times is not None and self.hits >= self.rule.times

    def view(self) -> RuleView:
        """This rule as the admin API lists it."""
        return RuleView(
            id=self.id,
            rule=self.rule,
            hits=self.hits,
            matched_calls=self.matched_calls,
            expired=self.expired,
        )


class RuleStore:
    """The rules of one server, in firing order."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rules: list[StoredRule] = []
        self._next_order = 0

    def _seeded(self, rule: FaultRule, duplicate: int) -> tuple[random.Random, random.Random]:
        seed = rule_seed(self._seed, rule, duplicate)
        return random.Random(seed + b"match"), random.Random(seed + b"action")

    def add(self, rule: FaultRule) -> StoredRule:
        """Store `rule` after the rules of the same priority."""
        duplicate = sum(1 for stored in self._rules if stored.rule == rule)
        match_rng, action_rng = self._seeded(rule, duplicate)
        stored = StoredRule(
            id=str(uuid.uuid4()),
            order=self._next_order,
            rule=rule,
            match_rng=match_rng,
            action_rng=action_rng,
            duplicate=duplicate,
        )
        self._next_order += 1
        self._rules.append(stored)
        self._rules.sort(key=lambda r: (r.rule.priority, r.order))
        return stored

    def get(self, rule_id: str) -> StoredRule | None:
        """The rule with `rule_id`, if stored."""
        return next((r for r in self._rules if r.id == rule_id), None)

    def remove(self, rule_id: str) -> bool:
        """Delete one rule; False when there was none with that id."""
        before = len(self._rules)
        self._rules = [r for r in self._rules if r.id != rule_id]
        return len(self._rules) != before

    def clear(self) -> None:
        """Delete every rule."""
        self._rules.clear()

    def views(self) -> list[RuleView]:
        """Every stored rule, in firing order."""
        return [r.view() for r in self._rules]

    def reseed(self, seed: int) -> None:
        """Use a new run seed: every rule's generators restart from it."""
        self._seed = seed
        for stored in self._rules:
            stored.match_rng, stored.action_rng = self._seeded(stored.rule, stored.duplicate)

    def select(self, path: str, chat: ChatRequest) -> StoredRule | None:
        """The rule that fires for this call, after every matching rule has counted it."""
        chosen: StoredRule | None = None
        for stored in self._rules:
            if stored.expired or not stored.rule.match.holds_statically(path, chat):
                continue
            stored.matched_calls += 1
            if not stored.rule.match.wants_call(stored.matched_calls):
                continue
            probability = stored.rule.match.probability
            if probability is not None and stored.match_rng.random() >= probability:
                continue
            if chosen is None:
                chosen = stored
        if chosen is not None:
            chosen.hits += 1
        return chosen
