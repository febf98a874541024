"""Deadlines (docs/contract.md "Error codes", AI_TIMEOUT): a call that never returns, and one kept open by
keep-alive bytes, are aborted at the attempt's deadline plus a small margin -- keep-alive
bytes must not extend it (the real DeepSeek sends them for up to 10-30 minutes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import JobsAhead, JobsAheadFactory, JobStart, PollOutcome, ScenarioFake, StartedJob, UiState

pytestmark = pytest.mark.needs("http", "faults")

MARGIN_MS = 750  # scheduling on a loaded 2-core CI machine, not a tolerance of the contract

STALLS = {
    "hang": {"type": "hang"},
    "keepalive_stall_blank_lines": {
        "type": "keepalive_stall",
        "ms": 60_000,
        "interval_ms": 50,
        "then": "answer",
    },
    "slow_dribble": {"type": "slow_stream", "chunk_delay_ms": 300, "pieces": 200},
}


def _start_stalled_job(action: dict[str, Any], start: JobStart) -> list[StartedJob]:
    jobs = start.user()
    start.fake.add_fault({"match": {"user": jobs.session.user_id}, "action": action})
    return [StartedJob(jobs, jobs.create_job_id(start.profiles.make()))]


@pytest.fixture(scope="module")
def stalled_jobs(jobs_ahead: JobsAheadFactory) -> JobsAhead[dict[str, Any]]:
    """The stalls' jobs, started together: each waits out three call timeouts."""
    return jobs_ahead(_start_stalled_job, param="action")


@pytest.mark.parametrize("action", STALLS.values(), ids=STALLS.keys())
def test_stalled_calls_end_as_ai_timeout_within_the_deadline(
    action: dict[str, Any],
    stalled_jobs: JobsAhead[dict[str, Any]],
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
    attempt_deadline_ms: int,
    request: pytest.FixtureRequest,
) -> None:
    deadline_ms = attempt_deadline_ms
    started = stalled_jobs.job_for(request.node.nodeid)  # its fault: `action`

    outcome = poll(started.jobs, started.job_id)

    job = outcome.last_snapshot
    assert job is not None
    assert outcome.ui_state is UiState.ERROR_TIMEOUT, outcome.detail
    assert job.error_code == "AI_TIMEOUT"
    calls = fake_llm.journal(user=started.jobs.session.user_id)
    assert len(calls) == job.max_retries, "one stalled call per attempt"
    for call in calls:
        assert call.duration_ms is not None, f"call {call.seq} is still open after the job failed"
        assert call.duration_ms <= deadline_ms + MARGIN_MS, (
            f"call {call.seq} was held {call.duration_ms:.0f} ms; the attempt deadline is {deadline_ms} ms"
        )
        assert call.outcome != "stall_answered", "the stall outlived the deadline and was answered"
