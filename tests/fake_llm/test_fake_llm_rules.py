"""The rule store: order, priority, nth, times, user and stage matching, seeded probability."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from fake_llm.chat_request import ChatRequest, parse_chat_request
from fake_llm.rules import FaultRule, RuleStore
from tests.fake_llm.fake_llm_support import USER_ID, plan_messages

ERROR_500 = {"type": "http_error", "status": 500}


def chat(stage: int = 1, user: str = USER_ID, **extra: Any) -> ChatRequest:
    body = {"model": "deepseek-chat", "messages": plan_messages(stage=stage, user=user), **extra}
    return parse_chat_request(json.dumps(body).encode())


def rule(**fields: Any) -> FaultRule:
    return FaultRule.model_validate({"action": ERROR_500, **fields})


def fired(store: RuleStore, calls: int, request: ChatRequest | None = None) -> list[str | None]:
    request = request or chat()
    return [
        (chosen.rule.name if (chosen := store.select("/chat/completions", request)) else None)
        for _ in range(calls)
    ]


def test_priority_then_insertion_order() -> None:
    store = RuleStore(seed=0)
    store.add(rule(name="late"))
    store.add(rule(name="urgent", priority=1))
    store.add(rule(name="later"))
    assert fired(store, 1) == ["urgent"]
    assert [view.rule.name for view in store.views()] == ["urgent", "late", "later"]


def test_times_expires_a_rule_and_the_next_one_fires() -> None:
    store = RuleStore(seed=0)
    store.add(rule(name="twice", times=2))
    store.add(rule(name="always"))
    assert fired(store, 4) == ["twice", "twice", "always", "always"]


def test_nth_counts_calls_matching_the_rest_of_the_rule() -> None:
    store = RuleStore(seed=0)
    store.add(rule(name="second-stage-2", match={"stage": 2, "nth": 2}))
    store.add(rule(name="third-and-fifth", match={"nth": [3, 5]}))
    sequence = [chat(stage=1), chat(stage=2), chat(stage=1), chat(stage=2), chat(stage=1)]
    outcomes = [
        chosen.rule.name if (chosen := store.select("/chat/completions", request)) else None
        for request in sequence
    ]
    assert outcomes == [None, None, "third-and-fifth", "second-stage-2", "third-and-fifth"]


def test_user_matches_the_body_field_or_the_prompt_line() -> None:
    store = RuleStore(seed=0)
    store.add(rule(name="u", match={"user": "body-user"}))
    assert fired(store, 1, chat(user="prompt-user")) == [None]
    body_user = parse_chat_request(
        json.dumps(
            {"model": "deepseek-chat", "messages": plan_messages(user="other"), "user": "body-user"}
        ).encode()
    )
    assert fired(store, 1, body_user) == ["u"]
    assert fired(store, 1, chat(user="body-user")) == ["u"]


def test_stage_matcher_never_matches_a_prompt_without_stage() -> None:
    store = RuleStore(seed=0)
    store.add(rule(name="stage-1", match={"stage": 1}))
    no_stage = parse_chat_request(
        b'{"model": "deepseek-chat", "messages": [{"role": "user", "content": "hello"}]}'
    )
    assert no_stage.stage is None
    assert fired(store, 1, no_stage) == [None]


def test_path_model_stream_and_body_regex() -> None:
    store = RuleStore(seed=0)
    store.add(
        rule(
            name="all",
            match={
                "path": "/chat/completions",
                "model": "deepseek-chat",
                "stream": True,
                "body_regex": "Vegetarian",
            },
        )
    )
    assert fired(store, 1, chat()) == [None]
    streaming = chat(stream=True)
    assert store.select("/v1/chat/completions", streaming) is not None
    assert store.select("/models", streaming) is None


def probability_pattern(seed: int, extra_rules: list[FaultRule]) -> list[bool]:
    store = RuleStore(seed=seed)
    for extra in extra_rules:
        store.add(extra)
    store.add(rule(name="coin", match={"probability": 0.5}))
    return [name == "coin" for name in fired(store, 40)]


def test_probability_is_reproducible_under_a_seed() -> None:
    first = probability_pattern(7, [])
    assert probability_pattern(7, []) == first
    assert 5 < sum(first) < 35
    assert probability_pattern(8, []) != first


def test_another_rule_does_not_change_a_rules_draws() -> None:
    other = rule(name="other", priority=9, match={"probability": 0.3})
    assert probability_pattern(7, [other]) == probability_pattern(7, [])


def test_reseed_restarts_the_draws() -> None:
    store = RuleStore(seed=1)
    store.add(rule(name="coin", match={"probability": 0.5}))
    first = fired(store, 30)
    store.reseed(1)
    assert fired(store, 30) == first


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"action": {"type": "http_error", "status": 418}}, "status"),
        ({"action": {"type": "teleport"}}, "action"),
        ({"action": ERROR_500, "match": {"probability": 1.5}}, "probability"),
        ({"action": ERROR_500, "match": {"body_regex": "("}}, "body_regex"),
        ({"action": ERROR_500, "match": {"nth": 0}}, "nth"),
        ({"action": ERROR_500, "times": 0}, "times"),
        ({"action": ERROR_500, "colour": "red"}, "colour"),
        ({"action": {"type": "delay"}}, "exactly one"),
    ],
)
def test_bad_rules_name_the_field(fields: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as raised:
        FaultRule.model_validate(fields)
    assert where in str(raised.value)
