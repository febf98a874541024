"""Every chaos checker is proven by a planted bug it reports: a hand-written run (history as the
observer and the users recorded it, final rows, the service's log) goes through the same
checking path as a real run, with one bug planted, and the figure for that bug counts it."""

from __future__ import annotations

from pathlib import Path

from harness.report.model import ChaosFigures

from .support import HandRun, error_entry, processing

VIOLATION_FIGURES = (
    "lost_jobs",
    "double_claims",
    "claims_over_limit",
    "late_writes_accepted",
    "invalid_plans_saved",
    "undocumented_error_codes",
    "other_violations",
)


def _completed_cleanly(run: HandRun, job_id: str, worker: str = "w1") -> None:
    """A job created, claimed once (seen by the observer), completed, logged."""
    run.create(job_id)
    run.observer.sees(processing(job_id, retry_count=0, worker=worker, token=f"token-{job_id}"))
    run.logged("job.claimed", job_id, worker, retry_count=0, status="processing")
    run.logged("job.completed", job_id, worker, retry_count=0, status="completed")
    run.row(job_id, "completed", claimed_by=worker)


def _only(figures: ChaosFigures, name: str) -> dict[str, int]:
    """The violation figures other than `name` that are not zero."""
    return {
        other: getattr(figures, other)
        for other in VIOLATION_FIGURES
        if other != name and getattr(figures, other)
    }


def test_a_clean_run_has_no_violation(tmp_path: Path) -> None:
    run = HandRun(tmp_path)
    _completed_cleanly(run, "j1")
    _completed_cleanly(run, "j2", worker="w2")

    result, figures = run.check()

    assert result.valid is True, result.details
    assert figures.violations == 0
    assert (figures.jobs_completed, figures.claims_seen, figures.late_writes_refused) == (2, 2, 0)


def test_lost_job_acknowledged_but_not_in_the_database(tmp_path: Path) -> None:
    run = HandRun(tmp_path)
    _completed_cleanly(run, "j1")
    run.create("j-gone")  # 202 with its id, and then no row

    result, figures = run.check()

    assert result.valid is False
    assert figures.lost_jobs == 1 and not _only(figures, "lost_jobs")
    assert result.details["no_lost_jobs"]["missing_from_db"] == ["j-gone"]


def test_lost_job_never_reaching_a_terminal_status(tmp_path: Path) -> None:
    run = HandRun(tmp_path)
    _completed_cleanly(run, "j1")
    run.create("j-stuck")
    run.row(
        "j-stuck", "pending", claimed_by=None, retry_count=1, errors=[error_entry(1, "WORKER_TIMEOUT", "w1")]
    )

    result, figures = run.check()

    assert figures.lost_jobs == 1 and not _only(figures, "lost_jobs")
    assert result.details["no_lost_jobs"]["not_terminal"][0]["job_id"] == "j-stuck"


def test_double_claim_one_attempt_held_by_two_workers_at_once(tmp_path: Path) -> None:
    run = HandRun(tmp_path)
    run.create("j1")
    run.observer.sees(processing("j1", retry_count=0, worker="w1", token="t1"))
    # a claim that did not lock the row: another worker takes the same attempt
    run.observer.sees(processing("j1", retry_count=0, worker="w2", token="t2"))
    run.logged("job.claimed", "j1", "w2", retry_count=0, status="processing")
    run.logged("job.completed", "j1", "w2", retry_count=0, status="completed")
    run.row("j1", "completed", claimed_by="w2")

    result, figures = run.check()

    assert figures.double_claims == 1 and not _only(figures, "double_claims")
    assert result.details["no_double_claim"]["claimed_twice"] == [{"job_id": "j1", "attempt": 1, "claims": 2}]


def test_double_claim_too_short_to_be_seen_but_recorded_in_errors(tmp_path: Path) -> None:
    run = HandRun(tmp_path)
    run.create("j1")
    run.observer.sees(processing("j1", retry_count=0, worker="w1", token="t1"))
    # the database's own record: attempt 1 failed on w1, and attempt 1 again on w2
    errors = [error_entry(1, "AI_TIMEOUT", "w1"), error_entry(1, "AI_TIMEOUT", "w2")]
    run.row("j1", "failed", claimed_by=None, retry_count=1, errors=errors, error_code="AI_TIMEOUT")

    result, figures = run.check(with_log=False)

    assert figures.double_claims >= 1
    assert {"job_id": "j1", "attempt": 1, "entries": 2} in result.details["no_double_claim"][
        "attempt_in_errors_twice"
    ]


def test_claim_over_max_retries(tmp_path: Path) -> None:
    run = HandRun(tmp_path)
    run.create("j1")
    # an off-by-one: a fourth attempt of a job allowed three
    for attempt in range(4):
        run.observer.sees(processing("j1", retry_count=attempt, worker="w1", token=f"t{attempt}"))
    errors = [error_entry(attempt, "AI_UPSTREAM_ERROR", "w1") for attempt in range(1, 5)]
    run.row("j1", "failed", claimed_by=None, retry_count=3, errors=errors, error_code="AI_UPSTREAM_ERROR")

    result, figures = run.check(with_log=False)

    assert figures.claims_over_limit >= 1 and not _only(figures, "claims_over_limit")
    assert {"job_id": "j1", "claims": 4, "max_retries": 3} in result.details["claims_within_max_retries"][
        "over_limit"
    ]


def test_late_write_accepted_from_a_recovered_attempt(tmp_path: Path) -> None:
    run = HandRun(tmp_path)
    run.create("j1")
    run.observer.sees(processing("j1", retry_count=0, worker="w1", token="t1"))
    run.logged("job.claimed", "j1", "w1", retry_count=0, status="processing")
    # w1 stalls; stuck recovery counts attempt 1 and w2 claims attempt 2
    run.observer.sees(processing("j1", retry_count=1, worker="w2", token="t2"))
    run.logged("job.claimed", "j1", "w2", retry_count=1, status="processing")
    # w1 wakes and its completion is accepted: the fence did not check the claim token
    run.logged("job.completed", "j1", "w1", retry_count=1, status="completed")
    run.logged("job.result_dropped", "j1", "w2", retry_count=1, status="completed")
    run.row(
        "j1", "completed", claimed_by="w2", retry_count=1, errors=[error_entry(1, "WORKER_TIMEOUT", "w1")]
    )

    result, figures = run.check()

    assert figures.late_writes_accepted == 1 and not _only(figures, "late_writes_accepted")
    late = result.details["late_writes_refused"]["accepted_late"]
    assert late == [
        {"job_id": "j1", "worker": "w1", "attempt": 1, "outcome": "completed", "retry_count_after": 1}
    ]
    assert figures.late_writes_refused == 1  # w2's own result, rightly refused afterwards


def test_late_write_accepted_after_a_cancellation(tmp_path: Path) -> None:
    run = HandRun(tmp_path)
    run.create("j1")
    run.observer.sees(processing("j1", retry_count=0, worker="w1", token="t1"))
    run.cancel("j1", status_after="cancelled")  # the user was told it is cancelled
    run.row("j1", "completed", claimed_by="w1")  # and then the worker's plan was saved anyway

    result, figures = run.check()

    assert figures.late_writes_accepted == 1 and not _only(figures, "late_writes_accepted")
    assert result.details["late_writes_refused"]["terminal_overwritten"] == [
        {"job_id": "j1", "terminal_statuses": ["cancelled", "completed"]}
    ]


def test_late_write_refused_is_counted_and_valid(tmp_path: Path) -> None:
    run = HandRun(tmp_path)
    run.create("j1")
    run.observer.sees(processing("j1", retry_count=0, worker="w1", token="t1"))
    run.logged("job.claimed", "j1", "w1", retry_count=0, status="processing")
    run.cancel("j1", status_after="cancelled")
    run.logged("job.result_dropped", "j1", "w1", retry_count=0, status="cancelled")
    run.row("j1", "cancelled", claimed_by="w1", error_code="CANCELLED")

    result, figures = run.check()

    assert result.valid is True, result.details
    assert (figures.late_writes_refused, figures.late_writes_accepted) == (1, 0)


def test_late_writes_without_the_service_log_are_unknown(tmp_path: Path) -> None:
    run = HandRun(tmp_path)
    _completed_cleanly(run, "j1")

    result, figures = run.check(with_log=False)

    assert result.valid == "unknown"
    assert result.details["late_writes_refused"]["no_write_records"]
    assert figures.violations == 0


def test_invalid_plan_saved(tmp_path: Path) -> None:
    run = HandRun(tmp_path)
    run.create("j1")
    run.observer.sees(processing("j1", retry_count=0, worker="w1", token="t1"))
    run.logged("job.claimed", "j1", "w1", retry_count=0, status="processing")
    run.logged("job.completed", "j1", "w1", retry_count=0, status="completed")
    plan: dict[str, object] = {"days": {}}  # no day at all, saved as the user's plan
    run.row("j1", "completed", plan=plan)

    result, figures = run.check()

    assert figures.invalid_plans_saved == 1 and not _only(figures, "invalid_plans_saved")
    assert result.details["valid_plans_only"]["invalid_plans"][0]["plan_id"] == "plan-j1"


def test_undocumented_error_code(tmp_path: Path) -> None:
    run = HandRun(tmp_path)
    run.create("j1")
    run.observer.sees(processing("j1", retry_count=0, worker="w1", token="t1"))
    run.logged("job.claimed", "j1", "w1", retry_count=0, status="processing")
    run.logged("job.failed", "j1", "w1", retry_count=1, status="failed")
    errors = [error_entry(1, "GATEWAY_HICCUP", "w1")]
    run.row("j1", "failed", claimed_by=None, retry_count=1, errors=errors, error_code="GATEWAY_HICCUP")

    result, figures = run.check()

    assert figures.undocumented_error_codes == 2 and not _only(figures, "undocumented_error_codes")
    assert {"job_id": "j1", "error_code": "GATEWAY_HICCUP"} in result.details["documented_error_codes"][
        "undocumented"
    ]
