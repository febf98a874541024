"""Error codes end to end (docs/contract.md "Error codes"): one scenario per fault kind of the fake DeepSeek.

Each scenario scripts one fault for its user only, creates a job, polls it like the app,
and checks the job's `error_code` and `retry_count`, the UI state the app would show, and
how many chat calls DeepSeek received (the fake's journal) -- which proves the number of
attempts and the in-call retries. The next cases' jobs are started while one is checked
(`JobsAhead`), so the cases' waits overlap. A job gets `max_retries` attempts (read from its row); a
429 or 503 is retried `DEEPSEEK_IN_CALL_RETRIES` times within an attempt (the target's
setting, known for the local stack and read from the environment elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness import JobsAhead, JobsAheadFactory, JobStart, PollOutcome, ScenarioFake, StartedJob, UiState

pytestmark = pytest.mark.needs("http", "faults")

ALL_ATTEMPTS = -1  # a retry count of "every attempt the job has": its max_retries


@dataclass(frozen=True)
class FaultCase:
    name: str
    action: Mapping[str, Any]
    error_code: str | None  # None: the job completes
    retry_count: int  # ALL_ATTEMPTS: the job's max_retries
    ui_state: UiState
    calls_per_attempt: int  # chat calls of one failed attempt
    final_calls: int = 0  # chat calls of the attempt that completes, if one does
    match: Mapping[str, Any] = field(default_factory=dict)
    times: int | None = None
    in_call_retried: bool = False  # each attempt also retries the call DEEPSEEK_IN_CALL_RETRIES times


def _failing(
    name: str, action: Mapping[str, Any], code: str, ui: UiState, calls_per_attempt: int = 1, **extra: Any
) -> FaultCase:
    """A fault on every call: every attempt of the job ends in `code`."""
    return FaultCase(name, action, code, ALL_ATTEMPTS, ui, calls_per_attempt, **extra)


def _fatal(name: str, action: Mapping[str, Any], code: str, ui: UiState) -> FaultCase:
    """A non-retryable fault: one attempt, one call."""
    return FaultCase(name, action, code, 1, ui, 1)


def _repaired(name: str, action: Mapping[str, Any], match: Mapping[str, Any] | None = None) -> FaultCase:
    """A fault the pipeline recovers from in the same attempt: two calls, completed."""
    return FaultCase(name, action, None, 0, UiState.COMPLETED, 0, final_calls=2, match=match or {})


CASES = [
    _failing(
        "rate_limited",
        {"type": "http_error", "status": 429, "retry_after": 0.02},
        "AI_RATE_LIMIT",
        UiState.ERROR_BUSY,
        in_call_retried=True,
    ),
    _failing(
        "overloaded_503",
        {"type": "http_error", "status": 503, "retry_after_ms": 20},
        "AI_UPSTREAM_ERROR",
        UiState.ERROR_GENERIC,
        in_call_retried=True,
    ),
    _failing(
        "server_error_500", {"type": "http_error", "status": 500}, "AI_UPSTREAM_ERROR", UiState.ERROR_GENERIC
    ),
    _failing(
        "bad_gateway_502", {"type": "http_error", "status": 502}, "AI_UPSTREAM_ERROR", UiState.ERROR_GENERIC
    ),
    _fatal(
        "insufficient_balance_402",
        {"type": "http_error", "status": 402},
        "AI_QUOTA_EXCEEDED",
        UiState.ERROR_QUOTA,
    ),
    _fatal("wrong_api_key_401", {"type": "http_error", "status": 401}, "CONFIG_ERROR", UiState.ERROR_CONFIG),
    _fatal("invalid_format_400", {"type": "http_error", "status": 400}, "CONFIG_ERROR", UiState.ERROR_CONFIG),
    _fatal(
        "invalid_parameters_422", {"type": "http_error", "status": 422}, "CONFIG_ERROR", UiState.ERROR_CONFIG
    ),
    _failing("connection_reset", {"type": "connection_reset"}, "AI_UPSTREAM_ERROR", UiState.ERROR_GENERIC),
    _failing("empty_body", {"type": "empty_body"}, "AI_UPSTREAM_ERROR", UiState.ERROR_GENERIC),
    _failing(
        "blank_lines_body",
        {"type": "empty_body", "blank_lines": 4},
        "AI_UPSTREAM_ERROR",
        UiState.ERROR_GENERIC,
    ),
    _failing(
        "truncated_envelope",
        {"type": "corrupt_envelope", "variant": "truncated"},
        "AI_UPSTREAM_ERROR",
        UiState.ERROR_GENERIC,
    ),
    _failing(
        "garbage_envelope",
        {"type": "corrupt_envelope", "variant": "garbage"},
        "AI_UPSTREAM_ERROR",
        UiState.ERROR_GENERIC,
    ),
    _failing(
        "envelope_without_choices",
        {"type": "corrupt_envelope", "variant": "missing_choices"},
        "AI_UPSTREAM_ERROR",
        UiState.ERROR_GENERIC,
    ),
    _failing(
        "stall_then_close",
        {"type": "keepalive_stall", "ms": 150, "interval_ms": 50, "then": "close"},
        "AI_UPSTREAM_ERROR",
        UiState.ERROR_GENERIC,
    ),
    _failing(
        "stream_cut", {"type": "stream_cut", "after_chunks": 2}, "AI_UPSTREAM_ERROR", UiState.ERROR_GENERIC
    ),
    _failing(
        "error_event", {"type": "stream_error", "status": 500}, "AI_UPSTREAM_ERROR", UiState.ERROR_GENERIC
    ),
    _failing("hang", {"type": "hang"}, "AI_TIMEOUT", UiState.ERROR_TIMEOUT),
    _failing(
        "keepalive_stall_past_the_deadline",
        {"type": "keepalive_stall", "ms": 30_000, "interval_ms": 100, "then": "answer"},
        "AI_TIMEOUT",
        UiState.ERROR_TIMEOUT,
    ),
    _failing(
        "slow_body_past_the_deadline",
        {"type": "slow_stream", "chunk_delay_ms": 400, "pieces": 10},
        "AI_TIMEOUT",
        UiState.ERROR_TIMEOUT,
    ),
    _failing(
        "truncated_content",
        {"type": "malformed_content", "variant": "truncated"},
        "JSON_PARSE_ERROR",
        UiState.ERROR_GENERIC,
    ),
    _failing(
        "blank_content",
        {"type": "malformed_content", "variant": "blank"},
        "JSON_PARSE_ERROR",
        UiState.ERROR_GENERIC,
    ),
    _failing(
        "empty_content",
        {"type": "malformed_content", "variant": "empty"},
        "JSON_PARSE_ERROR",
        UiState.ERROR_GENERIC,
    ),
    _failing(
        "content_not_json",
        {"type": "malformed_content", "variant": "not_json"},
        "JSON_PARSE_ERROR",
        UiState.ERROR_GENERIC,
    ),
    _repaired("fenced_content", {"type": "malformed_content", "variant": "fenced"}),
    _repaired("prose_wrapped_content", {"type": "malformed_content", "variant": "prose_wrapped"}),
    _repaired(
        "short_keepalive_stall", {"type": "keepalive_stall", "ms": 200, "interval_ms": 50, "then": "answer"}
    ),
    _repaired("small_delay", {"type": "delay", "ms": 200}),
    *[
        _failing(
            f"stage2_{defect}",
            {"type": "wrong_plan", "defect": defect},
            "VALIDATION_FAILED",
            UiState.ERROR_GENERIC,
            calls_per_attempt=2,
            match={"stage": 2},
        )
        for defect in ("missing_day", "diet_violation", "avoided_exercise", "wrong_meal_count")
    ],
    *[
        _repaired(f"stage2_{defect}_is_fixed", {"type": "wrong_plan", "defect": defect}, match={"stage": 2})
        for defect in ("kcal_off", "protein_off", "missing_reason", "missing_supplement_card")
    ],
    FaultCase(
        "fails_twice_then_succeeds",
        {"type": "http_error", "status": 500},
        None,
        2,
        UiState.COMPLETED,
        1,
        final_calls=2,
        times=2,
    ),
]


def _start_fault_job(case: FaultCase, start: JobStart) -> list[StartedJob]:
    """The case's fault, scripted for its user only, and the user's job."""
    jobs = start.user()
    rule: dict[str, Any] = {
        "name": case.name,
        "match": {"user": jobs.session.user_id, **case.match},
        "action": dict(case.action),
    }
    if case.times is not None:
        rule["times"] = case.times
    start.fake.add_fault(rule)
    # every defect must be possible: an avoid list for avoided_exercise, a meat-free diet for diet_violation
    profile = start.profiles.make(dietaryPreference="Vegetarian", avoidExercises=["Barbell Back Squat"])
    return [StartedJob(jobs, jobs.create_job_id(profile))]


@pytest.fixture(scope="module")
def fault_jobs(jobs_ahead: JobsAheadFactory) -> JobsAhead[FaultCase]:
    """The cases' jobs, the next ones already running while one is checked (their faults
    mostly wait: a stalled call holds each attempt for the call timeout)."""
    return jobs_ahead(_start_fault_job, param="case")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_fault_ends_in_the_documented_error_code(
    case: FaultCase,
    fault_jobs: JobsAhead[FaultCase],
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
    target_secrets: tuple[str, ...],
    request: pytest.FixtureRequest,
) -> None:
    tries_per_call = 1 + (request.getfixturevalue("in_call_retries") if case.in_call_retried else 0)
    started = fault_jobs.job_for(request.node.nodeid)
    user_id = started.jobs.session.user_id

    outcome = poll(started.jobs, started.job_id)

    job = outcome.last_snapshot
    assert job is not None
    failed_attempts = job.max_retries if case.retry_count == ALL_ATTEMPTS else case.retry_count
    assert outcome.ui_state is case.ui_state, f"{outcome.detail}; job: {job}"
    assert (job.error_code, job.retry_count) == (case.error_code, failed_attempts), job.error_message
    expected_calls = failed_attempts * case.calls_per_attempt * tries_per_call + case.final_calls
    assert fake_llm.count(user=user_id) == expected_calls
    if case.error_code is not None:
        assert job.error_message, "a failed job must say why"
        assert len(job.errors) == failed_attempts
        assert {entry["error_code"] for entry in job.errors} == {case.error_code}
    for secret in target_secrets:
        assert secret not in (job.error_message or ""), "a secret of the target is in the error message"
