"""The batch claim (docs/contract.md): `claim_next_plan_jobs(p_worker_id, p_limit)` claims
up to p_limit jobs, each exactly as `claim_next_plan_job` would, for service_role only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from harness import Caller, QueueDatabase, refused


def test_batch_claim_takes_the_oldest_pending_jobs_in_claim_order(queue_db: QueueDatabase) -> None:
    jobs = [
        queue_db.insert_job(queue_db.create_user(), created_ago=timedelta(minutes=10 - n)) for n in range(5)
    ]

    claimed = queue_db.rpc_rows(Caller.service(), "claim_next_plan_jobs", p_worker_id="batch-1", p_limit=3)

    assert [row["id"] for row in claimed] == [job["id"] for job in jobs[:3]]
    assert all(row["status"] == "processing" and row["claimed_by"] == "batch-1" for row in claimed)
    assert all(row["started_at"] is not None and row["retry_count"] == 0 for row in claimed)
    assert len({row["claim_token"] for row in claimed}) == 3
    assert [job["status"] for job in queue_db.jobs()] == ["processing"] * 3 + ["pending"] * 2


def test_batch_claim_returns_what_is_left_then_nothing(queue_db: QueueDatabase) -> None:
    queue_db.insert_job(queue_db.create_user())
    queue_db.insert_job(queue_db.create_user())

    first = queue_db.rpc_rows(Caller.service(), "claim_next_plan_jobs", p_worker_id="batch-1", p_limit=10)
    second = queue_db.rpc_rows(Caller.service(), "claim_next_plan_jobs", p_worker_id="batch-1", p_limit=10)

    assert len(first) == 2
    assert second == []


def test_batch_claimed_jobs_complete_and_fail_like_single_claims(queue_db: QueueDatabase) -> None:
    for _ in range(2):
        queue_db.insert_job(queue_db.create_user(), max_retries=2)
    done, failing = queue_db.rpc_rows(
        Caller.service(), "claim_next_plan_jobs", p_worker_id="batch-1", p_limit=2
    )

    assert queue_db.complete(done)["status"] == "completed"
    assert queue_db.fail(failing)["status"] == "pending"
    queue_db.end_backoff(failing["id"])
    again = queue_db.claim("worker-2")
    assert again is not None and again["id"] == failing["id"] and again["retry_count"] == 1
    with refused("PT409"):
        queue_db.fail(failing)


@pytest.mark.parametrize("limit", [0, -1, 101, None])
def test_batch_claim_refuses_a_limit_out_of_range(queue_db: QueueDatabase, limit: int | None) -> None:
    queue_db.insert_job(queue_db.create_user())

    with refused("PT400") as caught:
        queue_db.rpc_rows(Caller.service(), "claim_next_plan_jobs", p_worker_id="batch-1", p_limit=limit)

    assert "p_limit" in str(caught[0])
    assert [job["status"] for job in queue_db.jobs()] == ["pending"]


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_batch_claim_is_for_the_service_only(queue_db: QueueDatabase, role: str) -> None:
    user = queue_db.create_user()
    queue_db.insert_job(user)
    caller = user.caller if role == "authenticated" else Caller.anon()

    with refused("42501"):
        queue_db.rpc_rows(caller, "claim_next_plan_jobs", p_worker_id="intruder", p_limit=1)

    assert [job["status"] for job in queue_db.jobs()] == ["pending"]
