"""The queues compared, each with its setup, its data states and its worker loop (one module
each; this one holds what they share).

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
import json
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg

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
        """Count jobs this worker finished (the measurement starts after the first tenth)."""

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


def owner_connection(db: BenchDatabase) -> psycopg.Connection[Any]:
    return psycopg.connect(db.owner_dsn, autocommit=True)


async def stop_when_all_done(control: RunControl, stop: asyncio.Event) -> None:
    while not control.all_done():
        await asyncio.sleep(0.002)
    stop.set()


def count(db: BenchDatabase, query: str) -> int:
    with owner_connection(db) as conn:
        row = conn.execute(query.encode()).fetchone()
    assert row is not None
    return int(row[0])
