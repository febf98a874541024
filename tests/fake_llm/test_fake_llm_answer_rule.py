"""An `answer` rule renders the normal answer at its own quality, for its users only."""

from __future__ import annotations

from fake_llm.server import FakeDeepSeek
from tests.fake_llm.fake_llm_support import TARGETS, AsyncClientFactory, plan_messages


async def _content(async_client: AsyncClientFactory, user: str) -> str:
    reply = await async_client().chat.completions.create(
        model="deepseek-chat",
        messages=plan_messages(targets=TARGETS, stage=2, user=user),
        response_format={"type": "json_object"},
    )
    return reply.choices[0].message.content or ""


async def test_the_rule_changes_the_quality_for_its_user_only(
    fake: FakeDeepSeek, async_client: AsyncClientFactory
) -> None:
    exact_a = await _content(async_client, "user-a")
    exact_b = await _content(async_client, "user-b")
    fake.add_fault({"match": {"user": "user-a"}, "action": {"type": "answer", "quality": "realistic"}})

    realistic_a = await _content(async_client, "user-a")
    still_exact_b = await _content(async_client, "user-b")

    assert realistic_a != exact_a, "the rule's quality changed user a's answer"
    assert still_exact_b == exact_b, "user b is untouched"
