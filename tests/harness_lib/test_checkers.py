"""Invariant checkers: each catches the broken invariant it is for and passes a clean run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from harness.checkers import (
    CheckResult,
    ClaimsWithinMaxRetries,
    DbSnapshot,
    DocumentedErrorCodes,
    LateWritesRefused,
    NoDoubleClaim,
    NoLostJobs,
    NoSecrets,
    OnePlanPerCompletedJob,
    SingleActivePerUser,
    TerminalWithinBound,
    Validity,
    ValidPlansOnly,
    all_invariants,
    check_safe,
    compose,
    merge_validity,
)
from harness.history import History, Op
from harness.oracle import Targets, compute_targets
from harness.redact import Redactor

PlanBuilder = Callable[[Mapping[str, Any], Targets], dict[str, Any]]
T0 = "2025-05-01T12:00:00+00:00"


def _job(job_id: str, status: str = "completed", **columns: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": job_id,
        "user_id": f"user-{job_id}",
        "status": status,
        "retry_count": 0,
        "max_retries": 3,
        "error_code": None,
        "error_message": None,
        "errors": [],
        "created_at": T0,
        "completed_at": "2025-05-01T12:01:00+00:00",
        "plan_id": None,
        "input": {},
    }
    if status == "completed":
        row["plan_id"] = f"plan-{job_id}"
    row.update(columns)
    return row


def _plan(job_id: str, **columns: Any) -> dict[str, Any]:
    return {
        "id": f"plan-{job_id}",
        "job_id": job_id,
        "user_id": f"user-{job_id}",
        "is_active": True,
        "plan": {},
        **columns,
    }


def _claims(*claims: tuple[str, int]) -> list[Op]:
    history = History()
    for job_id, retry_count in claims:
        invoked = history.invoke("claim", {"worker": "w"}, "worker-1")
        history.complete(invoked, "ok", {"id": job_id, "retry_count": retry_count})
    return list(history.ops)


@pytest.mark.parametrize(
    ("verdicts", "merged"),
    [
        ([True, True], True),
        ([True, "unknown"], "unknown"),
        (["unknown", False, True], False),
        ([], True),
    ],
)
def test_merge_priority(verdicts: list[Validity], merged: Validity) -> None:
    assert merge_validity(verdicts) == merged


class _Crashing:
    name = "crashing"

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        raise KeyError("status")


class _Fixed:
    def __init__(self, name: str, valid: Validity) -> None:
        self.name, self.valid = name, valid

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        return CheckResult(self.valid, {"said": self.valid})


def test_a_crashing_checker_is_unknown_with_its_error() -> None:
    result = check_safe(_Crashing(), [], DbSnapshot())
    assert result.valid == "unknown"
    assert "KeyError" in result.details["error"] and "status" in result.details["error"]


def test_compose_merges_and_keeps_each_result() -> None:
    combined = compose(_Fixed("a", True), _Crashing(), _Fixed("b", True))
    result = combined.check([], DbSnapshot())
    assert result.valid == "unknown"
    assert result.details["a"] == {"valid": True, "said": True}
    assert result.details["crashing"]["valid"] == "unknown"
    assert compose(_Fixed("a", "unknown"), _Fixed("b", False)).check([], DbSnapshot()).valid is False


def test_compose_refuses_duplicate_names() -> None:
    with pytest.raises(ValueError, match="'a'"):
        compose(_Fixed("a", True), _Fixed("a", False))


def test_terminal_within_bound() -> None:
    bound = TerminalWithinBound(bound_seconds=90)
    assert bound.check([], DbSnapshot.of([_job("j1"), _job("j2", "failed")], [])).valid is True
    slow = _job("j3", completed_at="2025-05-01T12:02:00.5+00:00")
    result = bound.check([], DbSnapshot.of([_job("j1"), slow], []))
    assert result.valid is False and result.details["too_slow"] == [{"job_id": "j3", "seconds": 120.5}]
    stuck = bound.check([], DbSnapshot.of([_job("j4", "processing", completed_at=None)], []))
    assert stuck.details["not_terminal"] == [{"job_id": "j4", "status": "processing"}]
    assert stuck.valid is False


def test_terminal_unknown_without_timestamps_and_false_for_vanished_jobs() -> None:
    bound = TerminalWithinBound(bound_seconds=90)
    no_times = DbSnapshot.of([_job("j1", completed_at=None)], [])
    assert bound.check([], no_times).valid == "unknown"
    history = History()
    history.complete(history.invoke("create", {}, "client"), "ok", {"jobId": "ghost"})
    result = bound.check(history.ops, DbSnapshot.of([_job("j1")], []))
    assert result.valid is False and result.details["missing_from_db"] == ["ghost"]


def test_double_claim_of_an_attempt_fails() -> None:
    checker = NoDoubleClaim()
    assert checker.check(_claims(("j1", 0), ("j1", 1), ("j2", 0)), DbSnapshot()).valid is True
    result = checker.check(_claims(("j1", 0), ("j1", 1), ("j1", 1)), DbSnapshot())
    assert result.valid is False
    assert result.details["claimed_twice"] == [{"job_id": "j1", "attempt": 2, "claims": 2}]


def test_claims_that_never_completed_do_not_count() -> None:
    history = History()
    for _ in range(2):
        history.complete(history.invoke("claim", None, 1), "info", {"id": "j1", "retry_count": 0})
    assert NoDoubleClaim().check(history.ops, DbSnapshot()).valid is True


def test_an_attempt_number_twice_in_errors_is_a_double_claim() -> None:
    errors = [
        {"attempt": 1, "error_code": "AI_TIMEOUT"},
        {"attempt": 1, "error_code": "AI_TIMEOUT"},
    ]
    db = DbSnapshot.of([_job("j1", "failed", errors=errors)], [])
    assert NoDoubleClaim().check([], db).valid is False


def test_one_attempt_too_many_fails() -> None:
    checker = ClaimsWithinMaxRetries()
    db = DbSnapshot.of([_job("j1", "failed", retry_count=3, error_code="AI_TIMEOUT")], [])
    assert checker.check(_claims(("j1", 0), ("j1", 1), ("j1", 2)), db).valid is True
    four = _claims(("j1", 0), ("j1", 1), ("j1", 2), ("j1", 3))
    result = checker.check(four, db)
    assert result.valid is False
    assert result.details["over_limit"] == [{"job_id": "j1", "claims": 4, "max_retries": 3}]
    counted = DbSnapshot.of([_job("j2", "failed", retry_count=4, error_code="AI_TIMEOUT")], [])
    assert checker.check([], counted).valid is False


def test_one_plan_per_completed_job_and_none_otherwise() -> None:
    checker = OnePlanPerCompletedJob()
    assert checker.check([], DbSnapshot.of([_job("j1"), _job("j2", "failed")], [_plan("j1")])).valid
    cases = [
        DbSnapshot.of([_job("j1")], []),
        DbSnapshot.of([_job("j1", "failed")], [_plan("j1")]),
        DbSnapshot.of([_job("j1", plan_id="plan-other")], [_plan("j1")]),
        DbSnapshot.of([_job("j1")], [_plan("j1"), _plan("nobody")]),
    ]
    for db in cases:
        assert checker.check([], db).valid is False


def test_single_active_plan_and_job_per_user() -> None:
    checker = SingleActivePerUser()
    older = _plan("j1", is_active=False)
    newer = _plan("j2", user_id="user-j1")
    jobs = [_job("j1"), _job("j2", user_id="user-j1")]
    assert checker.check([], DbSnapshot.of(jobs, [older, newer])).valid is True
    both_active = DbSnapshot.of(jobs, [_plan("j1"), newer])
    result = checker.check([], both_active)
    assert result.details["users_with_several_active_plans"] == ["user-j1"]
    two_jobs = [_job("a", "pending", user_id="u"), _job("b", "processing", user_id="u")]
    assert checker.check([], DbSnapshot.of(two_jobs, [])).valid is False


@pytest.mark.parametrize(
    ("row", "valid"),
    [
        (_job("j", "failed", error_code="AI_TIMEOUT", error_message="timed out after 30 s"), True),
        (_job("j", "cancelled", error_code="SUPERSEDED", error_message="regenerated"), True),
        (_job("j", "failed", error_code="AI_ERROR", error_message="boom"), False),
        (_job("j", "completed", errors=[{"attempt": 1, "error_code": "TIMEOUT"}]), False),
        (_job("j", "failed", error_code="AI_TIMEOUT", error_message=""), False),
        (_job("j", "failed", error_code=None, error_message="something"), False),
        (_job("j", "cancelled", error_code="AI_TIMEOUT", error_message="x"), False),
    ],
)
def test_documented_error_codes(row: dict[str, Any], valid: bool) -> None:
    assert DocumentedErrorCodes().check([], DbSnapshot.of([row], [])).valid is valid


def test_valid_plans_only(profile: dict[str, Any], build_plan: PlanBuilder) -> None:
    targets = compute_targets(profile)
    job = _job("j1", input={"profile": profile, "targets": targets.model_dump()})
    good = _plan("j1", plan=build_plan(profile, targets), targets=targets.model_dump())
    checker = ValidPlansOnly()
    assert checker.check([], DbSnapshot.of([job], [good])).valid is True

    chicken = build_plan(profile, targets)
    chicken["days"]["monday"]["nutrition"]["meals"][0]["items"][0]["food"] = "Chicken curry"
    result = checker.check([], DbSnapshot.of([job], [_plan("j1", plan=chicken)]))
    assert result.valid is False
    assert "monday: diet" in result.details["invalid_plans"][0]["problems"][0]

    wrong_targets = {"total_kcal": targets.total_kcal + 10, "protein_g": targets.protein_g}
    off = _plan("j1", plan=build_plan(profile, targets), targets=wrong_targets)
    assert checker.check([], DbSnapshot.of([job], [off])).valid is False


def test_a_plan_without_a_profile_cannot_be_judged(profile: dict[str, Any], build_plan: PlanBuilder) -> None:
    plan = _plan("j1", plan=build_plan(profile, compute_targets(profile)))
    result = ValidPlansOnly().check([], DbSnapshot.of([_job("j1")], [plan]))
    assert result.valid == "unknown"


SECRET = "service-role-secret-value"


@pytest.mark.parametrize(
    ("db", "ops", "texts", "where"),
    [
        (
            DbSnapshot.of(
                [
                    _job(
                        "j1",
                        "failed",
                        error_code="CONFIG_ERROR",
                        error_message="DeepSeek 401 for key sk-abcdefabcdefabcdef12",
                    )
                ],
                [],
            ),
            [],
            {},
            "job j1 error_message",
        ),
        (
            DbSnapshot.of([_job("j1", "failed", errors=[{"error_message": f"used {SECRET}"}])], []),
            [],
            {},
            "job j1 errors[0]",
        ),
        (
            DbSnapshot(),
            [Op("ok", "create", {"headers": {"apikey": SECRET}}, 1, 0, 0)],
            {},
            "history op 0",
        ),
        (DbSnapshot(), [], {"service.log": f"starting with {SECRET}"}, "text service.log"),
    ],
)
def test_a_secret_anywhere_fails_without_being_repeated(
    db: DbSnapshot, ops: list[Op], texts: dict[str, str], where: str
) -> None:
    result = NoSecrets(Redactor((SECRET,)), texts).check(ops, db)
    assert result.valid is False
    assert [leak["where"] for leak in result.details["leaks"]] == [where]
    assert SECRET not in repr(result) and "sk-abcdef" not in repr(result)


def test_no_secret_in_clean_text() -> None:
    db = DbSnapshot.of([_job("j1", "failed", error_code="AI_TIMEOUT", error_message="30 s")], [])
    result = NoSecrets(Redactor((SECRET,)), {"log": "job j1 failed"}).check([], db)
    assert result.valid is True and result.details["scanned"] == 2


def test_all_invariants_pass_a_clean_run(profile: dict[str, Any], build_plan: PlanBuilder) -> None:
    targets = compute_targets(profile)
    jobs = [
        _job("j1", input={"profile": profile, "targets": targets.model_dump()}),
        _job(
            "j2",
            "failed",
            retry_count=3,
            error_code="AI_TIMEOUT",
            error_message="30 s",
            errors=[{"attempt": n, "error_code": "AI_TIMEOUT"} for n in (1, 2, 3)],
        ),
    ]
    plans = [_plan("j1", plan=build_plan(profile, targets), targets=targets.model_dump())]
    history = _claims(("j1", 0), ("j2", 0), ("j2", 1), ("j2", 2))
    result = all_invariants(120, Redactor((SECRET,))).check(history, DbSnapshot.of(jobs, plans))
    assert result.valid is True, result.details
    assert set(result.details) == {
        "terminal_within_bound",
        "no_double_claim",
        "claims_within_max_retries",
        "one_plan_per_completed_job",
        "single_active_per_user",
        "documented_error_codes",
        "valid_plans_only",
        "no_secrets",
    }


def test_a_create_answer_recorded_with_its_body_names_the_job() -> None:
    history = History()
    history.complete(history.invoke("create", {}, "u"), "ok", {"status": 202, "body": {"jobId": "ghost"}})
    result = NoLostJobs().check(history.ops, DbSnapshot.of([_job("j1")], []))
    assert result.details["missing_from_db"] == ["ghost"]


def test_no_lost_jobs() -> None:
    history = History()
    for job_id in ("j1", "j2"):
        history.complete(history.invoke("create", {}, "u"), "ok", {"jobId": job_id})
    history.complete(history.invoke("create", {}, "u"), "info", {"error": "timed out"})
    clean = NoLostJobs().check(history.ops, DbSnapshot.of([_job("j1"), _job("j2", "cancelled")], []))
    assert clean.valid is True and clean.details["acknowledged"] == 2
    lost = NoLostJobs().check(history.ops, DbSnapshot.of([_job("j2", "pending", completed_at=None)], []))
    assert lost.valid is False
    assert lost.details["missing_from_db"] == ["j1"]
    assert lost.details["not_terminal"] == [{"job_id": "j2", "status": "pending", "retry_count": 0}]


def _write(history: History, outcome: str, attempt: int, retry_count: int, *, accepted: bool = True) -> None:
    value = {"id": "j1", "worker": "w", "attempt": attempt, "outcome": outcome, "retry_count": retry_count}
    history.record("ok" if accepted else "fail", "write", value, "w")


@pytest.mark.parametrize(
    ("outcome", "attempt", "retry_count", "late"),
    [
        ("completed", 1, 0, False),
        ("completed", 1, 1, True),  # attempt 1 had been recovered: its completion is late
        ("requeued", 2, 2, False),
        ("requeued", 1, 2, True),
        ("failed", 3, 3, False),
    ],
)
def test_an_accepted_write_must_belong_to_its_attempt(
    outcome: str, attempt: int, retry_count: int, late: bool
) -> None:
    history = History()
    _write(history, outcome, attempt, retry_count)
    _write(history, "dropped", attempt, retry_count, accepted=False)
    result = LateWritesRefused().check(history.ops, DbSnapshot.of([_job("j1")], []))
    assert result.valid is (not late)
    assert len(result.details["accepted_late"]) == int(late)
    assert (result.details["writes_accepted"], result.details["writes_refused"]) == (1, 1)


def test_a_status_read_during_a_terminal_observation_is_not_later_than_it() -> None:
    history = History()
    read = history.invoke("read", {"id": "j1"}, "user-0")  # begins while the job is still running
    observed = history.invoke("observe", None, "observer")
    history.complete(observed, "ok", {"rows": [{"id": "j1", "status": "completed"}]})
    history.complete(read, "ok", {"id": "j1", "status": "processing"})  # answered after, read before
    _write(history, "completed", 1, 0)
    assert LateWritesRefused().check(history.ops, DbSnapshot.of([_job("j1")], [])).valid is True

    later = history.invoke("read", {"id": "j1"}, "user-0")
    history.complete(later, "ok", {"id": "j1", "status": "pending"})  # begun after it was seen completed
    result = LateWritesRefused().check(history.ops, DbSnapshot.of([_job("j1")], []))
    assert result.valid is False
    assert result.details["terminal_overwritten"] == [
        {"job_id": "j1", "terminal_status": "completed", "then": ["pending"]}
    ]


def test_late_writes_unknown_without_write_records() -> None:
    result = LateWritesRefused().check([], DbSnapshot.of([_job("j1")], []))
    assert result.valid == "unknown" and result.details["no_write_records"]
