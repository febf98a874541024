"""Stale pending jobs (docs/contract.md "Functions"): never claimed within the window -> STALE_PENDING."""

from __future__ import annotations

from datetime import timedelta

from harness import QueueDatabase

WINDOW = timedelta(minutes=30)


def test_pending_job_untouched_for_the_window_fails_as_stale(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=3)
    queue_db.age(job["id"], created=timedelta(minutes=31), updated=timedelta(minutes=31))

    assert queue_db.expire_stale(WINDOW) == 1

    after = queue_db.job(job["id"])
    assert after["status"] == "failed"
    assert after["error_code"] == "STALE_PENDING"
    assert after["error_message"]
    assert after["retry_count"] == 0
    assert after["completed_at"] is not None
    assert queue_db.claim() is None


def test_recently_requeued_job_is_not_stale_even_if_created_long_ago(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=3, created_ago=timedelta(hours=2))
    claimed = queue_db.claim()
    assert claimed is not None
    queue_db.fail(claimed, "AI_UPSTREAM_ERROR", "DeepSeek answered 502")

    assert queue_db.expire_stale(WINDOW) == 0

    assert queue_db.job(job["id"])["status"] == "pending"


def test_a_job_waiting_for_its_backoff_is_not_stale_until_the_window_after_it_became_due(
    queue_db: QueueDatabase,
) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=3)
    claimed = queue_db.claim()
    assert claimed is not None
    queue_db.fail(claimed, "AI_RATE_LIMIT", "429", retry_after=timedelta(hours=1))
    # requeued 40 minutes ago, due 20 minutes from now
    queue_db.age(job["id"], updated=timedelta(minutes=40), run_after=timedelta(minutes=40))

    assert queue_db.expire_stale(WINDOW) == 0
    assert queue_db.job(job["id"])["status"] == "pending"

    # due 29 minutes ago: still within the window
    queue_db.age(job["id"], run_after=timedelta(minutes=49))
    assert queue_db.expire_stale(WINDOW) == 0

    # due 31 minutes ago and never claimed: stale
    queue_db.age(job["id"], run_after=timedelta(minutes=2))
    assert queue_db.expire_stale(WINDOW) == 1
    after = queue_db.job(job["id"])
    assert (after["status"], after["error_code"], after["retry_count"]) == ("failed", "STALE_PENDING", 1)


def test_young_pending_and_processing_jobs_are_left_alone(queue_db: QueueDatabase) -> None:
    young = queue_db.insert_job(queue_db.create_user())
    queue_db.age(young["id"], updated=timedelta(minutes=29))
    processing = queue_db.insert_job(queue_db.create_user(), created_ago=timedelta(hours=1))
    claimed = queue_db.claim()
    assert claimed is not None and claimed["id"] == processing["id"]
    queue_db.age(processing["id"], updated=timedelta(hours=1))

    assert queue_db.expire_stale(WINDOW) == 0

    assert queue_db.job(young["id"])["status"] == "pending"
    assert queue_db.job(processing["id"])["status"] == "processing"
