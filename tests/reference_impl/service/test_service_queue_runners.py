"""How invocations run: the background loop, and the child process killed at the wall clock."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fake_llm.server import FakeDeepSeek
from harness.queue_db import QueueDatabase
from reference_impl.queue.loop import QueueLoop
from reference_impl.queue.outcome import InvocationOutcome, ProcessedJob
from reference_impl.queue.runners import ChildProcessRunner, FinishedInvocation, StartedInvocation
from tests.reference_impl.service.conftest import ServiceFactory


async def test_the_background_loop_processes_new_jobs_on_its_own(
    start_service: ServiceFactory, queue_db: QueueDatabase, authority: Any
) -> None:
    await start_service(WORKER_INTERVAL_MS="50")
    job = queue_db.insert_job(queue_db.create_user())

    deadline = time.monotonic() + 10
    while queue_db.job(job["id"])["status"] != "completed" and time.monotonic() < deadline:
        await asyncio.sleep(0.05)

    assert queue_db.job(job["id"])["status"] == "completed"


async def test_the_child_process_is_killed_at_the_wall_clock_and_the_job_stays_processing(
    base_env: dict[str, str], queue_db: QueueDatabase, fake_deepseek: FakeDeepSeek
) -> None:
    user = queue_db.create_user()
    job = queue_db.insert_job(user)
    fake_deepseek.add_fault({"match": {"user": user.id}, "action": {"type": "hang"}})
    env = {**base_env, "INTERNAL_TIMEOUT_MS": "60000", "DEEPSEEK_CALL_TIMEOUT_MS": "60000"}
    runner = ChildProcessRunner(env, wall_clock_limit_s=4.0, worker_prefix="test")

    started = time.monotonic()
    outcome = await runner.run(max_jobs=1)

    assert outcome.killed is True
    assert outcome.killed_after_ms is not None and 4000 <= outcome.killed_after_ms < 8000
    assert time.monotonic() - started < 10
    left = queue_db.job(job["id"])
    assert (left["status"], left["retry_count"], left["claimed_by"]) == ("processing", 0, "test:child-1")


async def test_the_child_process_reports_its_outcome(
    base_env: dict[str, str], queue_db: QueueDatabase
) -> None:
    job = queue_db.insert_job(queue_db.create_user())
    runner = ChildProcessRunner(base_env, wall_clock_limit_s=30.0, worker_prefix="test")

    outcome = await runner.run(max_jobs=5)

    assert outcome.killed is False
    assert [(p.job_id, p.status) for p in outcome.processed] == [(str(job["id"]), "completed")]


class _CountingRunner:
    def __init__(self, claims: list[int]) -> None:
        self.claims = claims
        self.calls = 0

    async def run(self, max_jobs: int) -> InvocationOutcome:
        claimed = self.claims[self.calls] if self.calls < len(self.claims) else 0
        self.calls += 1
        processed = tuple(ProcessedJob(str(n), "completed", None, 0, 1) for n in range(claimed))
        return InvocationOutcome(processed=processed, claimed=claimed)

    async def start(self, max_jobs: int) -> StartedInvocation:
        return FinishedInvocation(await self.run(max_jobs))


class _HeldInvocation:
    """Claims made; its attempts end when `release` is set."""

    def __init__(self, claimed: int, release: asyncio.Event) -> None:
        self.claimed = claimed
        self.killed = False
        self.release = release

    async def outcome(self) -> InvocationOutcome:
        await self.release.wait()
        return InvocationOutcome(claimed=self.claimed)


class _HeldRunner:
    """Invocations whose attempts all end together, when the test says so."""

    def __init__(self, claims: list[int]) -> None:
        self.claims = claims
        self.started = 0
        self.release = asyncio.Event()

    async def run(self, max_jobs: int) -> InvocationOutcome:
        raise AssertionError("the background loop starts invocations; it does not run them whole")

    async def start(self, max_jobs: int) -> StartedInvocation:
        claimed = self.claims[self.started] if self.started < len(self.claims) else 0
        self.started += 1
        return _HeldInvocation(claimed, self.release)


async def test_the_loop_keeps_going_while_invocations_come_back_full() -> None:
    runner = _CountingRunner([2, 2, 1])
    outcomes: list[InvocationOutcome] = []
    loop = QueueLoop(runner, interval_s=3600, max_jobs=2, on_outcome=outcomes.append)
    task = asyncio.create_task(loop.run_forever())

    loop.trigger()
    for _ in range(100):
        if runner.calls >= 3:
            break
        await asyncio.sleep(0.01)
    task.cancel()

    assert runner.calls == 3, "two full invocations, then one that was not full, then wait"
    assert [outcome.claimed for outcome in outcomes] == [2, 2, 1]


async def test_the_loop_claims_the_next_invocation_while_the_previous_attempts_run() -> None:
    runner = _HeldRunner([2, 2, 1])
    outcomes: list[InvocationOutcome] = []
    loop = QueueLoop(runner, interval_s=3600, max_jobs=2, on_outcome=outcomes.append)
    task = asyncio.create_task(loop.run_forever())

    loop.trigger()
    for _ in range(100):
        if runner.started >= 3:
            break
        await asyncio.sleep(0.01)
    claimed_before_any_ended = runner.started
    ended_before_release = len(outcomes)
    runner.release.set()
    for _ in range(100):
        if len(outcomes) == 3:
            break
        await asyncio.sleep(0.01)
    task.cancel()

    assert (claimed_before_any_ended, ended_before_release) == (3, 0), (
        "each full invocation's claims start the next one without waiting for its attempts"
    )
    assert sorted(outcome.claimed for outcome in outcomes) == [1, 2, 2]
