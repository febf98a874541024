"""Jobs started ahead of their cases, so a parametrized scenario's waits overlap.

A case of a fault scenario spends most of its time idle: a stalled call costs each of a
job's three attempts the call timeout, and nothing else happens meanwhile. `JobsAhead`
starts the jobs of the next few cases of the same scenario when a case asks for its own,
each for a new user with its own fault rules and its own seeded profiles (the same ones the
case would draw itself), so while one case polls, the next ones' jobs are already running.
Each case still polls and checks its own job as one test; a case whose start failed gets
that error in its own test, not in the one that happened to start it.

How many jobs run ahead is the target's `jobs_ahead` (docs/decisions.md H32): the local
stack's `WORKER_CONCURRENCY`, and 1 (one job at a time, as before) on a deployed target,
whose queue may be invoked once a minute, unless `--jobs-ahead` says otherwise. With xdist a
worker may start jobs for cases another worker runs; those are waited for and removed with
the rest when the module ends.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Generic, Protocol, TypeVar

from fake_llm.control import FakeLLMControl
from harness.client import PlanJobs, SupabaseHttp
from harness.faults import ScenarioFake
from harness.history import History
from harness.profiles import ProfileFactory

CaseT = TypeVar("CaseT")


@dataclass(frozen=True)
class StartedJob:
    """A user of a case and the job started for them."""

    jobs: PlanJobs
    job_id: str


@dataclass(frozen=True)
class JobStart:
    """What a start function gets for one case: new signed-in users (`user()`), the fake for
    rules that match them, and the case's profiles (seeded by its test id)."""

    user: Callable[[], PlanJobs]
    fake: ScenarioFake
    profiles: ProfileFactory


StartJobs = Callable[[CaseT, JobStart], Sequence[StartedJob]]


@dataclass(frozen=True)
class Case(Generic[CaseT]):
    """One test of the scenario: its id (which seeds its profiles) and its parameter."""

    nodeid: str
    value: CaseT


def cases_of(items: Iterable[Any], module: ModuleType, param: str) -> list[Case[Any]]:
    """The tests of `module` among `items` (a session's selected tests, in run order) that
    are parametrized by `param`."""
    cases: list[Case[Any]] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        in_module = getattr(item, "module", None) is module
        if in_module and callspec is not None and param in callspec.params:
            cases.append(Case(str(item.nodeid), callspec.params[param]))
    if not cases:
        raise LookupError(f"no test of {module.__name__} is parametrized by {param!r}")
    return cases


class JobsAhead(Generic[CaseT]):
    """The jobs of one scenario's cases, started `window` at a time in the cases' order."""

    def __init__(
        self,
        cases: Sequence[Case[CaseT]],
        start_jobs: StartJobs[CaseT],
        *,
        window: int,
        wire: SupabaseHttp,
        control: FakeLLMControl,
        profiles_for: Callable[[str], ProfileFactory],
        await_end: Callable[[StartedJob, float], object],
        wait_budget_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        self._cases = list(cases)
        self._position = {case.nodeid: index for index, case in enumerate(self._cases)}
        self._start_jobs = start_jobs
        self._window = window
        self._wire = wire
        self._control = control
        self._profiles_for = profiles_for
        self._await_end = await_end  # (job, seconds left of the budget)
        self._wait_budget_s = wait_budget_s
        self._clock = clock
        self._started: dict[str, Sequence[StartedJob] | Exception] = {}
        self._handed: set[str] = set()  # cases whose test took its jobs (and polled them)
        self._users: list[PlanJobs] = []
        self._fakes: list[ScenarioFake] = []

    def jobs_for(self, nodeid: str) -> Sequence[StartedJob]:
        """This case's jobs, started now if they were not yet, with the next cases' behind them."""
        position = self._position.get(nodeid)
        if position is None:
            raise LookupError(f"{nodeid} is not one of the cases this JobsAhead was made for")
        for case in self._cases[position : position + self._window]:
            if case.nodeid not in self._started:
                self._started[case.nodeid] = self._start(case)
        started = self._started[nodeid]
        self._handed.add(nodeid)
        if isinstance(started, Exception):
            raise started
        return started

    def job_for(self, nodeid: str) -> StartedJob:
        """The one job of a case that starts one."""
        started = self.jobs_for(nodeid)
        if len(started) != 1:
            raise LookupError(f"{nodeid} started {len(started)} jobs, not one: use jobs_for")
        return started[0]

    def _new_user(self) -> PlanJobs:
        jobs = PlanJobs(self._wire, self._wire.new_session(), History())
        self._users.append(jobs)
        return jobs

    def _start(self, case: Case[CaseT]) -> Sequence[StartedJob] | Exception:
        fake = ScenarioFake(self._control)
        self._fakes.append(fake)
        try:
            return self._start_jobs(
                case.value, JobStart(self._new_user, fake, self._profiles_for(case.nodeid))
            )
        except Exception as error:  # kept for the case's own test, which raises it
            return error

    def close(self) -> None:
        """Wait for the jobs no case took (started for cases another xdist worker ran) to end,
        all of them within one wait budget (the poller's max wait), then remove the rules and
        the users. A case's own jobs were its test's to wait for; a job its test gave up on, or
        one still running when the budget is spent, is left as `make_user` leaves one: its
        user is removed."""
        deadline = self._clock() + self._wait_budget_s
        for nodeid, started in self._started.items():
            if nodeid in self._handed or isinstance(started, Exception):
                continue
            for job in started:
                left = deadline - self._clock()
                if left <= 0:
                    break
                with contextlib.suppress(Exception):  # a job the target lost must not stop the cleanup
                    self._await_end(job, left)
        for fake in self._fakes:
            fake.undo()
        for jobs in reversed(self._users):
            self._wire.delete_user(jobs.session.user_id)
        self._started.clear()


class JobsAheadFactory(Protocol):
    """The `jobs_ahead` fixture: `jobs_ahead(start_jobs, param="case")`."""

    def __call__(self, start_jobs: StartJobs[CaseT], *, param: str) -> JobsAhead[CaseT]: ...
