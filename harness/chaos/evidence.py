"""What the service's own log says about the results of attempts: accepted and refused writes.

The service logs one JSON line per job transition (docs/contract.md): `job.claimed` with the
claimed row, then for the attempt's result `job.completed`, `job.requeued` or `job.failed`
with the row the write left, or `job.result_dropped` when the database refused it (PT409:
the attempt was recovered, cancelled or superseded meanwhile). Each carries `jobId`,
`status`, `retry_count` and the `worker`.

A result is paired with an open claim of the same worker and job in the same file: the claim
whose attempt the result matches (a completion leaves `retry_count` = attempt - 1, a failure
= attempt), else the oldest one. So a result is called late only when no claim that worker
held could have produced it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULTS = {"job.completed": "completed", "job.requeued": "requeued", "job.failed": "failed"}
DROPPED = "job.result_dropped"
CLAIMED = "job.claimed"


@dataclass(frozen=True)
class JobLogEvent:
    event: str
    job_id: str
    worker: str | None
    status: str | None
    retry_count: int | None
    time: str | None
    source: str


@dataclass(frozen=True)
class WriteRecord:
    """One attempt's result as the service wrote it: accepted, or refused by the database."""

    job_id: str
    worker: str | None
    attempt: int | None  # of the claim it was paired with; None when no claim was open
    outcome: str  # completed, requeued, failed, dropped
    status: str | None  # the job's status after the write (or now, for a refused one)
    retry_count: int | None
    accepted: bool
    time: str | None

    def value(self) -> dict[str, Any]:
        return {"id": self.job_id, **{k: v for k, v in asdict(self).items() if k != "job_id"}}


def read_job_events(paths: Iterable[Path]) -> list[JobLogEvent]:
    """The job events of these logs, in file order; other lines are skipped."""
    events: list[JobLogEvent] = []
    for path in paths:
        if not path.is_file():
            continue
        for line in path.read_text(errors="replace").splitlines():
            event = _event(line, path.name)
            if event is not None:
                events.append(event)
    return events


def _event(line: str, source: str) -> JobLogEvent | None:
    if not line.startswith("{"):
        return None
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    name = entry.get("event")
    if name not in (*RESULTS, DROPPED, CLAIMED) or not entry.get("jobId"):
        return None
    retry_count = entry.get("retry_count")
    return JobLogEvent(
        event=str(name),
        job_id=str(entry["jobId"]),
        worker=None if entry.get("worker") is None else str(entry["worker"]),
        status=entry.get("status") if isinstance(entry.get("status"), str) else None,
        retry_count=retry_count
        if isinstance(retry_count, int) and not isinstance(retry_count, bool)
        else None,
        time=entry.get("time") if isinstance(entry.get("time"), str) else None,
        source=source,
    )


def _matches(outcome: str, attempt: int, retry_count: int | None) -> bool:
    expected = attempt - 1 if outcome == "completed" else attempt
    return retry_count == expected


def writes_from_events(
    events: Sequence[JobLogEvent],
    job_ids: Collection[str],
    claims: Iterable[tuple[str, str | None, int]] = (),
) -> list[WriteRecord]:
    """The results written for jobs in `job_ids`, each paired with the attempt it came from
    among the worker's claims of that job: `claims` (job, worker, attempt), as the database
    shows them, and the log's own `job.claimed` lines."""
    held: defaultdict[tuple[str, str | None], set[int]] = defaultdict(set)
    for job_id, worker, attempt in claims:
        held[job_id, worker].add(attempt)
    writes: list[WriteRecord] = []
    for event in events:
        if event.job_id not in job_ids:
            continue
        attempts = held[event.job_id, event.worker]
        if event.event == CLAIMED:
            if event.retry_count is not None:
                attempts.add(event.retry_count + 1)
            continue
        outcome = RESULTS.get(event.event, "dropped")
        fitting = [a for a in attempts if outcome != "dropped" and _matches(outcome, a, event.retry_count)]
        candidates = fitting or sorted(attempts)
        paired: int | None = min(candidates) if candidates else None
        if paired is not None:
            attempts.discard(paired)
        writes.append(
            WriteRecord(
                job_id=event.job_id,
                worker=event.worker,
                attempt=paired,
                outcome=outcome,
                status=event.status,
                retry_count=event.retry_count,
                accepted=outcome != "dropped",
                time=event.time,
            )
        )
    return writes
