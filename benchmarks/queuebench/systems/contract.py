"""The contract's functions, called as the service calls them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import psycopg
from psycopg.types.json import Jsonb

from benchmarks.queuebench.systems import (
    BenchDatabase,
    Payload,
    RunControl,
    count,
    owner_connection,
)
from harness.queue_db import DEFAULT_JOB_INPUT


@dataclass(frozen=True)
class ContractQueue:
    """The contract's functions; `batch` > 1 claims with `claim_next_plan_jobs`. `direct`
    calls them without the service's calling convention (one statement per call on a
    session that is service_role throughout, no per-call transaction with the caller's
    role and claims): what the SQL costs by itself."""

    batch: int = 1
    direct: bool = False
    storage: str = "contract"

    @property
    def name(self) -> str:
        name = "contract" if self.batch == 1 else f"contract batch {self.batch}"
        return f"{name}, SQL only" if self.direct else name

    def install(self, db: BenchDatabase) -> None:
        """The reference migrations are in the database's template already."""

    def seed_history(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        """`count` users, each with a completed job, its active plan and its notification."""
        with owner_connection(db) as conn:
            conn.execute(
                """
                with numbered as (
                    select n, gen_random_uuid() as user_id, gen_random_uuid() as job_id,
                           gen_random_uuid() as plan_id,
                           now() - interval '30 days' + n * interval '1 minute' as created_at
                      from generate_series(1, %(count)s) n
                ), users as (
                    insert into auth.users (id, email)
                    select user_id, 'history-' || n || '@example.test' from numbered
                ), jobs as (
                    insert into public.plan_generation_jobs
                        (id, user_id, status, input, created_at, updated_at, started_at,
                         completed_at, plan_id)
                    select job_id, user_id, 'completed', %(input)s, created_at,
                           created_at + interval '2 minutes', created_at + interval '1 minute',
                           created_at + interval '2 minutes', plan_id
                      from numbered
                ), plans as (
                    insert into public.weekly_base_plans (id, user_id, job_id, plan, targets, is_active)
                    select plan_id, user_id, job_id, %(plan)s, %(targets)s, true from numbered
                )
                insert into public.plan_notifications (user_id, job_id, kind, title, body, deep_link)
                select user_id, job_id, 'plan_ready', 'Your weekly plan is ready', 'history',
                       '/plan-preview?jobId=' || job_id
                  from numbered
                """,
                {
                    "count": count,
                    "input": Jsonb(dict(DEFAULT_JOB_INPUT)),
                    "plan": Jsonb(payload.document()),
                    "targets": Jsonb(dict(DEFAULT_JOB_INPUT["targets"])),
                },
            )

    def make_young(self, db: BenchDatabase) -> None:
        with owner_connection(db) as conn:
            conn.execute(
                "truncate auth.users, public.plan_generation_jobs, public.weekly_base_plans,"
                " public.plan_notifications cascade"
            )
            conn.execute("analyze auth.users, public.plan_generation_jobs, public.weekly_base_plans")

    def enqueue(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        """One pending job for each of `count` new users, as create-plan-job leaves them."""
        with owner_connection(db) as conn:
            conn.execute(
                """
                with users as (
                    insert into auth.users (email)
                    select 'run-' || n || '@example.test' from generate_series(1, %s) n
                    returning id
                )
                insert into public.plan_generation_jobs (user_id, input)
                select id, %s from users
                """,
                (count, Jsonb(dict(DEFAULT_JOB_INPUT))),
            )

    def forget_run(self, db: BenchDatabase) -> None:
        with owner_connection(db) as conn:
            conn.execute("delete from auth.users where email like 'run-%'")
            conn.execute(
                "vacuum analyze auth.users, public.plan_generation_jobs, public.weekly_base_plans,"
                " public.plan_notifications"
            )

    def unfinished(self, db: BenchDatabase) -> int:
        return count(db, "select count(*) from public.plan_generation_jobs where status <> 'completed'")

    def work(self, db: BenchDatabase, worker: str, payload: Payload, control: RunControl) -> None:
        if self.direct:
            self._work_direct(db, worker, Jsonb(payload.document()), control)
        else:
            asyncio.run(self._work(db, worker, Jsonb(payload.document()), control))

    def _work_direct(self, db: BenchDatabase, worker: str, plan: Jsonb, control: RunControl) -> None:
        done = 0
        with psycopg.connect(db.service_dsn, autocommit=True) as conn:
            conn.execute("set role service_role")
            control.start()
            while True:
                claimed = conn.execute(
                    "select id, claim_token from public.claim_next_plan_jobs(%s, %s)", (worker, self.batch)
                ).fetchall()
                if not claimed:
                    control.finish(done)
                    return
                for job_id, token in claimed:
                    conn.execute("select public.complete_plan_job(%s, %s, %s)", (job_id, token, plan))
                    control.add_done(1)
                done += len(claimed)

    async def _work(self, db: BenchDatabase, worker: str, plan: Jsonb, control: RunControl) -> None:
        from pgcaller import Caller
        from reference_impl.database import Database

        service = Caller.service()
        database = await Database.open(db.service_dsn, min_size=1, max_size=1)
        done = 0
        try:
            control.start()
            while True:
                if self.batch == 1:
                    row = await database.fetch_one(
                        service, "select * from public.claim_next_plan_job(%s)", (worker,)
                    )
                    claimed = [row] if row is not None else []
                else:
                    claimed = await database.fetch_all(
                        service, "select * from public.claim_next_plan_jobs(%s, %s)", (worker, self.batch)
                    )
                if not claimed:
                    control.finish(done)
                    return
                for job in claimed:
                    await database.fetch_one(
                        service,
                        "select * from public.complete_plan_job(%s, %s, %s)",
                        (job["id"], job["claim_token"], plan),
                    )
                    control.add_done(1)
                done += len(claimed)
        finally:
            await database.close()
