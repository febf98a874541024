"""A chaos run's verdict and figures: the checkers it runs, what they count, and the timeline.

`chaos_checker` composes the harness's checkers over the history and the final rows.
`chaos_figures` turns their details into counts (`harness.report.ChaosFigures`) and adds the
time to terminal after the nemesis stopped: for every job active at that moment, its
`completed_at` minus that moment, both on the database's clock (so nothing assumes how long
a retry waits). `nemesis_bands` and `job_series` draw the timeline: each fault from the
nemesis operations, and the jobs from their own `created_at` / `completed_at`, placed on the
run's clock through the moment the nemesis stopped (one instant both clocks know).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from harness.chaos.observer import HealPoint
from harness.checkers import (
    CheckResult,
    ClaimsWithinMaxRetries,
    Compose,
    DbSnapshot,
    DocumentedErrorCodes,
    LateWritesRefused,
    NoDoubleClaim,
    NoLostJobs,
    NoSecrets,
    OnePlanPerCompletedJob,
    SingleActivePerUser,
    ValidPlansOnly,
    compose,
)
from harness.history import Op
from harness.poller import TERMINAL_STATUSES, ui_state_for
from harness.redact import Redactor
from harness.report.model import (
    ChaosFigures,
    ChaosPoint,
    ChaosSummary,
    JobTimeline,
    JobTransition,
    NemesisBand,
)

NS = 1e9
MAX_SERIES_POINTS = 120
# each checker's failure lists, and the figure they count towards
_COUNTED: Mapping[str, Mapping[str, str]] = {
    "no_lost_jobs": {"missing_from_db": "lost_jobs", "not_terminal": "lost_jobs"},
    "no_double_claim": {"claimed_twice": "double_claims", "attempt_in_errors_twice": "double_claims"},
    "claims_within_max_retries": {"over_limit": "claims_over_limit"},
    "late_writes_refused": {
        "accepted_late": "late_writes_accepted",
        "terminal_overwritten": "late_writes_accepted",
    },
    "valid_plans_only": {"invalid_plans": "invalid_plans_saved"},
    "documented_error_codes": {
        "undocumented": "undocumented_error_codes",
        "failed_without_code_or_message": "other_violations",
        "cancelled_with_wrong_code": "other_violations",
    },
    "one_plan_per_completed_job": {
        "wrong_plan_count": "other_violations",
        "plans_without_job": "other_violations",
    },
    "single_active_per_user": {
        "users_with_several_active_plans": "other_violations",
        "users_with_several_active_jobs": "other_violations",
    },
    "no_secrets": {"leaks": "other_violations"},
}
_BAND_ENDS = {"kill": "start-worker", "pause": "resume", "faults-on": "faults-off"}
_INSTANT_BANDS = ("db-restart", "fake-restart")


def chaos_checker(redactor: Redactor) -> Compose:
    """Every checker a chaos run answers to."""
    return compose(
        NoLostJobs(),
        NoDoubleClaim(),
        ClaimsWithinMaxRetries(),
        LateWritesRefused(),
        ValidPlansOnly(),
        DocumentedErrorCodes(),
        OnePlanPerCompletedJob(),
        SingleActivePerUser(),
        NoSecrets(redactor),
    )


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` from 0 to 1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def time_to_terminal(db: DbSnapshot, heal: HealPoint) -> list[float]:
    """Seconds from the heal to the end of every job active then that ended (never negative)."""
    jobs = {job.id: job for job in db.job_snapshots()}
    seconds = []
    for job_id in heal.active_job_ids:
        job = jobs.get(job_id)
        if job is None or job.status not in TERMINAL_STATUSES or job.completed_at is None:
            continue
        seconds.append(max(0.0, (job.completed_at - heal.database_now).total_seconds()))
    return seconds


def chaos_figures(
    result: CheckResult, history: Sequence[Op], db: DbSnapshot, heal: HealPoint | None
) -> ChaosFigures:
    counts: Counter[str] = Counter()
    for checker, keys in _COUNTED.items():
        details = result.details.get(checker, {})
        for key, figure in keys.items():
            found = details.get(key)
            if isinstance(found, list):
                counts[figure] += len(found)
    late = result.details.get("late_writes_refused", {})
    claims = result.details.get("no_double_claim", {})
    jobs = db.job_snapshots()
    statuses = Counter(job.status for job in jobs)
    waits = time_to_terminal(db, heal) if heal is not None else []
    nemesis = Counter(op.f for op in history if _is_nemesis(op) and op.type == "ok" and op.f != "heal")
    return ChaosFigures(
        **counts,
        late_writes_refused=int(late.get("writes_refused", 0)),
        job_requests=sum(1 for op in history if op.type == "invoke" and op.f == "create"),
        jobs_created=len(jobs),
        jobs_completed=statuses["completed"],
        jobs_failed=statuses["failed"],
        jobs_cancelled=statuses["cancelled"],
        claims_seen=int(claims.get("claims", 0)),
        active_when_nemesis_stopped=len(heal.active_job_ids) if heal is not None else 0,
        time_to_terminal_p50_s=_rounded(percentile(waits, 0.50)),
        time_to_terminal_p99_s=_rounded(percentile(waits, 0.99)),
        time_to_terminal_max_s=_rounded(max(waits) if waits else None),
        nemesis_events=dict(sorted(nemesis.items())),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def nemesis_bands(history: Sequence[Op], until_s: float) -> list[NemesisBand]:
    """One band per fault the nemesis held: from the `ok` that began it to the `ok` that ended
    it (or `until_s`); restarts from their invocation to their completion."""
    bands: list[NemesisBand] = []
    open_bands: dict[tuple[str, Any], tuple[float, str]] = {}
    invoked: dict[str, list[float]] = {}
    for op in history:
        if not _is_nemesis(op):
            continue
        value = op.value if isinstance(op.value, Mapping) else {}
        at_s = op.time / NS
        if op.f in _INSTANT_BANDS:
            if op.type == "invoke":
                invoked.setdefault(op.f, []).append(at_s)
            elif invoked.get(op.f):
                start = invoked[op.f].pop(0)
                bands.append(NemesisBand(kind=op.f, label=op.f, start_s=start, end_s=at_s))
            continue
        if op.type != "ok":
            continue
        if op.f in _BAND_ENDS:
            subject = value.get("worker", value.get("faults"))
            kind = "faults" if op.f == "faults-on" else op.f
            label = f"faults: {subject}" if kind == "faults" else f"{op.f} worker {subject}"
            open_bands[(_BAND_ENDS[op.f], None if kind == "faults" else subject)] = (at_s, label)
        elif op.f in _BAND_ENDS.values():
            key = (op.f, None if op.f == "faults-off" else value.get("worker"))
            if key in open_bands:
                start, label = open_bands.pop(key)
                bands.append(NemesisBand(kind=_kind_of(op.f), label=label, start_s=start, end_s=at_s))
    for (end_f, _), (start, label) in open_bands.items():
        bands.append(NemesisBand(kind=_kind_of(end_f), label=label, start_s=start, end_s=until_s))
    return sorted(bands, key=lambda band: band.start_s)


def _is_nemesis(op: Op) -> bool:
    return isinstance(op.process, str) and op.process.startswith("nemesis")


def _kind_of(end_f: str) -> str:
    return {"start-worker": "kill", "resume": "pause", "faults-off": "faults"}[end_f]


def job_series(
    db: DbSnapshot, heal_s: float | None, heal: HealPoint | None, until_s: float
) -> list[ChaosPoint]:
    """Active jobs and the terminal ones per bucket, from the rows' timestamps."""
    if heal is None or heal_s is None or until_s <= 0:
        return []

    def at(moment: datetime | None) -> float | None:
        if moment is None:
            return None
        return heal_s + (moment - heal.database_now).total_seconds()

    bucket = max(0.5, until_s / MAX_SERIES_POINTS)
    count = math.ceil(until_s / bucket)
    points = [ChaosPoint(at_s=round(i * bucket, 3), active=0) for i in range(count)]
    active = [0] * count
    ended: list[Counter[str]] = [Counter() for _ in range(count)]
    for job in db.job_snapshots():
        start = at(job.created_at)
        end = at(job.completed_at) if job.status in TERMINAL_STATUSES else None
        if start is None:
            continue
        for index in range(count):
            moment = index * bucket
            if start <= moment and (end is None or end > moment):
                active[index] += 1
        if end is not None and 0 <= end < until_s:
            ended[min(count - 1, int(end // bucket))][job.status] += 1
    return [
        point.model_copy(
            update={
                "active": active[index],
                "completed": ended[index]["completed"],
                "failed": ended[index]["failed"],
                "cancelled": ended[index]["cancelled"],
            }
        )
        for index, point in enumerate(points)
    ]


def job_timelines(history: Sequence[Op], db: DbSnapshot) -> list[JobTimeline]:
    """Each job as the run saw it change (the observer's reads), ending as its final row."""
    seen: dict[str, list[JobTransition]] = {}
    for op in history:
        if op.type != "ok" or op.f != "observe" or not isinstance(op.value, Mapping):
            continue
        for row in op.value.get("rows", []):
            transitions = seen.setdefault(str(row["id"]), [])
            transitions.append(
                JobTransition(
                    at_seconds=op.time / NS,
                    status=str(row["status"]),
                    retry_count=int(row.get("retry_count") or 0),
                    error_code=row.get("error_code"),
                )
            )
    timelines = []
    for job in db.job_snapshots():
        transitions = seen.get(job.id) or [JobTransition(at_seconds=0.0, status=job.status)]
        first = transitions[0].at_seconds
        duration = job.duration_seconds
        timelines.append(
            JobTimeline(
                job_id=job.id,
                transitions=[
                    t.model_copy(update={"at_seconds": round(t.at_seconds - first, 3)}) for t in transitions
                ],
                final_status=job.status,
                error_code=job.error_code,
                ui_state=ui_state_for(job.status, job.error_code).value,
                duration_seconds=duration,
            )
        )
    return timelines


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def figure_lines(summary: ChaosSummary) -> list[str]:
    """The figures of a run as the terminal shows them."""
    f = summary.figures
    nemesis = ", ".join(f"{count} {kind}" for kind, count in f.nemesis_events.items()) or "none"
    return [
        f"chaos {summary.name}: valid={summary.valid}, {f.violations} violations",
        f"  lost jobs {f.lost_jobs}, double claims {f.double_claims}, claims over the limit "
        f"{f.claims_over_limit}, late writes accepted {f.late_writes_accepted} "
        f"(refused {f.late_writes_refused}), invalid plans saved {f.invalid_plans_saved}, "
        f"undocumented error codes {f.undocumented_error_codes}, other {f.other_violations}",
        f"  job requests {f.job_requests}, jobs {f.jobs_created}: completed {f.jobs_completed}, "
        f"failed {f.jobs_failed}, cancelled {f.jobs_cancelled}; claims seen {f.claims_seen}",
        f"  nemesis: {nemesis}",
        f"  time to terminal after the nemesis stopped ({f.active_when_nemesis_stopped} jobs active): "
        f"p50 {_seconds(f.time_to_terminal_p50_s)}, p99 {_seconds(f.time_to_terminal_p99_s)}, "
        f"max {_seconds(f.time_to_terminal_max_s)}",
        f"  replay: {summary.replay}",
    ]
