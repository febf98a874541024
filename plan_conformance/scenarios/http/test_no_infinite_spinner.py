"""No infinite spinner: under every preset of the fake DeepSeek, the plan-building screen
reaches a terminal UI state within its cap, and the job a terminal status."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness import TERMINAL_STATUSES, PlanJobs, PollOutcome, ProfileFactory, ScenarioFake, UiState

pytestmark = pytest.mark.needs("http", "faults")

PRESETS = ("healthy", "flaky", "overloaded", "quota_exhausted", "malformed", "chaos")
USERS_PER_PRESET = 3


@pytest.mark.parametrize("preset", PRESETS)
def test_every_job_ends_and_the_screen_stops_spinning(
    preset: str,
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
) -> None:
    users = [make_user() for _ in range(USERS_PER_PRESET)]
    fake_llm.load_preset(preset, users=[jobs.session.user_id for jobs in users])
    job_ids = [jobs.create_job_id(profile_factory.make()) for jobs in users]

    outcomes = [poll(jobs, job_id) for jobs, job_id in zip(users, job_ids, strict=True)]

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
