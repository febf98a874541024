"""The run's settings, resolved once from options, ini values, an env file and the environment.

Kept frozen on `config.stash`; nothing in the harness reads options anywhere else. A
missing or malformed setting stops the run at start with one message naming the option or
the variable (never a secret's value).
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fake_llm.environment import ADMIN_TOKEN_ENV, API_KEYS_ENV
from harness import options
from harness.client import ApiKeys
from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest, looks_like_dsn
from harness.env_file import EnvFileMissing, read_env_file
from harness.errors import TargetSetupError
from harness.estimator import HARD_CAP_SECONDS
from harness.fuzz.budget import FuzzBudget, FuzzBudgetError
from harness.redact import MIN_SECRET_LENGTH, SECRET_ENV_NAMES
from harness.seeds import DEFAULT_SEED
from harness.stack.local import SERVICE_DEFAULTS, FunctionsSetup
from harness.target.fake import FakeGiven, FakeToStart
from harness.target.settings import TargetSettings
from harness.target.spec import Endpoint, TargetSpec, deployed_spec, local_spec

TARGET_NAMES = ("local", "staging", "url")
FAKE_URL_ENV = "FAKE_DEEPSEEK_URL"
SERVICE_LOG_ENV = "SERVICE_LOG_FILE"
RUN_SECRET_ENV_NAMES = (*SECRET_ENV_NAMES, ADMIN_TOKEN_ENV)
MAX_JOBS_AHEAD = 64


@dataclass(frozen=True)
class HarnessConfig:
    target: TargetSpec
    database: DatabaseRequest | None  # the local stack's server to provision
    migrations: MigrationSet = field(default_factory=MigrationSet.reference)
    seed: int = DEFAULT_SEED
    report_dir: Path = Path("reports")
    service_pythonpath: Path | None = None  # a modified reference_impl for the local service
    secret_values: tuple[str, ...] = field(default=(), repr=False)  # keys from the env file and environment
    fake_api_keys: str | None = field(default=None, repr=False)  # keys a fake the harness starts accepts
    max_skipped_percent: float | None = None
    functions: FunctionsSetup | None = None  # a team's Edge Functions for the local stack
    fuzz: FuzzBudget = field(default_factory=FuzzBudget)  # how much the fuzz scenarios do per document

    @classmethod
    def from_pytest(cls, config: pytest.Config) -> HarnessConfig:
        target_name = str(options.value(config, "target"))
        if target_name not in TARGET_NAMES:
            raise TargetSetupError(
                f"--target {target_name!r} is not a target; use one of {', '.join(TARGET_NAMES)}"
            )
        env = _environment(options.value(config, "env-file"))
        migrations_path = options.value(config, "migrations")
        migrations = (
            MigrationSet.from_folder(Path(str(migrations_path)))
            if migrations_path
            else MigrationSet.reference()
        )
        max_wait_s = _max_wait(options.value(config, "max-wait"))
        jobs_ahead = _jobs_ahead(options.value(config, "jobs-ahead"))
        if target_name != "url" and options.value(config, "url"):
            raise TargetSetupError(f"--url is for --target url; this run's target is {target_name}")
        database: DatabaseRequest | None = None
        functions: FunctionsSetup | None = None
        if target_name == "local":
            _refuse_deployed_options(config)
            functions = _functions(config)
            team = functions.env if functions is not None else {}
            settings = TargetSettings.from_env({**SERVICE_DEFAULTS, **team})
            concurrency = settings.worker_concurrency or int(SERVICE_DEFAULTS["WORKER_CONCURRENCY"])
            target = local_spec(
                settings=settings,
                max_wait_s=max_wait_s,
                jobs_ahead=jobs_ahead or min(concurrency, MAX_JOBS_AHEAD),
            )
            database = DatabaseRequest(
                spec=str(options.value(config, "db")),
                image=str(options.value(config, "db-image")),
                environment_dsn=env.get("DATABASE_URL") or None,
            )
        else:
            for name in ("functions", "functions-env-file"):
                if options.value(config, name):
                    raise TargetSetupError(
                        f"--{name} is for the local target: the harness hosts the functions itself"
                    )
            target = _deployed(config, target_name, env, max_wait_s, jobs_ahead or 1)
        return cls(
            target=target,
            database=database,
            migrations=migrations,
            seed=_seed(str(options.value(config, "seed"))),
            report_dir=Path(str(options.value(config, "report-dir"))),
            service_pythonpath=_folder(options.value(config, "service-pythonpath"), "--service-pythonpath"),
            secret_values=tuple(
                env[name] for name in RUN_SECRET_ENV_NAMES if len(env.get(name, "")) >= MIN_SECRET_LENGTH
            ),
            fake_api_keys=env.get(API_KEYS_ENV) or None,
            max_skipped_percent=_percent(options.value(config, "max-skipped")),
            functions=functions,
            fuzz=_fuzz_budget(config),
        )


def _deployed(
    config: pytest.Config, label: str, env: Mapping[str, str], max_wait_s: float | None, jobs_ahead: int
) -> TargetSpec:
    db_option = str(options.value(config, "db"))
    if db_option not in ("auto", "") and not looks_like_dsn(db_option):
        raise TargetSetupError(
            f"--db {db_option} provisions a server for the local stack; a deployed target's database is "
            "given as a DSN (--db postgresql://... or DATABASE_URL)"
        )
    service_log = options.value(config, "service-log") or env.get(SERVICE_LOG_ENV)
    return deployed_spec(
        label,
        _endpoint(label, options.value(config, "url"), env),
        env=env,
        database_dsn=db_option if looks_like_dsn(db_option) else env.get("DATABASE_URL") or None,
        fake=_fake(config, env),
        service_log=_log_file(service_log),
        queue_schedule_ms=_schedule(options.value(config, "invoke-queue-every")),
        allow_destructive=bool(options.value(config, "allow-destructive")),
        max_wait_s=max_wait_s,
        jobs_ahead=jobs_ahead,
    )


def _fuzz_budget(config: pytest.Config) -> FuzzBudget:
    try:
        return FuzzBudget.parse(options.value(config, "fuzz-examples"), options.value(config, "fuzz-seconds"))
    except FuzzBudgetError as error:
        raise TargetSetupError(str(error)) from None


def _functions(config: pytest.Config) -> FunctionsSetup | None:
    folder = options.value(config, "functions")
    env_file = options.value(config, "functions-env-file")
    if not folder:
        if env_file:
            raise TargetSetupError("--functions-env-file needs --functions (the folder it configures)")
        return None
    path = Path(str(folder)).expanduser().resolve()
    if not path.is_dir():
        raise TargetSetupError(f"--functions {path}: no such directory")
    return FunctionsSetup(path, functions_env(Path(str(env_file)) if env_file else None))


def functions_env(path: Path | None) -> dict[str, str]:
    """The functions' own settings; the platform's names are the platform's to set."""
    if path is None:
        return {}
    try:
        values = read_env_file(path, option="--functions-env-file")
    except EnvFileMissing as missing:
        raise TargetSetupError(str(missing)) from None
    for name in values:
        if name.startswith("SUPABASE_"):
            raise TargetSetupError(
                f"--functions-env-file {path}: {name} is set by the platform (as on Supabase, a "
                "function's own settings may not start with SUPABASE_)"
            )
    return values


def _refuse_deployed_options(config: pytest.Config) -> None:
    for name in ("fake-llm", "fake-llm-url", "service-log", "invoke-queue-every"):
        if options.value(config, name):
            raise TargetSetupError(
                f"--{name} is for a deployed target (--target url or staging); the local target starts "
                "its own fake DeepSeek, service and schedule for every stack"
            )


def _fake(config: pytest.Config, env: Mapping[str, str]) -> FakeToStart | FakeGiven | None:
    serve = options.value(config, "fake-llm")
    given = options.value(config, "fake-llm-url")
    if serve and given:
        raise TargetSetupError("give either --fake-llm serve[:HOST:PORT] or --fake-llm-url, not both")
    if serve:
        return FakeToStart.parse(str(serve))
    url = str(given) if given else env.get(FAKE_URL_ENV, "")
    if not url:
        return None
    return FakeGiven(url.rstrip("/"), env.get(ADMIN_TOKEN_ENV) or None)


def _environment(env_file: object) -> dict[str, str]:
    values: dict[str, str] = {}
    if env_file:
        try:
            values.update(read_env_file(Path(str(env_file)), option="--env-file"))
        except EnvFileMissing as missing:
            raise TargetSetupError(str(missing)) from None
    values.update({key: value for key, value in os.environ.items() if value})
    return values


def _endpoint(target_name: str, url_option: object, env: Mapping[str, str]) -> Endpoint:
    if target_name == "url":
        if not url_option:
            raise TargetSetupError("--target url needs --url http://host:port (the service's base URL)")
        url = str(url_option)
    else:
        url = env.get("SUPABASE_URL", "")
        if not url:
            raise TargetSetupError(
                "--target staging needs SUPABASE_URL (in the environment or the --env-file)"
            )
    if not url.startswith(("http://", "https://")):
        raise TargetSetupError(f"the target URL must start with http:// or https://, got {url!r}")
    missing = [name for name in ("SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY") if not env.get(name)]
    if missing:
        raise TargetSetupError(
            f"--target {target_name} needs {' and '.join(missing)} (in the environment or the --env-file)"
        )
    return Endpoint(url.rstrip("/"), ApiKeys(env["SUPABASE_ANON_KEY"], env["SUPABASE_SERVICE_ROLE_KEY"]))


def _folder(given: object, option: str) -> Path | None:
    if not given:
        return None
    path = Path(str(given)).expanduser().resolve()
    if not path.is_dir():
        raise TargetSetupError(f"{option} {path}: no such directory")
    return path


def _log_file(given: object) -> Path | None:
    if not given:
        return None
    path = Path(str(given)).expanduser().resolve()
    if not path.is_file():
        raise TargetSetupError(f"--service-log / {SERVICE_LOG_ENV} {path}: no such file")
    return path


def _seed(text: str) -> int:
    if text == "random":
        return random.SystemRandom().randrange(1, 2**31)
    try:
        return int(text)
    except ValueError:
        raise TargetSetupError(f"--seed {text!r} is not an integer or 'random'") from None


def _number(given: object, option: str) -> float | None:
    if given in (None, ""):
        return None
    try:
        return float(str(given))
    except ValueError:
        raise TargetSetupError(f"{option} {given!r} is not a number") from None


def _max_wait(given: object) -> float | None:
    value = _number(given, "--max-wait")
    if value is not None and not 0 < value <= HARD_CAP_SECONDS:
        raise TargetSetupError(
            f"--max-wait must be above 0 and at most {HARD_CAP_SECONDS:.0f} s, got {value:g}"
        )
    return value


def _schedule(given: object) -> int | None:
    value = _number(given, "--invoke-queue-every")
    if value is not None and not 10 <= value <= 3_600_000:
        raise TargetSetupError(f"--invoke-queue-every must be from 10 to 3600000 ms, got {value:g}")
    return None if value is None else int(value)


def _jobs_ahead(given: object) -> int | None:
    value = _number(given, "--jobs-ahead")
    if value is not None and (not value.is_integer() or not 1 <= value <= MAX_JOBS_AHEAD):
        raise TargetSetupError(
            f"--jobs-ahead must be a whole number from 1 to {MAX_JOBS_AHEAD}, got {value:g}"
        )
    return None if value is None else int(value)


def _percent(given: object) -> float | None:
    value = _number(given, "--max-skipped")
    if value is not None and not 0 <= value <= 100:
        raise TargetSetupError(f"--max-skipped must be a percentage from 0 to 100, got {value:g}")
    return value
