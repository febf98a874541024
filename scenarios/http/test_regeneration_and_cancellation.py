"""Idempotent creation, regeneration (DESIGN §3.6) and cancellation racing completion."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from harness import PlanJobs, PollOutcome, ProfileFactory, QueueDatabase, ScenarioFake, UiState

pytestmark = pytest.mark.needs("http")


@pytest.mark.smoke
def test_creating_twice_returns_the_same_active_job(
    make_user: Callable[[], PlanJobs], profile_factory: ProfileFactory
) -> None:
    jobs = make_user()
    profile = profile_factory.make()

    first = jobs.create(profile)
    second = jobs.create(profile)

    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json()["jobId"] == first.json()["jobId"]


@pytest.mark.needs("faults")
def test_simultaneous_creates_make_one_job(
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
) -> None:
    jobs = make_user()
    fake_llm.add_fault({"match": {"user": jobs.session.user_id}, "action": {"type": "delay", "ms": 300}})
    profile = profile_factory.make()
    job_ids: list[str] = []
    start = threading.Barrier(6)

    def create() -> None:
        start.wait()
        job_ids.append(jobs.create_job_id(profile))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(job_ids) == 6
    assert len(set(job_ids)) == 1, f"{len(set(job_ids))} jobs for one user"


@pytest.mark.smoke
def test_regeneration_within_fourteen_days_is_refused_with_the_next_allowed_time(
    make_user: Callable[[], PlanJobs], profile_factory: ProfileFactory, poll: Callable[..., PollOutcome]
) -> None:
    jobs = make_user()
    profile = profile_factory.make()
    assert poll(jobs, jobs.create_job_id(profile)).ui_state is UiState.COMPLETED

    refused = jobs.create(profile, regenerate=True)

    assert refused.status_code == 429
    body = refused.json()
    assert body["error_code"] == "REGENERATION_TOO_SOON"
    assert body["nextAllowedAt"]
    assert body["error"]


@pytest.mark.needs("faults", "db", "clock")
def test_regeneration_keeps_the_old_plan_active_until_the_new_job_completes(
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
    target_db: QueueDatabase,
    poll: Callable[..., PollOutcome],
) -> None:
    jobs = make_user()
    old_job = jobs.create_job_id(profile_factory.make(mealCount=3))
    assert poll(jobs, old_job).ui_state is UiState.COMPLETED
    old_plan = jobs.active_plan()
    assert old_plan is not None
    # fifteen days pass
    target_db.conn.execute(
        "update public.plan_generation_jobs set completed_at = completed_at - %s where id = %s",
        (timedelta(days=15), old_job),
    )
    fake_llm.add_fault({"match": {"user": jobs.session.user_id}, "action": {"type": "delay", "ms": 600}})

    new_job = jobs.create_job_id(profile_factory.make(mealCount=5), regenerate=True)

    assert new_job != old_job
    still_active = jobs.active_plan()
    assert still_active is not None and still_active["id"] == old_plan["id"]
    assert poll(jobs, new_job).ui_state is UiState.COMPLETED
    now_active = jobs.active_plan()
    assert now_active is not None and now_active["job_id"] == new_job


@pytest.mark.needs("faults")
def test_regenerating_during_a_job_supersedes_it(
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
) -> None:
    jobs = make_user()
    fake_llm.add_fault(
        {"match": {"user": jobs.session.user_id}, "action": {"type": "delay", "ms": 800}, "times": 1}
    )
    first = jobs.create_job_id(profile_factory.make())

    second = jobs.create_job_id(profile_factory.make(), regenerate=True)

    assert second != first
    superseded = jobs.get_job(first)
    assert superseded is not None
    assert (superseded.status, superseded.error_code) == ("cancelled", "SUPERSEDED")
    assert poll(jobs, second).ui_state is UiState.COMPLETED
    plan = jobs.active_plan()
    assert plan is not None and plan["job_id"] == second


@pytest.mark.smoke
def test_cancelling_a_pending_job(
    make_user: Callable[[], PlanJobs], profile_factory: ProfileFactory, poll: Callable[..., PollOutcome]
) -> None:
    jobs = make_user()
    job_id = jobs.create_job_id(profile_factory.make())

    jobs.cancel_job(job_id)

    outcome = poll(jobs, job_id)
    job = outcome.last_snapshot
    assert job is not None
    if job.status == "completed":  # the queue was faster than the cancel: allowed, and final
        assert jobs.active_plan() is not None
    else:
        assert outcome.ui_state is UiState.CANCELLED
        assert job.error_code == "CANCELLED"
        assert jobs.active_plan() is None


@pytest.mark.needs("faults")
@pytest.mark.parametrize("stage", [1, 2])
def test_cancellation_racing_completion_never_saves_the_plan(
    stage: int,
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
) -> None:
    jobs = make_user()
    fake_llm.add_fault(
        {"match": {"user": jobs.session.user_id, "stage": stage}, "action": {"type": "delay", "ms": 700}}
    )
    job_id = jobs.create_job_id(profile_factory.make())
    # cancel while DeepSeek is still answering the stage's call
    _wait_for_call(fake_llm, jobs.session.user_id, stage)

    jobs.cancel_job(job_id)

    outcome = poll(jobs, job_id)
    job = outcome.last_snapshot
    assert job is not None
    assert (job.status, job.error_code) == ("cancelled", "CANCELLED")
    assert job.plan_id is None
    assert jobs.active_plan() is None
    assert fake_llm.count(user=jobs.session.user_id) >= stage, "the attempt had started"


def _wait_for_call(fake: ScenarioFake, user_id: str, stage: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if fake.count(user=user_id, stage=stage) >= 1:
            return
        time.sleep(0.02)
    raise AssertionError(f"no stage {stage} call for user {user_id} within {timeout_s} s")
