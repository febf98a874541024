"""How invocations run: the background loop, and the child process killed at the wall clock."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from fake_llm.server import FakeDeepSeek
from harness.queue_db import QueueDatabase
from reference_impl.queue.child import read_order
from reference_impl.queue.loop import QueueLoop
from reference_impl.queue.outcome import InvocationOutcome, ProcessedJob
from reference_impl.queue.runners import (
    CHILD_MODULE,
    ChildProcessRunner,
    FinishedInvocation,
    StartedInvocation,
)
from tests.reference_impl.service.conftest import ServiceFactory

ChildRunnerFactory = Callable[..., ChildProcessRunner]


@pytest.fixture
async def child_runner() -> AsyncIterator[ChildRunnerFactory]:
    """Factory: `child_runner(env, wall_clock_limit_s)`; each runner's spare is stopped afterwards."""
    made: list[ChildProcessRunner] = []

    def make(env: dict[str, str], wall_clock_limit_s: float) -> ChildProcessRunner:
        made.append(ChildProcessRunner(env, wall_clock_limit_s=wall_clock_limit_s, worker_prefix="test"))
        return made[-1]

    yield make
    for runner in made:
        await runner.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


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
    base_env: dict[str, str],
    queue_db: QueueDatabase,
    fake_deepseek: FakeDeepSeek,
    child_runner: ChildRunnerFactory,
) -> None:
    user = queue_db.create_user()
    job = queue_db.insert_job(user)
    fake_deepseek.add_fault({"match": {"user": user.id}, "action": {"type": "hang"}})
    env = {**base_env, "INTERNAL_TIMEOUT_MS": "60000", "DEEPSEEK_CALL_TIMEOUT_MS": "60000"}
    runner = child_runner(env, 4.0)

    started = time.monotonic()
    outcome = await runner.run(max_jobs=1)

    assert outcome.killed is True
    assert outcome.killed_after_ms is not None and 4000 <= outcome.killed_after_ms < 8000
    assert time.monotonic() - started < 10
    left = queue_db.job(job["id"])
    assert (left["status"], left["retry_count"], left["claimed_by"]) == ("processing", 0, "test:child-1")


async def test_the_child_process_reports_its_outcome(
    base_env: dict[str, str], queue_db: QueueDatabase, child_runner: ChildRunnerFactory
) -> None:
    job = queue_db.insert_job(queue_db.create_user())
    runner = child_runner(base_env, 30.0)

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


async def test_a_failed_attempt_is_rescheduled_with_the_configured_backoff_or_the_asked_wait(
    base_env: dict[str, str],
    queue_db: QueueDatabase,
    fake_deepseek: FakeDeepSeek,
    child_runner: ChildRunnerFactory,
) -> None:
    busy, broken = queue_db.create_user(), queue_db.create_user()
    asked = queue_db.insert_job(busy)
    backed_off = queue_db.insert_job(broken)
    fake_deepseek.add_fault(
        {"match": {"user": busy.id}, "action": {"type": "http_error", "status": 429, "retry_after": 30}}
    )
    fake_deepseek.add_fault({"match": {"user": broken.id}, "action": {"type": "http_error", "status": 502}})
    env = {**base_env, "PLAN_JOB_RETRY_BASE_MS": "2000", "PLAN_JOB_RETRY_CAP_MS": "60000"}
    runner = child_runner(env, 30.0)

    outcome = await runner.run(max_jobs=5)

    assert sorted(p.status for p in outcome.processed) == ["pending", "pending"]
    rate_limited, upstream = queue_db.job(asked["id"]), queue_db.job(backed_off["id"])
    assert rate_limited["run_after"] - rate_limited["updated_at"] == timedelta(seconds=30)
    assert timedelta(seconds=2) <= upstream["run_after"] - upstream["updated_at"] <= timedelta(seconds=4)


async def test_each_invocation_runs_in_the_spare_started_behind_the_previous_one(
    base_env: dict[str, str], queue_db: QueueDatabase, child_runner: ChildRunnerFactory
) -> None:
    runner = child_runner(base_env, 30.0)
    await runner.warm()
    first_spare = runner.spare_pid
    assert first_spare is not None and _alive(first_spare)
    job = queue_db.insert_job(queue_db.create_user())

    outcome = await runner.run(max_jobs=1)

    assert [p.job_id for p in outcome.processed] == [str(job["id"])]
    assert not _alive(first_spare), "the warm spare ran the invocation and exited"
    second_spare = runner.spare_pid
    assert second_spare is not None and second_spare != first_spare and _alive(second_spare)

    await runner.close()

    assert runner.spare_pid is None and not _alive(second_spare)


def test_a_child_whose_stdin_closes_without_an_order_exits_quietly(base_env: dict[str, str]) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", CHILD_MODULE],
        env={**os.environ, **base_env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert (finished.returncode, finished.stdout) == (0, b"")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('{"maxJobs": 0, "workerId": "w"}', "maxJobs"),
        ('{"maxJobs": true, "workerId": "w"}', "maxJobs"),
        ('{"maxJobs": 2, "workerId": ""}', "workerId"),
        ('[2, "w"]', "object"),
    ],
)
def test_a_malformed_order_names_its_field(line: str, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        read_order(line)


def test_an_order_gives_the_jobs_and_the_worker() -> None:
    assert read_order('{"maxJobs": 3, "workerId": "host:1:child-2"}\n') == (3, "host:1:child-2")


async def test_a_run_cancelled_while_the_next_spare_starts_leaves_no_child_behind(
    base_env: dict[str, str], child_runner: ChildRunnerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = child_runner(base_env, 30.0)
    await runner.warm()
    taken = runner.spare_pid
    assert taken is not None
    spawning = asyncio.Event()

    async def never_spawns() -> asyncio.subprocess.Process:
        spawning.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    monkeypatch.setattr(runner, "_spawn", never_spawns)
    run = asyncio.create_task(runner.run(max_jobs=1))
    await asyncio.wait_for(spawning.wait(), 10)

    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run

    assert not _alive(taken), "the child taken for the cancelled run was killed, not left waiting"
    assert runner.spare_pid is None
