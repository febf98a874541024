"""Benchmark of the calling convention: one claim + complete per job, as a caller, four ways.

Run from the repository root:

    .venv/bin/python -m benchmarks.bench_caller [--jobs 1000] [--rounds 3] [--db embedded|system]

One async psycopg connection as `authenticator` (how the service connects) claims and
completes `--jobs` jobs with `claim_next_plan_job` and `complete_plan_job` (a 100-byte
plan) as service_role, each call in its own transaction with the caller's settings, as
PostgREST runs a request:

- `pgcaller`: `pgcaller.execute_as_async`, the settings and the call in one query
  string (one round trip; the service's convention);
- `one at a time`: `BEGIN`, the settings, the call and `COMMIT` as four statements (four
  round trips; pgcaller's convention before, PostgREST's order);
- `pipeline`: the same four statements in psycopg's pipeline mode (one network round
  trip, four extended-protocol exchanges);
- `SQL only`: the call alone on a session that is service_role throughout (no
  transaction of its own, no settings): what the functions cost without any convention.

Per job it prints the client's CPU (this process), the server's CPU (the connection's
backend, from /proc/<pid>/schedstat) and the wall time, after the first tenth of the
jobs; rounds interleave the ways, and the median round is shown.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest
from harness.db.run import DatabaseRun
from harness.queue_db import DEFAULT_JOB_INPUT
from pgcaller import Caller, execute_as_async

SERVICE = Caller.service()
PLAN = Jsonb({"days": {}, "label": "x" * 80})
SETUP_SQL = (
    "select set_config('role', %(role)s, true), set_config('request.jwt.claims', %(claims)s, true),"
    " set_config('request.method', %(method)s, true), set_config('request.path', %(path)s, true)"
)
Connection = psycopg.AsyncConnection[DictRow]
Call = Callable[[Connection, str, tuple[Any, ...]], Awaitable[list[DictRow]]]


async def call_pgcaller(conn: Connection, query: str, params: tuple[Any, ...]) -> list[DictRow]:
    cursor = await execute_as_async(conn, SERVICE, query.encode(), params)
    return await cursor.fetchall()


async def call_one_at_a_time(conn: Connection, query: str, params: tuple[Any, ...]) -> list[DictRow]:
    async with conn.transaction():
        await conn.execute(SETUP_SQL.encode(), SERVICE.setup_params(method="POST", path="/"))
        cursor = await conn.execute(query.encode(), params)
        return await cursor.fetchall()


async def call_pipeline(conn: Connection, query: str, params: tuple[Any, ...]) -> list[DictRow]:
    async with conn.pipeline(), conn.transaction():
        await conn.execute(SETUP_SQL.encode(), SERVICE.setup_params(method="POST", path="/"))
        cursor = await conn.execute(query.encode(), params)
    return await cursor.fetchall()


async def call_sql_only(conn: Connection, query: str, params: tuple[Any, ...]) -> list[DictRow]:
    cursor = await conn.execute(query.encode(), params)
    return await cursor.fetchall()


WAYS: dict[str, Call] = {
    "pgcaller": call_pgcaller,
    "one at a time": call_one_at_a_time,
    "pipeline": call_pipeline,
    "SQL only": call_sql_only,
}


@dataclass(frozen=True)
class PerJob:
    client_us: float
    server_us: float
    wall_us: float


def _backend_cpu_s(pid: int) -> float:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def enqueue(owner_dsn: str, jobs: int) -> None:
    with psycopg.connect(owner_dsn, autocommit=True) as conn:
        conn.execute("truncate auth.users, public.plan_generation_jobs, public.weekly_base_plans cascade")
        conn.execute(
            """
            with users as (
                insert into auth.users (email)
                select 'caller-' || n || '@example.test' from generate_series(1, %s) n
                returning id
            )
            insert into public.plan_generation_jobs (user_id, input) select id, %s from users
            """,
            (jobs, Jsonb(dict(DEFAULT_JOB_INPUT))),
        )
        conn.execute("analyze auth.users, public.plan_generation_jobs, public.weekly_base_plans")


async def drain(service_dsn: str, way: str, jobs: int) -> PerJob:
    call = WAYS[way]
    conn = await psycopg.AsyncConnection.connect(service_dsn, autocommit=True, row_factory=dict_row)
    try:
        if way == "SQL only":
            await conn.execute("set role service_role")
        pid = conn.info.backend_pid
        warm_up = jobs // 10
        done = 0
        client = server = wall = 0.0
        while True:
            if done == warm_up:
                client, server, wall = time.process_time(), _backend_cpu_s(pid), time.perf_counter()
            claimed = await call(conn, "select * from public.claim_next_plan_job(%s)", ("bench",))
            if not claimed or claimed[0]["id"] is None:
                break
            job = claimed[0]
            completion = (job["id"], job["claim_token"], PLAN)
            await call(conn, "select * from public.complete_plan_job(%s, %s, %s)", completion)
            done += 1
        if done != jobs:
            raise RuntimeError(f"{way}: drained {done} of {jobs} jobs")
        measured = done - warm_up
        return PerJob(
            (time.process_time() - client) / measured * 1e6,
            (_backend_cpu_s(pid) - server) / measured * 1e6,
            (time.perf_counter() - wall) / measured * 1e6,
        )
    finally:
        await conn.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000, help="jobs per way and round (at least 20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each running every way once")
    parser.add_argument("--db", default="embedded", choices=("embedded", "system"), help="the local server")
    arguments = parser.parse_args(argv)
    if arguments.jobs < 20:
        parser.error(f"--jobs must be at least 20; got {arguments.jobs}")
    if arguments.rounds < 1:
        parser.error(f"--rounds must be at least 1; got {arguments.rounds}")

    run = DatabaseRun.start(DatabaseRequest(spec=arguments.db), MigrationSet.reference())
    try:
        name = run.scratch.clone("bench_caller")
        owner_dsn, service_dsn = run.server.dsn(name), run.service_dsn(name)
        print(run.header())
        results: dict[str, list[PerJob]] = {way: [] for way in WAYS}
        for _ in range(arguments.rounds):
            for way in WAYS:
                enqueue(owner_dsn, arguments.jobs)
                results[way].append(asyncio.run(drain(service_dsn, way, arguments.jobs)))
    finally:
        run.close()

    print(f"\nclaim + complete per job, {arguments.jobs} jobs, median of {arguments.rounds} rounds")
    print(f"  {'way':<16}{'client CPU':>12}{'server CPU':>12}{'wall':>10}{'jobs/s':>9}")
    medians = {way: _median(per_round) for way, per_round in results.items()}
    for way, per_job in medians.items():
        print(
            f"  {way:<16}{per_job.client_us:>9,.0f} us{per_job.server_us:>9,.0f} us"
            f"{per_job.wall_us:>7,.0f} us{1e6 / per_job.wall_us:>9,.0f}"
        )
    now, before = medians["pgcaller"], medians["one at a time"]
    print(
        f"  pgcaller / one at a time: client CPU {now.client_us / before.client_us:.2f}, "
        f"server CPU {now.server_us / before.server_us:.2f}, wall {now.wall_us / before.wall_us:.2f}"
    )
    sql_only = medians["SQL only"]
    print(
        f"  pgcaller / SQL only: client CPU {now.client_us / sql_only.client_us:.2f}, "
        f"server CPU {now.server_us / sql_only.server_us:.2f}, wall {now.wall_us / sql_only.wall_us:.2f}"
    )
    return 0


def _median(per_round: list[PerJob]) -> PerJob:
    return PerJob(
        statistics.median(p.client_us for p in per_round),
        statistics.median(p.server_us for p in per_round),
        statistics.median(p.wall_us for p in per_round),
    )


if __name__ == "__main__":
    sys.exit(main())
