"""Figures and timeline: percentiles, time to terminal on the database's clock, bands, series."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from harness.chaos.figures import job_series, job_timelines, nemesis_bands, percentile, time_to_terminal
from harness.chaos.observer import HealPoint, claims_from_rows
from harness.checkers import DbSnapshot
from harness.history import History

from .support import T0


def _row(
    job_id: str, status: str, created_s: float, completed_s: float | None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": job_id,
        "status": status,
        "created_at": T0 + timedelta(seconds=created_s),
        "completed_at": None if completed_s is None else T0 + timedelta(seconds=completed_s),
        **extra,
    }


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [([], 0.5, None), ([4.0], 0.99, 4.0), ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0), ([*range(1, 101)], 0.99, 99)],
)
def test_nearest_rank_percentile(values: list[float], share: float, expected: float | None) -> None:
    assert percentile(values, share) == expected


def test_time_to_terminal_counts_the_jobs_active_when_the_nemesis_stopped() -> None:
    heal = HealPoint(T0 + timedelta(seconds=10), ("a", "b", "c", "gone"))
    snapshot = DbSnapshot.of(
        [
            _row("a", "completed", 1, 12.5),
            _row("b", "failed", 2, 9.9),  # its transaction began before the heal: counted as 0
            _row("c", "pending", 3, None),  # never ended: a lost job, not a time
            _row("d", "completed", 4, 30),  # not active at the heal
        ],
        [],
    )
    assert time_to_terminal(snapshot, heal) == [2.5, 0.0]


def test_bands_pair_each_fault_with_its_end_and_close_the_open_ones() -> None:
    history = History(clock_ns=iter(range(0, 100 * 10**9, 10**9)).__next__)  # 1 s per operation
    for f, process, value in [
        ("kill", "nemesis-worker-1", {"worker": 1}),  # ok at 2 s
        ("faults-on", "nemesis-faults", {"faults": "flaky"}),  # ok at 4 s
        ("start-worker", "nemesis-worker-1", {"worker": 1}),  # ok at 6 s
        ("db-restart", "nemesis-db", {}),  # 7 s to 8 s
        ("pause", "nemesis-worker-0", {"worker": 0}),  # ok at 10 s, never resumed
    ]:
        history.complete(history.invoke(f, value, process), "ok", value)
    history.record("ok", "observe", {"rows": []}, "observer")

    bands = nemesis_bands(history.ops, until_s=20.0)

    assert [(b.kind, b.label, b.start_s, b.end_s) for b in bands] == [
        ("kill", "kill worker 1", 2.0, 6.0),
        ("faults", "faults: flaky", 4.0, 20.0),
        ("db-restart", "db-restart", 7.0, 8.0),
        ("pause", "pause worker 0", 10.0, 20.0),
    ]


def test_series_places_the_rows_on_the_run_clock_through_the_heal() -> None:
    # the heal: 10 s into the run, T0 + 100 s on the database's clock
    heal = HealPoint(T0 + timedelta(seconds=100), ())
    snapshot = DbSnapshot.of(
        [_row("a", "completed", 91, 95), _row("b", "cancelled", 92, 101.2), _row("c", "pending", 99, None)],
        [],
    )

    points = job_series(snapshot, 10.0, heal, until_s=20.0)

    by_second = {round(p.at_s): p for p in points}
    assert len(points) == 40 and points[1].at_s == 0.5
    assert (by_second[2].active, by_second[5].active, by_second[9].active) == (2, 1, 2)
    assert sum(p.completed for p in points) == 1 and sum(p.cancelled for p in points) == 1
    assert next(p for p in points if p.completed).at_s == 5.0
    assert by_second[19].active == 1  # c never ended


def test_claims_the_rows_record_add_only_attempts_not_seen_with_that_worker() -> None:
    rows = [
        {
            "id": "j1",
            "status": "completed",
            "retry_count": 2,
            "max_retries": 3,
            "claimed_by": "w3",
            "errors": [
                {"attempt": 1, "error_code": "WORKER_TIMEOUT", "worker": "w1"},
                {"attempt": 2, "error_code": "AI_TIMEOUT", "worker": "w2"},
            ],
        },
        {
            "id": "j2",
            "status": "failed",
            "retry_count": 1,
            "max_retries": 3,
            "claimed_by": None,
            "errors": [{"attempt": 1, "error_code": "STALE_PENDING", "worker": None}],
        },
    ]

    found = claims_from_rows(rows, seen={("j1", 1, "w1")})

    assert [(c["id"], c["attempt"], c["claimed_by"], c["source"]) for c in found] == [
        ("j1", 2, "w2", "errors"),
        ("j1", 3, "w3", "final_row"),
    ]


def test_timelines_follow_what_the_observer_saw() -> None:
    history = History(clock_ns=iter(range(0, 100 * 10**9, 10**9)).__next__)
    history.record(
        "ok", "observe", {"rows": [{"id": "a", "status": "pending", "retry_count": 0}]}, "observer"
    )
    history.record(
        "ok",
        "observe",
        {"rows": [{"id": "a", "status": "failed", "retry_count": 1, "error_code": "AI_TIMEOUT"}]},
        "o",
    )
    snapshot = DbSnapshot.of(
        [_row("a", "failed", 0, 3, error_code="AI_TIMEOUT"), _row("b", "cancelled", 0, 1)], []
    )

    a, b = job_timelines(history.ops, snapshot)

    assert [(t.at_seconds, t.status) for t in a.transitions] == [(0.0, "pending"), (1.0, "failed")]
    assert (a.final_status, a.ui_state, a.duration_seconds) == ("failed", "error_timeout", 3.0)
    assert [t.status for t in b.transitions] == ["cancelled"]
