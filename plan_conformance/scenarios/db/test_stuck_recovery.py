"""Stuck recovery (docs/contract.md "Retry semantics", "Stuck and stale"): an abandoned attempt is
counted like a failed one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from harness import Caller, QueueDatabase, refused

STUCK_AFTER = timedelta(minutes=10)
LONG_AGO = timedelta(minutes=11)


def test_aged_processing_job_goes_back_to_pending_as_worker_timeout(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=3)
    claimed = queue_db.claim("worker-that-died")
    assert claimed is not None
    queue_db.age(job["id"], started=LONG_AGO)

    assert queue_db.reset_stuck(STUCK_AFTER) == 1

    after = queue_db.job(job["id"])
    assert after["status"] == "pending"
    assert after["retry_count"] == 1
    assert after["error_code"] == "WORKER_TIMEOUT"
    assert after["error_message"]
    assert after["claim_token"] is None
    assert after["claimed_by"] is None
    assert after["completed_at"] is None
    assert after["errors"][-1]["error_code"] == "WORKER_TIMEOUT"
    assert after["errors"][-1]["worker"] == "worker-that-died"


def test_recovery_at_the_limit_fails_the_job(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=2)
    first = queue_db.claim()
    assert first is not None
    queue_db.fail(first, "AI_UPSTREAM_ERROR", "DeepSeek answered 503")
    queue_db.end_backoff(job["id"])
    second = queue_db.claim()
    assert second is not None
    queue_db.age(job["id"], started=LONG_AGO)

    assert queue_db.reset_stuck(STUCK_AFTER) == 1

    after = queue_db.job(job["id"])
    assert after["status"] == "failed"
    assert after["retry_count"] == 2
    assert after["error_code"] == "WORKER_TIMEOUT"
    assert after["completed_at"] is not None


@pytest.mark.parametrize("max_retries", [1, 3, 5])
def test_poison_job_abandoned_on_every_attempt_ends_failed_after_max_retries(
    queue_db: QueueDatabase, max_retries: int
) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=max_retries)

    claims = 0
    while queue_db.claim() is not None:
        claims += 1
        assert claims <= max_retries, "a poison job was claimed more often than max_retries"
        queue_db.age(job["id"], started=LONG_AGO)
        assert queue_db.reset_stuck(STUCK_AFTER) == 1
        queue_db.end_backoff(job["id"])

    after = queue_db.job(job["id"])
    assert claims == max_retries
    assert after["status"] == "failed"
    assert after["retry_count"] == max_retries
    assert after["error_code"] == "WORKER_TIMEOUT"
    assert len(after["errors"]) == max_retries


def test_fresh_processing_job_is_untouched(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user())
    claimed = queue_db.claim()
    assert claimed is not None
    aged = queue_db.age(job["id"], started=timedelta(minutes=5))

    assert queue_db.reset_stuck(STUCK_AFTER) == 0

    assert queue_db.job(job["id"]) == aged


def test_pending_and_terminal_jobs_are_not_recovered(queue_db: QueueDatabase) -> None:
    pending = queue_db.insert_job(queue_db.create_user())
    done = queue_db.insert_job(queue_db.create_user())
    queue_db.age(pending["id"], created=LONG_AGO, updated=LONG_AGO)
    claimed = queue_db.claim()
    assert claimed is not None and claimed["id"] == pending["id"]
    queue_db.complete(claimed)
    queue_db.age(pending["id"], started=timedelta(hours=2))

    assert queue_db.reset_stuck(STUCK_AFTER) == 0
    assert queue_db.job(pending["id"])["status"] == "completed"
    assert queue_db.job(done["id"])["status"] == "pending"


def test_owner_resets_their_own_stuck_job(queue_db: QueueDatabase) -> None:
    owner = queue_db.create_user()
    job = queue_db.insert_job(owner, max_retries=3)
    assert queue_db.claim() is not None
    queue_db.age(job["id"], started=LONG_AGO)

    after = queue_db.rpc_row(
        owner.caller, "reset_stuck_plan_job", p_job_id=job["id"], p_stuck_after=STUCK_AFTER
    )

    assert after is not None
    assert after["status"] == "pending"
    assert after["retry_count"] == 1
    assert after["error_code"] == "WORKER_TIMEOUT"


def test_reset_of_a_job_that_is_not_stuck_returns_it_unchanged(queue_db: QueueDatabase) -> None:
    owner = queue_db.create_user()
    job = queue_db.insert_job(owner)
    claimed = queue_db.claim()
    assert claimed is not None

    after = queue_db.rpc_row(owner.caller, "reset_stuck_plan_job", p_job_id=job["id"])

    assert after == queue_db.job(job["id"]) == claimed


def test_another_users_job_cannot_be_reset(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user())
    assert queue_db.claim() is not None
    aged = queue_db.age(job["id"], started=LONG_AGO)
    stranger = queue_db.create_user()

    with refused("PT404"):
        queue_db.rpc_row(stranger.caller, "reset_stuck_plan_job", p_job_id=job["id"])

    assert queue_db.job(job["id"]) == aged


def test_service_resets_any_stuck_job(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user())
    assert queue_db.claim() is not None
    queue_db.age(job["id"], started=LONG_AGO)

    after = queue_db.rpc_row(Caller.service(), "reset_stuck_plan_job", p_job_id=job["id"])

    assert after is not None and after["status"] == "pending"


@pytest.mark.parametrize("interval", [timedelta(0), timedelta(minutes=-5)])
def test_non_positive_threshold_is_refused(queue_db: QueueDatabase, interval: timedelta) -> None:
    with refused("PT400"):
        queue_db.reset_stuck(interval)


def test_an_owner_cannot_shorten_the_threshold_to_abandon_a_live_attempt(queue_db: QueueDatabase) -> None:
    owner = queue_db.create_user()
    job = queue_db.insert_job(owner, max_retries=3)
    claimed = queue_db.claim()
    assert claimed is not None
    live = queue_db.age(job["id"], started=timedelta(minutes=2))

    after = queue_db.rpc_row(
        owner.caller, "reset_stuck_plan_job", p_job_id=job["id"], p_stuck_after=timedelta(microseconds=1)
    )

    assert after == live
    assert queue_db.job(job["id"]) == live
