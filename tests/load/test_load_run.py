"""`plan-load` against a `plan-stack serve` on loopback: a master and two Locust workers, the
reports it writes, and a run cut by its time bound."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from fake_llm.control import FakeLLMControl
from tests.load.conftest import PlanStack, RunLoad

pytestmark = pytest.mark.slow

USERS = 4
JOBS_PER_USER = 2


def stats_rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "locust_stats.csv").open(newline="") as rows:
        return {row["Name"]: row for row in csv.DictReader(rows)}


def json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def assert_no_secret_in(stack: PlanStack, out: Path, *texts: str) -> None:
    written = [path.read_text(errors="replace") for path in out.rglob("*") if path.is_file()]
    for key in stack.keys:
        assert all(key not in text for text in [*written, *texts])


def test_two_workers_run_every_job_to_its_end_and_write_the_reports(
    plan_stack: PlanStack, run_plan_load: RunLoad
) -> None:
    run = run_plan_load(
        "--env-file", str(plan_stack.env_file),
        "--users", str(USERS), "--spawn-rate", "4", "--jobs-per-user", str(JOBS_PER_USER),
        "--workers", "2", "--run-time", "90s",
        "--poll-initial-ms", "200", "--poll-max-interval-ms", "1000", "--health-interval", "0.5s",
    )  # fmt: skip

    assert run.exit_code == 0, run.stderr + run.stdout
    assert run.seconds < 90
    jobs = USERS * JOBS_PER_USER
    summary = json.loads((run.out / "summary.json").read_text())
    assert summary["ok"] is True and summary["stopped"] == "every user done"
    assert summary["jobs"]["created"] == summary["jobs"]["terminal"] == jobs
    assert summary["jobs"]["by_status"] == {"completed": jobs}
    assert summary["locust_exit_codes"] == {"main": 0, "workers": [0, 0]}
    wait = summary["time_to_plan_seconds"]["completed"]
    assert wait["count"] == jobs and 0 < wait["p50"] <= wait["p95"] <= wait["p99"] <= wait["max"] < 60

    # the job events: every job created once, by both workers, and seen completed by its user
    events = json_lines(run.out / "jobs.jsonl")
    created = [event for event in events if event["event"] == "job_created"]
    finished = [event for event in events if event["event"] == "job_finished"]
    assert len({event["job_id"] for event in created}) == len(created) == jobs
    assert {event["worker"] for event in created} == {0, 1}
    assert {event["job_id"] for event in finished} == {event["job_id"] for event in created}
    assert {event["ui_state"] for event in finished} == {"completed"}

    # Locust's own CSV and HTML, merged from both workers
    rows = stats_rows(run.out)
    for name in ("/auth/v1/signup", "/functions/v1/create-plan-job"):
        assert (rows[name]["Request Count"], rows[name]["Failure Count"]) == (str(jobs), "0")
    assert int(rows["/rest/v1/plan_generation_jobs?id=eq.[job]"]["Request Count"]) >= jobs
    assert rows["Aggregated"]["Failure Count"] == "0"
    html = (run.out / "report.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "create-plan-job" in html
    assert (run.out / "locust-worker-0.log").is_file() and (run.out / "locust-worker-1.log").is_file()

    # health samples: JSON lines of plan_job_health, the last one after the run
    samples = json_lines(run.out / "health.jsonl")
    assert len(samples) >= 2 and all("health" in sample for sample in samples)
    assert samples[-1].get("final") is True
    assert samples[-1]["health"]["counts_by_status"]["completed"] >= jobs
    assert [sample["elapsed_s"] for sample in samples] == sorted(sample["elapsed_s"] for sample in samples)

    assert "time to plan" in run.stdout
    assert_no_secret_in(plan_stack, run.out, run.stdout, run.stderr)
    assert "gevent" not in sys.modules and "locust" not in sys.modules  # Locust stayed in its processes


def test_a_run_is_cut_at_its_run_time_and_still_reports(
    plan_stack: PlanStack, run_plan_load: RunLoad
) -> None:
    # every call stalls past the call timeout, so each attempt fails at DEEPSEEK_CALL_TIMEOUT_MS
    # (800 ms) and a job's three attempts take at least 2.4 s: none ends within the 1.5 s run
    with FakeLLMControl(plan_stack.fake_url, admin_token=plan_stack.fake_admin_token) as fake:
        rule = fake.add_fault({"name": "slow", "action": {"type": "delay", "ms": 30_000}})
        try:
            run = run_plan_load(
                "--env-file", str(plan_stack.env_file), "--users", "2", "--spawn-rate", "10",
                "--run-time", "1.5s", "--poll-initial-ms", "200", "--health-interval", "1s",
            )  # fmt: skip
        finally:
            fake.delete_fault(rule)

    assert run.exit_code == 1, run.stderr + run.stdout
    assert run.seconds < 30
    summary = json.loads((run.out / "summary.json").read_text())
    assert summary["ok"] is False and summary["stopped"].startswith("bound reached")
    assert summary["jobs"]["created"] == 2 and summary["jobs"]["not_terminal"] == 2
    assert summary["jobs"]["terminal"] == 0 and summary["time_to_plan_seconds"]["completed"]["count"] == 0
    assert stats_rows(run.out)["/functions/v1/create-plan-job"]["Request Count"] == "2"
    assert (run.out / "report.html").is_file()
    assert "result: NOT OK" in run.stdout
    assert_no_secret_in(plan_stack, run.out, run.stdout, run.stderr)
