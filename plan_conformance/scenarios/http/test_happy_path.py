"""The plan-building flow end to end: create a job, poll it like the app, read the plan.

Safe for staging with the real DeepSeek (smoke): one user, one job, nothing queue-wide.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness import PlanJobs, PollOutcome, ProfileFactory, UiState, check_plan, compute_targets

pytestmark = [pytest.mark.needs("http"), pytest.mark.smoke]


def test_a_job_completes_with_a_valid_active_plan(
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    poll: Callable[..., PollOutcome],
) -> None:
    jobs = make_user()
    profile = profile_factory.make()

    job_id = jobs.create_job_id(profile)
    outcome = poll(jobs, job_id)

    assert outcome.ui_state is UiState.COMPLETED, outcome.detail
    job = outcome.last_snapshot
    assert job is not None
    assert job.error_code is None
    assert job.plan_id is not None
    plan = jobs.active_plan()
    assert plan is not None
    assert plan["id"] == job.plan_id
    assert plan["job_id"] == job_id
    targets = compute_targets(profile)
    assert plan["targets"] == {"total_kcal": targets.total_kcal, "protein_g": targets.protein_g}
    verdict = check_plan(plan["plan"], profile, targets)
    assert verdict.valid, verdict.violations


def test_the_job_records_the_profile_and_the_targets_it_was_made_for(
    make_user: Callable[[], PlanJobs], profile_factory: ProfileFactory
) -> None:
    jobs = make_user()
    profile = profile_factory.make(dietaryPreference="Eggitarian", mealCount=5)

    job = jobs.get_job(jobs.create_job_id(profile))

    assert job is not None
    assert job.status in ("pending", "processing", "completed")
    assert job.input["profile"] == profile
    targets = compute_targets(profile)
    assert job.input["targets"] == {"total_kcal": targets.total_kcal, "protein_g": targets.protein_g}
    assert job.max_retries >= 1
