"""pgcaller's round trips: one statement as a caller is one query string, yet it keeps
PostgREST's semantics (settings local to one transaction, errors whole, grants in force)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg import pq
from psycopg.types.json import Jsonb

from harness.queue_db import DEFAULT_JOB_INPUT, QueueDatabase
from pgcaller import Caller, as_caller, as_caller_async, execute_as, execute_as_async

USER = Caller.user("6f1c2d3e-0000-4000-8000-000000000002", email="o'neil+100%@example.test")
WHO_AM_I = (
    "select current_user, auth.uid()::text as uid, current_setting('request.jwt.claims', true) as claims"
)


@contextmanager
def _frontend_messages(conn: psycopg.Connection[Any]) -> Iterator[list[str]]:
    """The protocol messages the client sends while the block runs (libpq's trace)."""
    sent: list[str] = []
    with tempfile.TemporaryFile("w+") as trace:
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield sent
        finally:
            conn.pgconn.untrace()
            trace.seek(0)
            sent.extend(line.split("\t")[2] for line in trace if line.startswith("F\t"))


def test_one_statement_is_one_query_message(worker_service_dsn: str) -> None:
    with psycopg.connect(worker_service_dsn, autocommit=True) as conn, _frontend_messages(conn) as sent:
        row = execute_as(conn, USER, WHO_AM_I).fetchone()

    assert sent == ["Query"]
    assert row is not None and row[:2] == ("authenticated", USER.user_id)


def test_settings_hold_for_the_statement_and_end_with_it(worker_service_dsn: str) -> None:
    with psycopg.connect(worker_service_dsn, autocommit=True) as conn:
        inside = execute_as(conn, USER, WHO_AM_I, path="/rpc/x").fetchone()
        after = conn.execute("select current_user, current_setting('request.jwt.claims', true)").fetchone()
        status = conn.info.transaction_status

    assert inside is not None and inside[0] == "authenticated" and '"email":"o\'neil+100%@' in inside[2]
    assert after == ("authenticator", "")
    assert status == pq.TransactionStatus.IDLE


def test_parameters_are_merged_as_the_server_binds_them(worker_service_dsn: str) -> None:
    values = ("it's 100% %s", Jsonb({"a": [1, "x'y"]}), None, timedelta(minutes=5), 3, True)
    with psycopg.connect(worker_service_dsn, autocommit=True) as conn:
        row = execute_as(
            conn,
            Caller.service(),
            "select %s::text, %s::jsonb, %s::text, %s::interval, %s + 1, %s::bool",
            values,
        ).fetchone()
        named = execute_as(conn, Caller.service(), "select %(x)s::text as x", {"x": "%(y)s"}).fetchone()
        literal_percent = execute_as(conn, Caller.service(), "select 'a%b' as x").fetchone()

    assert row == ("it's 100% %s", {"a": [1, "x'y"]}, None, timedelta(minutes=5), 4, True)
    assert named == ("%(y)s",)
    assert literal_percent == ("a%b",)


def test_a_failing_statement_is_undone_whole_and_leaves_the_connection_idle(
    worker_service_dsn: str, queue_db: QueueDatabase
) -> None:
    owner = queue_db.create_user()
    with psycopg.connect(worker_service_dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.DivisionByZero):
            execute_as(
                conn,
                Caller.service(),
                "with job as (insert into public.plan_generation_jobs (user_id, input) values (%s, %s)"
                " returning 1) select 1 / 0 from job",
                (owner.id, Jsonb(dict(DEFAULT_JOB_INPUT))),
            )
        status = conn.info.transaction_status
        after = conn.execute("select current_user").fetchone()

    assert status == pq.TransactionStatus.IDLE
    assert after == ("authenticator",)
    assert [job for job in queue_db.jobs() if str(job["user_id"]) == owner.id] == []


def test_grants_and_read_only_are_in_force(worker_service_dsn: str) -> None:
    with psycopg.connect(worker_service_dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            execute_as(conn, Caller.anon(), "select public.claim_next_plan_job('w')")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            execute_as(
                conn, Caller.service(), "delete from public.plan_generation_jobs where false", read_only=True
            )
        notices: list[str] = []
        conn.add_notice_handler(lambda diagnostic: notices.append(str(diagnostic.message_primary)))
        rows = execute_as(conn, Caller.service(), "select 1", read_only=True).fetchall()

    assert rows == [(1,)]
    assert notices == []  # `set transaction read only` runs inside the statement's transaction


def test_a_block_rolls_back_when_it_raises(worker_service_dsn: str, queue_db: QueueDatabase) -> None:
    owner = queue_db.create_user()
    with psycopg.connect(worker_service_dsn, autocommit=True) as conn:
        with pytest.raises(LookupError), as_caller(conn, Caller.service()) as tx:
            tx.execute(
                "insert into public.plan_generation_jobs (user_id, input) values (%s, %s)",
                (owner.id, Jsonb(dict(DEFAULT_JOB_INPUT))),
            )
            raise LookupError("the block fails after writing")
        status = conn.info.transaction_status
        with (
            pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
            as_caller(conn, Caller.service(), read_only=True) as tx,
        ):
            tx.execute("delete from public.plan_generation_jobs where false")
        after = conn.execute("select current_user").fetchone()

    assert status == pq.TransactionStatus.IDLE
    assert after == ("authenticator",)
    assert [job for job in queue_db.jobs() if str(job["user_id"]) == owner.id] == []


def test_a_block_opens_its_transaction_in_one_round_trip(worker_service_dsn: str) -> None:
    with (
        psycopg.connect(worker_service_dsn, autocommit=True) as conn,
        _frontend_messages(conn) as sent,
        as_caller(conn, USER) as tx,
    ):
        inside = tx.execute(WHO_AM_I).fetchone()

    assert sent == ["Query", "Query", "Query"]  # begin and settings; the statement; commit
    assert inside is not None and inside[:2] == ("authenticated", USER.user_id)


async def test_the_async_twins_behave_alike(worker_service_dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(worker_service_dsn, autocommit=True) as conn:
        cursor = await execute_as_async(conn, USER, WHO_AM_I)
        one = await cursor.fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await execute_as_async(conn, Caller.anon(), "select public.claim_next_plan_job('w')")
        async with as_caller_async(conn, USER, read_only=True) as tx:
            block = await (await tx.execute(WHO_AM_I)).fetchone()
        after = await (await conn.execute("select current_user")).fetchone()

    assert one is not None and one[:2] == ("authenticated", USER.user_id)
    assert block is not None and block[:2] == ("authenticated", USER.user_id)
    assert after == ("authenticator",)


def test_a_statement_inside_an_open_transaction_is_refused(worker_database_dsn: str) -> None:
    with psycopg.connect(worker_database_dsn) as conn:
        conn.execute("select 1")
        with pytest.raises(RuntimeError, match="execute_as needs a connection with no transaction open"):
            execute_as(conn, Caller.anon(), "select 1")
