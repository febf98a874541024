"""The nemesis: plays a schedule's events against a target, in the calling thread, and heals.

Every action is an operation in the history, of the process `nemesis-worker-N`,
`nemesis-db`, `nemesis-fake` or `nemesis-faults` (`nemesis` for the heal): `invoke` before
it, `ok` once its effect is over (a killed worker is dead at once; a started worker, a
restarted database or fake when they serve again, waited for on a thread of its own so the
schedule keeps its times), with what it did (the pid, the fault set), or `info` with the
error when it could not be done. The actions: `kill` (SIGKILL to a worker's process group) and later
`start-worker`; `pause` (SIGSTOP) and later `resume` (SIGCONT); `db-restart`;
`fake-restart` (the running fault set is switched on again on the new fake); `faults-on`
and later `faults-off`. An action on a part still coming back (a worker starting, the
database recovering) waits until it is back. `heal()` ends every fault still running at once:
it clears the fault rules, resumes paused workers and starts killed ones; `settle()` waits
until they serve.

It runs in the run's main thread because the processes it starts must outlive the thread
that started them (they get a signal when it ends).
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fake_llm.control import FakeLLMControl
from harness.chaos.schedule import FAULT_SETS_BY_NAME, FaultSet, NemesisEvent
from harness.chaos.targets import Begun, ChaosTarget
from harness.history import History, Op

PROCESS = "nemesis"
# a worker that exits before it serves is started again after 1 s, then 2 s, 4 s, 4 s, ...
RETRY_AFTER_S = 1.0
RETRY_MAX_S = 4.0
TICK_S = 0.05


@dataclass(frozen=True)
class _Action:
    f: str
    worker: int | None = None
    faults: str | None = None
    for_s: float = 0.0


def _first_actions(events: Iterable[NemesisEvent]) -> list[tuple[float, _Action]]:
    names = {"kill": "kill", "pause": "pause", "db-restart": "db-restart", "fake-restart": "fake-restart"}
    return [
        (event.at_s, _Action(names.get(event.kind, "faults-on"), event.worker, event.faults, event.for_s))
        for event in events
    ]


class Nemesis:
    """Breaks the target on schedule; `run(until_s)` then `heal()`."""

    def __init__(
        self,
        target: ChaosTarget,
        history: History,
        events: Iterable[NemesisEvent],
        *,
        elapsed_s: Callable[[], float],
        stop: threading.Event,
    ) -> None:
        self.target = target
        self.history = history
        self.elapsed_s = elapsed_s
        self.stop = stop
        self._order = itertools.count()
        self._queue: list[tuple[float, int, _Action]] = []
        for at_s, action in _first_actions(events):
            heapq.heappush(self._queue, (at_s, next(self._order), action))
        self._control: FakeLLMControl | None = None
        self._faults: FaultSet | None = None
        self._faults_lock = threading.Lock()
        self._settling: list[tuple[str, threading.Thread]] = []
        self._settling_lanes: set[str] = set()
        self._retries: queue.SimpleQueue[_Action] = queue.SimpleQueue()
        self._failed_starts: dict[int, int] = {}

    def run(self, until_s: float) -> None:
        """Play every action due before `until_s` (or until `stop` is set)."""
        while not self.stop.is_set():
            while not self._retries.empty():
                action = self._retries.get()
                failures = self._failed_starts.get(action.worker or 0, 1)
                delay = min(RETRY_MAX_S, RETRY_AFTER_S * 2 ** (failures - 1))
                heapq.heappush(self._queue, (self.elapsed_s() + delay, next(self._order), action))
            now = self.elapsed_s()
            if now >= until_s:
                return
            if self._queue and self._queue[0][0] <= now:
                _, _, action = heapq.heappop(self._queue)
                if lane_of(action) in self._settling_lanes:  # that part is still coming back
                    heapq.heappush(self._queue, (now + TICK_S, next(self._order), action))
                    self.stop.wait(TICK_S)
                    continue
                follow_up = self._play(action)
                if follow_up is not None:
                    heapq.heappush(
                        self._queue, (self.elapsed_s() + action.for_s, next(self._order), follow_up)
                    )
                continue
            next_at = min(self._queue[0][0] if self._queue else until_s, until_s)
            self.stop.wait(min(TICK_S, max(0.0, next_at - now)))

    def heal(self) -> None:
        """End every fault still in force, at once: clear the fault rules, wait for a database
        restart under way to be over, resume paused workers and start killed ones (recorded as
        `faults-off` and `heal`). The nemesis has stopped when it returns; `settle()` then
        waits for every part to serve again."""
        self._queue.clear()
        with self._faults_lock:
            if self._faults is not None:
                self._record(_Action("faults-off", faults=self._faults.name), self._faults_off)
        for lane, thread in self._settling:
            if lane == f"{PROCESS}-db":
                thread.join()
        self._record(_Action("heal"), lambda: Begun({"done": self.target.heal_processes()}))

    def settle(self) -> None:
        """Wait until every part the nemesis touched serves again."""
        for _, thread in self._settling:
            thread.join()
        self.target.wait_serving()
        if self._control is not None:
            self._control.close()
            self._control = None

    def _play(self, action: _Action) -> _Action | None:
        """Do one action; the action that ends it, if any."""
        worker = action.worker
        if action.f == "kill":
            assert worker is not None
            if self._record(action, lambda: self.target.kill_worker(worker)):
                return _Action("start-worker", worker)
        elif action.f == "start-worker":
            assert worker is not None
            self._record(action, lambda: self.target.start_worker(worker))
        elif action.f == "pause":
            assert worker is not None
            if self._record(action, lambda: self.target.pause_worker(worker)):
                return _Action("resume", worker)
        elif action.f == "resume":
            assert worker is not None
            self._record(action, lambda: self.target.resume_worker(worker))
        elif action.f == "db-restart":
            self._record(action, self.target.restart_database)
        elif action.f == "fake-restart":
            self._record(action, self.target.restart_fake, then=self._after_fake_restart)
        elif action.f == "faults-on":
            assert action.faults is not None
            fault_set = FAULT_SETS_BY_NAME[action.faults]
            with self._faults_lock:
                if self._record(action, lambda: self._faults_on(fault_set)):
                    return _Action("faults-off", faults=action.faults)
        elif action.f == "faults-off":
            with self._faults_lock:
                self._record(action, self._faults_off)
        return None

    def _record(
        self, action: _Action, act: Callable[[], Begun], then: Callable[[], dict[str, Any]] | None = None
    ) -> bool:
        """Invoke, act, and complete at once; or, for an action that takes time, complete from
        a thread of its own when its effect is over (then run `then`)."""
        value: dict[str, Any] = {}
        if action.worker is not None:
            value["worker"] = action.worker
        if action.faults is not None:
            value["faults"] = action.faults
        if action.for_s:
            value["for_s"] = action.for_s
        invocation = self.history.invoke(action.f, value, lane_of(action))
        started = time.monotonic()
        try:
            begun = act()
        except Exception as error:
            self.history.complete(invocation, "info", {**value, "error": f"{type(error).__name__}: {error}"})
            return False
        if begun.settle is None:
            took = round(time.monotonic() - started, 3)
            self.history.complete(invocation, "ok", {**value, **begun.done, "took_s": took})
            return True
        settle = begun.settle
        self._settling_lanes.add(invocation.process if isinstance(invocation.process, str) else "")
        thread = threading.Thread(
            target=self._settle,
            args=(action, invocation, {**value, **begun.done}, settle, started, then),
            name=f"chaos-{action.f}",
            daemon=True,
        )
        self._settling.append((lane_of(action), thread))
        thread.start()
        return True

    def _settle(
        self,
        action: _Action,
        invocation: Op,
        value: dict[str, Any],
        settle: Callable[[], dict[str, Any]],
        started: float,
        then: Callable[[], dict[str, Any]] | None,
    ) -> None:
        try:
            done = settle()
            if then is not None:
                done |= then()
        except Exception as error:
            self._settling_lanes.discard(lane_of(action))
            self.history.complete(invocation, "info", {**value, "error": f"{type(error).__name__}: {error}"})
            if action.f == "start-worker" and not self.stop.is_set():
                # e.g. it found the database down: start it again later, as a supervisor would
                assert action.worker is not None
                self._failed_starts[action.worker] = self._failed_starts.get(action.worker, 0) + 1
                self._retries.put(action)
            return
        if action.f == "start-worker" and action.worker is not None:
            self._failed_starts.pop(action.worker, None)
        self._settling_lanes.discard(lane_of(action))
        took = round(time.monotonic() - started, 3)
        self.history.complete(invocation, "ok", {**value, **done, "took_s": took})

    def _fake(self) -> FakeLLMControl:
        if self._control is None:
            control = self.target.fake_control()
            if control is None:
                raise RuntimeError(self.target.support().get("faults") or "no fake DeepSeek to control")
            self._control = control
        return self._control

    def _faults_on(self, fault_set: FaultSet) -> Begun:
        control = self._fake()
        if fault_set.preset is not None:
            rules = control.load_preset(fault_set.preset, replace=True)
        else:
            control.clear_faults()
            rules = [control.add_fault(rule) for rule in fault_set.rules]
        self._faults = fault_set
        return Begun({"rules": len(rules)})

    def _faults_off(self) -> Begun:
        self._faults = None
        self._fake().clear_faults()
        return Begun({})

    def _after_fake_restart(self) -> dict[str, Any]:
        """The new fake starts without rules: switch the running fault set on again."""
        with self._faults_lock:
            if self._control is not None:  # its pooled connections went to the old process
                self._control.close()
                self._control = None
            if self._faults is None:
                return {}
            return {"faults_again": self._faults.name, **self._faults_on(self._faults).done}


def lane_of(action: _Action) -> str:
    """The history process of an action: one per worker, the database, the fake, the faults."""
    if action.worker is not None:
        return f"{PROCESS}-worker-{action.worker}"
    return {
        "db-restart": f"{PROCESS}-db",
        "fake-restart": f"{PROCESS}-fake",
        "faults-on": f"{PROCESS}-faults",
        "faults-off": f"{PROCESS}-faults",
    }.get(action.f, PROCESS)
