"""Fixtures for the pipeline's unit tests: profiles, targets, valid plans, a mocked DeepSeek.

The test folders have no `__init__.py` on purpose: a `tests/reference_impl` package
would shadow the real `reference_impl` package under pytest's default import mode.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from reference_impl.pipeline.profile import Profile, parse_profile
from reference_impl.pipeline.settings import PipelineSettings
from reference_impl.pipeline.targets import Targets

DEEPSEEK_BASE_URL = "https://deepseek.test"
API_KEY = "sk-test-0123456789abcdef"
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

PlanFactory = Callable[..., dict[str, Any]]
SettingsFactory = Callable[..., PipelineSettings]


@pytest.fixture
def profile_data() -> dict[str, Any]:
    """A complete, valid profile as the app sends it."""
    return {
        "age": 30,
        "sex": "male",
        "heightCm": 180,
        "weightKg": 80,
        "goal": "fat_loss",
        "activityLevel": "moderate",
        "trainingDaysPerWeek": 3,
        "equipment": ["dumbbells", "pull-up bar"],
        "dietaryPreference": "Vegetarian",
        "mealCount": 4,
        "avoidExercises": ["Barbell Back Squat"],
        "supplements": ["creatine", "vitamin D"],
    }


@pytest.fixture
def profile(profile_data: dict[str, Any]) -> Profile:
    return parse_profile(profile_data)


@pytest.fixture
def targets() -> Targets:
    """Targets used with `profile`; their exact values do not matter to plan checks."""
    return Targets(total_kcal=2210, protein_g=160)


@pytest.fixture
def make_plan(profile: Profile, targets: Targets) -> PlanFactory:
    """Build a plan that satisfies every rule for `profile` and `targets`, then apply edits.

    Keyword arguments replace whole days (`monday=None` removes the day).
    """

    def training_day(focus: str) -> dict[str, Any]:
        return {
            "focus": focus,
            "durationMin": 45,
            "blocks": [
                {
                    "name": "Main",
                    "items": [
                        {"exercise": "Goblet Squat", "sets": 3, "reps": 10, "restSec": 90},
                        {"exercise": "Pull-up", "sets": 3, "reps": "6-8", "restSec": 120},
                    ],
                }
            ],
        }

    def day(index: int) -> dict[str, Any]:
        trains = index < profile.trainingDaysPerWeek
        meals = [
            {
                "name": f"Meal {number + 1}",
                "items": [{"food": "Paneer with rice", "qty": "200 g"}],
                "kcal": targets.total_kcal // profile.mealCount,
                "protein_g": targets.protein_g // profile.mealCount,
            }
            for number in range(profile.mealCount)
        ]
        return {
            "workout": training_day("Full body")
            if trains
            else {"focus": "Rest", "durationMin": 0, "blocks": []},
            "nutrition": {
                "total_kcal": targets.total_kcal,
                "protein_g": targets.protein_g,
                "meals": meals,
            },
            "recovery": {
                "mobility": ["Hip openers"],
                "sleep": ["8 hours"],
                "supplementCard": {"current": list(profile.supplements), "addOns": []},
            },
            "reason": "Training day." if trains else "Rest day.",
        }

    def build(**day_overrides: dict[str, Any] | None) -> dict[str, Any]:
        days: dict[str, Any] = {name: day(index) for index, name in enumerate(WEEK)}
        for name, replacement in day_overrides.items():
            if replacement is None:
                del days[name]
            else:
                days[name] = replacement
        return {"days": days}

    return build


@pytest.fixture
def valid_plan(make_plan: PlanFactory) -> dict[str, Any]:
    return make_plan()


@pytest.fixture
def make_settings() -> SettingsFactory:
    """Settings pointing at the mocked DeepSeek, with small timeouts unless overridden."""

    def build(**overrides: Any) -> PipelineSettings:
        values: dict[str, Any] = {
            "api_key": API_KEY,
            "base_url": DEEPSEEK_BASE_URL,
            "attempt_timeout_ms": 2_000,
            "call_timeout_ms": 1_000,
            "in_call_retries": 2,
            "retry_backoff_ms": 1,
            "max_tokens": 4000,
        }
        values.update(overrides)
        return PipelineSettings(**values)

    return build


@pytest.fixture
def deepseek_api() -> Iterator[respx.MockRouter]:
    """A respx router standing in for DeepSeek at `DEEPSEEK_BASE_URL`."""
    with respx.mock(base_url=DEEPSEEK_BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def _completion(content: str | None, finish_reason: str | None = "stop") -> dict[str, Any]:
    """A DeepSeek non-streaming chat completion envelope."""
    return {
        "id": "00000000-0000-0000-0000-000000000001",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "deepseek-chat",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _completion_response(plan: object, finish_reason: str = "stop") -> httpx.Response:
    """A 200 answer whose content is `plan` as JSON text (or `plan` itself when a string)."""
    content = plan if isinstance(plan, str) else json.dumps(plan)
    return httpx.Response(200, json=_completion(content, finish_reason))


def _deepseek_error(status: int, message: str, **headers: str) -> httpx.Response:
    """A DeepSeek error answer in its OpenAI-style error body."""
    body = {"error": {"message": message, "type": "error", "param": None, "code": None}}
    return httpx.Response(status, json=body, headers=headers)


class DribbleStream(httpx.AsyncByteStream):
    """A response body that sends `filler` every `interval_ms` for `duration_ms`, then `tail`.

    It imitates DeepSeek's non-streaming keep-alive: blank lines while the request
    waits, then (if the test lets it get that far) the real body.
    """

    def __init__(
        self, *, interval_ms: float, duration_ms: float, filler: bytes = b"\n", tail: bytes = b""
    ) -> None:
        self.interval_ms = interval_ms
        self.duration_ms = duration_ms
        self.filler = filler
        self.tail = tail
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + self.duration_ms / 1000
        while loop.time() < ends_at:
            self.sent += len(self.filler)
            yield self.filler
            await asyncio.sleep(self.interval_ms / 1000)
        if self.tail:
            self.sent += len(self.tail)
            yield self.tail


@pytest.fixture
def completion_response() -> Callable[..., httpx.Response]:
    """Factory of 200 answers: `completion_response(plan_or_text, finish_reason="stop")`."""
    return _completion_response


@pytest.fixture
def deepseek_error() -> Callable[..., httpx.Response]:
    """Factory of DeepSeek error answers: `deepseek_error(status, message, **headers)`."""
    return _deepseek_error


@pytest.fixture
def dribble() -> type[DribbleStream]:
    """The keep-alive body class, for `httpx.Response(200, stream=dribble(...))`."""
    return DribbleStream
