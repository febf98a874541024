"""Idempotent creation, regeneration (docs/contract.md "HTTP surface") and cancellation racing completion."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from harness import JobSnapshot, PlanJobs, PollOutcome, ProfileFactory, QueueDatabase, ScenarioFake, UiState

pytestmark = pytest.mark.needs("http")

# the 429's Retry-After is this much longer than the attempt deadline, so no in-call retry fits
RETRY_AFTER_BEYOND_DEADLINE_S = 30.0
CLOCK_TOLERANCE_S = 0.005
SETTLE_S = 0.5


@pytest.mark.smoke
def test_creating_twice_returns_the_same_active_job(
    make_user: Callable[[], PlanJobs], profile_factory: ProfileFactory
) -> None:
    jobs = make_user()
    profile = profile_factory.make()

    first = jobs.create(profile)
    second = jobs.create(profile)

    assert first.status_code == 202, first.text
    if second.status_code == 429:
        # a fast target finished the first job before the second request: a new plan is then
        # refused within the cooldown, and the first job must be the completed one
        assert second.json()["error_code"] == "REGENERATION_TOO_SOON", second.text
        finished = jobs.get_job(first.json()["jobId"])
        assert finished is not None and finished.status == "completed"
        return
    assert second.status_code == 202, second.text
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
    # each call answers after 300 ms: the new job is still running when the active plan is read,
    # and its two calls (600 ms) end well within the attempt deadline
    fake_llm.add_fault({"match": {"user": jobs.session.user_id}, "action": {"type": "delay", "ms": 300}})

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
        {"match": {"user": jobs.session.user_id}, "action": {"type": "delay", "ms": 500}, "times": 1}
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


@pytest.mark.needs("faults")
def test_cancelling_a_job_waiting_for_its_retry(
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
    attempt_deadline_ms: int,
) -> None:
    """Pending by construction: the first call answers 429 asking for a wait longer than
    the attempt deadline, so the attempt fails at once and the job waits in the queue for
    that long; it is cancelled there, and DeepSeek is never called again."""
    jobs = make_user()
    user = jobs.session.user_id
    asked_s = attempt_deadline_ms / 1000 + RETRY_AFTER_BEYOND_DEADLINE_S
    fake_llm.add_fault(
        {
            "match": {"user": user},
            "action": {"type": "http_error", "status": 429, "retry_after": asked_s},
            "times": 1,
        }
    )
    job_id = jobs.create_job_id(profile_factory.make())
    waiting = _wait_for_the_retry(jobs, job_id)
    assert waiting.run_after is not None and waiting.updated_at is not None
    scheduled_in = (waiting.run_after - waiting.updated_at).total_seconds()
    assert scheduled_in >= asked_s - CLOCK_TOLERANCE_S, (
        f"the retry was scheduled {scheduled_in:.3f} s after the 429, which asked for {asked_s:g} s"
    )

    jobs.cancel_job(job_id)

    outcome = poll(jobs, job_id)
    job = outcome.last_snapshot
    assert job is not None
    assert outcome.ui_state is UiState.CANCELLED, outcome.detail
    assert (job.status, job.error_code, job.retry_count) == ("cancelled", "CANCELLED", 1)
    assert jobs.active_plan() is None
    time.sleep(SETTLE_S)  # a few turns of the queue: a cancelled job must not be claimed
    assert fake_llm.count(user=user) == 1, "DeepSeek was called again for a cancelled job"


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
        {"match": {"user": jobs.session.user_id, "stage": stage}, "action": {"type": "delay", "ms": 600}}
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


def _wait_for_the_retry(jobs: PlanJobs, job_id: str, timeout_s: float = 10.0) -> JobSnapshot:
    """The job once its first attempt failed and it waits in the queue for the next."""
    deadline = time.monotonic() + timeout_s
    job = jobs.get_job(job_id)
    while time.monotonic() < deadline:
        job = jobs.get_job(job_id)
        assert job is not None, f"job {job_id} is not visible to its owner"
        if job.retry_count >= 1:
            assert job.status == "pending", (
                f"after its failed attempt the job is {job.status} (retry_count {job.retry_count}), "
                "not waiting for the wait the 429 asked for"
            )
            return job
        time.sleep(0.02)
    raise AssertionError(f"the first attempt of job {job_id} did not fail within {timeout_s} s: {job}")


def _wait_for_call(fake: ScenarioFake, user_id: str, stage: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if fake.count(user=user_id, stage=stage) >= 1:
            return
        time.sleep(0.02)
    raise AssertionError(f"no stage {stage} call for user {user_id} within {timeout_s} s")
