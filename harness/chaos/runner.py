"""One chaos run, start to verdict: sign the users up, play the schedule with the nemesis,
heal, let the queue settle, read the database, check, count, and write the run's folder.

Phases (the history's clock starts after the users are signed up):
1. `0 .. duration`: the users' operations and the nemesis' events, while the observer reads
   the jobs every `observe_interval_s`;
2. heal: the users stop (operations in flight finish on their own), every fault ends at
   once (fault rules cleared, a database restart under way finished, paused workers
   resumed, killed ones started); the database's clock and the jobs still active are noted
   at that moment, the nemesis' stop; then the run waits for every part to serve;
3. settle: wait until no job of the run is active, at most `settle_s`;
4. check: the final rows, the claims they record, the results the service logged, then the
   checkers (`harness.chaos.figures.chaos_checker`) and the figures.

The folder gets `history.jsonl` (`harness.history.History.write_jsonl`), `schedule.json`,
`figures.json` (the summary and every checker's details) and `logs/` (the target's service
logs the run read), all redacted.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from harness.chaos.evidence import read_job_events, writes_from_events
from harness.chaos.figures import chaos_checker, chaos_figures, job_series, job_timelines, nemesis_bands
from harness.chaos.nemesis import Nemesis
from harness.chaos.observer import (
    ClaimObserver,
    HealPoint,
    active_jobs,
    claims_from_rows,
    connect,
    final_snapshot,
    heal_point,
)
from harness.chaos.schedule import ChaosSchedule, plan_schedule
from harness.chaos.settings import NEMESES, ChaosSettings, ChaosSettingsError
from harness.chaos.targets import ChaosTarget
from harness.chaos.workload import Workload
from harness.checkers import CheckResult, DbSnapshot
from harness.client import Session, SupabaseHttp
from harness.history import History
from harness.redact import Redactor
from harness.report.model import ChaosFigures, ChaosSummary, JobTimeline
from harness.report.writer import redact_file

SIGN_UP_THREADS = 4
SETTLE_POLL_S = 0.25
HISTORY_FILE = "history.jsonl"


@dataclass(frozen=True)
class ChaosOutcome:
    """The run's summary (figures, timeline), the checkers' verdict and its folder."""

    summary: ChaosSummary
    result: CheckResult
    folder: Path
    jobs: tuple[JobTimeline, ...] = ()

    @property
    def violations(self) -> int:
        return self.summary.figures.violations

    def failures(self) -> dict[str, Any]:
        """The details of every checker whose verdict is not true."""
        return {
            name: details for name, details in self.result.details.items() if details.get("valid") is not True
        }


def resolve_nemeses(
    requested: Sequence[str] | None, support: Mapping[str, str | None]
) -> tuple[tuple[str, ...], dict[str, str]]:
    """The nemeses to run and those left out with the reason. Asking for one the target lacks
    is refused (`ChaosSettingsError` with the reason); by default every available one runs."""
    unavailable = {name: reason for name in NEMESES if (reason := support.get(name)) is not None}
    if requested is None:
        return tuple(name for name in NEMESES if name not in unavailable), unavailable
    refused = [f"{name} ({unavailable[name]})" for name in requested if name in unavailable]
    if refused:
        raise ChaosSettingsError("--nemesis", "this target cannot do " + "; ".join(refused))
    left_out = {name: "not asked for" for name in NEMESES if name not in requested}
    return tuple(name for name in NEMESES if name in requested), left_out


def schedule_for(settings: ChaosSettings, nemeses: Sequence[str]) -> ChaosSchedule:
    return plan_schedule(
        seed=settings.seed,
        duration_s=settings.duration_s,
        jobs=settings.jobs,
        users=settings.user_count,
        workers=settings.workers,
        nemeses=nemeses,
        stuck_after_s=settings.stuck_after_ms / 1000,
    )


def sign_up(wire: SupabaseHttp, users: int) -> list[Session]:
    """Create and sign in `users` accounts, a few at a time (before the run's clock starts)."""
    with ThreadPoolExecutor(max_workers=SIGN_UP_THREADS) as pool:
        return list(pool.map(lambda _: wire.new_session(), range(users)))


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_chaos(
    settings: ChaosSettings,
    target: ChaosTarget,
    folder: Path,
    *,
    name: str,
    replay: str,
    say: Callable[[str], None] = _say,
) -> ChaosOutcome:
    """Run the chaos of `settings` against `target` (started), write `folder`, return the outcome."""
    nemeses, left_out = resolve_nemeses(settings.nemeses, target.support())
    schedule = schedule_for(settings, nemeses)
    for line in schedule.describe():
        say(line)
    for nemesis, reason in left_out.items():
        say(f"nemesis {nemesis} left out: {reason}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schedule.json").write_text(schedule.dumps(), encoding="utf-8")
    redactor = Redactor(target.secrets())

    wire = SupabaseHttp(target.url, target.keys, timeout_s=settings.request_timeout_s)
    sessions: list[Session] = []
    try:
        sessions = sign_up(wire, schedule.users)
        history, heal, heal_s, settled_s, snapshot = _play(settings, schedule, target, wire, sessions, say)
    finally:
        if target.removes_its_users:  # a shared database: the run's users go, their jobs with them
            for session in sessions:
                wire.delete_user(session.user_id)
        wire.close()

    result, figures = check_history(history, snapshot, target.service_logs(), redactor, heal)
    ops = history.ops
    summary = ChaosSummary(
        name=name,
        target=target.label,
        seed=settings.seed,
        duration_s=settings.duration_s,
        nemeses=list(nemeses),
        refused_nemeses=left_out,
        valid=result.valid,
        figures=figures,
        bands=nemesis_bands(ops, heal_s),
        series=job_series(snapshot, heal_s, heal, settled_s),
        nemesis_stopped_at_s=round(heal_s, 3),
        ended_at_s=round(settled_s, 3),
        replay=replay,
        history_file=HISTORY_FILE,
    )
    _write_folder(folder, history, summary, result, target, redactor)
    return ChaosOutcome(summary, result, folder, tuple(job_timelines(ops, snapshot)))


def check_history(
    history: History,
    snapshot: DbSnapshot,
    service_logs: Sequence[Path],
    redactor: Redactor,
    heal: HealPoint | None,
) -> tuple[CheckResult, ChaosFigures]:
    """Add to the history what the final rows say of claims the observer missed and what the
    service's logs say of results, then check it against the rows and count."""
    for claim in claims_from_rows(snapshot.jobs, _claims_seen(history)):
        history.record("ok", "claim", claim, process=claim["claimed_by"])
    job_ids = {str(row["id"]) for row in snapshot.jobs}
    claims = [(job_id, worker, attempt) for job_id, attempt, worker in _claims_seen(history)]
    for write in writes_from_events(read_job_events(service_logs), job_ids, claims):
        history.record(
            "ok" if write.accepted else "fail", "write", write.value(), process=write.worker or "?"
        )
    ops = history.ops
    result = chaos_checker(redactor).check(ops, snapshot)
    return result, chaos_figures(result, ops, snapshot, heal)


def _claims_seen(history: History) -> set[tuple[str, int, str | None]]:
    return {
        (str(op.value["id"]), int(op.value["attempt"]), op.value.get("claimed_by"))
        for op in history
        if op.f == "claim" and op.type == "ok" and isinstance(op.value, dict)
    }


def _play(
    settings: ChaosSettings,
    schedule: ChaosSchedule,
    target: ChaosTarget,
    wire: SupabaseHttp,
    sessions: Sequence[Session],
    say: Callable[[str], None],
) -> tuple[History, HealPoint, float, float, DbSnapshot]:
    user_ids = [session.user_id for session in sessions]
    started = time.monotonic()
    history = History()

    def elapsed_s() -> float:
        return time.monotonic() - started

    stop = threading.Event()
    observer = ClaimObserver(target.database_dsn, user_ids, history, settings.observe_interval_s)
    workload = Workload(
        wire, history, schedule.user_ops, sessions=sessions, seed=settings.seed, elapsed_s=elapsed_s
    )
    nemesis = Nemesis(target, history, schedule.nemesis_events, elapsed_s=elapsed_s, stop=stop)
    say(f"running for {settings.duration_s:g} s: {len(sessions)} users on {target.url}")
    observer.start()
    workload.start()
    try:
        try:
            nemesis.run(until_s=settings.duration_s)
        finally:
            stop.set()
            workload.halt()
            nemesis.heal()
        heal_s = elapsed_s()
        with connect(target.database_dsn) as conn:
            heal = heal_point(conn, user_ids)
        nemesis.settle()
    finally:
        workload.stop()  # the operations still in flight end on their own
    say(f"nemesis stopped at {heal_s:.1f} s with {len(heal.active_job_ids)} jobs active; settling")
    _settle(target.database_dsn, user_ids, settings.settle_s)
    settled_s = elapsed_s()
    observer.stop()
    with connect(target.database_dsn) as conn:
        snapshot = final_snapshot(conn, user_ids)
    return history, heal, heal_s, settled_s, snapshot


def _settle(dsn: str, user_ids: Sequence[str], settle_s: float) -> None:
    """Wait until no job of the run is active, at most `settle_s`."""
    deadline = time.monotonic() + settle_s
    while time.monotonic() < deadline:
        try:
            with connect(dsn) as conn:
                while time.monotonic() < deadline:
                    if active_jobs(conn, user_ids) == 0:
                        return
                    time.sleep(SETTLE_POLL_S)
        except psycopg.OperationalError:
            time.sleep(SETTLE_POLL_S)


def _write_folder(
    folder: Path,
    history: History,
    summary: ChaosSummary,
    result: CheckResult,
    target: ChaosTarget,
    redactor: Redactor,
) -> None:
    history_path = folder / HISTORY_FILE
    history.write_jsonl(history_path)
    redact_file(history_path, redactor)
    figures = {
        "summary": summary.model_dump(mode="json", exclude={"series", "bands"}),
        "valid": result.valid,
        "checks": result.details,
    }
    text = json.dumps(redactor.value(json.loads(json.dumps(figures, default=str))), indent=1, sort_keys=True)
    (folder / "figures.json").write_text(text + "\n", encoding="utf-8")
    logs = folder / "logs"
    for path in target.service_logs():
        logs.mkdir(exist_ok=True)
        (logs / path.name).write_text(redactor.text(path.read_text(errors="replace")), encoding="utf-8")
