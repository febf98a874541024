"""Notifications carry the right deep links; the service's logs carry the four job fields
on every transition and no secret."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from fake_llm.control import FakeLLMControl
from harness.client import PlanJobs
from harness.poller import PollOutcome, UiState
from harness.profiles import ProfileFactory
from harness.stack_fixtures import TargetEndpoint

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
    fake_llm: FakeLLMControl,
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
    fake_llm: FakeLLMControl,
    poll: Callable[..., PollOutcome],
) -> None:
    jobs = make_user()
    fake_llm.add_fault({"match": {"user": jobs.session.user_id}, "action": {"type": "hang"}})
    job_id = jobs.create_job_id(profile_factory.make())
    jobs.cancel_job(job_id)
    assert poll(jobs, job_id).ui_state is UiState.CANCELLED

    assert _notifications(jobs) == []


@pytest.mark.needs("workers")
def test_every_transition_is_logged_with_job_id_status_retry_count_and_error_code(
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: FakeLLMControl,
    poll: Callable[..., PollOutcome],
    target_endpoint: TargetEndpoint,
) -> None:
    assert target_endpoint.stack is not None and target_endpoint.stack.service is not None
    jobs = make_user()
    fake_llm.add_fault(
        {"match": {"user": jobs.session.user_id}, "action": {"type": "http_error", "status": 500}, "times": 1}
    )
    job_id = jobs.create_job_id(profile_factory.make())
    assert poll(jobs, job_id).ui_state is UiState.COMPLETED

    records = [json.loads(line) for line in target_endpoint.stack.service.log_lines() if line.startswith("{")]
    transitions = [record for record in records if record.get("jobId") == job_id and "event" in record]

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


@pytest.mark.needs("workers")
def test_no_secret_reaches_the_service_log(target_endpoint: TargetEndpoint) -> None:
    stack = target_endpoint.stack
    assert stack is not None and stack.service is not None and stack.keys is not None
    log = "\n".join(stack.service.log_lines())

    assert log, "the service logged nothing"
    for secret in (
        stack.secrets.jwt_secret,
        stack.secrets.deepseek_api_key,
        stack.keys.anon,
        stack.keys.service_role,
    ):
        assert secret and secret not in log
