"""The run's reports as a pytest plugin: `reports/<run>/{junit.xml, results.json, report.html}`
and `reports/latest`.

Registered in the controlling process only (with xdist, workers' reports arrive here), and
only for a run that may collect scenarios; it reports the scenarios alone (`is_scenario`).
`FailureRedactor`, registered for every run, scrubs failure text and captured output.
Scenarios add job timelines, estimator samples, checker verdicts and chaos runs as user
properties (`record_job_outcome`, `record_check`, `record_chaos`); a chaos run's folder
(its history, schedule, figures and logs, on this machine) is copied to
`reports/<run>/chaos-<n>/`. The terminal summary prints the conformance matrix. Every file
passes through the redactor: no key, token or password is written.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harness.checkers import CheckResult
from harness.estimator import DurationEstimator
from harness.poller import PollOutcome
from harness.redact import Redactor
from harness.report import (
    CheckSummary,
    JobTimeline,
    RunResults,
    ScenarioResult,
    area_of,
    conformance_matrix,
    is_scenario,
    redact_file,
    render_matrix_text,
    skip_summary,
    write_report,
)
from harness.report.model import ChaosSummary, Outcome

TIMELINE_PROPERTY = "plan_job_timeline"
DURATION_PROPERTY = "plan_job_duration"
CHECK_PROPERTY = "conformance_check"
CHAOS_PROPERTY = "chaos_run"


def record_job_outcome(node: pytest.Item, outcome: PollOutcome) -> None:
    """Attach a polled job's timeline (and its duration, for the estimator) to the test."""
    node.user_properties.append(
        (TIMELINE_PROPERTY, JobTimeline.from_poll_outcome(outcome, test=node.nodeid).model_dump_json())
    )
    job = outcome.last_snapshot
    if job is not None and job.status == "completed" and outcome.duration_seconds is not None:
        profile = job.input.get("profile", {}) if isinstance(job.input, Mapping) else {}
        features = {
            "mealCount": float(profile.get("mealCount", 0)),
            "trainingDaysPerWeek": float(profile.get("trainingDaysPerWeek", 0)),
            "attempts": float(job.retry_count + 1),
        }
        node.user_properties.append(
            (DURATION_PROPERTY, json.dumps({"features": features, "seconds": outcome.duration_seconds}))
        )


def record_check(node: pytest.Item, composed: CheckResult) -> None:
    """Attach a composed checker verdict (Jepsen-style) to the test."""
    summaries = [summary.model_dump(mode="json") for summary in CheckSummary.from_composed(composed)]
    node.user_properties.append((CHECK_PROPERTY, json.dumps(summaries, default=str)))


def record_chaos(node: pytest.Item, summary: ChaosSummary, folder: Path) -> None:
    """Attach a chaos run's summary, and where its folder is, to the test."""
    payload = {"summary": summary.model_dump(mode="json"), "folder": str(folder)}
    node.user_properties.append((CHAOS_PROPERTY, json.dumps(payload)))


def new_run_id() -> str:
    """Sortable and unique enough for one machine: UTC time to the millisecond."""
    now = datetime.now(UTC)
    return f"{now:%Y%m%d-%H%M%S}-{now.microsecond // 1000:03d}"


class FailureRedactor:
    """Scrubs failure text and captured output of every test before the terminal, junit.xml
    or the report see them (this hook runs first)."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason) stays a tuple
            path, line, reason = report.longrepr
            report.longrepr = (path, line, self.redactor.text(reason))
        elif report.longrepr is not None:
            text = str(report.longrepr)
            clean = self.redactor.text(text)
            if clean != text:
                report.longrepr = clean
        report.sections = [(title, self.redactor.text(content)) for title, content in report.sections]


class ConformanceReporter:
    """Collects outcomes and properties; writes the reports at the end of the session."""

    def __init__(
        self,
        *,
        run_id: str,
        report_dir: Path,
        target: str,
        seed: int,
        redactor: Redactor,
        environment: Mapping[str, str],
        max_skipped_percent: float | None = None,
    ) -> None:
        self.run_id = run_id
        self.report_dir = report_dir
        self.target = target
        self.seed = seed
        self.redactor = redactor
        self.environment = dict(environment)
        self.max_skipped_percent = max_skipped_percent
        self.too_many_skipped: str | None = None
        self.started_at = datetime.now(UTC)
        self.scenarios: dict[str, ScenarioResult] = {}
        self.jobs: list[JobTimeline] = []
        self.checks: list[CheckSummary] = []
        self.chaos: list[tuple[ChaosSummary, Path]] = []
        self.estimator = DurationEstimator()
        self.run_dir: Path | None = None
        self.junit_path = report_dir / run_id / "junit.xml"
        self.owns_junit = False  # the path is the reporter's choice (no --junitxml given)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not is_scenario(report.keywords):
            return
        outcome = _outcome(report)
        if outcome is not None:
            previous = self.scenarios.get(report.nodeid)
            if previous is None or report.when == "call" or outcome == "error":
                duration = report.duration + (previous.duration_seconds if previous else 0.0)
                self.scenarios[report.nodeid] = ScenarioResult(
                    nodeid=report.nodeid,
                    area=area_of(report.nodeid),
                    outcome=outcome,
                    duration_seconds=round(duration, 3),
                    reason=_reason(report, outcome),
                )
        if report.when != "teardown":
            return  # every phase's report carries the test's properties; read them once
        for name, value in report.user_properties:
            if name == TIMELINE_PROPERTY:
                self.jobs.append(JobTimeline.model_validate_json(str(value)))
            elif name == DURATION_PROPERTY:
                sample = json.loads(str(value))
                self.estimator.record(sample["features"], float(sample["seconds"]))
            elif name == CHECK_PROPERTY:
                self.checks.extend(CheckSummary.model_validate(item) for item in json.loads(str(value)))
            elif name == CHAOS_PROPERTY:
                payload = json.loads(str(value))
                summary = ChaosSummary.model_validate(payload["summary"])
                folder_name = f"chaos-{len(self.chaos) + 1}"
                if summary.history_file:
                    summary = summary.model_copy(
                        update={"history_file": f"{folder_name}/{summary.history_file}"}
                    )
                self.chaos.append((summary, Path(payload["folder"])))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.scenarios:
            return  # no scenario ran: no conformance report
        skips = skip_summary(list(self.scenarios.values()))
        if self.max_skipped_percent is not None and skips.percent > self.max_skipped_percent:
            self.too_many_skipped = (
                f"{skips.percent:.1f}% of the scenarios were skipped, more than --max-skipped "
                f"{self.max_skipped_percent:g}%: the target lacks what they need (reasons above)"
            )
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        results = RunResults(
            run_id=self.run_id,
            target=self.target,
            seed=self.seed,
            started_at=self.started_at,
            finished_at=datetime.now(UTC),
            environment=self.environment,
            scenarios=sorted(self.scenarios.values(), key=lambda result: result.nodeid),
            jobs=self.jobs,
            checks=self.checks,
            estimator=self.estimator.suggestion().as_dict() if self.estimator.samples else None,
            chaos=[summary for summary, _ in self.chaos],
        )
        self.run_dir = write_report(results, self.report_dir, self.redactor)
        for number, (_, folder) in enumerate(self.chaos, start=1):
            copy_chaos_folder(folder, self.run_dir / f"chaos-{number}", self.redactor)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.scenarios:
            return
        terminalreporter.section("conformance")
        text = render_matrix_text(conformance_matrix(list(self.scenarios.values())))
        text += skip_summary(list(self.scenarios.values())).render()
        for line in text.splitlines():
            terminalreporter.write_line(line)
        for check in self.checks:  # one-line verdicts a check gives for the log (the fuzzer's counts)
            summary = check.details.get("summary")
            if isinstance(summary, str):
                terminalreporter.write_line(self.redactor.text(f"{check.name}: {summary}"))
        if self.too_many_skipped is not None:
            terminalreporter.write_line(f"FAILED: {self.too_many_skipped}", red=True)
        if self.run_dir is not None:
            terminalreporter.write_line(f"report: {self.run_dir / 'report.html'}")

    def pytest_unconfigure(self) -> None:
        if self.owns_junit and not self.scenarios:  # no report to put it beside
            self.junit_path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.junit_path.parent.rmdir()
            return
        if self.junit_path.exists():
            redact_file(self.junit_path, self.redactor)


def copy_chaos_folder(source: Path, target: Path, redactor: Redactor) -> None:
    """A chaos run's files (already redacted by the run) into the report, scrubbed once more."""
    if not source.is_dir():
        return
    for path in sorted(source.rglob("*")):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(redactor.text(path.read_text(errors="replace")), encoding="utf-8")


def _outcome(report: pytest.TestReport) -> Outcome | None:
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            return "xfailed" if report.skipped else "xpassed"
        return "passed" if report.passed else ("skipped" if report.skipped else "failed")
    if report.failed:
        return "error"
    if report.when == "setup" and report.skipped:
        return "skipped"
    return None


def _reason(report: pytest.TestReport, outcome: Outcome) -> str | None:
    if outcome == "skipped" and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    if outcome == "xfailed":
        return str(getattr(report, "wasxfail", "")) or None
    if outcome in ("failed", "error"):
        return report.longreprtext.strip().splitlines()[-1][:500] if report.longreprtext else None
    return None
