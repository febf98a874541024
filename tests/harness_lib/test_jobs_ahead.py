"""JobsAhead: which cases' jobs are started when, whose test sees a failed start, and the cleanup."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from harness.jobs_ahead import Case, JobsAhead, JobStart, StartedJob, cases_of
from harness.profiles import ProfileFactory
from tests.harness_lib.fakes import FakeClock


@dataclass
class _Session:
    user_id: str


@dataclass
class _Wire:
    """What JobsAhead asks of the Supabase client: new users, and their removal."""

    events: list[str]
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def new_session(self) -> _Session:
        self.created.append(f"user-{len(self.created)}")
        return _Session(self.created[-1])

    def delete_user(self, user_id: str) -> None:
        self.deleted.append(user_id)
        self.events.append(f"deleted {user_id}")


@dataclass
class _Control:
    """The fake DeepSeek's rules, as ids."""

    rules: list[str] = field(default_factory=list)

    def add_fault(self, rule: dict[str, Any]) -> str:
        user = str(rule["match"]["user"])
        self.rules.append(user)
        return user

    def delete_fault(self, rule_id: str) -> None:
        self.rules.remove(rule_id)


@dataclass
class _Harness:
    events: list[str] = field(default_factory=list)  # waits and deletions, in order
    control: _Control = field(default_factory=_Control)
    started: list[str] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.wire = _Wire(self.events)

    def start(self, case: str, start: JobStart) -> list[StartedJob]:
        if case in self.failing:
            raise RuntimeError(f"create-plan-job answered 500 for {case}")
        jobs = start.user()
        start.fake.add_fault({"match": {"user": jobs.session.user_id}, "action": {"type": "hang"}})
        self.started.append(case)
        return [StartedJob(jobs, f"job-{case}")]

    def ahead(self, names: list[str], window: int) -> JobsAhead[str]:
        return JobsAhead(
            [Case(f"test.py::t[{name}]", name) for name in names],
            self.start,
            window=window,
            wire=self.wire,  # type: ignore[arg-type]
            control=self.control,  # type: ignore[arg-type]
            profiles_for=lambda nodeid: ProfileFactory(len(nodeid)),
            await_end=lambda job, left_s: self.events.append(f"waited {job.job_id}"),
            wait_budget_s=60.0,
        )


def test_a_case_starts_its_own_job_and_the_next_ones_up_to_the_window() -> None:
    harness = _Harness()
    ahead = harness.ahead(["a", "b", "c", "d", "e"], window=3)

    first = ahead.job_for("test.py::t[a]")

    assert first.job_id == "job-a"
    assert harness.started == ["a", "b", "c"]
    assert ahead.job_for("test.py::t[b]").job_id == "job-b"
    assert harness.started == ["a", "b", "c", "d"], "each case keeps the window full, starting nothing twice"


def test_a_window_of_one_starts_each_job_when_its_case_asks() -> None:
    harness = _Harness()
    ahead = harness.ahead(["a", "b"], window=1)

    ahead.job_for("test.py::t[a]")

    assert harness.started == ["a"]


def test_a_failed_start_is_raised_in_its_own_case_only() -> None:
    harness = _Harness(failing={"b"})
    ahead = harness.ahead(["a", "b", "c"], window=3)

    assert ahead.job_for("test.py::t[a]").job_id == "job-a"
    with pytest.raises(RuntimeError, match="500 for b"):
        ahead.job_for("test.py::t[b]")
    assert ahead.job_for("test.py::t[c]").job_id == "job-c"


def test_close_waits_only_for_jobs_no_case_took_then_removes_rules_and_users() -> None:
    harness = _Harness()
    ahead = harness.ahead(["a", "b", "c"], window=2)
    ahead.job_for("test.py::t[a]")  # its test polls it; b's was started for a case run elsewhere

    ahead.close()

    assert harness.events == ["waited job-b", "deleted user-1", "deleted user-0"], (
        "the job no case took is waited for before any user is removed; a case's own job is not"
    )
    assert harness.control.rules == []
    assert sorted(harness.wire.deleted) == sorted(harness.wire.created)


def test_a_case_it_was_not_made_for_is_named() -> None:
    ahead = _Harness().ahead(["a"], window=2)

    with pytest.raises(LookupError, match=r"test.py::t\[z\] is not one of the cases"):
        ahead.job_for("test.py::t[z]")


def test_job_for_refuses_a_case_with_several_jobs() -> None:
    harness = _Harness()

    def two(case: str, start: JobStart) -> list[StartedJob]:
        return [StartedJob(start.user(), f"{case}-{n}") for n in range(2)]

    ahead = JobsAhead(
        [Case("t[a]", "a")],
        two,
        window=1,
        wire=harness.wire,  # type: ignore[arg-type]
        control=harness.control,  # type: ignore[arg-type]
        profiles_for=lambda nodeid: ProfileFactory(1),
        await_end=lambda job, left_s: None,
        wait_budget_s=60.0,
    )

    assert [job.job_id for job in ahead.jobs_for("t[a]")] == ["a-0", "a-1"]
    with pytest.raises(LookupError, match="started 2 jobs, not one"):
        ahead.job_for("t[a]")


def test_the_window_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="window must be at least 1, got 0"):
        _Harness().ahead(["a"], window=0)


def test_the_cases_are_the_modules_selected_tests_taking_the_parameter_in_run_order() -> None:
    module, other = ModuleType("scenarios.test_x"), ModuleType("scenarios.test_y")
    items = [
        SimpleNamespace(nodeid="x::t[b]", module=module, callspec=SimpleNamespace(params={"case": "b"})),
        SimpleNamespace(nodeid="y::t[a]", module=other, callspec=SimpleNamespace(params={"case": "a"})),
        SimpleNamespace(nodeid="x::plain", module=module),
        SimpleNamespace(nodeid="x::u[1]", module=module, callspec=SimpleNamespace(params={"other": 1})),
        SimpleNamespace(nodeid="x::t[a]", module=module, callspec=SimpleNamespace(params={"case": "a"})),
    ]

    cases = cases_of(items, module, "case")

    assert [(case.nodeid, case.value) for case in cases] == [("x::t[b]", "b"), ("x::t[a]", "a")]
    with pytest.raises(LookupError, match=r"no test of scenarios\.test_x is parametrized by 'missing'"):
        cases_of(items, module, "missing")


def test_the_jobs_no_case_took_share_one_wait_budget() -> None:
    clock = FakeClock()
    waits: list[tuple[str, float]] = []

    def slow_end(job: StartedJob, left_s: float) -> None:
        waits.append((job.job_id, left_s))
        clock.sleep(min(left_s, 40.0))  # each job takes 40 s to end, or the time left

    harness = _Harness()
    ahead = JobsAhead(
        [Case(f"t[{name}]", name) for name in "abcd"],
        harness.start,
        window=4,
        wire=harness.wire,  # type: ignore[arg-type]
        control=harness.control,  # type: ignore[arg-type]
        profiles_for=lambda nodeid: ProfileFactory(1),
        await_end=slow_end,
        wait_budget_s=60.0,
        clock=clock,
    )
    ahead.job_for("t[a]")

    ahead.close()

    assert waits == [("job-b", 60.0), ("job-c", 20.0)], "the budget is shared, not 60 s per job"
    assert sorted(harness.wire.deleted) == sorted(harness.wire.created), "every user is removed anyway"
