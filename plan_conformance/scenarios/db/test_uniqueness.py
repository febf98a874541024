"""Uniqueness (docs/contract.md "Tables"): one active job and one active plan per user, one plan per job;
completion replaces the active plan in one transaction."""

from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg.types.json import Jsonb

from harness import QueueDatabase, refused


def test_second_active_job_for_a_user_is_rejected(queue_db: QueueDatabase) -> None:
    user = queue_db.create_user()
    queue_db.insert_job(user)

    with pytest.raises(psycopg.errors.UniqueViolation):
        queue_db.insert_job(user)

    assert len(queue_db.jobs()) == 1


def test_a_new_job_is_allowed_once_the_previous_one_is_terminal(queue_db: QueueDatabase) -> None:
    user = queue_db.create_user()
    first = queue_db.insert_job(user, max_retries=1)
    claimed = queue_db.claim()
    assert claimed is not None
    queue_db.fail(claimed, "AI_TIMEOUT")

    second = queue_db.insert_job(user)

    assert second["id"] != first["id"]
    assert queue_db.job(first["id"])["status"] == "failed"


def test_a_job_has_at_most_one_plan(queue_db: QueueDatabase) -> None:
    user = queue_db.create_user()
    queue_db.insert_job(user)
    claimed = queue_db.claim()
    assert claimed is not None
    queue_db.complete(claimed)

    with pytest.raises(psycopg.errors.UniqueViolation):
        queue_db.conn.execute(
            "insert into public.weekly_base_plans (user_id, job_id, plan) values (%s, %s, %s)",
            (user.id, claimed["id"], Jsonb({"days": {}})),
        )


def test_completion_replaces_the_active_plan(queue_db: QueueDatabase) -> None:
    user = queue_db.create_user()
    plan_ids = []
    for _ in range(3):
        queue_db.insert_job(user)
        claimed = queue_db.claim()
        assert claimed is not None
        plan_ids.append(queue_db.complete(claimed)["plan_id"])

    plans = {plan["id"]: plan for plan in queue_db.plans(user)}
    assert set(plans) == set(plan_ids)
    assert [plan_id for plan_id in plan_ids if plans[plan_id]["is_active"]] == [plan_ids[-1]]


def test_completed_job_points_at_its_plan_with_the_job_targets(queue_db: QueueDatabase) -> None:
    user = queue_db.create_user()
    job = queue_db.insert_job(user)
    claimed = queue_db.claim()
    assert claimed is not None

    done = queue_db.complete(claimed, {"days": {"monday": {}}})

    (plan,) = queue_db.plans(user)
    assert done["plan_id"] == plan["id"]
    assert plan["job_id"] == job["id"]
    assert plan["plan"] == {"days": {"monday": {}}}
    assert plan["targets"] == job["input"]["targets"]
    assert plan["is_active"] is True


def test_failed_completion_leaves_the_previous_plan_active(queue_db: QueueDatabase) -> None:
    """The deactivation of the old plan and the insert of the new one are one transaction:
    when the insert fails (here: a plan row already exists for the job), the old plan
    must still be the active one."""
    user = queue_db.create_user()
    queue_db.insert_job(user)
    first = queue_db.claim()
    assert first is not None
    old_plan_id = queue_db.complete(first)["plan_id"]
    queue_db.insert_job(user)
    second = queue_db.claim()
    assert second is not None
    queue_db.conn.execute(
        "insert into public.weekly_base_plans (user_id, job_id, plan, is_active) values (%s, %s, %s, false)",
        (user.id, second["id"], Jsonb({"days": {}})),
    )

    with refused("23505"):
        queue_db.complete(second)

    active = [plan["id"] for plan in queue_db.plans(user) if plan["is_active"]]
    assert active == [old_plan_id]
    assert queue_db.job(second["id"])["status"] == "processing"


def test_readers_never_see_zero_or_two_active_plans_during_completions(queue_db: QueueDatabase) -> None:
    user = queue_db.create_user()
    queue_db.insert_job(user)
    first = queue_db.claim()
    assert first is not None
    queue_db.complete(first)
    seen: list[int] = []
    stop = threading.Event()

    def read_active_counts() -> None:
        with queue_db.connect() as conn:
            while not stop.is_set():
                row = conn.execute(
                    "select count(*) as n from public.weekly_base_plans where user_id = %s and is_active",
                    (user.id,),
                ).fetchone()
                assert row is not None
                seen.append(row["n"])

    reader = threading.Thread(target=read_active_counts)
    reader.start()
    try:
        for _ in range(30):
            queue_db.insert_job(user)
            claimed = queue_db.claim()
            assert claimed is not None
            queue_db.complete(claimed)
    finally:
        stop.set()
        reader.join(10)

    assert seen, "the reader made no observations"
    assert set(seen) == {1}
