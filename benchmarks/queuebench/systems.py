"""The queues compared, each with its setup, its data states and its worker loop.

- `contract`: the reference migrations' `claim_next_plan_job` (or `claim_next_plan_jobs`
  with a batch) and `complete_plan_job`, called as the service calls them: as
  service_role through `reference_impl.database.Database` (pgcaller's transaction with
  the caller's role and claims), connected as the service connects. A 12 KB payload is
  the plan saved by the completion.
- `raw`: an `UPDATE ... FOR UPDATE SKIP LOCKED` loop on a table of its own with the same
  claim index, no roles, no fencing; a 12 KB payload is the result it writes.
- `pgqueuer` and `procrastinate`: the libraries' own workers and APIs, a job doing
  nothing; a 12 KB payload is the job's payload (they store no results).

Rows of a run are told apart from history by a marker, so a run on tables with history
removes its own rows afterwards and vacuums, as autovacuum would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb

from harness.queue_db import DEFAULT_INPUT

HISTORY_MARK = "history"
RUN_MARK = "run"


@dataclass(frozen=True)
class BenchDatabase:
    """One benchmark database: the owner's DSN (setup) and the service's (contract calls)."""

    owner_dsn: str
    service_dsn: str


@dataclass(frozen=True)
class Payload:
    label: str
    size: int

    def document(self) -> dict[str, Any]:
        """A JSON object of about `size` bytes, shaped like a week of plan days."""
        if self.size <= 64:
            return {"days": {}}
        days: dict[str, Any] = {}
        filler = 0
        while len(json.dumps({"days": days})) < self.size:
            filler += 1
            day = days.setdefault(f"day{filler % 7 + 1}", {"meals": []})
            meal = {"name": f"meal {filler}", "kcal": 400 + filler % 97, "protein_g": filler % 41}
            day["meals"].append(meal)
        return {"days": days}


class RunControl(Protocol):
    """What a worker process shares with the others of its run."""

    def start(self) -> None:
        """Wait at the common start line."""

    def add_done(self, jobs: int) -> None:
        """Count jobs this worker finished (for workers that cannot see the queue empty)."""

    def finish(self, jobs: int) -> None:
        """Report this worker's jobs and wait until the run is measured: call it before
        closing any connection (a backend that exits during the measurement could be
        missed)."""

    def all_done(self) -> bool:
        """Whether the run's workers together finished every job."""
        ...


class QueueSystem(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def storage(self) -> str:
        """The tables it works on (systems sharing them share their history)."""
        ...

    def install(self, db: BenchDatabase) -> None: ...

    def seed_history(self, db: BenchDatabase, count: int, payload: Payload) -> None: ...

    def make_young(self, db: BenchDatabase) -> None: ...

    def enqueue(self, db: BenchDatabase, count: int, payload: Payload) -> None: ...

    def forget_run(self, db: BenchDatabase) -> None: ...

    def unfinished(self, db: BenchDatabase) -> int:
        """Jobs not finished (a run must leave none)."""
        ...

    def work(self, db: BenchDatabase, worker: str, payload: Payload, control: RunControl) -> None:
        """In a worker process: connect, `control.start()`, work until the queue is empty
        (or `control.all_done()`), then `control.finish(jobs)` with its connections open."""
        ...


def _owner(db: BenchDatabase) -> psycopg.Connection[Any]:
    return psycopg.connect(db.owner_dsn, autocommit=True)


async def _stop_when_all_done(control: RunControl, stop: asyncio.Event) -> None:
    while not control.all_done():
        await asyncio.sleep(0.002)
    stop.set()


def _count(db: BenchDatabase, query: str) -> int:
    with _owner(db) as conn:
        row = conn.execute(query.encode()).fetchone()
    assert row is not None
    return int(row[0])


# -- the contract ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractQueue:
    """The contract's functions; `batch` > 1 claims with `claim_next_plan_jobs`."""

    batch: int = 1
    storage: str = "contract"

    @property
    def name(self) -> str:
        return "contract" if self.batch == 1 else f"contract batch {self.batch}"

    def install(self, db: BenchDatabase) -> None:
        """The reference migrations are in the database's template already."""

    def seed_history(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        """`count` users, each with a completed job, its active plan and its notification."""
        with _owner(db) as conn:
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
                    "input": Jsonb(dict(DEFAULT_INPUT)),
                    "plan": Jsonb(payload.document()),
                    "targets": Jsonb(dict(DEFAULT_INPUT["targets"])),
                },
            )

    def make_young(self, db: BenchDatabase) -> None:
        with _owner(db) as conn:
            conn.execute(
                "truncate auth.users, public.plan_generation_jobs, public.weekly_base_plans,"
                " public.plan_notifications cascade"
            )
            conn.execute("analyze auth.users, public.plan_generation_jobs, public.weekly_base_plans")

    def enqueue(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        """One pending job for each of `count` new users, as create-plan-job leaves them."""
        with _owner(db) as conn:
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
                (count, Jsonb(dict(DEFAULT_INPUT))),
            )

    def forget_run(self, db: BenchDatabase) -> None:
        with _owner(db) as conn:
            conn.execute("delete from auth.users where email like 'run-%'")
            conn.execute(
                "vacuum analyze auth.users, public.plan_generation_jobs, public.weekly_base_plans,"
                " public.plan_notifications"
            )

    def unfinished(self, db: BenchDatabase) -> int:
        return _count(db, "select count(*) from public.plan_generation_jobs where status <> 'completed'")

    def work(self, db: BenchDatabase, worker: str, payload: Payload, control: RunControl) -> None:
        asyncio.run(self._work(db, worker, Jsonb(payload.document()), control))

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
                done += len(claimed)
        finally:
            await database.close()


# -- the raw loop ---------------------------------------------------------------------------


RAW_TABLE = """
create table if not exists bench_raw_jobs (
    id         bigint generated always as identity primary key,
    mark       text not null default 'run',
    status     text not null default 'pending',
    payload    jsonb not null default '{}',
    result     jsonb,
    claimed_by text,
    created_at timestamptz not null default now(),
    started_at timestamptz,
    done_at    timestamptz
);
create index if not exists bench_raw_jobs_pending_idx
    on bench_raw_jobs (created_at, id) where status = 'pending';
"""
RAW_CLAIM = """
update bench_raw_jobs set status = 'processing', claimed_by = %s, started_at = now()
 where id = (select id from bench_raw_jobs where status = 'pending'
              order by created_at, id limit 1 for update skip locked)
returning id, payload
"""
RAW_COMPLETE = "update bench_raw_jobs set status = 'done', result = %s, done_at = now() where id = %s"


@dataclass(frozen=True)
class RawLoop:
    name: str = "raw SKIP LOCKED loop"
    storage: str = "raw"

    def install(self, db: BenchDatabase) -> None:
        with _owner(db) as conn:
            conn.execute(RAW_TABLE)

    def seed_history(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        with _owner(db) as conn:
            conn.execute(
                "insert into bench_raw_jobs (mark, status, result, done_at)"
                " select %s, 'done', %s, now() from generate_series(1, %s)",
                (HISTORY_MARK, Jsonb(payload.document()), count),
            )

    def make_young(self, db: BenchDatabase) -> None:
        with _owner(db) as conn:
            conn.execute("truncate bench_raw_jobs")
            conn.execute("analyze bench_raw_jobs")

    def enqueue(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        with _owner(db) as conn:
            conn.execute(
                "insert into bench_raw_jobs (mark) select %s from generate_series(1, %s)", (RUN_MARK, count)
            )

    def forget_run(self, db: BenchDatabase) -> None:
        with _owner(db) as conn:
            conn.execute("delete from bench_raw_jobs where mark = %s", (RUN_MARK,))
            conn.execute("vacuum analyze bench_raw_jobs")

    def unfinished(self, db: BenchDatabase) -> int:
        return _count(db, "select count(*) from bench_raw_jobs where status <> 'done'")

    def work(self, db: BenchDatabase, worker: str, payload: Payload, control: RunControl) -> None:
        result = Jsonb(payload.document())
        done = 0
        with psycopg.connect(db.owner_dsn, autocommit=True) as conn:
            control.start()
            while True:
                row = conn.execute(RAW_CLAIM, (worker,)).fetchone()
                if row is None:
                    control.finish(done)
                    return
                conn.execute(RAW_COMPLETE, (result, row[0]))
                done += 1


# -- PgQueuer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PgQueuerQueue:
    """PgQueuer's QueueManager, `batch` jobs per dequeue, on its asyncpg driver (its
    psycopg driver holds the connection while it waits for notifications: measured 190
    jobs/s and 3 s to stop). Its queue table keeps live jobs only (finished ones move to
    its log), so history does not apply to it."""

    batch: int
    storage: str = "pgqueuer"

    @property
    def name(self) -> str:
        return f"PgQueuer batch {self.batch}"

    def _run(self, db: BenchDatabase, action: Callable[[Any], Awaitable[None]]) -> None:
        async def go() -> None:
            from pgqueuer import AsyncpgDriver, Queries

            conn = await _asyncpg_connect(db.owner_dsn)
            try:
                await action(Queries(AsyncpgDriver(conn)))
            finally:
                await conn.close()

        asyncio.run(go())

    def install(self, db: BenchDatabase) -> None:
        async def install(queries: Any) -> None:
            if not await queries.schema_is_installed():
                await queries.install()

        self._run(db, install)

    def seed_history(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        """Nothing: PgQueuer deletes finished jobs from its queue table."""

    def make_young(self, db: BenchDatabase) -> None:
        async def clear(queries: Any) -> None:
            await queries.clear_queue()
            await queries.clear_queue_log()
            await queries.clear_statistics_log()

        self._run(db, clear)

    def enqueue(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        body = json.dumps(payload.document()).encode()

        async def enqueue(queries: Any) -> None:
            await queries.enqueue(["bench"] * count, [body] * count, [0] * count)

        self._run(db, enqueue)

    def forget_run(self, db: BenchDatabase) -> None:
        self.make_young(db)

    def unfinished(self, db: BenchDatabase) -> int:
        sizes: list[int] = []

        async def size(queries: Any) -> None:
            sizes.extend(int(row.count) for row in await queries.queue_size())

        self._run(db, size)
        return sum(sizes)

    def work(self, db: BenchDatabase, worker: str, payload: Payload, control: RunControl) -> None:
        asyncio.run(self._work(db, control))

    async def _work(self, db: BenchDatabase, control: RunControl) -> None:
        from pgqueuer import AsyncpgDriver, Job, Queries, QueueManager

        done = 0
        conn = await _asyncpg_connect(db.owner_dsn)
        try:
            manager = QueueManager(Queries(AsyncpgDriver(conn)))

            @manager.entrypoint("bench")
            async def bench(job: Job) -> None:
                nonlocal done
                done += 1
                control.add_done(1)

            control.start()
            # continuous mode, stopped once every worker's jobs add up to the run's (drain
            # mode would also work; this stops all workers at the same moment)
            stopper = asyncio.create_task(_stop_when_all_done(control, manager.shutdown))
            await manager.run(batch_size=self.batch, dequeue_timeout=timedelta(milliseconds=50))
            await stopper
            control.finish(done)
        finally:
            await conn.close()


async def _asyncpg_connect(dsn: str) -> Any:
    import asyncpg

    parts = conninfo_to_dict(dsn)
    return await asyncpg.connect(
        host=parts.get("host"),
        port=int(parts.get("port") or 5432),
        user=parts.get("user"),
        password=parts.get("password"),
        database=parts.get("dbname"),
    )


# -- procrastinate --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcrastinateQueue:
    """procrastinate's worker (concurrency 1, stops once the queue is caught up)."""

    name: str = "procrastinate"
    storage: str = "procrastinate"

    def _app(self, dsn: str, self_control: RunControl | None = None) -> Any:
        import procrastinate

        app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))

        @app.task(name="bench")
        def bench(**kwargs: Any) -> None:
            """A job doing nothing but counting itself."""
            if self_control is not None:
                self_control.add_done(1)

        return app

    def _run(self, db: BenchDatabase, action: Callable[[Any], Any]) -> None:
        async def go() -> None:
            app = self._app(db.owner_dsn)
            async with app.open_async():
                await action(app)

        asyncio.run(go())

    def install(self, db: BenchDatabase) -> None:
        with _owner(db) as conn:
            row = conn.execute("select to_regclass('public.procrastinate_jobs') is not null").fetchone()
        if row is not None and row[0]:
            return

        async def apply(app: Any) -> None:
            await app.schema_manager.apply_schema_async()

        self._run(db, apply)

    def seed_history(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        with _owner(db) as conn:
            conn.execute(
                "insert into procrastinate_jobs (queue_name, task_name, args, status, attempts)"
                " select %s, 'bench', %s, 'succeeded', 1 from generate_series(1, %s)",
                (HISTORY_MARK, Jsonb({"payload": payload.document()}), count),
            )

    def make_young(self, db: BenchDatabase) -> None:
        with _owner(db) as conn:
            conn.execute("truncate procrastinate_jobs, procrastinate_events, procrastinate_workers cascade")
            conn.execute("analyze procrastinate_jobs, procrastinate_events")

    def enqueue(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        document = payload.document()

        async def defer(app: Any) -> None:
            await app.tasks["bench"].batch_defer_async(*({"payload": document} for _ in range(count)))

        self._run(db, defer)

    def forget_run(self, db: BenchDatabase) -> None:
        with _owner(db) as conn:
            conn.execute("delete from procrastinate_jobs where queue_name <> %s", (HISTORY_MARK,))
            conn.execute("truncate procrastinate_workers cascade")
            conn.execute("vacuum analyze procrastinate_jobs, procrastinate_events")

    def unfinished(self, db: BenchDatabase) -> int:
        return _count(db, "select count(*) from procrastinate_jobs where status in ('todo', 'doing')")

    def work(self, db: BenchDatabase, worker: str, payload: Payload, control: RunControl) -> None:
        async def go() -> None:
            app = self._app(db.owner_dsn, control)
            async with app.open_async():
                control.start()
                # stopped (gracefully: running jobs finish) once the run's jobs are all done;
                # with wait=False it polls for seconds before it notices an empty queue
                worker_task = asyncio.create_task(
                    app.run_worker_async(concurrency=1, name=worker, install_signal_handlers=False)
                )
                stop = asyncio.Event()
                await _stop_when_all_done(control, stop)
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker_task
                control.finish(0)  # the run's total is checked in the database

        asyncio.run(go())
