"""The platform kills an Edge Function at its wall-clock limit, whatever it is doing: no
`finally` runs and the claimed job stays `processing`. Stuck recovery must then count the
abandoned attempt (WORKER_TIMEOUT), schedule the next one after a backoff like a failed
attempt's, and the job must still reach a terminal state."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from harness import IsolatedStack, ProfileFactory, QueueAdmin

pytestmark = pytest.mark.needs("http", "faults", "db", "clock", "workers")

# The invocation is killed long before the attempt's own deadline would end it, and long
# after its hung call opened (a reference invocation is a child process started ahead, which
# opens the call within about 0.1 s of its order; a child that had no time to start ahead, as
# when invocations come back to back, takes about 0.4 s: the limit leaves room for a loaded
# machine).
WALL_CLOCK_LIMIT_MS = 2000
KILL_PRONE = {
    "WALL_CLOCK_LIMIT_MS": str(WALL_CLOCK_LIMIT_MS),
    "INTERNAL_TIMEOUT_MS": "30000",
    "DEEPSEEK_CALL_TIMEOUT_MS": "30000",
    "WORKER_INTERVAL_MS": "0",
    "PLAN_JOB_MAX_RETRIES": "2",  # one abandoned attempt, then the last one
}


@pytest.fixture(scope="module")
def kill_prone_stack(isolated_stack: Callable[..., IsolatedStack]) -> IsolatedStack:
    """One stack for both scenarios: each drives the queue by hand and leaves its job ended."""
    return isolated_stack(**KILL_PRONE)


def _hung_call_ended_by_the_kill(stack: IsolatedStack, user_id: str) -> None:
    """The hung DeepSeek call was cut when its invocation was killed at the wall clock (which
    counts from the invocation's start), long before the attempt's own 30 s deadline."""
    deadline = time.monotonic() + 3 * WALL_CLOCK_LIMIT_MS / 1000
    while True:
        calls = stack.fake.journal(user=user_id)
        if calls and calls[0].duration_ms is not None:
            break
        assert time.monotonic() < deadline, "the hung call is still open after the wall-clock limit"
        time.sleep(0.05)
    assert calls[0].duration_ms <= WALL_CLOCK_LIMIT_MS + 2000, calls[0].duration_ms


def test_a_killed_invocation_leaves_a_stuck_job_that_recovery_resolves(
    kill_prone_stack: IsolatedStack, profile_factory: ProfileFactory
) -> None:
    stack = kill_prone_stack
    admin = QueueAdmin(stack.wire)
    jobs = stack.user()
    stack.fake.add_fault({"match": {"user": jobs.session.user_id}, "action": {"type": "hang"}, "times": 1})
    job_id = jobs.create_job_id(profile_factory.make())

    killed = admin.process_queue()

    if killed.status_code == 200 and killed.json()["processed"] == []:
        # another invocation holds the job (the functions may wake the queue themselves on
        # create); it meets the same limit
        assert stack.db.job(job_id)["status"] == "processing", killed.text
    else:
        assert killed.status_code == 546, killed.text
        assert killed.json()["code"] == "WORKER_LIMIT"
    _hung_call_ended_by_the_kill(stack, jobs.session.user_id)
    left = stack.db.job(job_id)
    assert (left["status"], left["retry_count"]) == ("processing", 0), (
        "the kill must leave the job processing"
    )

    not_yet = admin.process_queue()
    assert not_yet.status_code == 200
    assert not_yet.json()["recovered"]["stuck"] == 0
    assert stack.db.job(job_id)["status"] == "processing", "a job that is not yet stuck must be left alone"

    stack.db.age(job_id, started=timedelta(minutes=11))
    recovered = admin.process_queue()

    assert recovered.status_code == 200, recovered.text
    assert recovered.json()["recovered"]["stuck"] == 1
    waiting = stack.db.job(job_id)
    assert (waiting["status"], waiting["retry_count"]) == ("pending", 1)
    assert waiting["run_after"] is not None and waiting["run_after"] > waiting["updated_at"], (
        "the abandoned attempt's job must wait for its backoff before the next attempt"
    )
    assert job_id not in [job["jobId"] for job in recovered.json()["processed"]]

    stack.db.end_backoff(job_id)
    resolved = admin.process_queue()

    assert resolved.status_code == 200, resolved.text
    assert {"jobId": job_id, "status": "completed", "errorCode": None} in resolved.json()["processed"]
    final = stack.db.job(job_id)
    assert (final["status"], final["retry_count"]) == ("completed", 1)
    assert [entry["error_code"] for entry in final["errors"]] == ["WORKER_TIMEOUT"]
    assert stack.fake.count(user=jobs.session.user_id) == 1 + 2, "one hung call, then both stages"


def test_a_poison_job_killed_on_every_attempt_fails_after_max_retries(
    kill_prone_stack: IsolatedStack, profile_factory: ProfileFactory
) -> None:
    stack = kill_prone_stack
    admin = QueueAdmin(stack.wire)
    jobs = stack.user()
    stack.fake.add_fault({"match": {"user": jobs.session.user_id}, "action": {"type": "hang"}})
    job_id = jobs.create_job_id(profile_factory.make())

    statuses = []
    for _ in range(4):  # more rounds than attempts: the job must stop being claimed
        admin.process_queue()
        status = stack.db.job(job_id)["status"]
        if status == "processing":
            stack.db.age(job_id, started=timedelta(minutes=11))
        elif status == "pending":
            stack.db.end_backoff(job_id)
        statuses.append(status)

    final = stack.db.job(job_id)
    assert (final["status"], final["retry_count"], final["error_code"]) == ("failed", 2, "WORKER_TIMEOUT"), (
        statuses
    )
    assert stack.fake.count(user=jobs.session.user_id) == 2, "exactly one call per attempt"
