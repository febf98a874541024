"""Scenario connections give up on a lock at `lock_timeout` and name the blocked statement
and the backend holding the lock, with its query (harness/db/lock_waits.py)."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from harness.queue_db import QueueDatabase
from pgcaller import Caller, as_caller

SHORT = timedelta(milliseconds=300)


def test_a_statement_waiting_on_a_row_lock_fails_naming_the_holder(worker_database_dsn: str) -> None:
    queue_db = QueueDatabase(worker_database_dsn, owns_database=False, lock_timeout=SHORT)
    try:
        job = queue_db.insert_job(queue_db.create_user())
        with queue_db.connect() as holder, as_caller(holder, Caller.service()) as tx:
            tx.execute(
                "select id from public.plan_generation_jobs where id = %s for update /* the holder */",
                (job["id"],),
            )
            with pytest.raises(psycopg.errors.LockNotAvailable) as caught:
                queue_db.execute_as(
                    Caller.service(),
                    "update public.plan_generation_jobs set updated_at = now() where id = %(id)s",
                    {"id": job["id"]},
                )
            holder_pid, blocked_pid = holder.info.backend_pid, queue_db.conn.info.backend_pid
    finally:
        queue_db.clean_up()
        queue_db.close()

    note = "\n".join(getattr(caught.value, "__notes__", []))
    assert caught.value.sqlstate == "55P03"
    assert "lock wait over lock_timeout (300 ms)" in note
    blocked = "update public.plan_generation_jobs set updated_at = now()"
    assert f"blocked statement (backend {blocked_pid}): {blocked}" in note
    assert "\n  while updating tuple (" in note and 'in relation "plan_generation_jobs"' in note
    assert f"held by backend {holder_pid} (idle in transaction" in note
    assert "for update /* the holder */" in note
    assert "set_config" not in note  # pgcaller's settings are left out of the quoted statements


def test_a_truncate_waiting_on_a_table_lock_fails_naming_the_holder(worker_database_dsn: str) -> None:
    queue_db = QueueDatabase(worker_database_dsn, owns_database=False, lock_timeout=SHORT)
    try:
        with queue_db.connect() as holder:
            holder.execute("begin")
            holder.execute("select count(*) from public.weekly_base_plans /* reading plans */")
            with pytest.raises(psycopg.errors.LockNotAvailable) as caught:
                queue_db.conn.execute("truncate public.weekly_base_plans cascade")
            holder_pid = holder.info.backend_pid
            holder.execute("rollback")
    finally:
        queue_db.close()

    note = "\n".join(getattr(caught.value, "__notes__", []))
    assert "blocked statement (backend" in note and "truncate public.weekly_base_plans" in note
    assert f"held by backend {holder_pid} (idle in transaction" in note
    assert "/* reading plans */" in note


def test_a_lock_timeout_must_be_positive(worker_database_dsn: str) -> None:
    with pytest.raises(ValueError, match="lock_timeout must be positive"):
        QueueDatabase(worker_database_dsn, owns_database=False, lock_timeout=timedelta(0))
