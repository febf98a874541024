"""The `/__admin` API through the control clients (sync and async) and raw HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import openai
import pytest

from fake_llm.control import AsyncFakeLLMControl, ControlError, FakeLLMControl
from fake_llm.presets import preset_names
from fake_llm.server import FakeDeepSeek
from tests.fake_llm.fake_llm_support import USER_ID, AsyncClientFactory, plan_messages

ERROR_503 = {"type": "http_error", "status": 503}


@pytest.fixture
async def control(fake: FakeDeepSeek) -> AsyncIterator[AsyncFakeLLMControl]:
    async with AsyncFakeLLMControl(fake.url) as client:
        yield client


async def test_fault_lifecycle(control: AsyncFakeLLMControl) -> None:
    first = await control.add_fault({"name": "a", "action": ERROR_503})
    second = await control.add_fault({"name": "b", "action": ERROR_503, "priority": 1})
    assert [view.id for view in await control.faults()] == [second, first]
    await control.delete_fault(first)
    assert [view.rule.name for view in await control.faults()] == ["b"]
    with pytest.raises(ControlError) as raised:
        await control.delete_fault(first)
    assert raised.value.status == 404
    await control.clear_faults()
    assert await control.faults() == []


async def test_bad_rule_gets_422_naming_the_field(fake: FakeDeepSeek) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as client:
        response = await client.post(
            "/__admin/faults", json={"action": {"type": "http_error", "status": 418}}
        )
        not_json = await client.post(
            "/__admin/faults", content=b"{oops", headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 422
    fields = [detail["field"] for detail in response.json()["details"]]
    assert fields == ["action.http_error.status"]
    assert not_json.status_code == 400
    assert fake.faults() == []


async def test_unknown_preset_is_404_listing_known_ones(control: AsyncFakeLLMControl) -> None:
    with pytest.raises(ControlError) as raised:
        await control.load_preset("sunny")
    assert raised.value.status == 404
    for name in ("healthy", "flaky", "overloaded", "quota_exhausted", "malformed", "chaos"):
        assert name in str(raised.value)


async def test_presets_replace_or_append(
    control: AsyncFakeLLMControl, async_client: AsyncClientFactory
) -> None:
    listed = {preset["name"]: preset["rules"] for preset in await control.presets()}
    assert set(listed) == set(preset_names())
    await control.add_fault({"action": ERROR_503})
    loaded = await control.load_preset("quota_exhausted")
    assert [view.id for view in await control.faults()] == loaded
    with pytest.raises(openai.APIStatusError) as raised:
        await async_client().chat.completions.create(model="deepseek-chat", messages=plan_messages())
    assert raised.value.status_code == 402
    await control.load_preset("flaky", replace=False)
    assert len(await control.faults()) == listed["quota_exhausted"] + listed["flaky"]
    await control.load_preset("healthy")
    assert await control.faults() == []


async def test_journal_filters_and_reset(
    control: AsyncFakeLLMControl, async_client: AsyncClientFactory
) -> None:
    client = async_client()
    rule_id = await control.add_fault({"match": {"stage": 2, "nth": 1}, "action": ERROR_503})
    for stage in (1, 2, 2):
        with contextlib.suppress(openai.InternalServerError):
            await client.chat.completions.create(model="deepseek-chat", messages=plan_messages(stage=stage))
    assert await control.count(user=USER_ID, stage=2) == 2
    assert [e.status for e in await control.journal(user=USER_ID, stage=2)] == [503, 200]
    assert [e.rule_id for e in await control.journal(rule=rule_id)] == [rule_id]
    newest = await control.journal(limit=1)
    assert len(newest) == 1 and newest[0].stage == 2
    assert await control.count(since_seq=newest[0].seq) == 0
    await control.clear_journal()
    assert await control.count() == 0
    await control.reset()
    assert await control.faults() == []
    with pytest.raises(ValueError, match="stage"):
        await control.journal(stage="first")


async def test_bad_journal_query_is_422(fake: FakeDeepSeek) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as client:
        response = await client.get("/__admin/requests", params={"stage": "first"})
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "stage"


async def test_settings_change_seed_latency_and_quality(
    control: AsyncFakeLLMControl, async_client: AsyncClientFactory
) -> None:
    client = async_client()
    before = await client.chat.completions.create(model="deepseek-chat", messages=plan_messages())
    settings = await control.settings(seed=99, latency_ms=30, quality="realistic")
    assert (settings.seed, settings.latency_ms, settings.quality) == (99, 30, "realistic")
    assert await control.settings() == settings
    after = await client.chat.completions.create(model="deepseek-chat", messages=plan_messages())
    assert after.id != before.id
    durations = [e.duration_ms for e in await control.journal()]
    assert durations[-1] is not None and durations[-1] >= 30


async def test_unknown_setting_is_422(fake: FakeDeepSeek) -> None:
    async with httpx.AsyncClient(base_url=fake.url) as client:
        response = await client.patch("/__admin/settings", json={"speed": 1})
        negative = await client.post("/__admin/settings", json={"latency_ms": -1})
    assert response.status_code == 422 and response.json()["details"][0]["field"] == "speed"
    assert negative.status_code == 422 and negative.json()["details"][0]["field"] == "latency_ms"
    assert fake.state.runtime.latency_ms == 0


async def test_health(control: AsyncFakeLLMControl) -> None:
    health = await control.health()
    assert health["status"] == "ok" and health["rules"] == 0


async def test_sync_control_client(fake: FakeDeepSeek) -> None:
    def drive() -> tuple[str, int, list[str]]:
        with FakeLLMControl(fake.url) as control:
            rule_id = control.add_fault({"action": ERROR_503, "times": 1})
            control.settings(latency_ms=5)
            loaded = control.load_preset("malformed", replace=False)
            names = [view.rule.name or "" for view in control.faults()]
            control.reset()
            return rule_id, len(loaded), names

    rule_id, loaded, names = await asyncio.to_thread(drive)
    assert loaded == 7
    assert names[0] == "" and all(name.startswith("malformed-") for name in names[1:])
    assert fake.faults() == [] and fake.state.runtime.latency_ms == 5
    assert rule_id
