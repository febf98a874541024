"""After a load run: what happened to every job it created, and the time-to-plan percentiles.

The job events (`jobs.jsonl`, written by the Locust master) say which jobs the run created
and what the simulated app saw. The times come from the target itself: each job's row, read
back through PostgREST with the service key, gives `created_at` and `completed_at`, so the
time to plan is what a user waited, from creation to a terminal status, whatever the
poll interval was.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from harness.load import protocol
from harness.load.settings import LoadTarget

TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
ROWS_PER_READ = 100  # ids per `in.(...)` filter, to keep URLs short
JOB_COLUMNS = "id,status,error_code,retry_count,created_at,completed_at"
PERCENTILES = (50, 95, 99)


class SummaryError(Exception):
    pass


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def distribution(values: Sequence[float]) -> dict[str, float | int | None]:
    """Count, p50/p95/p99 and max of `values` (seconds, rounded to ms); None values when empty."""
    figures: dict[str, float | int | None] = {"count": len(values)}
    for q in PERCENTILES:
        figures[f"p{q}"] = round(percentile(values, q), 3) if values else None
    figures["max"] = round(max(values), 3) if values else None
    return figures


def read_events(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    events = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise SummaryError(f"{path}:{number} is not JSON: {error}") from None
    return events


def read_job_rows(target: LoadTarget, job_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The rows of `job_ids`, through PostgREST as the service role."""
    key = target.service_role_key
    headers = {"apikey": key, "Authorization": f"Bearer {key}", "Accept-Profile": "public"}
    ids = sorted(set(job_ids))
    rows: list[dict[str, Any]] = []
    with httpx.Client(base_url=target.url, timeout=30.0) as http:
        for start in range(0, len(ids), ROWS_PER_READ):
            chunk = ids[start : start + ROWS_PER_READ]
            try:
                response = http.get(
                    "/rest/v1/plan_generation_jobs",
                    params={"select": JOB_COLUMNS, "id": f"in.({','.join(chunk)})"},
                    headers=headers,
                )
            except httpx.HTTPError as error:
                raise SummaryError(
                    f"reading the run's jobs back from {target.url}: {type(error).__name__} {error}"
                ) from None
            if response.status_code != 200:
                answer = f"HTTP {response.status_code} {response.text[:200]}"
                raise SummaryError(f"reading the run's jobs back: {answer}")
            rows.extend(response.json())
    return rows


def _time(value: object) -> datetime:
    if not isinstance(value, str):
        raise SummaryError(f"a job timestamp is not text: {value!r}")
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class RequestTotals:
    requests: int
    failures: int


def locust_totals(stats_csv: Path) -> RequestTotals | None:
    """The `Aggregated` row of Locust's `*_stats.csv`; None when Locust wrote none."""
    if not stats_csv.is_file():
        return None
    with stats_csv.open(newline="", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            if row.get("Name") == "Aggregated":
                return RequestTotals(int(row["Request Count"]), int(row["Failure Count"]))
    return None


def summarize(
    events: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    *,
    expected_jobs: int,
    requests: RequestTotals | None,
) -> dict[str, Any]:
    """The run's figures; `ok` is true when every created job is terminal and no journey failed."""
    created = [str(event["job_id"]) for event in events if event["event"] == protocol.JOB_CREATED]
    finished = {str(event["job_id"]): event for event in events if event["event"] == protocol.JOB_FINISHED}
    failed = [event for event in events if event["event"] == protocol.JOURNEY_FAILED]
    by_id = {str(row["id"]): row for row in rows}
    missing = sorted(set(created) - set(by_id))
    found = [job for job in created if job in by_id]
    terminal = [by_id[job] for job in found if by_id[job]["status"] in TERMINAL_STATUSES]
    not_terminal = sorted(job for job in found if by_id[job]["status"] not in TERMINAL_STATUSES)
    waits = {
        status: [
            (_time(row["completed_at"]) - _time(row["created_at"])).total_seconds()
            for row in terminal
            if status in ("terminal", row["status"])
        ]
        for status in ("terminal", "completed")
    }
    throughput = None
    if terminal:
        first = min(_time(row["created_at"]) for row in terminal)
        last = max(_time(row["completed_at"]) for row in terminal)
        span = (last - first).total_seconds()
        throughput = round(len(terminal) / span, 2) if span > 0 else None
    all_done = any(event["event"] == protocol.ALL_USERS_DONE for event in events)
    summary: dict[str, Any] = {
        "ok": not failed and not not_terminal and not missing and len(created) == expected_jobs,
        "stopped": "every user done" if all_done else "bound reached (run time or process limit)",
        "jobs": {
            "planned": expected_jobs,
            "created": len(created),
            "terminal": len(terminal),
            "not_terminal": len(not_terminal),
            "not_found": len(missing),
            "by_status": dict(sorted(Counter(str(row["status"]) for row in terminal).items())),
            "by_error_code": dict(
                sorted(Counter(str(row["error_code"]) for row in terminal if row["error_code"]).items())
            ),
            "app_states": dict(sorted(Counter(str(e["ui_state"]) for e in finished.values()).items())),
            "not_terminal_ids": not_terminal[:20],
        },
        "journeys_failed": dict(sorted(Counter(str(event["stage"]) for event in failed).items())),
        "journey_errors": sorted({str(event["error"]) for event in failed})[:10],
        "time_to_plan_seconds": {
            "completed": distribution(waits["completed"]),
            "terminal": distribution(waits["terminal"]),
        },
        "seen_by_app_seconds": distribution([float(event["seen_seconds"]) for event in finished.values()]),
        "throughput_jobs_per_s": throughput,
        "requests": None if requests is None else {"total": requests.requests, "failures": requests.failures},
    }
    return summary


def render(summary: Mapping[str, Any]) -> str:
    """A few lines for the terminal."""
    jobs = summary["jobs"]
    completed = summary["time_to_plan_seconds"]["completed"]
    lines = [
        f"stopped: {summary['stopped']}",
        f"jobs: {jobs['created']} created of {jobs['planned']} planned, {jobs['terminal']} terminal "
        f"{jobs['by_status']}, {jobs['not_terminal']} not terminal",
        "time to plan (completed, created_at -> completed_at): "
        + (
            ", ".join(f"p{q} {completed[f'p{q}']} s" for q in PERCENTILES)
            + f", max {completed['max']} s over {completed['count']} jobs"
            if completed["count"]
            else "no job completed"
        ),
        f"throughput: {summary['throughput_jobs_per_s']} jobs/s",
    ]
    if summary["journeys_failed"]:
        lines.append(f"journeys failed: {summary['journeys_failed']} e.g. {summary['journey_errors'][:3]}")
    if summary["requests"] is not None:
        lines.append(f"requests: {summary['requests']['total']}, failures {summary['requests']['failures']}")
    lines.append("result: ok" if summary["ok"] else "result: NOT OK (see summary.json)")
    return "\n".join(lines)
