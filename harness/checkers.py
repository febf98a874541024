"""Invariant checkers over a run's history and the final database state (Jepsen-style).

Each checker looks at the recorded operations (`harness.history.Op`) and a snapshot of the
`plan_generation_jobs` and `weekly_base_plans` rows, and returns `CheckResult(valid, details)`
with `valid` True, False or "unknown". `compose` runs several and merges their verdicts with
Jepsen's priority false > unknown > true; a checker that crashes yields "unknown".

History conventions the checkers read (docs/decisions.md D35, H19): an `ok` operation with
`f == "create"` whose value holds the job id (`jobId`, `job_id` or `id`, also under `body`);
an `ok` operation with `f == "claim"` whose value is the claimed row (`id`, `retry_count`,
`max_retries`); `ok`/`fail` operations with `f == "write"` for an attempt's result the
service wrote or had refused (`id`, `attempt`, `outcome`, `retry_count` after it); and
observations of a job's status: the `ok` completions of `read`, `cancel` and `create` (`id`
or `jobId`, `status`) and of `observe` (`rows`: a list of `{id, status}`), each observed
at some moment between its invocation and its completion.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

from harness.history import Op
from harness.oracle import ProfileError, check_plan, compute_targets
from harness.poller import ACTIVE_STATUSES, ERROR_CODE_UI_STATES, TERMINAL_STATUSES, JobSnapshot
from harness.redact import Redactor

Validity = bool | Literal["unknown"]
DOCUMENTED_ERROR_CODES = frozenset(ERROR_CODE_UI_STATES)
CANCELLATION_CODES = frozenset({"CANCELLED", "SUPERSEDED"})


@dataclass(frozen=True)
class CheckResult:
    valid: Validity
    details: dict[str, Any]


@dataclass(frozen=True)
class DbSnapshot:
    """The rows of both tables at the end of a run, as plain dicts."""

    jobs: tuple[Mapping[str, Any], ...] = ()
    plans: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def of(cls, jobs: Iterable[Mapping[str, Any]], plans: Iterable[Mapping[str, Any]]) -> DbSnapshot:
        return cls(tuple(jobs), tuple(plans))

    def job_snapshots(self) -> list[JobSnapshot]:
        return [JobSnapshot.from_row(row) for row in self.jobs]


class Checker(Protocol):
    @property
    def name(self) -> str: ...

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult: ...


def merge_validity(verdicts: Iterable[Validity]) -> Validity:
    """Jepsen's priority: any False wins, then any "unknown", else True."""
    seen = list(verdicts)
    if False in seen:
        return False
    return "unknown" if "unknown" in seen else True


def check_safe(checker: Checker, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
    """Run `checker`; if it crashes, the verdict is "unknown" with the error."""
    try:
        return checker.check(history, db)
    except Exception as error:
        return CheckResult("unknown", {"error": f"{type(error).__name__}: {error}"})


def _verdict(failures: Mapping[str, list[Any]], unknowns: Mapping[str, list[Any]]) -> Validity:
    if any(failures.values()):
        return False
    return "unknown" if any(unknowns.values()) else True


def _job_id(value: object) -> str | None:
    if isinstance(value, Mapping):
        for key in ("jobId", "job_id", "id"):
            if value.get(key) is not None:
                return str(value[key])
        if isinstance(value.get("body"), Mapping):  # as `PlanJobs.create` records the answer
            return _job_id(value["body"])
    return None


def _ok(history: Sequence[Op], f: str) -> list[Op]:
    return [op for op in history if op.type == "ok" and op.f == f]


@dataclass(frozen=True)
class TerminalWithinBound:
    """Every job reached a terminal status, within `bound_seconds` of its creation."""

    bound_seconds: float
    name: ClassVar[str] = "terminal_within_bound"

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        jobs = db.job_snapshots()
        known = {job.id for job in jobs}
        created = {_job_id(op.value) for op in _ok(history, "create")} - {None}
        not_terminal = [
            {"job_id": j.id, "status": j.status} for j in jobs if j.status not in TERMINAL_STATUSES
        ]
        too_slow: list[dict[str, Any]] = []
        no_timestamps: list[str] = []
        for job in jobs:
            if job.status not in TERMINAL_STATUSES:
                continue
            seconds = job.duration_seconds
            if seconds is None:
                no_timestamps.append(job.id)
                continue
            if seconds > self.bound_seconds:
                too_slow.append({"job_id": job.id, "seconds": round(seconds, 3)})
        failures: dict[str, list[Any]] = {
            "not_terminal": not_terminal,
            "too_slow": too_slow,
            "missing_from_db": sorted(str(job_id) for job_id in created - known),
        }
        unknowns = {"no_timestamps": no_timestamps}
        details = {"bound_seconds": self.bound_seconds, "jobs": len(jobs), **failures, **unknowns}
        return CheckResult(_verdict(failures, unknowns), details)


@dataclass(frozen=True)
class NoLostJobs:
    """Every job the target acknowledged (an `ok` create's job id) is in the database, and every
    job there reached a terminal status (whenever: the run's settle phase bounds the wait)."""

    name: ClassVar[str] = "no_lost_jobs"

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        jobs = db.job_snapshots()
        acknowledged = {_job_id(op.value) for op in _ok(history, "create")} - {None}
        failures: dict[str, list[Any]] = {
            "missing_from_db": sorted(str(job_id) for job_id in acknowledged - {job.id for job in jobs}),
            "not_terminal": [
                {"job_id": job.id, "status": job.status, "retry_count": job.retry_count}
                for job in jobs
                if job.status not in TERMINAL_STATUSES
            ],
        }
        details = {"acknowledged": len(acknowledged), "jobs": len(jobs), **failures}
        return CheckResult(_verdict(failures, {}), details)


@dataclass(frozen=True)
class _Observation:
    """A job seen in `status` at some moment between `start` and `end` (history times)."""

    job_id: str
    status: str
    start: float
    end: float


OBSERVING_FUNCTIONS = frozenset({"read", "cancel", "create", "observe"})


def _seen(value: object) -> list[tuple[str, str]]:
    """(job id, status) pairs an observing operation's value holds."""
    if isinstance(value, Mapping) and isinstance(value.get("rows"), list):
        return [pair for row in value["rows"] for pair in _seen(row)]
    job_id = _job_id(value)
    if job_id is None or not isinstance(value, Mapping) or not isinstance(value.get("status"), str):
        return []
    return [(job_id, value["status"])]


def _observations(history: Sequence[Op], db: DbSnapshot) -> list[_Observation]:
    """Every status observation: completions paired with their invocation by process (an
    `ok` without one is an instant), then the final rows after everything."""
    invoked: dict[int | str, Op] = {}
    seen: list[_Observation] = []
    for op in history:
        if op.type == "invoke":
            invoked[op.process] = op
            continue
        invocation = invoked.get(op.process)
        start = op.time
        if invocation is not None and invocation.f == op.f:
            start = invoked.pop(op.process).time
        if op.type == "ok" and op.f in OBSERVING_FUNCTIONS:
            seen.extend(_Observation(job, status, start, op.time) for job, status in _seen(op.value))
    after = float("inf")
    seen.extend(_Observation(job.id, job.status, after, after) for job in db.job_snapshots())
    return seen


@dataclass(frozen=True)
class LateWritesRefused:
    """No late write was accepted: every accepted result belongs to the attempt it claims (a
    completion leaves `retry_count` = attempt - 1, a failure = attempt), and no job seen in a
    terminal status was seen in another status later. Refused writes are counted."""

    name: ClassVar[str] = "late_writes_refused"

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        writes = [op for op in history if op.f == "write" and op.type in ("ok", "fail")]
        accepted_late: list[dict[str, Any]] = []
        unjudged: list[dict[str, Any]] = []
        for op in writes:
            if op.type != "ok":
                continue
            value = op.value if isinstance(op.value, Mapping) else {}
            attempt, after, outcome = value.get("attempt"), value.get("retry_count"), value.get("outcome")
            if not isinstance(attempt, int) or not isinstance(after, int) or outcome is None:
                unjudged.append({"op": op.index, "reason": "no attempt, retry_count or outcome"})
                continue
            expected = attempt - 1 if outcome == "completed" else attempt
            if after != expected:
                accepted_late.append(
                    {
                        "job_id": _job_id(value),
                        "worker": value.get("worker"),
                        "attempt": attempt,
                        "outcome": outcome,
                        "retry_count_after": after,
                    }
                )
        failures: dict[str, list[Any]] = {
            "accepted_late": accepted_late,
            "terminal_overwritten": _terminal_overwritten(_observations(history, db)),
        }
        unknowns: dict[str, list[Any]] = {"unjudged_writes": unjudged}
        if not writes:
            unknowns["no_write_records"] = ["no `write` operations: the service's results were not recorded"]
        details = {
            "writes_accepted": sum(op.type == "ok" for op in writes),
            "writes_refused": sum(op.type == "fail" for op in writes),
            **failures,
            **unknowns,
        }
        return CheckResult(_verdict(failures, unknowns), details)


def _terminal_overwritten(observations: Iterable[_Observation]) -> list[dict[str, Any]]:
    """Jobs seen in two terminal statuses, or active after a terminal status was seen."""
    by_job: defaultdict[str, list[_Observation]] = defaultdict(list)
    for observation in observations:
        by_job[observation.job_id].append(observation)
    overwritten: list[dict[str, Any]] = []
    for job_id, seen in sorted(by_job.items()):
        terminal = [s for s in seen if s.status in TERMINAL_STATUSES]
        if not terminal:
            continue
        statuses = sorted({s.status for s in terminal})
        if len(statuses) > 1:
            overwritten.append({"job_id": job_id, "terminal_statuses": statuses})
            continue
        first_end = min(s.end for s in terminal)
        later = [s.status for s in seen if s.status not in TERMINAL_STATUSES and s.start > first_end]
        if later:
            overwritten.append({"job_id": job_id, "terminal_status": statuses[0], "then": sorted(set(later))})
    return overwritten


@dataclass(frozen=True)
class NoDoubleClaim:
    """No attempt of a job was claimed twice: one claim per (job, retry_count at claim time),
    and no attempt number twice in a job's `errors`."""

    name: ClassVar[str] = "no_double_claim"

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        claims: Counter[tuple[str, int]] = Counter()
        for op in _ok(history, "claim"):
            job_id = _job_id(op.value)
            if job_id is not None and isinstance(op.value, Mapping):
                claims[job_id, int(op.value.get("retry_count", 0)) + 1] += 1
        claimed_twice = [
            {"job_id": job_id, "attempt": attempt, "claims": count}
            for (job_id, attempt), count in sorted(claims.items())
            if count > 1
        ]
        errors_twice: list[dict[str, Any]] = []
        for job in db.job_snapshots():
            attempts = Counter(entry.get("attempt") for entry in job.errors)
            errors_twice.extend(
                {"job_id": job.id, "attempt": attempt, "entries": count}
                for attempt, count in attempts.items()
                if count > 1
            )
        failures = {"claimed_twice": claimed_twice, "attempt_in_errors_twice": errors_twice}
        return CheckResult(_verdict(failures, {}), {"claims": sum(claims.values()), **failures})


@dataclass(frozen=True)
class ClaimsWithinMaxRetries:
    """No job ran more than `max_retries` attempts: claims, `retry_count` and `errors`."""

    name: ClassVar[str] = "claims_within_max_retries"

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        jobs = {job.id: job for job in db.job_snapshots()}
        claims: defaultdict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for op in _ok(history, "claim"):
            job_id = _job_id(op.value)
            if job_id is not None and isinstance(op.value, Mapping):
                claims[job_id].append(op.value)
        over = []
        for job_id, rows in sorted(claims.items()):
            limit = jobs[job_id].max_retries if job_id in jobs else rows[0].get("max_retries")
            if isinstance(limit, int) and len(rows) > limit:
                over.append({"job_id": job_id, "claims": len(rows), "max_retries": limit})
        for job in jobs.values():
            counted = max(job.retry_count, len(job.errors))
            if counted > job.max_retries:
                over.append(
                    {
                        "job_id": job.id,
                        "retry_count": job.retry_count,
                        "errors": len(job.errors),
                        "max_retries": job.max_retries,
                    }
                )
        return CheckResult(not over, {"over_limit": over})


@dataclass(frozen=True)
class OnePlanPerCompletedJob:
    """A completed job has exactly one plan (the one its `plan_id` names); others have none."""

    name: ClassVar[str] = "one_plan_per_completed_job"

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        plans_by_job: defaultdict[str, list[str]] = defaultdict(list)
        for plan in db.plans:
            plans_by_job[str(plan.get("job_id"))].append(str(plan.get("id")))
        jobs = db.job_snapshots()
        wrong = []
        for job in jobs:
            plan_ids = plans_by_job.get(job.id, [])
            expected = 1 if job.status == "completed" else 0
            if len(plan_ids) != expected:
                wrong.append({"job_id": job.id, "status": job.status, "plans": len(plan_ids)})
            elif expected and job.plan_id is not None and job.plan_id != plan_ids[0]:
                wrong.append({"job_id": job.id, "plan_id": job.plan_id, "saved_plan": plan_ids[0]})
        orphans = sorted(set(plans_by_job) - {job.id for job in jobs})
        failures: dict[str, list[Any]] = {"wrong_plan_count": wrong, "plans_without_job": orphans}
        return CheckResult(_verdict(failures, {}), failures)


@dataclass(frozen=True)
class SingleActivePerUser:
    """At most one active plan and one pending/processing job per user."""

    name: ClassVar[str] = "single_active_per_user"

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        active_plans = Counter(str(p.get("user_id")) for p in db.plans if p.get("is_active") is True)
        active_jobs = Counter(str(job.user_id) for job in db.job_snapshots() if job.status in ACTIVE_STATUSES)
        failures = {
            "users_with_several_active_plans": sorted(u for u, n in active_plans.items() if n > 1),
            "users_with_several_active_jobs": sorted(u for u, n in active_jobs.items() if n > 1),
        }
        return CheckResult(_verdict(failures, {}), failures)


@dataclass(frozen=True)
class DocumentedErrorCodes:
    """Only error codes of docs/contract.md; failed jobs carry a code and a message; cancelled jobs
    carry CANCELLED or SUPERSEDED."""

    name: ClassVar[str] = "documented_error_codes"

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        undocumented: list[dict[str, Any]] = []
        unexplained: list[str] = []
        wrong_cancel: list[dict[str, Any]] = []
        for job in db.job_snapshots():
            codes = [job.error_code, *(entry.get("error_code") for entry in job.errors)]
            undocumented.extend(
                {"job_id": job.id, "error_code": code}
                for code in codes
                if code is not None and code not in DOCUMENTED_ERROR_CODES
            )
            if job.status == "failed" and not (job.error_code and (job.error_message or "")):
                unexplained.append(job.id)
            if job.status == "cancelled" and job.error_code not in CANCELLATION_CODES:
                wrong_cancel.append({"job_id": job.id, "error_code": job.error_code})
        failures: dict[str, list[Any]] = {
            "undocumented": undocumented,
            "failed_without_code_or_message": unexplained,
            "cancelled_with_wrong_code": wrong_cancel,
        }
        return CheckResult(_verdict(failures, {}), failures)


@dataclass(frozen=True)
class ValidPlansOnly:
    """Every saved plan passes the oracle for its job's profile, and the saved targets are
    the ones the oracle computes from that profile."""

    name: ClassVar[str] = "valid_plans_only"

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        jobs = {job.id: job for job in db.job_snapshots()}
        invalid: list[dict[str, Any]] = []
        unjudged: list[dict[str, Any]] = []
        for plan in db.plans:
            job = jobs.get(str(plan.get("job_id")))
            profile = job.input.get("profile") if job else None
            if not isinstance(profile, Mapping):
                unjudged.append({"plan_id": plan.get("id"), "reason": "no job profile"})
                continue
            try:
                targets = compute_targets(profile)
            except ProfileError as error:
                unjudged.append({"plan_id": plan.get("id"), "reason": str(error)})
                continue
            saved = plan.get("targets")
            problems = (
                [f"saved targets {saved} != {targets.model_dump()}"]
                if (saved is not None and saved != targets.model_dump())
                else []
            )
            verdict = check_plan(plan.get("plan"), profile, targets)
            problems.extend(f"{v.day or 'plan'}: {v.rule}: {v.detail}" for v in verdict.violations)
            if problems:
                invalid.append({"plan_id": plan.get("id"), "problems": problems})
        failures, unknowns = {"invalid_plans": invalid}, {"unjudged_plans": unjudged}
        return CheckResult(_verdict(failures, unknowns), {"plans": len(db.plans), **failures, **unknowns})


@dataclass(frozen=True)
class NoSecrets:
    """No secret in any job error message, recorded operation, or extra text (logs, reports)."""

    redactor: Redactor
    texts: Mapping[str, str] | None = None
    name: ClassVar[str] = "no_secrets"

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        places: list[tuple[str, str]] = []
        for job in db.job_snapshots():
            places.append((f"job {job.id} error_message", job.error_message or ""))
            places.extend(
                (f"job {job.id} errors[{n}]", json.dumps(entry, default=str))
                for n, entry in enumerate(job.errors)
            )
        places.extend((f"history op {op.index}", json.dumps(op.value)) for op in history)
        places.extend((f"text {label}", text) for label, text in (self.texts or {}).items())
        leaks = [
            {"where": where, "kinds": kinds}
            for where, text in places
            if (kinds := self.redactor.findings(text))
        ]
        return CheckResult(not leaks, {"scanned": len(places), "leaks": leaks})


@dataclass(frozen=True)
class Compose:
    """Several checkers as one; details hold each checker's result under its name."""

    checkers: tuple[Checker, ...]
    name: ClassVar[str] = "compose"

    def check(self, history: Sequence[Op], db: DbSnapshot) -> CheckResult:
        results = {checker.name: check_safe(checker, history, db) for checker in self.checkers}
        details = {name: {"valid": r.valid, **r.details} for name, r in results.items()}
        return CheckResult(merge_validity(r.valid for r in results.values()), details)


def compose(*checkers: Checker) -> Compose:
    names = [checker.name for checker in checkers]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"checker names must be unique, repeated: {duplicated}")
    return Compose(checkers)


def all_invariants(bound_seconds: float, redactor: Redactor) -> Compose:
    """Every invariant of docs/architecture.md "Harness", composed."""
    return compose(
        TerminalWithinBound(bound_seconds),
        NoDoubleClaim(),
        ClaimsWithinMaxRetries(),
        OnePlanPerCompletedJob(),
        SingleActivePerUser(),
        DocumentedErrorCodes(),
        ValidPlansOnly(),
        NoSecrets(redactor),
    )
