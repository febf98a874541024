"""The schedule: the same seed and settings give the same schedule; it keeps its own rules."""

from __future__ import annotations

import itertools
import json
from collections import Counter

import pytest

from harness.chaos.schedule import (
    DB_RESTART_GAP_S,
    FAULT_SETS,
    FAULT_SETS_BY_NAME,
    ChaosSchedule,
    NemesisEvent,
    plan_schedule,
)
from harness.chaos.settings import NEMESES

STUCK_AFTER_S = 3.0


def _schedule(seed: int = 7, nemeses: tuple[str, ...] = NEMESES, **changes: float) -> ChaosSchedule:
    settings: dict[str, float] = {"duration_s": 60, "jobs": 300, "users": 40, "workers": 3, **changes}
    return plan_schedule(
        seed=seed,
        duration_s=settings["duration_s"],
        jobs=int(settings["jobs"]),
        users=int(settings["users"]),
        workers=int(settings["workers"]),
        nemeses=nemeses,
        stuck_after_s=STUCK_AFTER_S,
    )


def test_the_same_seed_replays_the_same_schedule() -> None:
    assert _schedule(7) == _schedule(7)
    assert _schedule(7).dumps() == _schedule(7).dumps()
    assert _schedule(7) != _schedule(8)


def test_the_schedule_is_written_as_plain_json() -> None:
    schedule = _schedule(3)
    data = json.loads(schedule.dumps())
    assert data["seed"] == 3 and data["nemeses"] == list(NEMESES)
    assert len(data["user_ops"]) == len(schedule.user_ops)
    assert data["nemesis_events"][0] == {
        "at_s": schedule.nemesis_events[0].at_s,
        "kind": schedule.nemesis_events[0].kind,
        "worker": schedule.nemesis_events[0].worker,
        "for_s": schedule.nemesis_events[0].for_s,
        "faults": schedule.nemesis_events[0].faults,
    }


def test_user_operations_fill_the_run_in_time_order() -> None:
    schedule = _schedule(11)
    actions = Counter(op.action for op in schedule.user_ops)
    assert actions["create"] + actions["regenerate"] == 300
    assert 0.15 < actions["regenerate"] / 300 < 0.35
    assert actions["cancel"] > 0 and actions["read"] > 0
    times = [op.at_s for op in schedule.user_ops]
    assert times == sorted(times) and times[0] >= 0 and times[-1] <= 60
    assert {op.user for op in schedule.user_ops} <= set(range(40))


@pytest.mark.parametrize("seed", range(12))
def test_the_nemesis_keeps_a_worker_working_and_its_parts_apart(seed: int) -> None:
    schedule = _schedule(seed)
    events = schedule.nemesis_events
    assert events and all(0.5 <= e.at_s < 60 - 0.5 for e in events)
    assert [e.at_s for e in events] == sorted(e.at_s for e in events)
    down: list[tuple[float, float, int]] = []  # (from, to, worker)
    for event in events:
        if event.kind in ("kill", "pause"):
            assert event.worker is not None and 0 <= event.worker < 3
            busy = {w for start, end, w in down if start <= event.at_s < end}
            assert event.worker not in busy, f"{event} acts on a worker that is down"
            assert len(busy) < 2, f"{event} would leave no worker working"
            down.append((event.at_s, event.at_s + event.for_s + 0.2, event.worker))
    restarts = [e.at_s for e in events if e.kind == "db-restart"]
    assert all(b - a >= DB_RESTART_GAP_S for a, b in itertools.pairwise(restarts))
    windows = [(e.at_s, e.at_s + e.for_s) for e in events if e.kind == "faults"]
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(windows))
    assert all(e.faults in FAULT_SETS_BY_NAME for e in events if e.kind == "faults")


def test_pauses_are_mostly_long_enough_to_make_a_stale_worker() -> None:
    pauses = [e for seed in range(20) for e in _schedule(seed).nemesis_events if e.kind == "pause"]
    stale = [e for e in pauses if e.for_s > STUCK_AFTER_S]
    assert pauses and 0.5 < len(stale) / len(pauses) < 0.9


def test_only_the_chosen_nemeses_are_scheduled() -> None:
    kinds = {e.kind for e in _schedule(5, nemeses=("kill", "faults")).nemesis_events}
    assert kinds == {"kill", "faults"}
    assert _schedule(5, nemeses=()).nemesis_events == ()
    # the users do the same whatever the nemesis does: a run without faults is the baseline
    assert _schedule(5, nemeses=()).user_ops == _schedule(5).user_ops


def test_an_unknown_nemesis_is_refused() -> None:
    with pytest.raises(ValueError, match="flood"):
        _schedule(nemeses=("kill", "flood"))


def test_every_event_describes_itself_for_the_printout() -> None:
    lines = _schedule(2).describe()
    assert lines[0].startswith("schedule (seed 2): 60 s, 40 users")
    assert len(lines) == 2 + len(_schedule(2).nemesis_events)
    assert "kill -9 worker 1" in NemesisEvent(1.0, "kill", worker=1, for_s=0.5).describe()
    assert FAULT_SETS[0].name in NemesisEvent(1.0, "faults", for_s=2, faults=FAULT_SETS[0].name).describe()
