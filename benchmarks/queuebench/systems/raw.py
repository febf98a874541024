"""A raw `UPDATE ... FOR UPDATE SKIP LOCKED` loop on a table of its own."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.types.json import Jsonb

from benchmarks.queuebench.systems import (
    HISTORY_MARK,
    RUN_MARK,
    BenchDatabase,
    Payload,
    RunControl,
    count,
    owner_connection,
)

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
        with owner_connection(db) as conn:
            conn.execute(RAW_TABLE)

    def seed_history(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        with owner_connection(db) as conn:
            conn.execute(
                "insert into bench_raw_jobs (mark, status, result, done_at)"
                " select %s, 'done', %s, now() from generate_series(1, %s)",
                (HISTORY_MARK, Jsonb(payload.document()), count),
            )

    def make_young(self, db: BenchDatabase) -> None:
        with owner_connection(db) as conn:
            conn.execute("truncate bench_raw_jobs")
            conn.execute("analyze bench_raw_jobs")

    def enqueue(self, db: BenchDatabase, count: int, payload: Payload) -> None:
        with owner_connection(db) as conn:
            conn.execute(
                "insert into bench_raw_jobs (mark) select %s from generate_series(1, %s)", (RUN_MARK, count)
            )

    def forget_run(self, db: BenchDatabase) -> None:
        with owner_connection(db) as conn:
            conn.execute("delete from bench_raw_jobs where mark = %s", (RUN_MARK,))
            conn.execute("vacuum analyze bench_raw_jobs")

    def unfinished(self, db: BenchDatabase) -> int:
        return count(db, "select count(*) from bench_raw_jobs where status <> 'done'")

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
                control.add_done(1)
                done += 1
