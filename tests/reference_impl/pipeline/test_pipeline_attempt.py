"""One attempt end to end against a respx-mocked DeepSeek: result, and every failure path."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from reference_impl.pipeline.attempt import AttemptResult, run_attempt
from reference_impl.pipeline.errors import ErrorCode, PipelineError
from reference_impl.pipeline.profile import Profile
from reference_impl.pipeline.settings import PipelineSettings
from reference_impl.pipeline.targets import Targets
from reference_impl.pipeline.validator import validate_plan

JOB_ID = "0d6f7e9a-1111-4c2b-8d3e-5f6a7b8c9d0e"
USER_ID = "9b1c2d3e-2222-4f5a-8b6c-7d8e9f0a1b2c"
MARGIN_MS = 150

SettingsFactory = Callable[..., PipelineSettings]
ResponseFactory = Callable[..., httpx.Response]


@pytest.fixture
def job_input(profile: Profile, targets: Targets) -> dict[str, Any]:
    """The D1 shape stored in `plan_generation_jobs.input`."""
    return {"profile": profile.to_json(), "targets": targets.to_json()}


async def attempt(
    job_input: object, http_client: httpx.AsyncClient, settings: PipelineSettings, **kwargs: Any
) -> AttemptResult:
    return await run_attempt(JOB_ID, USER_ID, job_input, http_client, settings, **kwargs)


async def failed_attempt(
    job_input: object, http_client: httpx.AsyncClient, settings: PipelineSettings, **kwargs: Any
) -> PipelineError:
    with pytest.raises(PipelineError) as failed:
        await attempt(job_input, http_client, settings, **kwargs)
    return failed.value


def sent_messages(route: respx.Route, index: int) -> dict[str, str]:
    body = json.loads(route.calls[index].request.content)
    return {message["role"]: message["content"] for message in body["messages"]}


async def test_two_stages_then_fixer_give_a_valid_plan(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
    make_plan: Any,
    profile: Profile,
    targets: Targets,
    job_input: dict[str, Any],
) -> None:
    draft = make_plan()
    draft["days"]["monday"]["nutrition"]["total_kcal"] = 1234
    reviewed = make_plan()
    del reviewed["days"]["friday"]["reason"]
    del reviewed["days"]["sunday"]["recovery"]["supplementCard"]
    reviewed["days"]["tuesday"]["nutrition"]["protein_g"] = 1
    route = deepseek_api.post("/chat/completions").mock(
        side_effect=[
            completion_response(draft),
            completion_response(f"Here is the corrected plan:\n```json\n{json.dumps(reviewed)}\n```"),
        ]
    )

    result = await attempt(job_input, http_client, make_settings())

    assert validate_plan(result.plan, profile, targets) == []
    assert (result.stage_calls, result.http_requests) == (2, 2)
    assert set(result.fixes) == {
        "friday.reason: added",
        "sunday.recovery.supplementCard: added",
        f"tuesday.nutrition.protein_g: 1 -> {targets.protein_g}",
    }
    assert result.duration_ms >= 0
    stage1, stage2 = sent_messages(route, 0), sent_messages(route, 1)
    assert "Stage 1 of 2" in stage1["system"]
    assert "Stage 2 of 2" in stage2["system"]
    assert f"USER: {USER_ID}" in stage2["user"]
    assert json.dumps(draft, sort_keys=True, separators=(",", ":"), ensure_ascii=False) in stage2["user"]


async def test_missing_api_key_is_config_error_and_nothing_is_sent(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    job_input: dict[str, Any],
) -> None:
    route = deepseek_api.post("/chat/completions")

    error = await failed_attempt(job_input, http_client, make_settings(api_key=None))

    assert error.code is ErrorCode.CONFIG_ERROR
    assert not error.retryable
    assert route.call_count == 0


async def test_stage1_truncated_output_is_json_parse_error_without_stage2(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
    valid_plan: dict[str, Any],
    job_input: dict[str, Any],
) -> None:
    route = deepseek_api.post("/chat/completions").mock(
        return_value=completion_response(json.dumps(valid_plan)[:500], "length")
    )

    error = await failed_attempt(job_input, http_client, make_settings())

    assert error.code is ErrorCode.JSON_PARSE_ERROR
    assert error.message.startswith("stage 1: ")
    assert "truncated" in error.message
    assert route.call_count == 1


async def test_stage2_prose_without_json_is_json_parse_error(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
    valid_plan: dict[str, Any],
    job_input: dict[str, Any],
) -> None:
    deepseek_api.post("/chat/completions").mock(
        side_effect=[
            completion_response(valid_plan),
            completion_response("The plan above already follows every rule."),
        ]
    )

    error = await failed_attempt(job_input, http_client, make_settings())

    assert error.code is ErrorCode.JSON_PARSE_ERROR
    assert error.message.startswith("stage 2: ")
    assert "char 0" in error.message


async def test_diet_violation_fails_validation_naming_day_and_field(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
    make_plan: Any,
    job_input: dict[str, Any],
) -> None:
    plan = make_plan(thursday=None)
    plan["days"]["wednesday"]["nutrition"]["meals"][1]["items"][0]["food"] = "Egg bhurji"
    deepseek_api.post("/chat/completions").mock(return_value=completion_response(plan))

    error = await failed_attempt(job_input, http_client, make_settings())

    assert error.code is ErrorCode.VALIDATION_FAILED
    assert error.retryable
    assert "2 rule(s)" in error.message
    assert "thursday: day is missing" in error.message
    assert "wednesday.nutrition.meals.1.items.0.food" in error.message


async def test_many_violations_are_summarised(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
    job_input: dict[str, Any],
) -> None:
    deepseek_api.post("/chat/completions").mock(return_value=completion_response({"days": {}}))

    error = await failed_attempt(job_input, http_client, make_settings())

    assert error.code is ErrorCode.VALIDATION_FAILED
    assert "7 rule(s)" in error.message
    assert "; and 2 more" in error.message


async def test_attempt_deadline_spans_both_stages(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
    valid_plan: dict[str, Any],
    job_input: dict[str, Any],
    dribble: Any,
) -> None:
    # Each stage answers after 400 ms of keep-alive lines: under the 600 ms per-call limit,
    # but the two together pass the 700 ms attempt deadline (wide enough for a loaded machine).
    body = completion_response(valid_plan).content

    def slow_answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=dribble(interval_ms=50, duration_ms=400, tail=body))

    route = deepseek_api.post("/chat/completions").mock(side_effect=slow_answer)
    settings = make_settings(attempt_timeout_ms=700, call_timeout_ms=600)
    started = time.monotonic()

    error = await failed_attempt(job_input, http_client, settings)

    elapsed_ms = (time.monotonic() - started) * 1000
    assert error.code is ErrorCode.AI_TIMEOUT
    assert "INTERNAL_TIMEOUT_MS=700" in error.message
    assert route.call_count == 2
    assert elapsed_ms < 700 + MARGIN_MS


async def test_injected_clock_decides_the_deadline(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    completion_response: ResponseFactory,
    valid_plan: dict[str, Any],
    job_input: dict[str, Any],
) -> None:
    now = [1_000.0]

    def stage1_takes_ten_seconds(request: httpx.Request) -> httpx.Response:
        now[0] += 10
        return completion_response(valid_plan)

    route = deepseek_api.post("/chat/completions").mock(side_effect=stage1_takes_ten_seconds)

    error = await failed_attempt(
        job_input, http_client, make_settings(attempt_timeout_ms=5_000), clock=lambda: now[0]
    )

    assert error.code is ErrorCode.AI_TIMEOUT
    assert "before the DeepSeek stage 2 call" in error.message
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("job_input", "named"),
    [
        (None, "job input must be a JSON object"),
        ({"targets": {"total_kcal": 2000, "protein_g": 100}}, "input.profile"),
        ({"profile": {"age": 30}, "targets": {"total_kcal": 2000, "protein_g": 100}}, "sex"),
    ],
)
async def test_invalid_job_input_is_unexpected_error_naming_the_field(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    job_input: object,
    named: str,
) -> None:
    route = deepseek_api.post("/chat/completions")

    error = await failed_attempt(job_input, http_client, make_settings())

    assert error.code is ErrorCode.UNEXPECTED_ERROR
    assert named in error.message
    assert route.call_count == 0


async def test_invalid_targets_in_job_input_are_named(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    job_input: dict[str, Any],
) -> None:
    job_input["targets"] = {"total_kcal": "lots", "protein_g": 100}

    error = await failed_attempt(job_input, http_client, make_settings())

    assert error.code is ErrorCode.UNEXPECTED_ERROR
    assert "input.targets.total_kcal" in error.message


async def test_anything_unforeseen_becomes_unexpected_error_saying_what(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    job_input: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings()
    deepseek_api.post("/chat/completions").mock(
        side_effect=RuntimeError(f"transport exploded holding {settings.api_key}")
    )

    error = await failed_attempt(job_input, http_client, settings)

    assert error.code is ErrorCode.UNEXPECTED_ERROR
    assert error.retryable
    assert "RuntimeError: transport exploded" in error.message
    assert settings.api_key is not None
    assert settings.api_key not in error.message
    # the cause is not chained (it holds the key); its redacted traceback is logged
    assert error.__cause__ is None
    assert error.__suppress_context__
    [record] = [entry for entry in caplog.records if entry.levelname == "ERROR"]
    assert "Traceback" in record.getMessage()
    assert "transport exploded" in record.getMessage()
    assert settings.api_key not in record.getMessage()
    assert record.__dict__["jobId"] == JOB_ID


async def test_upstream_errors_pass_through_with_their_code(
    deepseek_api: respx.MockRouter,
    http_client: httpx.AsyncClient,
    make_settings: SettingsFactory,
    deepseek_error: ResponseFactory,
    job_input: dict[str, Any],
) -> None:
    deepseek_api.post("/chat/completions").mock(return_value=deepseek_error(402, "Insufficient"))

    error = await failed_attempt(job_input, http_client, make_settings())

    assert error.code is ErrorCode.AI_QUOTA_EXCEEDED
    assert not error.retryable
