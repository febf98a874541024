"""The run summary from job events and job rows: percentiles, terminal counts, `ok`."""

from __future__ import annotations

from typing import Any

import pytest

from harness.load.summary import RequestTotals, distribution, percentile, render, summarize


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(n) for n in range(1, 101)]  # 1..100

    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([3.0], 99) == 3.0
    assert distribution([]) == {"count": 0, "p50": None, "p95": None, "p99": None, "max": None}


def row(
    job: str, status: str, created: str, completed: str | None, code: str | None = None
) -> dict[str, Any]:
    return {"id": job, "status": status, "error_code": code, "created_at": created, "completed_at": completed}


def events(*jobs: str, finished: tuple[str, ...] = (), done: bool = True) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = [{"event": "job_created", "job_id": job} for job in jobs]
    lines += [
        {"event": "job_finished", "job_id": job, "ui_state": "completed", "seen_seconds": 2.0}
        for job in finished
    ]
    return lines + ([{"event": "all_users_done", "users": 1}] if done else [])


def test_time_to_plan_comes_from_the_rows_timestamps() -> None:
    rows = [
        row("a", "completed", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:02+00:00"),
        row("b", "completed", "2026-01-01T00:00:01+00:00", "2026-01-01T00:00:05+00:00"),
        row("c", "failed", "2026-01-01T00:00:01+00:00", "2026-01-01T00:00:11+00:00", "AI_QUOTA_EXCEEDED"),
    ]

    summary = summarize(
        events("a", "b", "c", finished=("a", "b")), rows, expected_jobs=3, requests=RequestTotals(10, 0)
    )

    assert summary["ok"] is True and summary["stopped"] == "every user done"
    assert summary["jobs"]["by_status"] == {"completed": 2, "failed": 1}
    assert summary["jobs"]["by_error_code"] == {"AI_QUOTA_EXCEEDED": 1}
    assert summary["time_to_plan_seconds"]["completed"] == {
        "count": 2,
        "p50": 3.0,
        "p95": 3.9,
        "p99": 3.98,
        "max": 4.0,
    }
    assert summary["time_to_plan_seconds"]["terminal"]["max"] == 10.0
    assert summary["throughput_jobs_per_s"] == 0.27  # 3 jobs from 00:00:00 to 00:00:11
    assert summary["requests"] == {"total": 10, "failures": 0}


def test_a_job_left_active_or_a_failed_journey_is_not_ok() -> None:
    rows = [
        row("a", "completed", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:02+00:00"),
        row("b", "processing", "2026-01-01T00:00:00+00:00", None),
    ]
    failed = {"event": "journey_failed", "stage": "signup", "error": "HTTP 500 boom", "job_id": None}

    left_active = summarize(events("a", "b", done=False), rows, expected_jobs=2, requests=None)
    journey = summarize([*events("a"), failed], rows[:1], expected_jobs=2, requests=None)

    assert left_active["ok"] is False and left_active["stopped"].startswith("bound reached")
    assert left_active["jobs"]["not_terminal"] == 1 and left_active["jobs"]["not_terminal_ids"] == ["b"]
    assert journey["ok"] is False
    assert journey["journeys_failed"] == {"signup": 1} and journey["journey_errors"] == ["HTTP 500 boom"]
    assert journey["jobs"]["created"] == 1 and journey["jobs"]["planned"] == 2
    assert "no job completed" not in render(journey)
    assert "time to plan (completed, created_at -> completed_at): no job completed" in render(
        summarize(events("b", done=False), rows[1:], expected_jobs=1, requests=None)
    )
    assert render(left_active).endswith("result: NOT OK (see summary.json)")
