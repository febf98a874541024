"""Direct SQL access to a target's queue tables, for database-level scenarios.

Seeding and ageing rows happens as the database owner (the app's create path and the
passing of time); every contract function is called as an API caller through
`pgcaller`, exactly as PostgREST would call it, so grants and RLS are in force.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from harness.db.lock_waits import LOCK_TIMEOUT, connect_with_lock_timeout
from harness.poller import CONTRACT_MAX_RETRIES
from pgcaller import Caller, execute_as

Row = dict[str, Any]

DEFAULT_JOB_INPUT: Mapping[str, Any] = {
    "profile": {
        "age": 30,
        "sex": "female",
        "heightCm": 168,
        "weightKg": 62,
        "goal": "general_fitness",
        "activityLevel": "moderate",
        "trainingDaysPerWeek": 3,
        "equipment": ["dumbbells"],
        "dietaryPreference": "Vegetarian",
        "mealCount": 4,
        "avoidExercises": [],
        "supplements": [],
    },
    "targets": {"total_kcal": 2110, "protein_g": 99},
}


@dataclass(frozen=True)
class Backoff:
    """The wait before a retry (docs/contract.md, backoff): the n-th retry waits between
    `min(base * 2^(n-1), cap / 2)` and `min(base * 2^n, cap)`."""

    base: timedelta
    cap: timedelta

    def __post_init__(self) -> None:
        if self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError(f"Backoff needs 0 < base <= cap, got base={self.base}, cap={self.cap}")

    def bounds(self, attempts: int) -> tuple[timedelta, timedelta]:
        """The shortest and longest wait after `attempts` failed or abandoned attempts."""
        doubled_s = self.base.total_seconds() * 2.0 ** min(max(attempts, 1), 20)
        top = self.cap if doubled_s >= self.cap.total_seconds() else timedelta(seconds=doubled_s)
        return top / 2, top


@dataclass(frozen=True)
class QueueUser:
    """A row of auth.users and the caller that acts as that user."""

    id: str
    email: str

    @property
    def caller(self) -> Caller:
        return Caller.user(self.id, email=self.email)


class QueueDatabase:
    """One connection (autocommit, dict rows) to a database that has the queue contract.

    `owns_database`: a scratch database the scenarios may empty (`prepare` truncates the
    queue); otherwise a shared one (a deployed target's), where `prepare` only checks that the
    queue is empty and `clean_up` deletes the users this object created, with their rows.
    A statement waits at most `lock_timeout` for a lock; past it, the error names the
    blocked statement and who held the lock (`harness/db/lock_waits.py`).
    """

    def __init__(self, dsn: str, *, owns_database: bool, lock_timeout: timedelta = LOCK_TIMEOUT) -> None:
        self.dsn = dsn
        self.owns_database = owns_database
        self.lock_timeout = lock_timeout
        self.conn: psycopg.Connection[Row] = connect_with_lock_timeout(dsn, lock_timeout=lock_timeout)
        self._created_users: list[str] = []

    def close(self) -> None:
        self.conn.close()

    def connect(self) -> psycopg.Connection[Row]:
        """Another connection to the same database (for concurrency scenarios), with the same
        lock timeout."""
        return connect_with_lock_timeout(self.dsn, lock_timeout=self.lock_timeout)

    # -- seeding and time -------------------------------------------------------------

    def prepare(self) -> None:
        """Before a scenario: empty a scratch database; on a shared one, insist that the queue
        holds no job (a scenario claims "the oldest pending job" and counts the whole queue)."""
        if self.owns_database:
            self.conn.execute(
                "truncate auth.users, public.plan_generation_jobs, public.weekly_base_plans cascade"
            )
            return
        row = self.conn.execute(
            "select (select count(*) from public.plan_generation_jobs) as jobs,"
            " (select count(*) from public.weekly_base_plans) as plans"
        ).fetchone()
        assert row is not None
        if row["jobs"] or row["plans"]:
            raise AssertionError(
                f"the target's database holds {row['jobs']} jobs and {row['plans']} plans this scenario "
                "did not create; database scenarios need an empty queue (a disposable database: "
                "`supabase db reset` empties a local one)"
            )

    def own_users(self, user_ids: Iterable[str]) -> None:
        """Users a scenario inserted itself (in bulk): removed with the others by `clean_up`."""
        self._created_users.extend(user_ids)

    def clean_up(self) -> None:
        """After a scenario on a shared database: delete the users it created, and with them
        (on delete cascade) their jobs, plans and notifications."""
        if self.owns_database or not self._created_users:
            return
        self.conn.execute("delete from auth.users where id = any(%s::uuid[])", (self._created_users,))
        self._created_users.clear()

    def create_user(self, email: str | None = None) -> QueueUser:
        user_id = str(uuid.uuid4())
        email = email or f"user-{user_id[:8]}@example.test"
        self.conn.execute(
            "insert into auth.users (id, email, email_confirmed_at) values (%s, %s, now())",
            (user_id, email),
        )
        self._created_users.append(user_id)
        return QueueUser(user_id, email)

    def insert_job(
        self,
        user: QueueUser,
        *,
        max_retries: int = CONTRACT_MAX_RETRIES,
        job_input: Mapping[str, Any] | None = None,
        created_ago: timedelta | None = None,
    ) -> Row:
        """A pending job, as create-plan-job would insert it."""
        row = self.conn.execute(
            """
            insert into public.plan_generation_jobs (user_id, input, max_retries, created_at, updated_at)
            values (%(user)s, %(input)s, %(max)s, now() - %(ago)s, now() - %(ago)s)
            returning *
            """,
            {
                "user": user.id,
                "input": Jsonb(dict(job_input or DEFAULT_JOB_INPUT)),
                "max": max_retries,
                "ago": created_ago or timedelta(0),
            },
        ).fetchone()
        assert row is not None
        return row

    def age(
        self,
        job_id: str,
        *,
        started: timedelta | None = None,
        updated: timedelta | None = None,
        created: timedelta | None = None,
        run_after: timedelta | None = None,
    ) -> Row:
        """Move a job's timestamps into the past (how scenarios let time pass); a null
        `run_after` (due) stays null."""
        assignments = [
            sql.SQL("{} = {} - {}").format(sql.Identifier(column), sql.Identifier(column), sql.Literal(delta))
            for column, delta in (
                ("started_at", started),
                ("updated_at", updated),
                ("created_at", created),
                ("run_after", run_after),
            )
            if delta is not None
        ]
        if not assignments:
            raise ValueError("age() needs at least one of started, updated, created, run_after")
        row = self.conn.execute(
            sql.SQL("update public.plan_generation_jobs set {} where id = %s returning *").format(
                sql.SQL(", ").join(assignments)
            ),
            (job_id,),
        ).fetchone()
        assert row is not None, f"no job {job_id}"
        return row

    def end_backoff(self, job_id: str) -> Row:
        """The wait before the job's next attempt passes: a `run_after` still in the future
        becomes now, so the next claim may take the job (docs/contract.md, backoff)."""
        row = self.conn.execute(
            "update public.plan_generation_jobs set run_after = least(run_after, now())"
            " where id = %s returning *",
            (job_id,),
        ).fetchone()
        assert row is not None, f"no job {job_id}"
        return row

    # -- reading as the owner -----------------------------------------------------------

    def job(self, job_id: str) -> Row:
        row = self.conn.execute(
            "select * from public.plan_generation_jobs where id = %s", (job_id,)
        ).fetchone()
        assert row is not None, f"no job {job_id}"
        return row

    def jobs(self) -> list[Row]:
        return self.conn.execute(
            "select * from public.plan_generation_jobs order by created_at, id"
        ).fetchall()

    def plans(self, user: QueueUser | None = None) -> list[Row]:
        if user is None:
            return self.conn.execute(
                "select * from public.weekly_base_plans order by created_at, id"
            ).fetchall()
        return self.conn.execute(
            "select * from public.weekly_base_plans where user_id = %s order by created_at, id",
            (user.id,),
        ).fetchall()

    # -- calling the contract as a caller -------------------------------------------------

    def rpc_rows(self, caller: Caller, function: str, **args: Any) -> list[Row]:
        """`select * from public.<function>(name => value, ...)` as `caller`; composite
        results that are null (no row) come back as an empty list."""
        rows = execute_as(
            self.conn, caller, _call(function, args, "select * from"), _params(args), path=f"/rpc/{function}"
        ).fetchall()
        return [row for row in rows if any(value is not None for value in row.values())]

    def rpc_row(self, caller: Caller, function: str, **args: Any) -> Row | None:
        rows = self.rpc_rows(caller, function, **args)
        assert len(rows) <= 1, f"{function} returned {len(rows)} rows"
        return rows[0] if rows else None

    def rpc_value(self, caller: Caller, function: str, **args: Any) -> Any:
        """`select public.<function>(...)` as `caller`: a scalar or JSON result."""
        row = execute_as(
            self.conn, caller, _call(function, args, "select"), _params(args), path=f"/rpc/{function}"
        ).fetchone()
        assert row is not None
        return next(iter(row.values()))

    # -- the worker's and the operator's calls, as service_role ---------------------------

    def claim(self, worker_id: str = "worker-1") -> Row | None:
        return self.rpc_row(Caller.service(), "claim_next_plan_job", p_worker_id=worker_id)

    def fail(
        self,
        claimed: Row,
        error_code: str = "AI_TIMEOUT",
        message: str | None = None,
        *,
        retryable: bool = True,
        retry_after: timedelta | None = None,
        backoff: Backoff | None = None,
    ) -> Row:
        """`fail_plan_job` for a claimed job; the function's own backoff defaults unless
        `backoff` is given, and no Retry-After unless `retry_after` is."""
        row = self.rpc_row(
            Caller.service(),
            "fail_plan_job",
            p_job_id=claimed["id"],
            p_claim_token=claimed["claim_token"],
            p_error_code=error_code,
            p_error_message=message or f"{error_code} in a scenario",
            p_retryable=retryable,
            **_backoff_args(backoff, retry_after),
        )
        assert row is not None
        return row

    def complete(self, claimed: Row, plan: Mapping[str, Any] | None = None) -> Row:
        row = self.rpc_row(
            Caller.service(),
            "complete_plan_job",
            p_job_id=claimed["id"],
            p_claim_token=claimed["claim_token"],
            p_plan=dict(plan or sample_plan(str(claimed["id"]))),
        )
        assert row is not None
        return row

    def reset_stuck(
        self, stuck_after: timedelta = timedelta(minutes=10), *, backoff: Backoff | None = None
    ) -> int:
        return int(
            self.rpc_value(
                Caller.service(), "reset_stuck_plan_jobs", p_stuck_after=stuck_after, **_backoff_args(backoff)
            )
        )

    def expire_stale(self, older_than: timedelta = timedelta(minutes=30)) -> int:
        return int(self.rpc_value(Caller.service(), "expire_stale_pending_jobs", p_older_than=older_than))

    def select_as(self, caller: Caller, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """A read-only query as `caller` (RLS applies), like a PostgREST GET."""
        return execute_as(
            self.conn, caller, query.encode(), params or {}, read_only=True, method="GET"
        ).fetchall()

    def execute_as(self, caller: Caller, statement: str, params: Mapping[str, Any] | None = None) -> int:
        """A read-write statement as `caller` (grants and RLS apply); returns rows affected."""
        return execute_as(self.conn, caller, statement.encode(), params or {}).rowcount


def _backoff_args(backoff: Backoff | None, retry_after: timedelta | None = None) -> dict[str, timedelta]:
    args = {} if backoff is None else {"p_retry_base": backoff.base, "p_retry_cap": backoff.cap}
    if retry_after is not None:
        args["p_retry_after"] = retry_after
    return args


def _call(function: str, args: Mapping[str, Any], verb: str) -> sql.Composed:
    named = [sql.SQL("{} => {}").format(sql.Identifier(name), sql.Placeholder(name)) for name in args]
    return sql.SQL(verb + " {}.{}({})").format(
        sql.Identifier("public"), sql.Identifier(function), sql.SQL(", ").join(named)
    )


def _params(args: Mapping[str, Any]) -> dict[str, Any]:
    return {name: Jsonb(value) if isinstance(value, dict | list) else value for name, value in args.items()}


def sample_plan(label: str) -> dict[str, Any]:
    """A JSON object standing in for a plan (the database does not validate plans)."""
    return {"days": {}, "label": label}


@contextmanager
def refused(sqlstate: str) -> Iterator[list[psycopg.Error]]:
    """Expect the block to raise a database error with this SQLSTATE (e.g. PT409, 42501)."""
    caught: list[psycopg.Error] = []
    try:
        yield caught
    except psycopg.Error as error:
        if error.sqlstate != sqlstate:
            raise AssertionError(f"expected SQLSTATE {sqlstate}, got {error.sqlstate}: {error}") from error
        caught.append(error)
    else:
        raise AssertionError(f"expected SQLSTATE {sqlstate}, but the call succeeded")
