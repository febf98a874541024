"""A chaos run's schedule: what the users do and what the nemesis breaks, and when.

Everything comes from one `random.Random(seed)`, so the same seed with the same settings
(duration, jobs, users, workers, nemeses, stuck threshold) gives the same schedule: that
is how a run is replayed. The schedule is open-loop: each operation has its time, whatever
the target does; only the outcomes (and the interleavings inside the target) differ
between two runs of one schedule.

Users (`create`, `regenerate`, `cancel`, `read`): `--jobs` create-plan-job requests at
uniform times over the whole run, each by a random user, a quarter of them regenerations;
after some of them the same user cancels (15 %) or reads (30 %) their job.

Nemesis: events at exponential gaps (mean `duration / 15`, from 0.8 s to 3 s) from 0.5 s
until 4.5 s before the end, each of a kind drawn among the enabled ones that are free at that
moment: a worker neither killed nor paused (always leaving one of them working), no
database or fake restart within the last few seconds, one fault window at a time. Then, 4 s
before the end, the final faults, held until the nemesis stops (the heal): a worker killed,
another paused, slow fault rules on (`hangs` or `overloaded`; those enabled, with workers to
spare), so that jobs pile up in them and the time to terminal after the stop measures
recovery.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from harness.chaos.settings import NEMESES

UserAction = Literal["create", "regenerate", "cancel", "read"]
USER_ACTIONS: tuple[str, ...] = ("create", "regenerate", "cancel", "read")
REGENERATE_SHARE = 0.25
CANCEL_SHARE = 0.15
READ_SHARE = 0.30
KILL_RESTART_S = (0.3, 1.5)
SHORT_PAUSE_S = (0.3, 1.5)
STALE_PAUSE_MARGIN_S = (0.5, 2.0)
STALE_PAUSE_SHARE = 0.7
FAULT_WINDOW_S = (2.0, 6.0)
DB_RESTART_GAP_S = 8.0  # a restart and its recovery under load take seconds
FAKE_RESTART_GAP_S = 3.0
WORKER_START_S = 1.5  # what a worker restart takes, kept free in the schedule
FINAL_S = 4.0  # the last faults begin this long before the end and last until the heal
FINAL_FAULTS = ("hangs", "overloaded")  # slow ones: jobs pile up, so the heal has work to show


@dataclass(frozen=True)
class FaultSet:
    """Rules the `faults` nemesis switches on for a window: a preset, or rules of its own."""

    name: str
    description: str
    preset: str | None = None
    rules: tuple[Mapping[str, Any], ...] = field(default=())


FAULT_SETS: tuple[FaultSet, ...] = (
    FaultSet("flaky", "the flaky preset: some 500, 429 and 502 answers, slow answers", preset="flaky"),
    FaultSet("malformed", "the malformed preset: broken JSON and bodies", preset="malformed"),
    FaultSet("chaos", "the chaos preset: every failure now and then", preset="chaos"),
    FaultSet("overloaded", "the overloaded preset: stalls, 429, 503, slow answers", preset="overloaded"),
    FaultSet("quota", "the quota_exhausted preset: every call 402", preset="quota_exhausted"),
    FaultSet(
        "wrong-plans",
        "half the final answers break the diet, a third of the others miss a day",
        rules=(
            {
                "match": {"stage": 2, "probability": 0.5},
                "action": {"type": "wrong_plan", "defect": "diet_violation"},
            },
            {"match": {"probability": 0.3}, "action": {"type": "wrong_plan", "defect": "missing_day"}},
        ),
    ),
    FaultSet(
        "server-errors",
        "60 % of the calls answer 500, 20 % answer 503",
        rules=(
            {"match": {"probability": 0.6}, "action": {"type": "http_error", "status": 500}},
            {"match": {"probability": 0.5}, "action": {"type": "http_error", "status": 503}},
        ),
    ),
    FaultSet(
        "hangs",
        "40 % of the calls never answer",
        rules=({"match": {"probability": 0.4}, "action": {"type": "hang"}},),
    ),
)
FAULT_SETS_BY_NAME: Mapping[str, FaultSet] = {fault_set.name: fault_set for fault_set in FAULT_SETS}


@dataclass(frozen=True)
class UserOp:
    """At `at_s`, user number `user` does `action` (on their latest job for cancel and read)."""

    at_s: float
    user: int
    action: UserAction


@dataclass(frozen=True)
class NemesisEvent:
    """At `at_s`, the nemesis does `kind`: to worker `worker` (kill, pause), for `for_s`
    seconds (a pause; a killed worker's restart delay; a fault window), with `faults` (the
    fault set's name)."""

    at_s: float
    kind: str
    worker: int | None = None
    for_s: float = 0.0
    faults: str | None = None

    def describe(self) -> str:
        if self.kind == "kill":
            return f"kill -9 worker {self.worker}, start it again after {self.for_s:.1f} s"
        if self.kind == "pause":
            return f"SIGSTOP worker {self.worker}, SIGCONT after {self.for_s:.1f} s"
        if self.kind == "faults":
            assert self.faults is not None
            description = FAULT_SETS_BY_NAME[self.faults].description
            return f"faults {self.faults!r} for {self.for_s:.1f} s ({description})"
        if self.kind == "db-restart":
            return "restart PostgreSQL (immediate shutdown, then start)"
        return "kill -9 the fake DeepSeek, start it again on its port"


@dataclass(frozen=True)
class ChaosSchedule:
    seed: int
    duration_s: float
    users: int
    workers: int
    nemeses: tuple[str, ...]
    user_ops: tuple[UserOp, ...]
    nemesis_events: tuple[NemesisEvent, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "duration_s": self.duration_s,
            "users": self.users,
            "workers": self.workers,
            "nemeses": list(self.nemeses),
            "user_ops": [asdict(op) for op in self.user_ops],
            "nemesis_events": [asdict(event) for event in self.nemesis_events],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1) + "\n"

    def describe(self) -> list[str]:
        actions: Counter[str] = Counter(op.action for op in self.user_ops)
        kinds = Counter(event.kind for event in self.nemesis_events)
        lines = [
            f"schedule (seed {self.seed}): {self.duration_s:g} s, {self.users} users, "
            + ", ".join(f"{actions[name]} {name}" for name in USER_ACTIONS),
            "nemesis: "
            + (", ".join(f"{kinds[kind]} {kind}" for kind in self.nemeses) or "none")
            + f" ({len(self.nemesis_events)} events)",
        ]
        lines += [f"  {event.at_s:7.2f} s  {event.describe()}" for event in self.nemesis_events]
        return lines


def plan_schedule(
    *,
    seed: int,
    duration_s: float,
    jobs: int,
    users: int,
    workers: int,
    nemeses: Sequence[str],
    stuck_after_s: float,
) -> ChaosSchedule:
    unknown = set(nemeses) - set(NEMESES)
    if unknown:
        raise ValueError(f"unknown nemeses {sorted(unknown)}")
    rng = random.Random(seed)
    user_ops = _user_ops(rng, duration_s, jobs, users)
    events = _nemesis_events(
        rng, duration_s, workers, tuple(n for n in NEMESES if n in nemeses), stuck_after_s
    )
    return ChaosSchedule(
        seed=seed,
        duration_s=duration_s,
        users=users,
        workers=workers,
        nemeses=tuple(n for n in NEMESES if n in nemeses),
        user_ops=user_ops,
        nemesis_events=events,
    )


def _user_ops(rng: random.Random, duration_s: float, jobs: int, users: int) -> tuple[UserOp, ...]:
    ops: list[UserOp] = []
    for at_s in sorted(rng.uniform(0, duration_s) for _ in range(jobs)):
        user = rng.randrange(users)
        ops.append(
            UserOp(round(at_s, 3), user, "regenerate" if rng.random() < REGENERATE_SHARE else "create")
        )
        if rng.random() < CANCEL_SHARE:
            ops.append(UserOp(round(min(at_s + rng.uniform(0.05, 1.5), duration_s), 3), user, "cancel"))
        if rng.random() < READ_SHARE:
            ops.append(UserOp(round(min(at_s + rng.uniform(0.2, 3.0), duration_s), 3), user, "read"))
    return tuple(sorted(ops, key=lambda op: op.at_s))


def _nemesis_events(
    rng: random.Random, duration_s: float, workers: int, nemeses: tuple[str, ...], stuck_after_s: float
) -> tuple[NemesisEvent, ...]:
    if not nemeses:
        return ()
    mean_gap = min(3.0, max(0.8, duration_s / 15))
    worker_free_at = [0.0] * workers
    free_at = {"db-restart": 0.0, "fake-restart": 0.0, "faults": 0.0}
    events: list[NemesisEvent] = []
    at_s = 0.5 + rng.expovariate(1 / mean_gap)
    while at_s < duration_s - FINAL_S - 0.5:
        free_workers = [w for w in range(workers) if worker_free_at[w] <= at_s]
        may_disable = len(free_workers) > 1 or workers == 1
        kinds = [
            kind
            for kind in nemeses
            if (kind in ("kill", "pause") and free_workers and may_disable)
            or (kind in free_at and free_at[kind] <= at_s)
        ]
        if kinds:
            kind = rng.choice(kinds)
            event = _event(rng, kind, at_s, free_workers, duration_s, stuck_after_s)
            events.append(event)
            if event.worker is not None:
                restart = WORKER_START_S if kind == "kill" else 0.2
                worker_free_at[event.worker] = at_s + event.for_s + restart
            elif kind == "db-restart":
                free_at[kind] = at_s + DB_RESTART_GAP_S
            elif kind == "fake-restart":
                free_at[kind] = at_s + FAKE_RESTART_GAP_S
            else:
                free_at[kind] = at_s + event.for_s + 0.5
        at_s += rng.expovariate(1 / mean_gap)
    return tuple(events) + _final_events(rng, duration_s, worker_free_at, free_at, nemeses)


def _final_events(
    rng: random.Random,
    duration_s: float,
    worker_free_at: list[float],
    free_at: dict[str, float],
    nemeses: tuple[str, ...],
) -> tuple[NemesisEvent, ...]:
    """The last faults, held until the nemesis stops: a worker killed and another paused, and
    slow fault rules, from `FINAL_S` before the end, so jobs are caught in them when it stops."""
    at_s = round(duration_s - FINAL_S, 3)
    free_workers = [w for w, free in enumerate(worker_free_at) if free <= at_s]
    final: list[NemesisEvent] = []
    for kind in ("kill", "pause"):
        if kind in nemeses and len(free_workers) > 1:
            worker = free_workers.pop(rng.randrange(len(free_workers)))
            final.append(NemesisEvent(at_s, kind, worker=worker, for_s=FINAL_S))
    if "faults" in nemeses and free_at["faults"] <= at_s:
        final.append(NemesisEvent(at_s, "faults", for_s=FINAL_S, faults=rng.choice(FINAL_FAULTS)))
    return tuple(final)


def _event(
    rng: random.Random,
    kind: str,
    at_s: float,
    free_workers: list[int],
    duration_s: float,
    stuck_after_s: float,
) -> NemesisEvent:
    at = round(at_s, 3)
    if kind == "kill":
        return NemesisEvent(
            at, kind, worker=rng.choice(free_workers), for_s=round(rng.uniform(*KILL_RESTART_S), 3)
        )
    if kind == "pause":
        worker = rng.choice(free_workers)
        if rng.random() < STALE_PAUSE_SHARE:
            length = stuck_after_s + rng.uniform(*STALE_PAUSE_MARGIN_S)
        else:
            length = rng.uniform(*SHORT_PAUSE_S)
        return NemesisEvent(at, kind, worker=worker, for_s=round(length, 3))
    if kind == "faults":
        window = min(rng.uniform(*FAULT_WINDOW_S), duration_s - at_s)
        return NemesisEvent(at, kind, for_s=round(window, 3), faults=rng.choice(FAULT_SETS).name)
    return NemesisEvent(at, kind)
