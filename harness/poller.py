"""The plan-building screen's logic as a library: poll a job until the app would stop.

It polls with exponential backoff, maps `status`/`error_code` to the app's UI states
(docs/contract.md "Error codes"), gives up as `stuck` after the max wait (from the estimator, never more than
the 15-minute hard cap) or when the job keeps flipping between `pending` and `processing`,
offers the retry that cleans the stuck job up, and records finished jobs' durations into
the estimator. A requeue into a backoff (the job waits for its `run_after`) is a retry
going as planned, never a flip (docs/decisions.md D34). The job comes from a `JobSource`;
clock and sleep are injectable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from harness.estimator import HARD_CAP_SECONDS, DurationEstimator


class UiState(StrEnum):
    COMPLETED = "completed"
    WAITING = "waiting"
    ERROR_TIMEOUT = "error_timeout"
    ERROR_BUSY = "error_busy"
    ERROR_QUOTA = "error_quota"
    ERROR_GENERIC = "error_generic"
    ERROR_CONFIG = "error_config"
    STUCK = "stuck"
    CANCELLED = "cancelled"


ERROR_CODE_UI_STATES: Mapping[str, UiState] = MappingProxyType(
    {
        "AI_TIMEOUT": UiState.ERROR_TIMEOUT,
        "AI_RATE_LIMIT": UiState.ERROR_BUSY,
        "AI_QUOTA_EXCEEDED": UiState.ERROR_QUOTA,
        "AI_UPSTREAM_ERROR": UiState.ERROR_GENERIC,
        "CONFIG_ERROR": UiState.ERROR_CONFIG,
        "JSON_PARSE_ERROR": UiState.ERROR_GENERIC,
        "VALIDATION_FAILED": UiState.ERROR_GENERIC,
        "WORKER_TIMEOUT": UiState.ERROR_GENERIC,
        "STALE_PENDING": UiState.STUCK,
        "CANCELLED": UiState.CANCELLED,
        "SUPERSEDED": UiState.CANCELLED,
        "UNEXPECTED_ERROR": UiState.ERROR_GENERIC,
    }
)
ACTIVE_STATUSES = frozenset({"pending", "processing"})
TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})


def ui_state_for(status: str, error_code: str | None) -> UiState:
    """The UI state the app shows for a job in `status` with `error_code` (docs/contract.md "Error codes")."""
    if status in ACTIVE_STATUSES:
        return UiState.WAITING
    if status == "completed":
        return UiState.COMPLETED
    if status == "cancelled":
        return UiState.CANCELLED
    if status == "failed" and error_code is not None:
        return ERROR_CODE_UI_STATES.get(error_code, UiState.ERROR_GENERIC)
    return UiState.ERROR_GENERIC


def _timestamp(row: Mapping[str, Any], column: str) -> datetime | None:
    value = row.get(column)
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"job column {column!r} is not a timestamp: {value!r}")


def _entry_time(entry: Mapping[str, Any], key: str) -> datetime | None:
    """A timestamp of an `errors` entry, None when absent or unreadable (entries are the
    target's own; a bad one must not stop the poll)."""
    try:
        return _timestamp(entry, key)
    except ValueError:
        return None


def _text(row: Mapping[str, Any], column: str) -> str | None:
    value = row.get(column)
    return None if value is None else str(value)


# Attempts per job when a job does not say (docs/contract.md "Configuration", PLAN_JOB_MAX_RETRIES).
CONTRACT_MAX_RETRIES = 3


@dataclass(frozen=True)
class JobSnapshot:
    """One read of a `plan_generation_jobs` row (docs/contract.md "Tables")."""

    id: str
    status: str
    retry_count: int = 0
    max_retries: int = CONTRACT_MAX_RETRIES
    error_code: str | None = None
    error_message: str | None = None
    user_id: str | None = None
    plan_id: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None
    run_after: datetime | None = None
    input: Mapping[str, Any] = field(default_factory=dict)
    errors: tuple[Mapping[str, Any], ...] = ()

    @property
    def duration_seconds(self) -> float | None:
        """How long the user waited: `completed_at - created_at` (docs/contract.md, "Tables");
        None while the job is not finished or a timestamp is missing."""
        if self.created_at is None or self.completed_at is None:
            return None
        return (self.completed_at - self.created_at).total_seconds()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> JobSnapshot:
        """From a row as PostgREST (ISO timestamps) or psycopg (datetimes) returns it."""
        for column in ("id", "status"):
            if row.get(column) is None:
                raise ValueError(f"job row lacks {column!r}")
        counts = {}
        for column, default in (("retry_count", 0), ("max_retries", cls.max_retries)):
            value = row.get(column, default)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"job column {column!r} is not an integer: {value!r}")
            counts[column] = value
        job_input = {} if row.get("input") is None else row["input"]
        errors = [] if row.get("errors") is None else row["errors"]
        if not isinstance(job_input, Mapping):
            raise ValueError(f"job column 'input' is not an object: {type(job_input).__name__}")
        if not isinstance(errors, list) or not all(isinstance(e, Mapping) for e in errors):
            raise ValueError("job column 'errors' is not a list of objects")
        return cls(
            id=str(row["id"]),
            status=str(row["status"]),
            retry_count=counts["retry_count"],
            max_retries=counts["max_retries"],
            error_code=_text(row, "error_code"),
            error_message=_text(row, "error_message"),
            user_id=_text(row, "user_id"),
            plan_id=_text(row, "plan_id"),
            created_at=_timestamp(row, "created_at"),
            started_at=_timestamp(row, "started_at"),
            completed_at=_timestamp(row, "completed_at"),
            updated_at=_timestamp(row, "updated_at"),
            run_after=_timestamp(row, "run_after"),
            input=job_input,
            errors=tuple(errors),
        )

    def requeued_into_backoff(self, attempt: int) -> bool:
        """Whether the failure of `attempt` scheduled the next attempt for later: its
        `errors` entry has a `run_after` after its `at`, or (for the latest failure of a
        job still pending) the row's `run_after` is after its requeue (`updated_at`)."""
        for entry in self.errors:
            if entry.get("attempt") == attempt:
                scheduled, failed = _entry_time(entry, "run_after"), _entry_time(entry, "at")
                if scheduled is not None and failed is not None and scheduled > failed:
                    return True
        latest = self.status == "pending" and attempt == self.retry_count
        return (
            latest
            and self.run_after is not None
            and self.updated_at is not None
            and self.run_after > self.updated_at
        )

    def features(self, attempts: int) -> dict[str, float] | None:
        """The estimator's features of this job, or None when its profile lacks them."""
        profile = self.input.get("profile")
        if not isinstance(profile, Mapping):
            return None
        features: dict[str, float] = {"attempts": attempts}
        for name in ("mealCount", "trainingDaysPerWeek"):
            value = profile.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            features[name] = value
        return features


class JobSource(Protocol):
    """Where the poller reads the job and sends the retry action (an HTTP client, a fake)."""

    def get_job(self, job_id: str) -> JobSnapshot | None: ...

    def cancel_job(self, job_id: str) -> None: ...

    def reset_stuck_job(self, job_id: str) -> None: ...


@dataclass(frozen=True)
class PollPolicy:
    """Backoff and limits, in milliseconds.

    `max_wait_ms` None means: from the estimator (hard cap 15 minutes without one).
    `max_flips` None means: the job's own `max_retries` (a job with N attempts can be
    requeued at most N - 1 times, so the N-th requeue means it is going round in circles).
    """

    initial_interval_ms: float = 1000.0
    backoff_factor: float = 1.5
    max_interval_ms: float = 10_000.0
    max_wait_ms: float | None = None
    max_flips: int | None = None

    def __post_init__(self) -> None:
        if not self.initial_interval_ms > 0:
            raise ValueError(f"initial_interval_ms must be > 0, got {self.initial_interval_ms}")
        if not self.backoff_factor >= 1:
            raise ValueError(f"backoff_factor must be >= 1, got {self.backoff_factor}")
        if not self.max_interval_ms >= self.initial_interval_ms:
            raise ValueError(f"max_interval_ms must be >= initial_interval_ms, got {self.max_interval_ms}")
        cap_ms = HARD_CAP_SECONDS * 1000
        if self.max_wait_ms is not None and not 0 < self.max_wait_ms <= cap_ms:
            raise ValueError(f"max_wait_ms must be in (0, {cap_ms:g}], got {self.max_wait_ms}")
        if self.max_flips is not None and self.max_flips < 1:
            raise ValueError(f"max_flips must be >= 1, got {self.max_flips}")


class StuckReason(StrEnum):
    MAX_WAIT = "max_wait"
    FLIPPING = "flipping"
    STALE_PENDING = "stale_pending"


class RetryAction(StrEnum):
    RESET = "reset"
    CANCEL = "cancel"
    NONE = "none"


@dataclass(frozen=True)
class Transition:
    """A change of status seen by the poller, `at_seconds` after polling started."""

    at_seconds: float
    from_status: str | None
    to_status: str
    retry_count: int
    error_code: str | None


@dataclass(frozen=True)
class PollOutcome:
    job_id: str
    ui_state: UiState
    detail: str
    last_snapshot: JobSnapshot | None
    polls: int
    transitions: tuple[Transition, ...]
    flips: int
    duration_seconds: float
    max_wait_seconds: float
    stuck_reason: StuckReason | None = None
    recorded_seconds: float | None = None


def _flips(previous: JobSnapshot, current: JobSnapshot) -> int:
    """Times the job went back to the queue between two reads of it, not counting the
    requeues into a backoff (each is an attempt that failed and a retry scheduled for later,
    as the retry limit allows): a requeue that counts no attempt, or one that makes the job
    due again at once, is a flip."""
    if current.status not in ACTIVE_STATUSES:
        return 0
    failed_attempts = range(previous.retry_count + 1, current.retry_count + 1)
    if not failed_attempts:
        return int(previous.status == "processing" and current.status == "pending")
    return sum(1 for attempt in failed_attempts if not current.requeued_into_backoff(attempt))


class PlanBuildingPoller:
    """Polls one job the way the plan-building screen does."""

    def __init__(
        self,
        source: JobSource,
        policy: PollPolicy | None = None,
        estimator: DurationEstimator | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._source = source
        self._policy = policy or PollPolicy()
        self._estimator = estimator
        self._clock = clock
        self._sleep = sleep

    def _max_wait_seconds(self, snapshot: JobSnapshot | None) -> float:
        """The policy's max wait, else the estimator's for the job using all its attempts."""
        if self._policy.max_wait_ms is not None:
            return self._policy.max_wait_ms / 1000
        features = snapshot.features(snapshot.max_retries) if snapshot else None
        if self._estimator is None or features is None:
            return HARD_CAP_SECONDS
        return min(self._estimator.max_wait(features), HARD_CAP_SECONDS)

    def _record_duration(self, snapshot: JobSnapshot, elapsed: float) -> float | None:
        """Feed a job that ran to its end into the estimator; jobs that never ran are skipped."""
        ran = snapshot.status == "completed" or (
            snapshot.status == "failed" and snapshot.started_at is not None
        )
        if self._estimator is None or not ran:
            return None
        attempts = snapshot.retry_count + (1 if snapshot.status == "completed" else 0)
        features = snapshot.features(max(attempts, 1))
        if features is None:
            return None
        seconds = snapshot.duration_seconds
        if seconds is None:
            seconds = elapsed
        self._estimator.record(features, seconds)
        return seconds

    def poll(self, job_id: str) -> PollOutcome:
        """Poll until the app would leave the waiting state; never longer than the max wait."""
        start = self._clock()
        interval_ms = self._policy.initial_interval_ms
        transitions: list[Transition] = []
        last: JobSnapshot | None = None
        polls = flips = 0
        max_wait = self._max_wait_seconds(None)

        def outcome(
            state: UiState,
            detail: str,
            stuck_reason: StuckReason | None = None,
            recorded_seconds: float | None = None,
        ) -> PollOutcome:
            elapsed = self._clock() - start
            return PollOutcome(
                job_id,
                state,
                detail,
                last,
                polls,
                tuple(transitions),
                flips,
                elapsed,
                max_wait,
                stuck_reason,
                recorded_seconds,
            )

        while True:
            snapshot = self._source.get_job(job_id)
            polls += 1
            elapsed = self._clock() - start
            if snapshot is None:
                return outcome(UiState.ERROR_GENERIC, f"job {job_id} not found")
            if last is None:
                max_wait = self._max_wait_seconds(snapshot)
            else:
                flips += _flips(last, snapshot)
            if last is None or snapshot.status != last.status:
                before = last.status if last else None
                transitions.append(
                    Transition(elapsed, before, snapshot.status, snapshot.retry_count, snapshot.error_code)
                )
            last = snapshot
            state = ui_state_for(snapshot.status, snapshot.error_code)
            if state is not UiState.WAITING:
                return outcome(
                    state,
                    f"{snapshot.status} with {snapshot.error_code or 'no error code'}",
                    stuck_reason=StuckReason.STALE_PENDING if state is UiState.STUCK else None,
                    recorded_seconds=self._record_duration(snapshot, elapsed),
                )
            flip_limit = self._policy.max_flips or max(snapshot.max_retries, 1)
            if flips >= flip_limit:
                detail = f"requeued {flips} times (limit {flip_limit}), still {snapshot.status}"
                return outcome(UiState.STUCK, detail, stuck_reason=StuckReason.FLIPPING)
            if elapsed >= max_wait:
                detail = f"still {snapshot.status} after the max wait of {max_wait:g} s"
                return outcome(UiState.STUCK, detail, stuck_reason=StuckReason.MAX_WAIT)
            self._sleep(min(interval_ms / 1000, max_wait - elapsed))
            interval_ms = min(interval_ms * self._policy.backoff_factor, self._policy.max_interval_ms)

    def retry(self, outcome: PollOutcome) -> RetryAction:
        """The retry button: clean up a stuck job so a new attempt can start.

        A job left `processing` past the max wait is reset (`reset_stuck_plan_job`); a job
        still `pending`, or flipping, is cancelled. Terminal jobs need no clean-up.
        """
        snapshot = outcome.last_snapshot
        if outcome.ui_state is not UiState.STUCK or snapshot is None:
            return RetryAction.NONE
        if snapshot.status not in ACTIVE_STATUSES:
            return RetryAction.NONE
        if snapshot.status == "processing" and outcome.stuck_reason is StuckReason.MAX_WAIT:
            self._source.reset_stuck_job(outcome.job_id)
            return RetryAction.RESET
        self._source.cancel_job(outcome.job_id)
        return RetryAction.CANCEL
