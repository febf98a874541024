"""Backoff between attempts (docs/contract.md, "Backoff between attempts").

A retryable failure schedules the next attempt at `run_after`, `fail_plan_job` and stuck
recovery alike: the n-th retry waits between `min(base * 2^(n-1), cap / 2)` and
`min(base * 2^n, cap)`, a longer Retry-After wins (up to an hour), and the claims pass
over a job until it is due. Delays are read from the row itself (`run_after` against the
`updated_at` written in the same transaction), so nothing here waits for a clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from harness import Backoff, Caller, QueueDatabase, Row, refused

# the contract's defaults, what a caller that passes no backoff gets
DEFAULT_BACKOFF = Backoff(base=timedelta(seconds=10), cap=timedelta(minutes=10))
# waits of 1-2 s, 2-4 s, then 4-8 s from the third retry on (the cap)
SHORT = Backoff(base=timedelta(seconds=1), cap=timedelta(seconds=8))
RETRY_AFTER_LIMIT = timedelta(hours=1)


def _delay(row: Row) -> timedelta:
    """How long after the failure the next attempt may start."""
    assert row["status"] == "pending", f"the job is {row['status']}, not waiting for a retry"
    assert row["run_after"] is not None, "a retryable failure left run_after null: the retry is due at once"
    delay: timedelta = row["run_after"] - row["updated_at"]
    return delay


def _in_bounds(delay: timedelta, backoff: Backoff, attempts: int) -> bool:
    low, high = backoff.bounds(attempts)
    return low <= delay <= high


def _fail_again(
    queue_db: QueueDatabase, job: Row, *, backoff: Backoff, retry_after: timedelta | None = None
) -> Row:
    """The job's next attempt: its backoff passes, it is claimed, and fails."""
    queue_db.end_backoff(job["id"])
    claimed = queue_db.claim()
    assert claimed is not None and claimed["id"] == job["id"], "the due job was not claimed"
    return queue_db.fail(claimed, "AI_UPSTREAM_ERROR", "502", retry_after=retry_after, backoff=backoff)


def test_a_retryable_failure_schedules_the_next_attempt_with_the_default_backoff(
    queue_db: QueueDatabase,
) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=3)
    claimed = queue_db.claim("worker-a")
    assert claimed is not None

    after = queue_db.fail(claimed, "AI_TIMEOUT", "DeepSeek stage 1 call timed out")

    delay = _delay(after)
    low, high = DEFAULT_BACKOFF.bounds(1)
    assert low <= delay <= high, f"first retry after {delay}, expected from {low} to {high}"
    entry = after["errors"][-1]
    assert datetime.fromisoformat(entry["run_after"]) == after["run_after"], (
        "the errors entry does not record when the next attempt was scheduled"
    )
    assert queue_db.claim() is None, "a job waiting for its backoff was claimed"
    assert queue_db.job(job["id"])["status"] == "pending"


def test_the_wait_grows_with_each_attempt_and_stops_at_the_cap(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=7)
    claimed = queue_db.claim()
    assert claimed is not None
    delays = [_delay(queue_db.fail(claimed, "AI_UPSTREAM_ERROR", "502", backoff=SHORT))]
    for _ in range(5):
        delays.append(_delay(_fail_again(queue_db, job, backoff=SHORT)))

    out_of_bounds = [
        (attempt, delay, SHORT.bounds(attempt))
        for attempt, delay in enumerate(delays, start=1)
        if not _in_bounds(delay, SHORT, attempt)
    ]
    assert out_of_bounds == [], f"waits outside [min, max] for base {SHORT.base}, cap {SHORT.cap}"
    # below the cap the ranges only touch, so the wait grows whatever the draws
    assert delays[0] < delays[1] < delays[2], f"the wait does not grow: {delays}"
    assert min(delays[2:]) >= SHORT.cap / 2 and max(delays) <= SHORT.cap, f"not held at the cap: {delays}"


def test_a_longer_retry_after_wins_and_a_shorter_one_does_not_shorten_the_wait(
    queue_db: QueueDatabase,
) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=4)
    claimed = queue_db.claim()
    assert claimed is not None

    asked = timedelta(minutes=5)
    longer = queue_db.fail(claimed, "AI_RATE_LIMIT", "429", retry_after=asked, backoff=SHORT)
    shorter = _fail_again(queue_db, job, retry_after=timedelta(milliseconds=1), backoff=SHORT)
    absurd = _fail_again(queue_db, job, retry_after=timedelta(days=3), backoff=SHORT)

    assert _delay(longer) == asked, "the upstream Retry-After was not honoured"
    assert _in_bounds(_delay(shorter), SHORT, 2), "a short Retry-After shortened the backoff"
    assert _delay(absurd) == RETRY_AFTER_LIMIT, "a Retry-After of days was not cut to an hour"


def test_the_claim_passes_over_a_job_not_yet_due_and_takes_it_once_due(queue_db: QueueDatabase) -> None:
    waiting = queue_db.insert_job(queue_db.create_user(), created_ago=timedelta(minutes=5))
    claimed = queue_db.claim()
    assert claimed is not None and claimed["id"] == waiting["id"]
    queue_db.fail(claimed, "AI_UPSTREAM_ERROR", "502")
    fresh = queue_db.insert_job(queue_db.create_user())
    newest = queue_db.insert_job(queue_db.create_user())

    first = queue_db.claim()
    batch = queue_db.rpc_rows(Caller.service(), "claim_next_plan_jobs", p_worker_id="batch", p_limit=10)

    assert first is not None and first["id"] == fresh["id"], "the claim took a job waiting for its backoff"
    assert [row["id"] for row in batch] == [newest["id"]], "the batch claim took a job in its backoff"
    assert queue_db.claim() is None

    queue_db.end_backoff(waiting["id"])
    later = queue_db.insert_job(queue_db.create_user())
    due = queue_db.rpc_rows(Caller.service(), "claim_next_plan_jobs", p_worker_id="batch", p_limit=10)

    assert [row["id"] for row in due] == [waiting["id"], later["id"]], (
        "once due, the older job must be claimed first (created_at order among due jobs)"
    )
    assert due[0]["retry_count"] == 1


@pytest.mark.parametrize("ending", ["non_retryable", "last_attempt", "completion"])
def test_a_job_that_ends_has_no_next_attempt_scheduled(queue_db: QueueDatabase, ending: str) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=2)
    claimed = queue_db.claim()
    assert claimed is not None
    assert queue_db.fail(claimed, "AI_UPSTREAM_ERROR", "502")["run_after"] is not None
    queue_db.end_backoff(job["id"])
    claimed = queue_db.claim()
    assert claimed is not None

    if ending == "non_retryable":
        after = queue_db.fail(claimed, "UNEXPECTED_ERROR", "plan schema changed", retryable=False)
    elif ending == "last_attempt":
        after = queue_db.fail(claimed, "AI_TIMEOUT", "timed out")
    else:
        after = queue_db.complete(claimed)

    assert after["status"] == ("completed" if ending == "completion" else "failed")
    assert after["run_after"] is None, f"{ending} left run_after {after['run_after']}"
    if ending != "completion":
        assert after["errors"][-1]["run_after"] is None


def test_an_abandoned_attempt_is_retried_after_a_backoff_too(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=3)
    assert queue_db.claim("worker-that-died") is not None
    queue_db.age(job["id"], started=timedelta(minutes=11))

    assert queue_db.reset_stuck(timedelta(minutes=10), backoff=SHORT) == 1

    after = queue_db.job(job["id"])
    assert after["error_code"] == "WORKER_TIMEOUT"
    assert _in_bounds(_delay(after), SHORT, 1), f"waits {_delay(after)} after an abandoned attempt"
    assert queue_db.claim() is None, "the recovered job was claimed before its backoff ended"


@pytest.mark.parametrize(
    ("base", "cap", "named"),
    [
        (timedelta(seconds=10), timedelta(seconds=5), "p_retry_cap"),
        (timedelta(0), timedelta(seconds=5), "p_retry_base"),
        (timedelta(seconds=10), timedelta(days=2), "p_retry_cap"),
    ],
)
def test_bad_backoff_arguments_are_refused_and_change_nothing(
    queue_db: QueueDatabase, base: timedelta, cap: timedelta, named: str
) -> None:
    queue_db.insert_job(queue_db.create_user())
    claimed = queue_db.claim()
    assert claimed is not None

    with refused("PT400") as caught:
        queue_db.rpc_row(
            Caller.service(),
            "fail_plan_job",
            p_job_id=claimed["id"],
            p_claim_token=claimed["claim_token"],
            p_error_code="AI_TIMEOUT",
            p_error_message="timed out",
            p_retry_base=base,
            p_retry_cap=cap,
        )

    assert named in str(caught[0])
    assert queue_db.job(claimed["id"]) == claimed


def test_a_negative_retry_after_is_refused(queue_db: QueueDatabase) -> None:
    queue_db.insert_job(queue_db.create_user())
    claimed = queue_db.claim()
    assert claimed is not None

    with refused("PT400") as caught:
        queue_db.fail(claimed, "AI_RATE_LIMIT", "429", retry_after=timedelta(seconds=-1))

    assert "p_retry_after" in str(caught[0])
    assert queue_db.job(claimed["id"]) == claimed
