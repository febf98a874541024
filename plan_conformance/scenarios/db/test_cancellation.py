"""Cancellation (docs/contract.md "Functions"): owners and the service cancel active jobs; terminal jobs
stay."""

from __future__ import annotations

import pytest

from harness import Caller, QueueDatabase, QueueUser, Row, refused


def test_owner_cancels_a_pending_job(queue_db: QueueDatabase) -> None:
    owner = queue_db.create_user()
    job = queue_db.insert_job(owner)

    after = queue_db.rpc_row(owner.caller, "cancel_plan_job", p_job_id=job["id"])

    assert after is not None
    assert after["status"] == "cancelled"
    assert after["error_code"] == "CANCELLED"
    assert after["error_message"]
    assert after["completed_at"] is not None
    assert queue_db.claim() is None


def test_owner_cancels_a_processing_job_and_its_token_stops_working(queue_db: QueueDatabase) -> None:
    owner = queue_db.create_user()
    job = queue_db.insert_job(owner)
    claimed = queue_db.claim()
    assert claimed is not None

    after = queue_db.rpc_row(owner.caller, "cancel_plan_job", p_job_id=job["id"])

    assert after is not None
    assert after["status"] == "cancelled"
    assert after["claim_token"] is None
    with refused("PT409"):
        queue_db.fail(claimed)


def _terminal_job(queue_db: QueueDatabase, status: str) -> tuple[QueueUser, Row]:
    owner = queue_db.create_user()
    job = queue_db.insert_job(owner, max_retries=1)
    if status == "cancelled":
        queue_db.rpc_row(owner.caller, "cancel_plan_job", p_job_id=job["id"])
    else:
        claimed = queue_db.claim()
        assert claimed is not None
        if status == "completed":
            queue_db.complete(claimed)
        else:
            queue_db.fail(claimed, "AI_TIMEOUT")
    return owner, queue_db.job(job["id"])


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_cancelling_a_terminal_job_returns_it_unchanged(queue_db: QueueDatabase, status: str) -> None:
    owner, before = _terminal_job(queue_db, status)

    after = queue_db.rpc_row(owner.caller, "cancel_plan_job", p_job_id=before["id"])

    assert after == before
    assert queue_db.job(before["id"]) == before


def test_another_users_job_is_not_found_and_not_cancelled(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user())
    stranger = queue_db.create_user()

    with refused("PT404"):
        queue_db.rpc_row(stranger.caller, "cancel_plan_job", p_job_id=job["id"])

    assert queue_db.job(job["id"]) == job


def test_service_cancels_any_job(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user())

    after = queue_db.rpc_row(Caller.service(), "cancel_plan_job", p_job_id=job["id"])

    assert after is not None
    assert after["status"] == "cancelled"
    assert after["error_code"] == "CANCELLED"


def test_anonymous_caller_cannot_cancel(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user())

    with refused("42501"):
        queue_db.rpc_row(Caller.anon(), "cancel_plan_job", p_job_id=job["id"])

    assert queue_db.job(job["id"]) == job
