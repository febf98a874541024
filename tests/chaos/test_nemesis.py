"""The nemesis: plays the schedule on time, ends what it began, waits for parts coming back,
starts again a worker that died while starting, refuses what the target cannot do, heals."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest

from harness.chaos.nemesis import Nemesis
from harness.chaos.runner import resolve_nemeses
from harness.chaos.schedule import NemesisEvent
from harness.chaos.settings import NEMESES, ChaosSettingsError
from harness.chaos.targets import Begun, ChaosTarget, DeployedChaosTarget
from harness.client import ApiKeys
from harness.history import History


class ScriptedTarget(ChaosTarget):
    """Records what the nemesis did; starts and restarts take `settle_s` on another thread."""

    label = "scripted"

    def __init__(self, *, settle_s: float = 0.0, failing_starts: int = 0) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.settle_s = settle_s
        self.failing_starts = failing_starts

    url = "http://127.0.0.1:1"
    keys = ApiKeys("anon-key-for-tests", "service-key-for-tests")
    database_dsn = "dbname=none"

    def support(self) -> Mapping[str, str | None]:
        return dict.fromkeys(NEMESES)

    def _settle(self, what: str) -> dict[str, Any]:
        time.sleep(self.settle_s)
        if what == "start" and self.failing_starts:
            self.failing_starts -= 1
            raise RuntimeError("the database is down")
        self.calls.append((f"{what} settled", None))
        return {}

    def kill_worker(self, worker: int) -> Begun:
        self.calls.append(("kill", worker))
        return Begun({"pid": 100 + worker})

    def start_worker(self, worker: int) -> Begun:
        self.calls.append(("start", worker))
        return Begun({"pid": 200 + worker}, settle=lambda: self._settle("start"))

    def pause_worker(self, worker: int) -> Begun:
        self.calls.append(("pause", worker))
        return Begun({})

    def resume_worker(self, worker: int) -> Begun:
        self.calls.append(("resume", worker))
        return Begun({})

    def restart_database(self) -> Begun:
        self.calls.append(("db-restart", None))
        return Begun({}, settle=lambda: self._settle("db"))

    def heal_processes(self) -> list[dict[str, Any]]:
        self.calls.append(("heal", None))
        return [{"resumed": 0}]


def _play(target: ScriptedTarget, events: list[NemesisEvent], until_s: float) -> History:
    history = History()
    started = time.monotonic()
    nemesis = Nemesis(
        target, history, events, elapsed_s=lambda: time.monotonic() - started, stop=threading.Event()
    )
    nemesis.run(until_s)
    nemesis.heal()
    nemesis.settle()
    return history


def test_actions_happen_on_time_and_are_ended_after_their_length() -> None:
    target = ScriptedTarget()
    history = _play(
        target,
        [NemesisEvent(0.05, "kill", worker=1, for_s=0.1), NemesisEvent(0.08, "pause", worker=0, for_s=0.05)],
        until_s=0.4,
    )

    assert [c for c in target.calls if not c[0].endswith("settled")] == [
        ("kill", 1),
        ("pause", 0),
        ("resume", 0),
        ("start", 1),
        ("heal", None),
    ]
    done = {op.f: op for op in history if op.type == "ok"}
    assert done["kill"].process == "nemesis-worker-1" and done["kill"].value["pid"] == 101
    assert done["kill"].time / 1e9 >= 0.05
    assert done["start-worker"].time - done["kill"].time >= 0.1e9  # after the kill's length
    assert done["heal"].value["done"] == [{"resumed": 0}]


def test_an_action_on_a_part_coming_back_waits_for_it() -> None:
    target = ScriptedTarget(settle_s=0.2)
    history = _play(target, [NemesisEvent(0.02, "db-restart"), NemesisEvent(0.05, "db-restart")], until_s=0.6)

    restarts = [op for op in history if op.f == "db-restart"]
    assert [op.type for op in restarts] == ["invoke", "ok", "invoke", "ok"]
    assert restarts[2].time > restarts[1].time  # the second waited for the first to be back
    assert restarts[1].value["took_s"] >= 0.2


def test_a_worker_that_dies_while_starting_is_started_again() -> None:
    target = ScriptedTarget(failing_starts=1)
    history = _play(target, [NemesisEvent(0.02, "kill", worker=2, for_s=0.01)], until_s=1.6)

    starts = [op for op in history if op.f == "start-worker" and op.type != "invoke"]
    assert [op.type for op in starts] == ["info", "ok"]
    assert "the database is down" in starts[0].value["error"]


def test_an_action_the_target_cannot_do_is_recorded_as_info() -> None:
    deployed = DeployedChaosTarget(
        url="http://127.0.0.1:1", keys=ApiKeys("a" * 8), database_dsn="dbname=x", fake=None, service_log=None
    )
    history = History()
    started = time.monotonic()
    nemesis = Nemesis(
        deployed,
        history,
        [NemesisEvent(0.0, "kill", worker=0, for_s=1)],
        elapsed_s=lambda: time.monotonic() - started,
        stop=threading.Event(),
    )
    nemesis.run(0.1)

    (failed,) = [op for op in history if op.type == "info"]
    assert "not processes this run started" in failed.value["error"]


def test_deployed_targets_refuse_the_nemeses_they_cannot_do_with_the_reason() -> None:
    support = DeployedChaosTarget(
        url="http://127.0.0.1:1", keys=ApiKeys("a" * 8), database_dsn="dbname=x", fake=None, service_log=None
    ).support()

    assert resolve_nemeses(None, support) == ((), {name: str(support[name]) for name in NEMESES})
    with pytest.raises(
        ChaosSettingsError, match=r"--nemesis: this target cannot do kill \(the target's workers"
    ):
        resolve_nemeses(("kill", "faults"), support)
    assert resolve_nemeses(("kill",), dict.fromkeys(NEMESES)) == (
        ("kill",),
        {name: "not asked for" for name in NEMESES if name != "kill"},
    )
