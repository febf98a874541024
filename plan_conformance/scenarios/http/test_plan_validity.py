"""Plan validity (docs/contract.md "Targets and the plan"): generated users spanning every diet, goal and
meal count get
valid plans, exactly as the model sends them and after realistic repairs; plans that break
a diet or an avoid rule are never saved."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness import PlanJobs, PollOutcome, ProfileFactory, ScenarioFake, UiState, check_plan, compute_targets

pytestmark = pytest.mark.needs("http", "faults")

USERS = 12


@pytest.mark.parametrize("quality", ["exact", "realistic"])
def test_generated_users_get_valid_plans(
    quality: str,
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
) -> None:
    profiles = profile_factory.covering(USERS)
    users = [make_user() for _ in profiles]
    for jobs in users:
        fake_llm.add_fault(
            {"match": {"user": jobs.session.user_id}, "action": {"type": "answer", "quality": quality}}
        )
    job_ids = [jobs.create_job_id(profile) for jobs, profile in zip(users, profiles, strict=True)]

    for jobs, job_id, profile in zip(users, job_ids, profiles, strict=True):
        outcome = poll(jobs, job_id)
        assert outcome.ui_state is UiState.COMPLETED, f"{profile}: {outcome.detail}"
        plan = jobs.active_plan()
        assert plan is not None
        verdict = check_plan(plan["plan"], profile, compute_targets(profile))
        assert verdict.valid, f"{profile['dietaryPreference']}/{profile['goal']}: {verdict.violations}"


@pytest.mark.parametrize(
    ("diet", "defect"),
    [("Vegetarian", "diet_violation"), ("Eggitarian", "diet_violation"), ("Non-veg", "avoided_exercise")],
)
def test_plans_breaking_diet_or_avoid_rules_are_never_saved(
    diet: str,
    defect: str,
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
) -> None:
    jobs = make_user()
    profile = profile_factory.make(dietaryPreference=diet, avoidExercises=["Deadlift"])
    fake_llm.add_fault(
        {"match": {"user": jobs.session.user_id}, "action": {"type": "wrong_plan", "defect": defect}}
    )

    outcome = poll(jobs, jobs.create_job_id(profile))

    assert outcome.last_snapshot is not None
    assert outcome.last_snapshot.error_code == "VALIDATION_FAILED"
    assert outcome.last_snapshot.plan_id is None
    assert jobs.active_plan() is None
