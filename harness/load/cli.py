"""`plan-load`: a bounded Locust run against a target, with the queue's health and time to plan.

    plan-load --env-file stack.env --users 20 --spawn-rate 5 --run-time 2m --out reports/load-1
    plan-load --url http://127.0.0.1:54321 --users 40 --workers 2 --run-time 90s ...

Writes into `--out`: Locust's `locust_stats.csv` (and its history, failures and exceptions
CSVs) and `report.html`, `jobs.jsonl` (every job event), `health.jsonl` (a
`plan_job_health` sample every `--health-interval`), the Locust logs and `summary.json`
(time-to-plan p50/p95/p99 from the jobs' own timestamps). Exit status 0 when every job
the run created reached a terminal status and no journey failed, 1 otherwise, 2 for a
wrong argument or setup. See docs/load.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import sys
import time
from pathlib import Path

from harness.load import protocol
from harness.load.health import HealthSampler
from harness.load.processes import LocustCommands, RunFiles, child_environment, run_locust
from harness.load.settings import (
    LoadSettings,
    LoadSettingsError,
    LoadTarget,
    PollSettings,
    parse_duration,
)
from harness.load.summary import SummaryError, locust_totals, read_events, read_job_rows, render, summarize
from harness.seeds import DEFAULT_SEED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plan-load",
        description="Bounded load on a plan-generation target with Locust, as the app's users make it.",
    )
    target = parser.add_argument_group("target (flags, else --env-file, else the environment)")
    target.add_argument("--url", help="the target's base URL (SUPABASE_URL)")
    target.add_argument("--anon-key", help="SUPABASE_ANON_KEY; prefer the environment or --env-file")
    target.add_argument(
        "--service-role-key", help="SUPABASE_SERVICE_ROLE_KEY; prefer the environment or --env-file"
    )
    target.add_argument(
        "--env-file", type=Path, help="a file of SUPABASE_URL=..., keys (plan-stack --env-out)"
    )
    bounds = parser.add_argument_group("bounds")
    bounds.add_argument("--users", type=int, default=10, help="simulated users (default 10)")
    bounds.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second (default 5)")
    bounds.add_argument("--run-time", default="2m", help="hard time bound, e.g. 90s, 5m (default 2m)")
    bounds.add_argument(
        "--jobs-per-user", type=int, default=1, help="journeys (new account, one job) per user (default 1)"
    )
    bounds.add_argument(
        "--workers", type=int, default=0, help="local Locust workers under a master (0: none)"
    )
    app = parser.add_argument_group("what each user does")
    app.add_argument(
        "--signup",
        default="signup",
        choices=protocol.SIGNUP_MODES,
        help="signup: /auth/v1/signup as the app does; admin: the admin API with the service key",
    )
    app.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated profiles")
    app.add_argument(
        "--poll-initial-ms", type=float, default=1000.0, help="first poll interval (default 1000)"
    )
    app.add_argument("--poll-backoff", type=float, default=1.5, help="interval factor per poll (default 1.5)")
    app.add_argument(
        "--poll-max-interval-ms", type=float, default=10_000.0, help="poll interval cap (default 10000)"
    )
    app.add_argument(
        "--max-wait", help="when the app gives up as stuck, e.g. 5m (default: the app's estimator)"
    )
    output = parser.add_argument_group("output")
    output.add_argument("--out", type=Path, help="a new or empty folder (default reports/load-<time>)")
    output.add_argument("--health-interval", default="2s", help="plan_job_health sample period (default 2s)")
    return parser


def _settings(arguments: argparse.Namespace) -> LoadSettings:
    max_wait = parse_duration("--max-wait", arguments.max_wait) if arguments.max_wait else None
    poll = PollSettings(
        initial_interval_ms=arguments.poll_initial_ms,
        backoff_factor=arguments.poll_backoff,
        max_interval_ms=arguments.poll_max_interval_ms,
        max_wait_s=max_wait,
    )
    return LoadSettings(
        users=arguments.users,
        spawn_rate=arguments.spawn_rate,
        run_time_s=parse_duration("--run-time", arguments.run_time),
        jobs_per_user=arguments.jobs_per_user,
        workers=arguments.workers,
        signup=arguments.signup,
        seed=arguments.seed,
        poll=poll,
        health_interval_s=parse_duration("--health-interval", arguments.health_interval),
    )


def _output_folder(given: Path | None) -> RunFiles:
    folder = given or Path("reports") / time.strftime("load-%Y%m%d-%H%M%S")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise LoadSettingsError("--out", f"{folder} exists and is not an empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    return RunFiles(folder.resolve())


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        settings = _settings(arguments)
        target = LoadTarget.resolve(
            url=arguments.url,
            anon_key=arguments.anon_key,
            service_role_key=arguments.service_role_key,
            env_file=arguments.env_file,
        )
        if importlib.util.find_spec("locust") is None:
            raise LoadSettingsError(
                "plan-load", "Locust is not installed: pip install 'plan-conformance[load]'"
            )
        files = _output_folder(arguments.out)
    except LoadSettingsError as error:
        parser.error(str(error))  # exits 2 with the flag in the message

    run_id = f"{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"
    print(
        f"plan-load: {settings.users} users x {settings.jobs_per_user} jobs, "
        f"spawn rate {settings.spawn_rate:g}/s, at most {settings.run_time_s:g} s, "
        f"{settings.workers or 'no'} workers, against {target.url}; "
        f"writing to {files.folder}",
        file=sys.stderr,
        flush=True,
    )
    commands = LocustCommands(settings, target.url, files, run_id)
    with HealthSampler(target, files.health, settings.health_interval_s) as health:
        outcome = run_locust(commands, child_environment(target, files))

    try:
        events = read_events(files.jobs)
        created = [str(event["job_id"]) for event in events if event["event"] == protocol.JOB_CREATED]
        rows = read_job_rows(target, created)
    except SummaryError as error:
        print(
            f"plan-load: {error}; no summary written, the other reports are in {files.folder}",
            file=sys.stderr,
        )
        return 1
    summary = summarize(
        events, rows, expected_jobs=settings.max_jobs, requests=locust_totals(files.stats_csv)
    )
    summary |= {
        "run_id": run_id,
        "target": target.url,
        "bounds": {
            "users": settings.users,
            "spawn_rate": settings.spawn_rate,
            "run_time_s": settings.run_time_s,
            "jobs_per_user": settings.jobs_per_user,
            "workers": settings.workers,
        },
        "locust_exit_codes": {
            "main": outcome.exit_code,
            "workers": list(outcome.worker_exit_codes),
        },
        "health_samples": {"count": health.samples, "errors": health.errors},
    }
    if outcome.interrupted:
        summary["ok"] = False
        summary["stopped"] = "interrupted (Ctrl-C)"
    elif outcome.exit_code is None:
        summary["ok"] = False
        summary["stopped"] = "Locust outlived its bound and was stopped"
    staged = files.summary.with_suffix(".tmp")
    staged.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(staged, files.summary)
    print(render(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
