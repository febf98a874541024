"""The reference migrations' job creation (enqueue_plan_job) and notification trigger."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from harness.queue_db import DEFAULT_JOB_INPUT, QueueDatabase, QueueUser, refused
from pgcaller import Caller


def _enqueue(queue_db: QueueDatabase, user: QueueUser, **args: Any) -> dict[str, Any]:
    row = queue_db.rpc_row(
        Caller.service(), "enqueue_plan_job", p_user_id=user.id, p_input=dict(DEFAULT_JOB_INPUT), **args
    )
    assert row is not None
    return row


def _complete_active(queue_db: QueueDatabase) -> dict[str, Any]:
    claimed = queue_db.claim()
    assert claimed is not None
    return queue_db.complete(claimed)


def test_first_request_creates_a_pending_job(queue_db: QueueDatabase) -> None:
    user = queue_db.create_user()

    row = _enqueue(queue_db, user, p_max_retries=4)

    assert row["created"] is True
    assert row["status"] == "pending"
    assert row["superseded_job_id"] is None
    job = queue_db.job(row["job_id"])
    assert job["max_retries"] == 4
    assert job["input"] == DEFAULT_JOB_INPUT


def test_repeated_request_returns_the_active_job(queue_db: QueueDatabase) -> None:
    user = queue_db.create_user()
    first = _enqueue(queue_db, user)

    again = _enqueue(queue_db, user)

    assert again["created"] is False
    assert again["job_id"] == first["job_id"]
    assert len(queue_db.jobs()) == 1


def test_regeneration_within_the_cooldown_is_refused_with_the_next_allowed_time(
    queue_db: QueueDatabase,
) -> None:
    user = queue_db.create_user()
    _enqueue(queue_db, user)
    done = _complete_active(queue_db)

    with refused("PT429") as caught:
        _enqueue(queue_db, user, p_regenerate=True)

    detail = json.loads(caught[0].diag.message_detail or "{}")
    assert detail["nextAllowedAt"].startswith(str((done["completed_at"] + timedelta(days=14)).date()))
    assert len(queue_db.jobs()) == 1


def test_regeneration_supersedes_the_in_flight_job_and_keeps_the_old_plan_active(
    queue_db: QueueDatabase,
) -> None:
    user = queue_db.create_user()
    _enqueue(queue_db, user, p_cooldown=timedelta(0))
    first_plan = _complete_active(queue_db)["plan_id"]
    in_flight = _enqueue(queue_db, user, p_cooldown=timedelta(0))

    regenerated = _enqueue(queue_db, user, p_regenerate=True, p_cooldown=timedelta(0))

    assert regenerated["created"] is True
    assert regenerated["superseded_job_id"] == in_flight["job_id"]
    old = queue_db.job(in_flight["job_id"])
    assert (old["status"], old["error_code"]) == ("cancelled", "SUPERSEDED")
    assert [plan["id"] for plan in queue_db.plans(user) if plan["is_active"]] == [first_plan]


def test_bad_arguments_are_refused(queue_db: QueueDatabase) -> None:
    user = queue_db.create_user()
    with refused("PT400"):
        _enqueue(queue_db, user, p_max_retries=0)
    with refused("PT400"):
        queue_db.rpc_row(Caller.service(), "enqueue_plan_job", p_user_id=user.id, p_input=[1])


def test_users_cannot_enqueue_directly(queue_db: QueueDatabase) -> None:
    user = queue_db.create_user()
    with refused("42501"):
        queue_db.rpc_row(user.caller, "enqueue_plan_job", p_user_id=user.id, p_input=dict(DEFAULT_JOB_INPUT))


@pytest.mark.parametrize(
    ("outcome", "kind", "link"),
    [("completed", "plan_ready", "/plan-preview?jobId="), ("failed", "plan_failed", "/plan-building?jobId=")],
)
def test_finished_job_records_one_notification_with_its_deep_link(
    queue_db: QueueDatabase, outcome: str, kind: str, link: str
) -> None:
    user = queue_db.create_user()
    job = queue_db.insert_job(user, max_retries=1)
    claimed = queue_db.claim()
    assert claimed is not None
    if outcome == "completed":
        queue_db.complete(claimed)
    else:
        queue_db.fail(claimed, "AI_TIMEOUT")

    rows = queue_db.select_as(user.caller, "select * from public.plan_notifications")

    assert [(row["kind"], row["deep_link"]) for row in rows] == [(kind, f"{link}{job['id']}")]
    assert "/generating-base-plan" not in rows[0]["deep_link"]


def test_retry_and_cancellation_record_no_notification(queue_db: QueueDatabase) -> None:
    user = queue_db.create_user()
    job = queue_db.insert_job(user, max_retries=3)
    claimed = queue_db.claim()
    assert claimed is not None
    queue_db.fail(claimed, "AI_TIMEOUT")
    queue_db.rpc_row(user.caller, "cancel_plan_job", p_job_id=job["id"])

    assert queue_db.conn.execute("select count(*) as n from public.plan_notifications").fetchone() == {"n": 0}


def test_users_see_only_their_own_notifications(queue_db: QueueDatabase) -> None:
    alice, bob = queue_db.create_user(), queue_db.create_user()
    for user in (alice, bob):
        queue_db.insert_job(user)
        _complete_active(queue_db)

    rows = queue_db.select_as(alice.caller, "select user_id from public.plan_notifications")

    assert {str(row["user_id"]) for row in rows} == {alice.id}
    with pytest.raises(psycopg.Error):
        queue_db.execute_as(alice.caller, "delete from public.plan_notifications")
