"""No infinite spinner: under every preset of the fake DeepSeek, the plan-building screen
reaches a terminal UI state within its cap, and the job a terminal status."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness import TERMINAL_STATUSES, JobsAhead, JobStart, PollOutcome, StartedJob, UiState

pytestmark = pytest.mark.needs("http", "faults")

PRESETS = ("healthy", "flaky", "overloaded", "quota_exhausted", "malformed", "chaos")
USERS_PER_PRESET = 3


def _start_preset_jobs(preset: str, start: JobStart) -> list[StartedJob]:
    users = [start.user() for _ in range(USERS_PER_PRESET)]
    start.fake.load_preset(preset, users=[jobs.session.user_id for jobs in users])
    return [StartedJob(jobs, jobs.create_job_id(start.profiles.make())) for jobs in users]


@pytest.fixture(scope="module")
def preset_jobs(jobs_ahead: Callable[..., JobsAhead[str]]) -> JobsAhead[str]:
    """The presets' jobs, the next presets' already running while one is checked."""
    return jobs_ahead(_start_preset_jobs, param="preset")


@pytest.mark.parametrize("preset", PRESETS)
def test_every_job_ends_and_the_screen_stops_spinning(
    preset: str,
    preset_jobs: JobsAhead[str],
    poll: Callable[..., PollOutcome],
    request: pytest.FixtureRequest,
) -> None:
    started = preset_jobs.jobs_for(request.node.nodeid)

    outcomes = [poll(job.jobs, job.job_id) for job in started]

    for outcome in outcomes:
        job = outcome.last_snapshot
        assert job is not None
        assert outcome.ui_state not in (UiState.WAITING, UiState.STUCK), outcome.detail
        assert job.status in TERMINAL_STATUSES, f"job {job.id} still {job.status} when the screen stopped"
        assert job.retry_count <= job.max_retries
        assert outcome.flips < job.max_retries, f"job {job.id} went round {outcome.flips} times"
    if preset == "healthy":
        assert {outcome.ui_state for outcome in outcomes} == {UiState.COMPLETED}
    if preset == "quota_exhausted":
        assert {outcome.ui_state for outcome in outcomes} == {UiState.ERROR_QUOTA}
