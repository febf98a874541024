"""Notifications carry the right deep links; the service's logs carry the four job fields
on every transition and no secret."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from harness import LogFile, PlanJobs, PollOutcome, ProfileFactory, ScenarioFake, UiState

pytestmark = pytest.mark.needs("http", "faults")


def _notifications(jobs: PlanJobs) -> list[dict[str, object]]:
    response = jobs.notifications()
    if response.status_code == 404:
        pytest.skip("the target has no plan_notifications table to read notifications from")
    assert response.status_code == 200, response.text
    rows: list[dict[str, object]] = response.json()
    return rows


@pytest.mark.parametrize(
    ("fault", "ui_state", "link"),
    [
        (None, UiState.COMPLETED, "/plan-preview?jobId="),
        ({"type": "http_error", "status": 402}, UiState.ERROR_QUOTA, "/plan-building?jobId="),
    ],
    ids=["completed", "failed"],
)
def test_a_finished_job_notifies_the_user_with_the_right_deep_link(
    fault: dict[str, object] | None,
    ui_state: UiState,
    link: str,
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
) -> None:
    jobs = make_user()
    if fault is not None:
        fake_llm.add_fault({"match": {"user": jobs.session.user_id}, "action": fault})
    job_id = jobs.create_job_id(profile_factory.make())
    assert poll(jobs, job_id).ui_state is ui_state

    notifications = _notifications(jobs)

    assert [row["deep_link"] for row in notifications] == [f"{link}{job_id}"]
    assert "generating-base-plan" not in json.dumps(notifications)


def test_retried_and_cancelled_jobs_send_no_notification(
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
) -> None:
    jobs = make_user()
    fake_llm.add_fault({"match": {"user": jobs.session.user_id}, "action": {"type": "hang"}})
    job_id = jobs.create_job_id(profile_factory.make())
    jobs.cancel_job(job_id)
    assert poll(jobs, job_id).ui_state is UiState.CANCELLED

    assert _notifications(jobs) == []


def _transitions_until_completed(log: LogFile, job_id: str, wait_s: float = 5.0) -> list[dict[str, Any]]:
    """The job's transition records; the log may be written a moment after the row changed."""
    deadline = time.monotonic() + wait_s
    while True:
        records = [json.loads(line) for line in log.lines() if line.startswith("{")]
        transitions = [record for record in records if record.get("jobId") == job_id and "event" in record]
        if any(record["event"] == "job.completed" for record in transitions) or time.monotonic() > deadline:
            return transitions
        time.sleep(0.05)


def test_every_transition_is_logged_with_job_id_status_retry_count_and_error_code(
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
    service_log: LogFile,
) -> None:
    jobs = make_user()
    fake_llm.add_fault(
        {"match": {"user": jobs.session.user_id}, "action": {"type": "http_error", "status": 500}, "times": 1}
    )
    job_id = jobs.create_job_id(profile_factory.make())
    assert poll(jobs, job_id).ui_state is UiState.COMPLETED

    transitions = _transitions_until_completed(service_log, job_id)

    events = [record["event"] for record in transitions]
    assert events[:1] == ["job.created"]
    assert "job.requeued" in events and events[-1] == "job.completed", events
    for record in transitions:
        assert {"jobId", "status", "retry_count", "error_code"} <= set(record), record
    requeued = next(record for record in transitions if record["event"] == "job.requeued")
    assert (requeued["status"], requeued["retry_count"], requeued["error_code"]) == (
        "pending",
        1,
        "AI_UPSTREAM_ERROR",
    )


def test_no_secret_reaches_the_service_log(service_log: LogFile, target_secrets: tuple[str, ...]) -> None:
    log = "\n".join(service_log.lines())

    assert log, "the service logged nothing"
    assert target_secrets, "the run knows no secret of the target to look for"
    for secret in target_secrets:
        assert secret not in log, "a secret of the target is in its service log"
