"""`plan-chaos`: a seeded workload against a target while a nemesis breaks it; then the checks.

    plan-chaos --seed 7 --duration 30s --jobs 100                    # its own local stack
    plan-chaos --jobs 1000 --duration 90s --nemesis kill,pause,db-restart
    plan-chaos --env-file stack.env --nemesis faults                 # a deployed target
    plan-chaos --seed 7 --schedule-only                              # print the schedule, run nothing

Without `--url` or `--env-file` it starts its own stack (a durable PostgreSQL, the fake
DeepSeek, an HTTP front and `--workers` worker processes), so every nemesis is available.
Against a deployed target it needs `DATABASE_URL` (the checks read the database), has the
`faults` nemesis with `FAKE_DEEPSEEK_URL` (and `FAKE_DEEPSEEK_ADMIN_TOKEN`), reads the
service's log from `SERVICE_LOG_FILE` to count late writes, and refuses the other nemeses
with the reason. Writes `--out` (default `reports/chaos-<time>`): the history, the schedule,
the figures, the logs, `results.json` and `report.html`. Exit status 0 when every checker
holds, 1 otherwise (a violation, or a verdict it could not reach), 2 for a wrong argument or
setup. See docs/chaos.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from dotenv import dotenv_values

from harness.chaos.figures import figure_lines
from harness.chaos.runner import ChaosOutcome, resolve_nemeses, run_chaos, schedule_for
from harness.chaos.settings import NEMESES, ChaosSettings, ChaosSettingsError, parse_nemeses
from harness.chaos.targets import ChaosTarget, DeployedChaosTarget, LocalChaosStack
from harness.client import ApiKeys
from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest
from harness.errors import HarnessSetupError
from harness.load.settings import LoadSettingsError, LoadTarget, parse_duration
from harness.redact import Redactor
from harness.report import CheckSummary, RunResults, write_report
from harness.seeds import DEFAULT_SEED
from harness.target.fake import FakeDeepSeek, FakeGiven


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plan-chaos",
        description="A seeded workload against a target while a nemesis kills, pauses and restarts "
        "its parts; the history is then checked (docs/chaos.md).",
    )
    run = parser.add_argument_group("the run (the same values replay the same schedule)")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default {DEFAULT_SEED}")
    run.add_argument(
        "--duration", default="30s", help="how long users act and the nemesis runs (default 30s)"
    )
    run.add_argument("--jobs", type=int, default=100, help="create-plan-job requests (default 100)")
    run.add_argument("--users", type=int, help="signed-in users (default: one per five jobs, 3 to 100)")
    run.add_argument("--workers", type=int, default=3, help="worker processes of the local stack (default 3)")
    run.add_argument(
        "--nemesis",
        help=f"comma-separated, of {','.join(NEMESES)}, or none (default: every one the target can do)",
    )
    run.add_argument(
        "--settle", default="60s", help="longest wait for the queue after the nemesis (default 60s)"
    )
    run.add_argument(
        "--stuck-after", type=int, default=3000, help="the local stack's STUCK_AFTER_MS (default 3000)"
    )
    run.add_argument(
        "--observe-interval", default="50ms", help="how often the database is read (default 50ms)"
    )
    run.add_argument("--schedule-only", action="store_true", help="print the schedule and exit")
    local = parser.add_argument_group("the local stack")
    local.add_argument("--db", default="auto", help="auto, embedded or system (db-restart needs one of them)")
    local.add_argument("--migrations", type=Path, help="migrations folder (default: the reference ones)")
    local.add_argument("--service-pythonpath", type=Path, help="a modified reference_impl for the service")
    deployed = parser.add_argument_group("a deployed target (flags, else --env-file, else the environment)")
    deployed.add_argument("--url", help="the target's base URL (SUPABASE_URL)")
    deployed.add_argument(
        "--env-file", type=Path, help="SUPABASE_URL, keys, DATABASE_URL, FAKE_DEEPSEEK_URL, ..."
    )
    parser.add_argument("--out", type=Path, help="a new or empty folder (default reports/chaos-<time>)")
    return parser


def _settings(arguments: argparse.Namespace) -> ChaosSettings:
    try:
        duration = parse_duration("--duration", arguments.duration)
        settle = parse_duration("--settle", arguments.settle)
        observe = parse_duration("--observe-interval", arguments.observe_interval)
    except LoadSettingsError as error:
        raise ChaosSettingsError(error.flag, str(error).split(": ", 1)[1]) from None
    return ChaosSettings(
        seed=arguments.seed,
        duration_s=duration,
        jobs=arguments.jobs,
        users=arguments.users,
        workers=arguments.workers,
        nemeses=parse_nemeses(arguments.nemesis) if arguments.nemesis is not None else None,
        settle_s=settle,
        observe_interval_s=observe,
        stuck_after_ms=arguments.stuck_after,
    )


def replay_command(settings: ChaosSettings, nemeses: tuple[str, ...]) -> str:
    """The command line that plays the same schedule again (against the same kind of target)."""
    return (
        f"plan-chaos --seed {settings.seed} --duration {settings.duration_s:g}s --jobs {settings.jobs} "
        f"--users {settings.user_count} --workers {settings.workers} "
        f"--nemesis {','.join(nemeses) or 'none'} --stuck-after {settings.stuck_after_ms}"
    )


def _deployed(arguments: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> DeployedChaosTarget:
    try:
        endpoint = LoadTarget.resolve(
            url=arguments.url, anon_key=None, service_role_key=None, env_file=arguments.env_file
        )
    except LoadSettingsError as error:
        raise ChaosSettingsError(error.flag, str(error).split(": ", 1)[1]) from None
    from_file: dict[str, str] = {}
    if arguments.env_file is not None:
        from_file = {key: value for key, value in dotenv_values(arguments.env_file).items() if value}

    def value(name: str) -> str | None:
        return from_file.get(name) or environ.get(name) or None

    database = value("DATABASE_URL")
    if database is None:
        raise ChaosSettingsError(
            "--env-file", "no DATABASE_URL: a chaos run reads the target's database to check it"
        )
    fake_url = value("FAKE_DEEPSEEK_URL")
    fake = None
    if fake_url is not None:
        given = FakeGiven(fake_url.rstrip("/"), value("FAKE_DEEPSEEK_ADMIN_TOKEN"))
        fake = FakeDeepSeek(given.url, given.admin_token, f"given at {given.url}")
    log = value("SERVICE_LOG_FILE")
    if log is not None and not Path(log).is_file():
        raise ChaosSettingsError("--env-file", f"SERVICE_LOG_FILE {log}: no such file")
    return DeployedChaosTarget(
        url=endpoint.url,
        keys=_keys(endpoint),
        database_dsn=database,
        fake=fake,
        service_log=Path(log) if log is not None else None,
    )


def _keys(endpoint: LoadTarget) -> ApiKeys:
    return ApiKeys(endpoint.anon_key, endpoint.service_role_key)


def _output_folder(given: Path | None) -> Path:
    folder = given or Path("reports") / time.strftime("chaos-%Y%m%d-%H%M%S")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ChaosSettingsError("--out", f"{folder} exists and is not an empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def write_run_report(outcome: ChaosOutcome, started_at: datetime, redactor: Redactor) -> Path:
    """`results.json` and `report.html` in the run's folder, with the suite's writer."""
    results = RunResults(
        run_id=outcome.folder.name,
        target=outcome.summary.target,
        seed=outcome.summary.seed,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        environment={"command": outcome.summary.replay},
        jobs=list(outcome.jobs),
        checks=CheckSummary.from_composed(outcome.result),
        chaos=[outcome.summary],
    )
    return write_report(results, outcome.folder.parent, redactor) / "report.html"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        settings = _settings(arguments)
        deployed = arguments.url is not None or arguments.env_file is not None
        if arguments.schedule_only:
            nemeses = settings.nemeses if settings.nemeses is not None else NEMESES
            for line in schedule_for(settings, nemeses).describe():
                print(line)
            print(f"replay: {replay_command(settings, tuple(nemeses))}")
            return 0
        if deployed:
            for flag, given in (
                ("--db", arguments.db != "auto"),
                ("--migrations", arguments.migrations),
                ("--service-pythonpath", arguments.service_pythonpath),
            ):
                if given:
                    raise ChaosSettingsError(flag, "is for the local stack; a deployed target runs its own")
        target: ChaosTarget = _deployed(arguments) if deployed else _local(arguments, settings)
        folder = _output_folder(arguments.out)
    except (ChaosSettingsError, HarnessSetupError) as error:
        parser.error(str(error))
    started_at = datetime.now(UTC)
    try:
        with target:
            if isinstance(target, LocalChaosStack):
                target.start()
                print(target.describe(), file=sys.stderr)
            nemeses, _ = resolve_nemeses(settings.nemeses, target.support())
            outcome = run_chaos(
                settings, target, folder, name=folder.name, replay=replay_command(settings, nemeses)
            )
            redactor = Redactor(target.secrets())
    except ChaosSettingsError as error:
        shutil.rmtree(folder, ignore_errors=True)
        parser.error(str(error))
    except HarnessSetupError as error:
        print(f"plan-chaos: {error}", file=sys.stderr)
        return 2
    report = write_run_report(outcome, started_at, redactor)
    for line in figure_lines(outcome.summary):
        print(line)
    print(f"report: {report}")
    if outcome.result.valid is not True:
        for name, details in outcome.failures().items():
            print(f"  {name}: {details}", file=sys.stderr)
    return 0 if outcome.result.valid is True else 1


def _local(arguments: argparse.Namespace, settings: ChaosSettings) -> LocalChaosStack:
    migrations = (
        MigrationSet.from_folder(arguments.migrations) if arguments.migrations else MigrationSet.reference()
    )
    return LocalChaosStack(
        database=DatabaseRequest(spec=arguments.db),
        migrations=migrations,
        workers=settings.workers,
        stuck_after_ms=settings.stuck_after_ms,
        seed=settings.seed,
        workdir=None,
        service_pythonpath=arguments.service_pythonpath,
    )


if __name__ == "__main__":
    raise SystemExit(main())
