"""Results from the service's log: each paired with the claim it came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.chaos.evidence import JobLogEvent, read_job_events, writes_from_events


def _event(event: str, job: str, worker: str, retry_count: int, source: str = "w.log") -> JobLogEvent:
    return JobLogEvent(event, job, worker, None, retry_count, None, source)


def test_job_events_are_read_and_other_lines_skipped(tmp_path: Path) -> None:
    lines: list[Any] = [
        "plan-reference serving http://127.0.0.1:1",
        {"event": "job.claimed", "jobId": "j1", "worker": "w1", "retry_count": 0, "status": "processing"},
        {"event": "queue.recovered", "stuck": 1},
        {"event": "job.completed", "jobId": "j1", "worker": "w1", "retry_count": 0, "time": "t"},
        {"event": "job.completed", "worker": "w1"},  # no job id
        "{not json",
    ]
    log = tmp_path / "worker.log"
    log.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines))

    events = read_job_events([log, tmp_path / "missing.log"])

    assert [(e.event, e.job_id, e.worker, e.retry_count) for e in events] == [
        ("job.claimed", "j1", "w1", 0),
        ("job.completed", "j1", "w1", 0),
    ]
    assert events[1].time == "t" and events[0].source == "worker.log"


def test_each_result_is_paired_with_the_claim_it_fits() -> None:
    events = [
        _event("job.claimed", "j1", "w1", 0),  # attempt 1
        _event("job.claimed", "j1", "w1", 1),  # attempt 2 (attempt 1 was recovered meanwhile)
        _event("job.completed", "j1", "w1", 1),  # fits attempt 2
        _event("job.result_dropped", "j1", "w1", 1),  # attempt 1's, refused
    ]

    writes = writes_from_events(events, {"j1"})

    assert [(w.outcome, w.attempt, w.accepted) for w in writes] == [
        ("completed", 2, True),
        ("dropped", 1, False),
    ]


def test_a_result_no_open_claim_fits_keeps_the_oldest_claim_and_so_looks_late() -> None:
    events = [_event("job.claimed", "j1", "w1", 0), _event("job.requeued", "j1", "w1", 2)]

    (write,) = writes_from_events(events, {"j1"})

    assert (write.attempt, write.retry_count, write.outcome) == (1, 2, "requeued")


def test_claims_of_other_workers_and_jobs_are_apart() -> None:
    events = [
        _event("job.claimed", "j1", "w1", 0, source="a.log"),
        _event("job.completed", "j1", "w2", 0, source="b.log"),  # another worker, no claim of its own
        _event("job.claimed", "j2", "w1", 0, source="a.log"),
        _event("job.completed", "j9", "w1", 0, source="a.log"),  # not a job of this run
    ]

    (write,) = writes_from_events(events, {"j1", "j2"})

    assert (write.job_id, write.worker, write.attempt) == ("j1", "w2", None)
    assert write.value()["id"] == "j1" and "job_id" not in write.value()


def test_the_database_claims_pair_results_whatever_the_log_says_of_claims() -> None:
    # a service that logs no `job.claimed` line (or logs claims in batches)
    events = [_event("job.requeued", "j1", "w1", 1), _event("job.completed", "j1", "w2", 1)]

    writes = writes_from_events(events, {"j1"}, claims=[("j1", "w1", 1), ("j1", "w2", 2), ("j1", "w9", 3)])

    assert [(w.worker, w.attempt, w.outcome) for w in writes] == [
        ("w1", 1, "requeued"),
        ("w2", 2, "completed"),
    ]
