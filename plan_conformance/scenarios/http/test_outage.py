"""Backoff between attempts, end to end (docs/contract.md, "Backoff between attempts").

DeepSeek goes down for less than the retry budget (the shortest total wait the target's
backoff guarantees before a job's last attempt) and comes back: no job may fail, and a
job's attempts are spaced by at least the documented wait, as the fake saw its calls.
Without a backoff the attempts of the jobs that run into the outage are spent within
it, which is what a 2.5 s DeepSeek outage did to 37-51 jobs a run before the backoff.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from harness import Backoff, PlanJobs, PollOutcome, ProfileFactory, ScenarioFake, UiState

pytestmark = pytest.mark.needs("http", "faults")

USERS = 4
# the outage lasts this share of the retry budget: the rest is the scenario's margin
OUTAGE_SHARE = 0.5
# the fake's clock and the database's are this machine's (or close to it)
CLOCK_TOLERANCE = timedelta(milliseconds=5)
FIRST_CALL_TIMEOUT_S = 10.0


def retry_budget(backoff: Backoff, max_retries: int) -> timedelta:
    """The least total wait between a job's first attempt and its last."""
    return sum((backoff.bounds(attempts)[0] for attempts in range(1, max_retries)), timedelta(0))


def test_an_outage_shorter_than_the_retry_budget_fails_no_job(
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
    retry_backoff: Backoff,
) -> None:
    users = [make_user() for _ in range(USERS)]
    outage = [
        fake_llm.add_fault(
            {"match": {"user": jobs.session.user_id}, "action": {"type": "http_error", "status": 502}}
        )
        for jobs in users
    ]
    job_ids = [jobs.create_job_id(profile_factory.make()) for jobs in users]
    first = users[0].get_job(job_ids[0])
    assert first is not None
    if first.max_retries < 2:
        pytest.skip(f"jobs get {first.max_retries} attempt: there is no retry to wait for")
    budget = retry_budget(retry_backoff, first.max_retries)
    started = _first_call_time(fake_llm, [jobs.session.user_id for jobs in users])
    _sleep_until(started + budget * OUTAGE_SHARE)
    for rule_id in outage:
        fake_llm.remove_fault(rule_id)

    outcomes = [poll(jobs, job_id) for jobs, job_id in zip(users, job_ids, strict=True)]

    failed = [(o.job_id, o.detail) for o in outcomes if o.ui_state is not UiState.COMPLETED]
    assert failed == [], (
        f"an outage of {budget * OUTAGE_SHARE} (retry budget {budget} for {first.max_retries} attempts, "
        f"backoff base {retry_backoff.base}, cap {retry_backoff.cap}) failed jobs"
    )
    retried = 0
    for jobs in users:
        calls = sorted(fake_llm.journal(user=jobs.session.user_id, stage=1), key=lambda entry: entry.seq)
        retried += len(calls) > 1
        for attempts, (earlier, later) in enumerate(itertools.pairwise(calls), start=1):
            gap = later.time - earlier.time
            least = retry_backoff.bounds(attempts)[0]
            assert gap >= least - CLOCK_TOLERANCE, (
                f"attempt {attempts + 1} of user {jobs.session.user_id}'s job called DeepSeek {gap} after "
                f"attempt {attempts}; the backoff promises at least {least}"
            )
    assert retried > 0, "no job ran into the outage: the scenario proved nothing"


def _first_call_time(fake: ScenarioFake, user_ids: list[str]) -> datetime:
    """When the fake received the first chat call of any of these users."""
    deadline = time.monotonic() + FIRST_CALL_TIMEOUT_S
    while time.monotonic() < deadline:
        times = [entry.time for user in user_ids for entry in fake.journal(user=user)]
        if times:
            return min(times)
        time.sleep(0.005)
    raise AssertionError(f"no job called DeepSeek within {FIRST_CALL_TIMEOUT_S} s")


def _sleep_until(moment: datetime) -> None:
    remaining = (moment - datetime.now(UTC)).total_seconds()
    if remaining > 0:
        time.sleep(remaining)
