"""The results model of a run: what `results.json` holds and `report.html` is drawn from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.checkers import CheckResult
from harness.poller import PollOutcome

Outcome = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


SCENARIOS_FOLDER = "scenarios"


SCENARIO_KEYWORD = "conformance_scenario"


def is_scenario_path(path: Path) -> bool:
    """Whether a test module is a conformance scenario (under a `scenarios` folder, in the
    checkout or in the installed package); the project's unit tests are not conformance areas."""
    return SCENARIOS_FOLDER in path.resolve().parts[:-1]


def is_scenario(keywords: Mapping[str, object]) -> bool:
    """Whether a test report is a scenario's: collection marks them with `SCENARIO_KEYWORD`
    (a report's node id alone cannot tell: `--pyargs` runs name modules relative to the package)."""
    return SCENARIO_KEYWORD in keywords


def area_of(nodeid: str) -> str:
    """The conformance area of a test: `.../scenarios/http/test_error_codes.py::x` -> `error_codes`."""
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
    return module.removeprefix("test_") or module


class ScenarioResult(_Record):
    nodeid: str
    area: str
    outcome: Outcome
    duration_seconds: float = 0.0
    reason: str | None = Field(default=None, description="skip or xfail reason, or failure text")


class JobTransition(_Record):
    at_seconds: float
    status: str
    retry_count: int = 0
    error_code: str | None = None


class JobTimeline(_Record):
    """One job as a poller saw it."""

    job_id: str
    test: str | None = None
    transitions: list[JobTransition]
    final_status: str
    error_code: str | None = None
    ui_state: str | None = None
    duration_seconds: float | None = None

    @classmethod
    def from_poll_outcome(cls, outcome: PollOutcome, test: str | None = None) -> JobTimeline:
        last = outcome.last_snapshot
        return cls(
            job_id=outcome.job_id,
            test=test,
            transitions=[
                JobTransition(
                    at_seconds=t.at_seconds,
                    status=t.to_status,
                    retry_count=t.retry_count,
                    error_code=t.error_code,
                )
                for t in outcome.transitions
            ],
            final_status=last.status if last else "unknown",
            error_code=last.error_code if last else None,
            ui_state=outcome.ui_state.value,
            duration_seconds=outcome.duration_seconds,
        )


class CheckSummary(_Record):
    name: str
    valid: bool | Literal["unknown"]
    details: dict[str, Any] = {}

    @classmethod
    def from_composed(cls, composed: CheckResult) -> list[CheckSummary]:
        """One summary per checker of a `harness.checkers.compose(...)` result."""
        summaries = []
        for name, result in composed.details.items():
            details = {key: value for key, value in result.items() if key != "valid"}
            summaries.append(cls(name=name, valid=result["valid"], details=details))
        return summaries


class NemesisBand(_Record):
    """A fault the nemesis held from `start_s` to `end_s` (seconds since the chaos run began)."""

    kind: str
    label: str
    start_s: float
    end_s: float


class ChaosPoint(_Record):
    """The jobs of a chaos run in one time bucket: active at its start, and how many reached
    each terminal status in it (as the run saw them)."""

    at_s: float
    active: int
    completed: int = 0
    failed: int = 0
    cancelled: int = 0


class ChaosFigures(_Record):
    """What a chaos run counts (docs/chaos.md): the violations, then what it measured."""

    lost_jobs: int = 0
    double_claims: int = 0
    claims_over_limit: int = 0
    late_writes_accepted: int = 0
    late_writes_refused: int = 0
    invalid_plans_saved: int = 0
    undocumented_error_codes: int = 0
    other_violations: int = 0
    job_requests: int = 0
    jobs_created: int = 0
    jobs_completed: int = 0
    jobs_failed: int = 0
    jobs_cancelled: int = 0
    claims_seen: int = 0
    active_when_nemesis_stopped: int = 0
    time_to_terminal_p50_s: float | None = None
    time_to_terminal_p99_s: float | None = None
    time_to_terminal_max_s: float | None = None
    nemesis_events: dict[str, int] = {}

    @property
    def violations(self) -> int:
        return (
            self.lost_jobs
            + self.double_claims
            + self.claims_over_limit
            + self.late_writes_accepted
            + self.invalid_plans_saved
            + self.undocumented_error_codes
            + self.other_violations
        )


class ChaosSummary(_Record):
    """One chaos run (`plan-chaos`, or a chaos scenario): figures, verdict and its timeline."""

    name: str
    target: str
    seed: int
    duration_s: float
    nemeses: list[str]
    refused_nemeses: dict[str, str] = {}
    valid: bool | Literal["unknown"]
    figures: ChaosFigures
    bands: list[NemesisBand] = []
    series: list[ChaosPoint] = []
    nemesis_stopped_at_s: float | None = None
    ended_at_s: float = 0.0
    replay: str = ""
    history_file: str | None = Field(default=None, description="the history, relative to the report")


class RunResults(_Record):
    """Everything a run reports. `estimator` is `EstimatorSuggestion.as_dict()`."""

    run_id: str
    target: str
    seed: int | None = None
    started_at: datetime
    finished_at: datetime | None = None
    environment: dict[str, str] = {}
    scenarios: list[ScenarioResult] = []
    jobs: list[JobTimeline] = []
    checks: list[CheckSummary] = []
    estimator: dict[str, Any] | None = None
    chaos: list[ChaosSummary] = []

    @field_validator("run_id")
    @classmethod
    def _run_id_is_a_folder_name(cls, run_id: str) -> str:
        if not _RUN_ID.match(run_id) or run_id == "latest":
            raise ValueError(
                "run_id must be one folder name of letters, digits, '.', '_' or '-' "
                f"(and not 'latest'), got {run_id!r}"
            )
        return run_id
