"""Reports: matrix and error-code tables, self-contained redacted HTML, results.json, latest."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from pydantic import ValidationError

from harness.checkers import DbSnapshot, DocumentedErrorCodes, NoDoubleClaim, compose
from harness.estimator import DurationEstimator
from harness.poller import PlanBuildingPoller, PollPolicy
from harness.redact import Redactor
from harness.report import (
    ChaosFigures,
    ChaosPoint,
    ChaosSummary,
    CheckSummary,
    JobTimeline,
    JobTransition,
    RunResults,
    ScenarioResult,
    area_of,
    conformance_matrix,
    error_code_rows,
    read_results,
    redact_file,
    render_html,
    render_matrix_text,
    write_report,
)
from harness.report.model import NemesisBand
from harness.report.reporter import copy_chaos_folder

from .fakes import FakeClock, ScriptedJobSource

SECRET = "deepseek-secret-value-123"
TOKEN = jwt.encode({"role": "service_role"}, "k" * 40)
STARTED = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def _scenario(nodeid: str, outcome: str, reason: str | None = None) -> ScenarioResult:
    return ScenarioResult.model_validate(
        {"nodeid": nodeid, "area": area_of(nodeid), "outcome": outcome, "reason": reason}
    )


def _job(job_id: str, *steps: tuple[float, str, str | None]) -> JobTimeline:
    transitions = [JobTransition(at_seconds=t, status=s, error_code=c) for t, s, c in steps]
    last = steps[-1]
    return JobTimeline(
        job_id=job_id,
        transitions=transitions,
        final_status=last[1],
        error_code=last[2],
        duration_seconds=last[0] + 1,
    )


def _results(run_id: str = "run-1") -> RunResults:
    return RunResults(
        run_id=run_id,
        target="local",
        seed=42,
        started_at=STARTED,
        environment={"database": "embedded PostgreSQL 18", "DEEPSEEK_API_KEY": SECRET},
        scenarios=[
            _scenario("plan_conformance/scenarios/test_error_codes.py::test_timeout", "passed"),
            _scenario(
                "plan_conformance/scenarios/test_error_codes.py::test_quota",
                "failed",
                f"AssertionError: job failed with key {SECRET}",
            ),
            _scenario(
                "plan_conformance/scenarios/test_deadlines.py::test_hang[<script>]",
                "skipped",
                "needs faults: target staging has no fault control",
            ),
            _scenario("plan_conformance/scenarios/test_deadlines.py::test_stall", "xfailed", "known bug #12"),
        ],
        jobs=[
            _job("job-a", (0, "pending", None), (1.5, "processing", None), (9, "completed", None)),
            _job(
                "job-b",
                (0, "processing", None),
                (4, "pending", "AI_TIMEOUT"),
                (6, "failed", "AI_RATE_LIMIT"),
            ),
            _job("job-c", (0, "failed", "MADE_UP")),
        ],
        checks=[
            CheckSummary(
                name="no_secrets",
                valid=False,
                details={"leaks": [{"where": f"log Bearer {TOKEN}"}]},
            )
        ],
        estimator=DurationEstimator().suggestion().as_dict(),
    )


@pytest.mark.parametrize(
    ("nodeid", "area"),
    [
        ("plan_conformance/scenarios/test_error_codes.py::test_x[AI_TIMEOUT]", "error_codes"),
        ("plan_conformance/scenarios/auth/test_tokens.py::TestForged::test_y", "tokens"),
        ("conftest.py", "conftest"),
    ],
)
def test_area_of(nodeid: str, area: str) -> None:
    assert area_of(nodeid) == area


def test_matrix_counts_by_area_and_outcome() -> None:
    matrix = conformance_matrix(_results().scenarios)
    assert matrix.areas == ("deadlines", "error_codes")
    assert matrix.columns == ("passed", "failed", "skipped", "xfailed")
    assert (matrix.cell("error_codes", "failed"), matrix.cell("deadlines", "skipped")) == (1, 1)
    assert matrix.total("passed") == 1


def test_matrix_text_is_aligned_with_totals() -> None:
    scenarios = [
        _scenario("plan_conformance/scenarios/test_auth.py::a", "passed"),
        _scenario("plan_conformance/scenarios/test_auth.py::b", "passed"),
        _scenario("plan_conformance/scenarios/test_regeneration.py::c", "error"),
    ]
    assert render_matrix_text(conformance_matrix(scenarios)) == (
        "area          passed  failed  error  skipped  xfailed  total\n"
        "auth               2       0      0        0        0      2\n"
        "regeneration       0       0      1        0        0      1\n"
        "total              2       0      1        0        0      3\n"
    )


def test_error_code_rows_list_documented_codes_and_flag_others() -> None:
    rows = {row.code: row for row in error_code_rows(_results().jobs)}
    assert rows["AI_RATE_LIMIT"].final == 1 and rows["AI_RATE_LIMIT"].ui_state == "error_busy"
    assert (rows["AI_TIMEOUT"].final, rows["AI_TIMEOUT"].seen) == (0, 1)
    assert rows["CONFIG_ERROR"].final == rows["CONFIG_ERROR"].seen == 0
    assert not rows["MADE_UP"].documented and rows["MADE_UP"].ui_state == "error_generic"
    assert rows["STALE_PENDING"].documented and rows["STALE_PENDING"].ui_state == "stuck"


def test_html_is_self_contained_and_escaped() -> None:
    page = render_html(_results())
    for external in ("src=", "href=", "url(", "@import", "<link", "<script"):
        assert external not in page
    assert "test_hang[&lt;script&gt;]" in page
    assert "needs faults: target staging has no fault control" in page
    assert "known bug #12" in page
    assert page.count('class="segment"') == 7  # one bar per transition: 3 + 3 + 1
    assert page.count('class="bar"') == 2  # ceil(sqrt(3 durations)) bins
    assert "AI_RATE_LIMIT" in page and "NO (not in docs/contract.md)" in page
    assert "baseSeconds" in page


def test_histogram_of_equal_values_is_one_bar() -> None:
    results = _results().model_copy(
        update={"jobs": [_job(f"j{n}", (0, "pending", None), (4, "completed", None)) for n in range(5)]}
    )
    assert render_html(results).count('class="bar"') == 1


def test_empty_run_renders_placeholders() -> None:
    page = render_html(RunResults(run_id="empty", target="url", started_at=STARTED))
    assert "no scenarios ran" in page and "no jobs were polled" in page
    assert "no durations recorded" in page and "<svg" not in page


def test_write_report_redacts_everything_and_points_latest(tmp_path: Path) -> None:
    run_dir = write_report(_results(), tmp_path, Redactor((SECRET,)))
    assert run_dir == tmp_path / "run-1"
    for name in ("results.json", "report.html"):
        text = (run_dir / name).read_text()
        assert SECRET not in text and TOKEN not in text
        assert "[REDACTED]" in text
    saved = read_results(run_dir)
    assert saved.environment["DEEPSEEK_API_KEY"] == "[REDACTED]"
    assert saved.scenarios[1].reason == "AssertionError: job failed with key [REDACTED]"
    assert [s.nodeid for s in saved.scenarios] == [s.nodeid for s in _results().scenarios]
    assert json.loads((run_dir / "results.json").read_text())["seed"] == 42
    latest = tmp_path / "latest"
    assert latest.is_symlink() and latest.resolve() == run_dir.resolve()

    write_report(_results("run-2"), tmp_path, Redactor((SECRET,)))
    assert latest.resolve() == (tmp_path / "run-2").resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "run-1", "run-2"]


def test_latest_is_a_copy_where_symlinks_fail(tmp_path: Path) -> None:
    def no_symlinks(target: str, link: Path) -> None:
        raise OSError("symlinks are not allowed here")

    write_report(_results("run-1"), tmp_path, Redactor(), symlink=no_symlinks)
    latest = tmp_path / "latest"
    assert not latest.is_symlink() and (latest / "report.html").is_file()
    write_report(_results("run-2"), tmp_path, Redactor(), symlink=no_symlinks)
    assert read_results(latest).run_id == "run-2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "run-1", "run-2"]


@pytest.mark.parametrize("run_id", ["../escape", "latest", "", "a/b", ".hidden"])
def test_run_id_must_be_one_folder_name(run_id: str) -> None:
    with pytest.raises(ValidationError, match="run_id"):
        RunResults(run_id=run_id, target="local", started_at=STARTED)


def test_redact_file_scrubs_a_junit_report(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(f'<testcase name="t"><failure message="Bearer {TOKEN}">{SECRET}</failure></testcase>')
    redact_file(junit, Redactor((SECRET,)))
    text = junit.read_text()
    assert SECRET not in text and TOKEN not in text
    assert re.fullmatch(
        r'<testcase name="t"><failure message="Bearer \[REDACTED\]">'
        r"\[REDACTED\]</failure></testcase>",
        text,
    )


def test_timeline_from_a_poll_outcome() -> None:
    clock = FakeClock()
    source = ScriptedJobSource(
        clock, [(0, {"status": "pending"}), (2, {"status": "failed", "error_code": "AI_TIMEOUT"})]
    )
    outcome = PlanBuildingPoller(source, PollPolicy(), None, clock, clock.sleep).poll("job-z")
    timeline = JobTimeline.from_poll_outcome(outcome, test="plan_conformance/scenarios/test_deadlines.py::t")
    assert [(t.at_seconds, t.status) for t in timeline.transitions] == [
        (0, "pending"),
        (2.5, "failed"),
    ]
    assert (timeline.final_status, timeline.error_code, timeline.ui_state) == (
        "failed",
        "AI_TIMEOUT",
        "error_timeout",
    )


def test_check_summaries_from_a_composed_result() -> None:
    db = DbSnapshot.of([{"id": "j", "status": "failed", "error_code": "NOPE", "error_message": "x"}], [])
    composed = compose(NoDoubleClaim(), DocumentedErrorCodes()).check([], db)
    summaries = {s.name: s for s in CheckSummary.from_composed(composed)}
    assert summaries["no_double_claim"].valid is True
    assert summaries["documented_error_codes"].valid is False
    assert summaries["documented_error_codes"].details["undocumented"] == [
        {"job_id": "j", "error_code": "NOPE"}
    ]


def _chaos(**changes: object) -> ChaosSummary:
    summary = ChaosSummary(
        name="chaos-7",
        target="local",
        seed=7,
        duration_s=20,
        nemeses=["kill", "db-restart", "faults"],
        refused_nemeses={"fake-restart": "not asked for"},
        valid=True,
        figures=ChaosFigures(
            late_writes_refused=4,
            jobs_created=80,
            time_to_terminal_p99_s=3.2,
            nemesis_events={"kill": 2, "db-restart": 1},
        ),
        bands=[
            NemesisBand(kind="kill", label="kill worker 1", start_s=2, end_s=3.5),
            NemesisBand(kind="kill", label="kill worker 2", start_s=5, end_s=6),
            NemesisBand(kind="db-restart", label="db-restart", start_s=8, end_s=10.5),
            NemesisBand(kind="faults", label="faults: <flaky>", start_s=12, end_s=20),
        ],
        series=[
            ChaosPoint(at_s=i * 0.5, active=i % 7, completed=i % 3, failed=int(i == 9)) for i in range(48)
        ],
        nemesis_stopped_at_s=20.2,
        ended_at_s=24.0,
        replay="plan-chaos --seed 7 --duration 20s",
        history_file="history.jsonl",
    )
    return summary.model_copy(update=changes)


def test_chaos_section_draws_bands_by_lane_the_series_and_the_figures() -> None:
    page = render_html(_results().model_copy(update={"chaos": [_chaos()]}))
    assert "<h2>Chaos</h2>" in page and "valid=True</span>, 0 violations" in page
    assert page.count('class="band"') == 4 and page.count('class="stripe"') == 4
    svg = page[page.index("chaos timeline") :]
    for lane in ("kill w1", "kill w2", "db-restart", "faults"):
        assert f">{lane}</text>" in svg
    assert "faults: &lt;flaky&gt;: 12.00 s to 20.00 s" in svg
    assert 'class="heal"' in svg and "nemesis stops" in svg
    assert svg.count('class="ended"') == sum(1 for i in range(48) if i % 3) + 1
    assert "<polyline" in svg
    assert "plan-chaos --seed 7 --duration 20s" in page and "left out: fake-restart" in page
    assert "<td>3.2</td>" in page and "<td>4</td>" in page  # p99 and refused late writes
    assert "2 kill, 1 db-restart" in page


def test_a_chaos_run_with_violations_says_so_and_reports_without_chaos_have_no_section() -> None:
    broken = _chaos(valid=False, figures=ChaosFigures(lost_jobs=2, late_writes_accepted=1))
    page = render_html(_results().model_copy(update={"chaos": [broken]}))
    assert "valid=False</span>, 3 violations" in page
    assert '<span class="false">2</span>' in page
    assert "<h2>Chaos</h2>" not in render_html(_results())


def test_chaos_summaries_survive_results_json(tmp_path: Path) -> None:
    run_dir = write_report(
        _results("with-chaos").model_copy(update={"chaos": [_chaos()]}), tmp_path, Redactor((SECRET,))
    )
    assert read_results(run_dir).chaos == [_chaos()]


def test_a_chaos_folder_is_copied_into_the_report_redacted(tmp_path: Path) -> None:
    source = tmp_path / "run"
    (source / "logs").mkdir(parents=True)
    (source / "history.jsonl").write_text('{"f": "create"}\n')
    (source / "logs" / "worker-0.1.log").write_text(f"key={SECRET}\n")
    copy_chaos_folder(source, tmp_path / "report" / "chaos-1", Redactor((SECRET,)))
    assert (tmp_path / "report/chaos-1/history.jsonl").read_text() == '{"f": "create"}\n'
    assert SECRET not in (tmp_path / "report/chaos-1/logs/worker-0.1.log").read_text()
    copy_chaos_folder(tmp_path / "absent", tmp_path / "report" / "chaos-2", Redactor(()))
    assert not (tmp_path / "report" / "chaos-2").exists()
