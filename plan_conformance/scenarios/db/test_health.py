"""plan_job_health (docs/contract.md "Functions"): the documented fields, with counts checked against rows."""

from __future__ import annotations

import statistics
from datetime import timedelta
from typing import Any

import pytest

from harness import Caller, QueueDatabase, refused

DOCUMENTED_FIELDS = {
    "generated_at",
    "window_seconds",
    "counts_by_status",
    "stuck_count",
    "oldest_pending_age_seconds",
    "backoff_count",
    "attempt_errors",
    "final_error_codes",
    "retry_histogram",
    "completed_count",
    "duration_p50_seconds",
    "duration_p95_seconds",
}


def _health(queue_db: QueueDatabase, window: timedelta = timedelta(hours=1)) -> dict[str, Any]:
    result = queue_db.rpc_value(Caller.service(), "plan_job_health", p_window=window)
    assert isinstance(result, dict)
    return result


def _percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (what percentile_cont computes)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def test_empty_queue_reports_zeros_and_nulls(queue_db: QueueDatabase) -> None:
    health = _health(queue_db)

    assert set(health) == DOCUMENTED_FIELDS
    assert health["counts_by_status"] == {
        "pending": 0,
        "processing": 0,
        "completed": 0,
        "failed": 0,
        "cancelled": 0,
    }
    assert health["stuck_count"] == 0
    assert health["oldest_pending_age_seconds"] is None
    assert health["backoff_count"] == 0
    assert health["attempt_errors"] == {}
    assert health["final_error_codes"] == {}
    assert health["retry_histogram"] == {}
    assert health["completed_count"] == 0
    assert health["duration_p50_seconds"] is None
    assert health["duration_p95_seconds"] is None
    assert health["window_seconds"] == 3600


def test_counts_match_a_mixed_queue(queue_db: QueueDatabase) -> None:
    # three completed jobs: one after a failed attempt; durations 60 s, 120 s, 300 s
    completed_durations = []
    for minutes, failures in ((1, 0), (2, 1), (5, 0)):
        job = queue_db.insert_job(queue_db.create_user(), max_retries=3)
        for _ in range(failures):
            claimed = queue_db.claim()
            assert claimed is not None
            queue_db.fail(claimed, "AI_RATE_LIMIT", "429")
            queue_db.end_backoff(job["id"])
        claimed = queue_db.claim()
        assert claimed is not None
        queue_db.complete(claimed)
        queue_db.age(job["id"], created=timedelta(minutes=minutes))
        completed_durations.append(minutes * 60.0)
    # one failed for good after two timeouts
    failed = queue_db.insert_job(queue_db.create_user(), max_retries=2)
    for _ in range(2):
        claimed = queue_db.claim()
        assert claimed is not None
        queue_db.fail(claimed, "AI_TIMEOUT", "timed out")
        queue_db.end_backoff(failed["id"])
    # one cancelled
    cancelled = queue_db.insert_job(queue_db.create_user())
    queue_db.rpc_row(Caller.service(), "cancel_plan_job", p_job_id=cancelled["id"])
    # one stuck and one fresh processing job
    stuck = queue_db.insert_job(queue_db.create_user())
    assert queue_db.claim() is not None
    queue_db.age(stuck["id"], started=timedelta(minutes=15))
    queue_db.insert_job(queue_db.create_user())
    assert queue_db.claim() is not None
    # two pending jobs, the older one waiting for a worker for 20 minutes
    old_pending = queue_db.insert_job(queue_db.create_user())
    queue_db.age(old_pending["id"], created=timedelta(minutes=20), updated=timedelta(minutes=20))
    queue_db.insert_job(queue_db.create_user())

    health = _health(queue_db)

    assert queue_db.job(failed["id"])["status"] == "failed"
    assert health["counts_by_status"] == {
        "pending": 2,
        "processing": 2,
        "completed": 3,
        "failed": 1,
        "cancelled": 1,
    }
    assert health["stuck_count"] == 1
    assert health["oldest_pending_age_seconds"] == pytest.approx(20 * 60, abs=5)
    assert health["backoff_count"] == 0
    assert health["attempt_errors"] == {"AI_RATE_LIMIT": 1, "AI_TIMEOUT": 2}
    assert health["final_error_codes"] == {"AI_TIMEOUT": 1, "CANCELLED": 1}
    assert health["retry_histogram"] == {"0": 3, "1": 1, "2": 1}
    assert health["completed_count"] == 3
    assert health["duration_p50_seconds"] == pytest.approx(statistics.median(completed_durations), abs=2)
    assert health["duration_p95_seconds"] == pytest.approx(_percentile(completed_durations, 0.95), abs=2)


def test_a_job_waiting_for_its_backoff_is_not_waiting_for_a_worker(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user(), created_ago=timedelta(hours=2))
    claimed = queue_db.claim()
    assert claimed is not None
    queue_db.fail(claimed, "AI_RATE_LIMIT", "429", retry_after=timedelta(minutes=5))

    waiting = _health(queue_db)
    # the backoff ended 3 minutes ago: the job has waited for a worker since then
    queue_db.age(job["id"], run_after=timedelta(minutes=8), updated=timedelta(minutes=8))
    due = _health(queue_db)

    assert waiting["counts_by_status"]["pending"] == 1
    assert waiting["backoff_count"] == 1
    assert waiting["oldest_pending_age_seconds"] is None, "a job in its backoff counted as waiting"
    assert due["backoff_count"] == 0
    assert due["oldest_pending_age_seconds"] == pytest.approx(3 * 60, abs=5), (
        "the pending age must count from when the job became due, not from its creation"
    )


def test_window_excludes_older_activity(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=1)
    claimed = queue_db.claim()
    assert claimed is not None
    queue_db.fail(claimed, "AI_TIMEOUT")
    queue_db.conn.execute(
        "update public.plan_generation_jobs set completed_at = now() - interval '2 hours',"
        " errors = jsonb_set(errors, '{0,at}', to_jsonb(now() - interval '2 hours'))"
        " where id = %s",
        (job["id"],),
    )

    health = _health(queue_db, timedelta(hours=1))

    assert health["counts_by_status"]["failed"] == 1
    assert health["attempt_errors"] == {}
    assert health["final_error_codes"] == {}
    assert health["retry_histogram"] == {}


def test_non_positive_window_is_refused(queue_db: QueueDatabase) -> None:
    with refused("PT400"):
        _health(queue_db, timedelta(0))
