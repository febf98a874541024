"""Row-level security and grants (docs/contract.md "Tables", "Functions"): users read only their own rows,
write nothing directly, and cannot call the service's functions."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from harness import Caller, QueueDatabase, QueueUser, refused

SERVICE_ONLY_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("claim_next_plan_job", {"p_worker_id": "intruder"}),
    ("complete_plan_job", {"p_job_id": uuid.uuid4(), "p_claim_token": uuid.uuid4(), "p_plan": {"days": {}}}),
    (
        "fail_plan_job",
        {
            "p_job_id": uuid.uuid4(),
            "p_claim_token": uuid.uuid4(),
            "p_error_code": "AI_TIMEOUT",
            "p_error_message": "x",
        },
    ),
    ("reset_stuck_plan_jobs", {"p_stuck_after": timedelta(minutes=10)}),
    ("expire_stale_pending_jobs", {"p_older_than": timedelta(minutes=30)}),
    ("plan_job_health", {"p_window": timedelta(hours=1)}),
]
OWNER_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("cancel_plan_job", {"p_job_id": uuid.uuid4()}),
    ("reset_stuck_plan_job", {"p_job_id": uuid.uuid4()}),
    ("get_active_plan_job", {}),
]


def _two_users_with_plans_and_jobs(queue_db: QueueDatabase) -> tuple[QueueUser, QueueUser]:
    alice, bob = queue_db.create_user(), queue_db.create_user()
    for user in (alice, bob):
        queue_db.insert_job(user)
        claimed = queue_db.claim()
        assert claimed is not None and str(claimed["user_id"]) == user.id
        queue_db.complete(claimed)
    for user in (alice, bob):
        queue_db.insert_job(user)
    return alice, bob


@pytest.mark.parametrize("table", ["plan_generation_jobs", "weekly_base_plans"])
def test_users_read_only_their_own_rows(queue_db: QueueDatabase, table: str) -> None:
    alice, bob = _two_users_with_plans_and_jobs(queue_db)

    for user in (alice, bob):
        rows = queue_db.select_as(user.caller, f"select user_id from public.{table}")
        assert rows, f"{user.email} sees none of their own rows in {table}"
        assert {str(row["user_id"]) for row in rows} == {user.id}


@pytest.mark.parametrize("table", ["plan_generation_jobs", "weekly_base_plans"])
def test_service_role_reads_every_row(queue_db: QueueDatabase, table: str) -> None:
    alice, bob = _two_users_with_plans_and_jobs(queue_db)

    rows = queue_db.select_as(Caller.service(), f"select user_id from public.{table}")

    assert {str(row["user_id"]) for row in rows} == {alice.id, bob.id}


@pytest.mark.parametrize("table", ["plan_generation_jobs", "weekly_base_plans"])
def test_anonymous_callers_read_nothing(queue_db: QueueDatabase, table: str) -> None:
    _two_users_with_plans_and_jobs(queue_db)
    try:
        rows = queue_db.select_as(Caller.anon(), f"select * from public.{table}")
    except Exception as error:  # no grant at all is as good as an empty result
        assert getattr(error, "sqlstate", None) == "42501", error
    else:
        assert rows == []


WRITES = [
    "insert into public.plan_generation_jobs (user_id, input) values (%(me)s, '{}'::jsonb)",
    "update public.plan_generation_jobs set status = 'completed' where user_id = %(me)s",
    "update public.plan_generation_jobs set retry_count = 0, max_retries = 20 where user_id = %(me)s",
    "delete from public.plan_generation_jobs where user_id = %(me)s",
    "insert into public.weekly_base_plans (user_id, plan, is_active) values (%(me)s, '{}'::jsonb, true)",
    "update public.weekly_base_plans set is_active = true where user_id = %(me)s",
    "delete from public.weekly_base_plans where user_id = %(me)s",
]


@pytest.mark.parametrize("statement", WRITES)
def test_users_cannot_write_the_tables_directly(queue_db: QueueDatabase, statement: str) -> None:
    alice, _ = _two_users_with_plans_and_jobs(queue_db)
    jobs_before, plans_before = queue_db.jobs(), queue_db.plans()

    try:
        affected = queue_db.execute_as(alice.caller, statement, {"me": alice.id})
    except psycopg.Error as error:
        assert error.sqlstate == "42501", error
    else:
        assert affected == 0, f"{affected} rows written by a user directly"

    assert queue_db.jobs() == jobs_before
    assert queue_db.plans() == plans_before


@pytest.mark.parametrize(
    "caller", [Caller.anon(), Caller.user(str(uuid.uuid4()))], ids=["anon", "authenticated"]
)
@pytest.mark.parametrize(
    ("function", "args"), SERVICE_ONLY_CALLS, ids=[name for name, _ in SERVICE_ONLY_CALLS]
)
def test_api_roles_cannot_call_service_only_functions(
    queue_db: QueueDatabase, caller: Caller, function: str, args: dict[str, Any]
) -> None:
    queue_db.insert_job(queue_db.create_user())
    before = queue_db.jobs()

    with refused("42501"):
        queue_db.rpc_rows(caller, function, **args)

    assert queue_db.jobs() == before


@pytest.mark.parametrize(("function", "args"), OWNER_CALLS, ids=[name for name, _ in OWNER_CALLS])
def test_anonymous_callers_cannot_call_owner_functions(
    queue_db: QueueDatabase, function: str, args: dict[str, Any]
) -> None:
    with refused("42501"):
        queue_db.rpc_rows(Caller.anon(), function, **args)


def test_get_active_plan_job_returns_only_the_callers_job(queue_db: QueueDatabase) -> None:
    alice, bob, carol = queue_db.create_user(), queue_db.create_user(), queue_db.create_user()
    alice_job = queue_db.insert_job(alice)
    bob_job = queue_db.insert_job(bob)

    alice_active = queue_db.rpc_row(alice.caller, "get_active_plan_job")
    bob_active = queue_db.rpc_row(bob.caller, "get_active_plan_job")
    carol_active = queue_db.rpc_row(carol.caller, "get_active_plan_job")

    assert alice_active is not None and alice_active["id"] == alice_job["id"]
    assert bob_active is not None and bob_active["id"] == bob_job["id"]
    assert carol_active is None


def test_get_active_plan_job_ignores_terminal_jobs(queue_db: QueueDatabase) -> None:
    alice = queue_db.create_user()
    queue_db.insert_job(alice, max_retries=1)
    claimed = queue_db.claim()
    assert claimed is not None
    queue_db.fail(claimed, "AI_TIMEOUT")

    assert queue_db.rpc_row(alice.caller, "get_active_plan_job") is None

    processing = queue_db.insert_job(alice)
    assert queue_db.claim() is not None
    active = queue_db.rpc_row(alice.caller, "get_active_plan_job")
    assert active is not None and active["id"] == processing["id"]
    assert active["status"] == "processing"
