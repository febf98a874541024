"""Invariants over a mixed run (Jepsen-style): many users, faults, cancellations and
regenerations at once; afterwards the history and the database are checked as a whole."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness import (
    DbSnapshot,
    History,
    PlanJobs,
    PollOutcome,
    ProfileFactory,
    QueueDatabase,
    Redactor,
    ScenarioFake,
    UiState,
    all_invariants,
    record_check,
)

pytestmark = pytest.mark.needs("http", "faults", "db")

# (action, extra match fields, times) per user; None: no fault
FAULTS: list[tuple[dict[str, Any], dict[str, Any], int | None] | None] = [
    None,
    ({"type": "http_error", "status": 500}, {}, 1),
    ({"type": "http_error", "status": 429, "retry_after": 0.02}, {}, None),
    ({"type": "hang"}, {}, 1),
    ({"type": "malformed_content", "variant": "blank"}, {}, None),
    ({"type": "wrong_plan", "defect": "diet_violation"}, {"stage": 2}, None),
    ({"type": "http_error", "status": 402}, {}, None),
    # slow but within the deadlines: 250 ms a call, 500 ms an attempt
    ({"type": "delay", "ms": 250}, {}, None),
    # the canceller's and the regenerator's first jobs are still running when they act (one
    # request after their create): a regeneration after a completed plan would be refused
    # within the cooldown (429)
    ({"type": "delay", "ms": 600}, {}, 1),
    ({"type": "delay", "ms": 600}, {}, 1),
]


def test_mixed_workload_keeps_every_invariant(
    make_user: Callable[[], PlanJobs],
    profile_factory: ProfileFactory,
    fake_llm: ScenarioFake,
    poll: Callable[..., PollOutcome],
    target_db: QueueDatabase,
    history: History,
    target_secrets: tuple[str, ...],
    request: pytest.FixtureRequest,
) -> None:
    users = [make_user() for _ in FAULTS]
    for jobs, fault in zip(users, FAULTS, strict=True):
        if fault is not None:
            action, match, times = fault
            rule: dict[str, Any] = {"action": action, "match": {"user": jobs.session.user_id, **match}}
            if times is not None:
                rule["times"] = times
            fake_llm.add_fault(rule)
    job_ids = [jobs.create_job_id(profile_factory.make(dietaryPreference="Vegetarian")) for jobs in users]
    canceller, regenerator = users[-2], users[-1]
    canceller.cancel_job(job_ids[-2])
    job_ids.append(regenerator.create_job_id(profile_factory.make(), regenerate=True))

    outcomes = [poll(jobs, job_id) for jobs, job_id in zip([*users, regenerator], job_ids, strict=True)]

    user_ids = [jobs.session.user_id for jobs in users]
    job_rows = target_db.conn.execute(
        "select * from public.plan_generation_jobs where user_id = any(%s::uuid[])", (user_ids,)
    ).fetchall()
    plan_rows = target_db.conn.execute(
        "select * from public.weekly_base_plans where user_id = any(%s::uuid[])", (user_ids,)
    ).fetchall()
    checker = all_invariants(bound_seconds=60, redactor=Redactor(target_secrets))
    verdict = checker.check(history.ops, DbSnapshot.of(job_rows, plan_rows))
    record_check(request.node, verdict)

    assert verdict.valid is True, verdict.details
    stopped = [outcome for outcome in outcomes if outcome.ui_state in (UiState.WAITING, UiState.STUCK)]
    assert stopped == [], "every plan-building screen reached a final state"
