"""The database as a chaos run sees it: claims and status changes while it runs, and the rows
at the end.

`ClaimObserver` reads the run's users' jobs every `interval_s` (the active ones, and those it
saw active last time), as process `observer`: an `observe` operation whose `ok` holds the
rows that changed since the previous read (`id`, `status`, `retry_count`, `error_code`,
`claimed_by`). Each claim token it sees for the first time is an `ok` `claim` operation of
the worker that holds it (`claimed_by`), valued as the claimed row: that is how the claim
checkers see claims. A read that fails (the database restarting) completes as `info`, and
the next one reconnects.

Claims shorter than the interval may be missed; `claims_from_rows` adds, from the final rows,
every attempt the database records (`errors[]` entries and the last claim) that was not
seen with the same worker.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from harness.checkers import DbSnapshot
from harness.history import History, Op
from harness.queue_db import Row

PROCESS = "observer"
ACTIVE = ("pending", "processing")
_WATCH_QUERY = """
select id, status, retry_count, max_retries, error_code, claimed_by, claim_token, started_at
  from public.plan_generation_jobs
 where user_id = any(%(users)s::uuid[])
   and (status in ('pending', 'processing') or id = any(%(watched)s::uuid[]))
"""


def plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with its UUIDs as text (timestamps stay datetimes, as `JobSnapshot` reads them)."""
    return {key: str(value) if isinstance(value, uuid.UUID) else value for key, value in row.items()}


def _claim_value(row: Mapping[str, Any], source: str) -> dict[str, Any]:
    started = row.get("started_at")
    return {
        "id": str(row["id"]),
        "attempt": int(row["retry_count"]) + 1,
        "retry_count": int(row["retry_count"]),
        "max_retries": int(row["max_retries"]),
        "claimed_by": row.get("claimed_by"),
        "claim_token": None if row.get("claim_token") is None else str(row["claim_token"]),
        "started_at": started.isoformat() if isinstance(started, datetime) else started,
        "source": source,
    }


class ClaimObserver:
    """Reads the jobs of `user_ids` every `interval_s` on a thread of its own."""

    def __init__(self, dsn: str, user_ids: Sequence[str], history: History, interval_s: float) -> None:
        self.dsn = dsn
        self.user_ids = list(user_ids)
        self.history = history
        self.interval_s = interval_s
        self.claims_seen: set[tuple[str, int, str | None]] = set()
        self.reads_failed = 0
        self._state: dict[str, tuple[Any, ...]] = {}
        self._watched: list[str] = []
        self._tokens: set[tuple[str, str]] = set()
        self._conn: psycopg.Connection[Row] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="chaos-observer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop after one last read."""
        self._stop.set()
        self._thread.join()
        self.observe()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.observe()
            self._stop.wait(self.interval_s)

    def observe(self) -> None:
        invocation = self.history.invoke("observe", None, PROCESS)
        try:
            rows = self._read()
        except psycopg.Error as error:
            self.reads_failed += 1
            self.history.complete(invocation, "info", {"error": f"{type(error).__name__}: {error}"[:300]})
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            return
        self._record(invocation, rows)

    def _read(self) -> list[Row]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.dsn, autocommit=True, row_factory=dict_row, connect_timeout=3)
        return self._conn.execute(_WATCH_QUERY, {"users": self.user_ids, "watched": self._watched}).fetchall()

    def _record(self, invocation: Op, rows: Iterable[Row]) -> None:
        changed: list[dict[str, Any]] = []
        claims: list[dict[str, Any]] = []
        watched: list[str] = []
        for row in rows:
            job_id = str(row["id"])
            if row["status"] in ACTIVE:
                watched.append(job_id)
            token = row.get("claim_token")
            state = (row["status"], row["retry_count"], token, row.get("error_code"), row.get("claimed_by"))
            if self._state.get(job_id) == state:
                continue
            self._state[job_id] = state
            changed.append(
                {
                    "id": job_id,
                    "status": row["status"],
                    "retry_count": row["retry_count"],
                    "error_code": row.get("error_code"),
                    "claimed_by": row.get("claimed_by"),
                }
            )
            if token is not None and (job_id, str(token)) not in self._tokens:
                self._tokens.add((job_id, str(token)))
                claims.append(_claim_value(row, "observed"))
        self._watched = watched
        self.history.complete(invocation, "ok", {"rows": changed})
        for claim in claims:
            self.claims_seen.add((claim["id"], claim["attempt"], claim["claimed_by"]))
            self.history.record("ok", "claim", claim, process=claim["claimed_by"] or "unknown-worker")


@dataclass(frozen=True)
class HealPoint:
    """The moment the nemesis stopped, on the database's clock, and the jobs active then."""

    database_now: datetime
    active_job_ids: tuple[str, ...]


def connect(dsn: str) -> psycopg.Connection[Row]:
    return psycopg.connect(dsn, autocommit=True, row_factory=dict_row, connect_timeout=5)


def heal_point(conn: psycopg.Connection[Row], user_ids: Sequence[str]) -> HealPoint:
    row = conn.execute(
        "select clock_timestamp() as now,"
        " coalesce(array_agg(id::text) filter (where status in ('pending', 'processing')), '{}') as active"
        " from public.plan_generation_jobs where user_id = any(%s::uuid[])",
        (list(user_ids),),
    ).fetchone()
    assert row is not None
    return HealPoint(row["now"], tuple(row["active"]))


def active_jobs(conn: psycopg.Connection[Row], user_ids: Sequence[str]) -> int:
    row = conn.execute(
        "select count(*) as n from public.plan_generation_jobs"
        " where user_id = any(%s::uuid[]) and status in ('pending', 'processing')",
        (list(user_ids),),
    ).fetchone()
    assert row is not None
    return int(row["n"])


def final_snapshot(conn: psycopg.Connection[Row], user_ids: Sequence[str]) -> DbSnapshot:
    """Every job and plan of the run's users, as plain rows."""
    users = list(user_ids)
    jobs = conn.execute(
        "select * from public.plan_generation_jobs where user_id = any(%s::uuid[]) order by created_at, id",
        (users,),
    ).fetchall()
    plans = conn.execute(
        "select * from public.weekly_base_plans where user_id = any(%s::uuid[]) order by created_at, id",
        (users,),
    ).fetchall()
    return DbSnapshot.of([plain_row(row) for row in jobs], [plain_row(row) for row in plans])


def claims_from_rows(
    rows: Iterable[Mapping[str, Any]], seen: Iterable[tuple[str, int, str | None]]
) -> list[dict[str, Any]]:
    """Claims the final rows record that the observer did not see with the same worker: one
    per `errors[]` entry of a worker (stale-pending expiry claims nothing), and the last
    attempt of a completed, cancelled or processing job that names its worker."""
    known = set(seen)
    found: list[dict[str, Any]] = []
    for row in rows:
        job_id = str(row["id"])
        attempts: list[tuple[int, str, str]] = []
        for entry in row.get("errors") or []:
            if (
                isinstance(entry, Mapping)
                and isinstance(entry.get("attempt"), int)
                and entry.get("worker")
                and entry.get("error_code") != "STALE_PENDING"
            ):
                attempts.append((entry["attempt"], str(entry["worker"]), "errors"))
        if row.get("claimed_by") and row.get("status") in ("completed", "cancelled", "processing"):
            attempts.append((int(row["retry_count"]) + 1, str(row["claimed_by"]), "final_row"))
        for attempt, worker, source in attempts:
            if (job_id, attempt, worker) in known:
                continue
            known.add((job_id, attempt, worker))
            found.append(
                {
                    "id": job_id,
                    "attempt": attempt,
                    "retry_count": attempt - 1,
                    "max_retries": int(row["max_retries"]),
                    "claimed_by": worker,
                    "claim_token": None,
                    "source": source,
                }
            )
    return found
