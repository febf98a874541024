"""Fencing (docs/contract.md "Functions"): a result carried by a stale claim token is refused with PT409,
changes nothing, and writes no plan."""

from __future__ import annotations

import uuid
from datetime import timedelta

from harness import Caller, QueueDatabase, Row, refused

LONG_AGO = timedelta(minutes=11)


def _recovered_attempt(queue_db: QueueDatabase) -> tuple[Row, Row]:
    """A claim whose attempt stuck recovery has since taken away: (stale claim, job now)."""
    job = queue_db.insert_job(queue_db.create_user(), max_retries=3)
    stale = queue_db.claim("slow-worker")
    assert stale is not None
    queue_db.age(job["id"], started=LONG_AGO)
    assert queue_db.reset_stuck() == 1
    return stale, queue_db.job(job["id"])


def test_late_completion_after_recovery_is_refused(queue_db: QueueDatabase) -> None:
    stale, before = _recovered_attempt(queue_db)

    with refused("PT409"):
        queue_db.complete(stale)

    assert queue_db.job(stale["id"]) == before
    assert queue_db.plans() == []


def test_late_failure_after_recovery_is_refused(queue_db: QueueDatabase) -> None:
    stale, before = _recovered_attempt(queue_db)

    with refused("PT409"):
        queue_db.fail(stale, "AI_TIMEOUT", "late")

    assert queue_db.job(stale["id"]) == before


def test_token_of_an_earlier_attempt_is_refused_and_the_current_one_accepted(
    queue_db: QueueDatabase,
) -> None:
    stale, _ = _recovered_attempt(queue_db)
    queue_db.end_backoff(stale["id"])
    current = queue_db.claim("second-worker")
    assert current is not None and current["id"] == stale["id"]
    assert current["claim_token"] != stale["claim_token"]

    with refused("PT409"):
        queue_db.complete(stale)
    assert queue_db.job(current["id"])["status"] == "processing"

    done = queue_db.complete(current)
    assert done["status"] == "completed"
    plans = queue_db.plans()
    assert len(plans) == 1
    assert plans[0]["job_id"] == current["id"]


def test_completion_after_cancellation_is_refused(queue_db: QueueDatabase) -> None:
    owner = queue_db.create_user()
    job = queue_db.insert_job(owner)
    claimed = queue_db.claim()
    assert claimed is not None
    cancelled = queue_db.rpc_row(owner.caller, "cancel_plan_job", p_job_id=job["id"])
    assert cancelled is not None and cancelled["status"] == "cancelled"

    with refused("PT409"):
        queue_db.complete(claimed)

    assert queue_db.job(job["id"]) == cancelled
    assert queue_db.plans() == []


def test_second_completion_with_the_same_token_is_refused(queue_db: QueueDatabase) -> None:
    queue_db.insert_job(queue_db.create_user())
    claimed = queue_db.claim()
    assert claimed is not None
    done = queue_db.complete(claimed)

    with refused("PT409"):
        queue_db.complete(claimed, {"days": {}, "label": "second"})

    assert queue_db.job(claimed["id"]) == done
    assert len(queue_db.plans()) == 1


def test_made_up_token_is_refused(queue_db: QueueDatabase) -> None:
    queue_db.insert_job(queue_db.create_user())
    claimed = queue_db.claim()
    assert claimed is not None
    forged = {**claimed, "claim_token": uuid.uuid4()}

    with refused("PT409"):
        queue_db.complete(forged)
    with refused("PT409"):
        queue_db.fail(forged)

    assert queue_db.job(claimed["id"]) == claimed


def test_unknown_job_is_not_found(queue_db: QueueDatabase) -> None:
    ghost = {"id": uuid.uuid4(), "claim_token": uuid.uuid4()}
    with refused("PT404"):
        queue_db.complete(ghost)
    with refused("PT404"):
        queue_db.rpc_row(Caller.service(), "cancel_plan_job", p_job_id=ghost["id"])
