"""The plan-building poller, driven by a fake clock: backoff, UI states, max wait, flips."""

from __future__ import annotations

from typing import Any

import pytest

from harness.estimator import HARD_CAP_SECONDS, DurationEstimator, EstimateModel, MaxWaitPolicy
from harness.poller import (
    JobSnapshot,
    PlanBuildingPoller,
    PollPolicy,
    RetryAction,
    StuckReason,
    UiState,
    ui_state_for,
)

from .fakes import FakeClock, Script, ScriptedJobSource

PROFILE = {"mealCount": 4, "trainingDaysPerWeek": 3}
FAST = PollPolicy(initial_interval_ms=1000, backoff_factor=2, max_interval_ms=4000)


def _row(status: str, **columns: Any) -> dict[str, Any]:
    return {"status": status, "input": {"profile": PROFILE}, **columns}


def _poller(
    clock: FakeClock,
    script: Script,
    policy: PollPolicy = FAST,
    estimator: DurationEstimator | None = None,
) -> tuple[PlanBuildingPoller, ScriptedJobSource]:
    source = ScriptedJobSource(clock, script)
    return PlanBuildingPoller(source, policy, estimator, clock, clock.sleep), source


@pytest.mark.parametrize(
    ("status", "error_code", "state"),
    [
        ("pending", None, UiState.WAITING),
        ("processing", "AI_TIMEOUT", UiState.WAITING),
        ("completed", None, UiState.COMPLETED),
        ("failed", "AI_TIMEOUT", UiState.ERROR_TIMEOUT),
        ("failed", "AI_RATE_LIMIT", UiState.ERROR_BUSY),
        ("failed", "AI_QUOTA_EXCEEDED", UiState.ERROR_QUOTA),
        ("failed", "AI_UPSTREAM_ERROR", UiState.ERROR_GENERIC),
        ("failed", "CONFIG_ERROR", UiState.ERROR_CONFIG),
        ("failed", "JSON_PARSE_ERROR", UiState.ERROR_GENERIC),
        ("failed", "VALIDATION_FAILED", UiState.ERROR_GENERIC),
        ("failed", "WORKER_TIMEOUT", UiState.ERROR_GENERIC),
        ("failed", "STALE_PENDING", UiState.STUCK),
        ("failed", "UNEXPECTED_ERROR", UiState.ERROR_GENERIC),
        ("failed", "SOMETHING_NEW", UiState.ERROR_GENERIC),
        ("failed", None, UiState.ERROR_GENERIC),
        ("cancelled", "CANCELLED", UiState.CANCELLED),
        ("cancelled", "SUPERSEDED", UiState.CANCELLED),
        ("exploded", None, UiState.ERROR_GENERIC),
    ],
)
def test_ui_state_table(status: str, error_code: str | None, state: UiState) -> None:
    assert ui_state_for(status, error_code) is state


def test_polls_with_backoff_until_completed(clock: FakeClock) -> None:
    poller, source = _poller(clock, [(0, _row("pending")), (2, _row("processing")), (20, _row("completed"))])
    outcome = poller.poll("job-1")
    assert outcome.ui_state is UiState.COMPLETED
    assert clock.sleeps == [1, 2, 4, 4, 4, 4, 4]  # backoff x2, capped at 4 s
    assert outcome.polls == source.reads == 8
    assert [(t.at_seconds, t.from_status, t.to_status) for t in outcome.transitions] == [
        (0, None, "pending"),
        (3, "pending", "processing"),
        (23, "processing", "completed"),
    ]
    assert outcome.duration_seconds == 23
    assert outcome.flips == 0


@pytest.mark.parametrize(
    ("code", "state"),
    [("AI_RATE_LIMIT", UiState.ERROR_BUSY), ("CONFIG_ERROR", UiState.ERROR_CONFIG)],
)
def test_failed_job_ends_in_its_error_state(clock: FakeClock, code: str, state: UiState) -> None:
    poller, _ = _poller(clock, [(0, _row("processing")), (5, _row("failed", error_code=code))])
    outcome = poller.poll("job-2")
    assert outcome.ui_state is state
    assert outcome.last_snapshot is not None and outcome.last_snapshot.error_code == code
    assert code in outcome.detail


def test_max_wait_guard_ends_a_pending_job_as_stuck_on_time(clock: FakeClock) -> None:
    policy = PollPolicy(initial_interval_ms=1000, backoff_factor=2, max_interval_ms=4000, max_wait_ms=10_000)
    poller, _ = _poller(clock, [(0, _row("pending"))], policy)
    outcome = poller.poll("job-3")
    assert outcome.ui_state is UiState.STUCK
    assert outcome.stuck_reason is StuckReason.MAX_WAIT
    assert clock.sleeps == [1, 2, 4, 3]  # the last sleep is cut to land on the deadline
    assert outcome.duration_seconds == outcome.max_wait_seconds == 10


def test_hard_cap_holds_when_the_estimator_predicts_more(clock: FakeClock) -> None:
    hours = EstimateModel(base_seconds=7200.0, weights={"attempts": 3600.0})
    estimator = DurationEstimator(prior=hours, policy=MaxWaitPolicy(multiplier=5))
    policy = PollPolicy(initial_interval_ms=1000, backoff_factor=2, max_interval_ms=60_000)
    poller, _ = _poller(clock, [(0, _row("processing"))], policy, estimator)
    outcome = poller.poll("job-4")
    assert outcome.ui_state is UiState.STUCK
    assert outcome.max_wait_seconds == HARD_CAP_SECONDS
    assert clock.now == HARD_CAP_SECONDS


def test_max_wait_comes_from_the_estimator_for_all_attempts(clock: FakeClock) -> None:
    prior = EstimateModel(base_seconds=0.0, weights={"mealCount": 5.0, "attempts": 10.0})
    estimator = DurationEstimator(prior=prior, policy=MaxWaitPolicy(multiplier=2, floor_seconds=0))
    poller, _ = _poller(clock, [(0, _row("pending", max_retries=3))], FAST, estimator)
    outcome = poller.poll("job-5")
    # predicted = 5 * 4 meals + 10 * 3 attempts = 50 s; max wait = 2 x 50
    assert outcome.max_wait_seconds == 100
    assert outcome.stuck_reason is StuckReason.MAX_WAIT


def test_a_job_flipping_without_counting_attempts_is_stuck(clock: FakeClock) -> None:
    flipping = [
        (float(second), _row("processing" if second % 2 else "pending", max_retries=3))
        for second in range(600)
    ]
    policy = PollPolicy(initial_interval_ms=1000, backoff_factor=1, max_interval_ms=1000)
    poller, _ = _poller(clock, flipping, policy)
    outcome = poller.poll("job-6")
    assert outcome.ui_state is UiState.STUCK
    assert outcome.stuck_reason is StuckReason.FLIPPING
    assert outcome.flips == 3
    assert clock.now == 6  # processing -> pending seen at 2, 4 and 6 s


@pytest.mark.parametrize("max_flips", [1, 5, 8])
def test_flip_limit_from_policy(clock: FakeClock, max_flips: int) -> None:
    flipping = [(float(s), _row("processing" if s % 2 else "pending")) for s in range(600)]
    policy = PollPolicy(initial_interval_ms=1000, backoff_factor=1, max_interval_ms=1000, max_flips=max_flips)
    outcome = _poller(clock, flipping, policy)[0].poll("job-7")
    assert (outcome.stuck_reason, outcome.flips) == (StuckReason.FLIPPING, max_flips)


def test_a_job_retrying_within_its_limit_is_not_stuck(clock: FakeClock) -> None:
    script = [
        (0, _row("processing", retry_count=0)),
        (3, _row("pending", retry_count=1)),
        (7, _row("processing", retry_count=1)),
        (15, _row("pending", retry_count=2)),
        (19, _row("processing", retry_count=2)),
        (30, _row("completed", retry_count=2)),
    ]
    outcome = _poller(clock, script)[0].poll("job-8")
    assert outcome.ui_state is UiState.COMPLETED
    assert outcome.flips == 2


def test_requeues_missed_between_polls_are_counted_from_retry_count(clock: FakeClock) -> None:
    script = [
        (0, _row("pending", retry_count=0)),
        (0.5, _row("pending", retry_count=3)),
    ]
    outcome = _poller(clock, script)[0].poll("job-9")
    assert (outcome.stuck_reason, outcome.flips) == (StuckReason.FLIPPING, 3)


def _requeued(attempt: int, at_second: int, wait_seconds: int) -> dict[str, Any]:
    """A row just requeued after failed attempt `attempt`, its next attempt `wait_seconds` later."""
    failed = f"2025-01-01T10:00:{at_second:02d}+00:00"
    due = f"2025-01-01T10:00:{at_second + wait_seconds:02d}+00:00"
    entries = [
        {"attempt": n, "at": failed, "error_code": "AI_UPSTREAM_ERROR", "run_after": due}
        for n in range(1, attempt + 1)
    ]
    return _row("pending", retry_count=attempt, updated_at=failed, run_after=due, errors=entries)


def test_requeues_into_a_backoff_are_not_flips_even_past_the_flip_limit(clock: FakeClock) -> None:
    policy = PollPolicy(initial_interval_ms=1000, backoff_factor=1, max_interval_ms=1000, max_flips=1)
    script = [
        (0, _row("processing", retry_count=0)),
        (2, _requeued(1, 2, 5)),
        (7, _row("processing", retry_count=1)),
        (9, _requeued(2, 9, 10)),
        (19, _row("processing", retry_count=2)),
        (25, _row("completed", retry_count=2)),
    ]
    outcome = _poller(clock, script, policy)[0].poll("job-16")
    assert outcome.ui_state is UiState.COMPLETED, outcome.detail
    assert outcome.flips == 0


def test_requeues_into_a_backoff_missed_between_polls_are_read_from_the_errors(clock: FakeClock) -> None:
    retried = {**_requeued(2, 4, 3), "status": "processing", "run_after": None}
    script = [(0, _row("pending", retry_count=0)), (0.5, retried), (10, _row("completed", retry_count=2))]
    outcome = _poller(clock, script)[0].poll("job-17")
    assert outcome.ui_state is UiState.COMPLETED, outcome.detail
    assert outcome.flips == 0


def test_a_requeue_due_at_once_is_still_a_flip(clock: FakeClock) -> None:
    at_once = {**_requeued(1, 2, 0), "errors": [{"attempt": 1, "at": "2025-01-01T10:00:02+00:00"}]}
    policy = PollPolicy(initial_interval_ms=1000, backoff_factor=1, max_interval_ms=1000, max_flips=1)
    script = [(0, _row("processing", retry_count=0)), (1, at_once)]
    outcome = _poller(clock, script, policy)[0].poll("job-18")
    assert (outcome.stuck_reason, outcome.flips) == (StuckReason.FLIPPING, 1)


def test_stale_pending_failure_is_stuck(clock: FakeClock) -> None:
    outcome = _poller(clock, [(0, _row("failed", error_code="STALE_PENDING"))])[0].poll("j")
    assert (outcome.ui_state, outcome.stuck_reason) == (UiState.STUCK, StuckReason.STALE_PENDING)


def test_unknown_job_is_a_generic_error(clock: FakeClock) -> None:
    outcome = _poller(clock, [(0, None)])[0].poll("missing")
    assert outcome.ui_state is UiState.ERROR_GENERIC
    assert "not found" in outcome.detail
    assert outcome.polls == 1


@pytest.mark.parametrize(
    ("status", "policy", "action"),
    [
        ("processing", PollPolicy(max_wait_ms=5000), RetryAction.RESET),
        ("pending", PollPolicy(max_wait_ms=5000), RetryAction.CANCEL),
    ],
)
def test_retry_cleans_up_a_job_stuck_past_the_max_wait(
    clock: FakeClock, status: str, policy: PollPolicy, action: RetryAction
) -> None:
    poller, source = _poller(clock, [(0, _row(status))], policy)
    outcome = poller.poll("job-10")
    assert poller.retry(outcome) is action
    assert source.actions == [(action.value, "job-10")]


def test_retry_cancels_a_flipping_job_even_when_processing(clock: FakeClock) -> None:
    script = [
        (0, _row("processing", retry_count=0)),
        (0.5, _row("processing", retry_count=3)),
    ]
    poller, source = _poller(clock, script)
    outcome = poller.poll("job-11")
    assert outcome.stuck_reason is StuckReason.FLIPPING
    assert poller.retry(outcome) is RetryAction.CANCEL
    assert source.actions == [("cancel", "job-11")]


@pytest.mark.parametrize(
    "row", [_row("completed"), _row("failed", error_code="STALE_PENDING"), _row("cancelled")]
)
def test_retry_does_nothing_for_a_finished_job(clock: FakeClock, row: dict[str, Any]) -> None:
    poller, source = _poller(clock, [(0, row)])
    assert poller.retry(poller.poll("job-12")) is RetryAction.NONE
    assert source.actions == []


def test_finished_job_duration_is_recorded_from_its_timestamps(clock: FakeClock) -> None:
    estimator = DurationEstimator()
    done = _row(
        "completed",
        retry_count=1,
        created_at="2025-01-01T10:00:00+00:00",
        completed_at="2025-01-01T10:01:35Z",
    )
    poller, _ = _poller(clock, [(0, _row("processing")), (3, done)], FAST, estimator)
    outcome = poller.poll("job-13")
    assert outcome.recorded_seconds == 95
    [sample] = estimator.samples
    assert sample.seconds == 95
    assert dict(sample.features) == {"mealCount": 4, "trainingDaysPerWeek": 3, "attempts": 2}


def test_failed_job_that_ran_is_recorded_with_observed_time(clock: FakeClock) -> None:
    estimator = DurationEstimator()
    failed = _row("failed", retry_count=3, error_code="AI_TIMEOUT", started_at="2025-01-01T10:00:00+00:00")
    poller, _ = _poller(clock, [(0, _row("processing")), (6, failed)], FAST, estimator)
    assert poller.poll("job-14").recorded_seconds == 7
    assert estimator.samples[0].features["attempts"] == 3


@pytest.mark.parametrize(
    "row",
    [_row("failed", error_code="STALE_PENDING"), _row("cancelled"), _row("completed", input={})],
)
def test_jobs_that_never_ran_or_lack_a_profile_are_not_recorded(
    clock: FakeClock, row: dict[str, Any]
) -> None:
    estimator = DurationEstimator()
    outcome = _poller(clock, [(0, row)], FAST, estimator)[0].poll("job-15")
    assert outcome.recorded_seconds is None
    assert estimator.samples == ()


def test_snapshot_from_a_postgrest_row() -> None:
    snapshot = JobSnapshot.from_row(
        {
            "id": "a1",
            "status": "failed",
            "retry_count": 2,
            "max_retries": 3,
            "error_code": "AI_TIMEOUT",
            "created_at": "2025-03-01T08:00:00.123456+00:00",
            "errors": [{"attempt": 1, "error_code": "AI_TIMEOUT"}],
            "unknown_column": 1,
        }
    )
    assert (snapshot.retry_count, snapshot.error_code) == (2, "AI_TIMEOUT")
    assert snapshot.created_at is not None and snapshot.created_at.microsecond == 123456
    assert snapshot.errors[0]["attempt"] == 1


@pytest.mark.parametrize(
    ("row", "named"),
    [
        ({"status": "pending"}, "'id'"),
        ({"id": "x"}, "'status'"),
        ({"id": "x", "status": "pending", "retry_count": "2"}, "'retry_count'"),
        ({"id": "x", "status": "pending", "created_at": "yesterday"}, "'created_at'"),
        ({"id": "x", "status": "pending", "input": []}, "'input'"),
        ({"id": "x", "status": "pending", "errors": ["boom"]}, "'errors'"),
    ],
)
def test_bad_row_is_refused_naming_the_column(row: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        JobSnapshot.from_row(row)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"max_wait_ms": HARD_CAP_SECONDS * 1000 + 1}, "max_wait_ms"),
        ({"initial_interval_ms": 0}, "initial_interval_ms"),
        ({"backoff_factor": 0.5}, "backoff_factor"),
        ({"initial_interval_ms": 500, "max_interval_ms": 100}, "max_interval_ms"),
        ({"max_flips": 0}, "max_flips"),
    ],
)
def test_bad_policy_is_refused_naming_the_field(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        PollPolicy(**kwargs)
