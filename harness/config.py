"""The run's settings, resolved once from options, ini values, an env file and the environment.

Kept frozen on `config.stash`; nothing in the harness reads options anywhere else. A
missing setting for staging stops the run at start with one message naming the variable.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dotenv import dotenv_values

from harness import options
from harness.client import ApiKeys
from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest, looks_like_dsn
from harness.errors import HarnessSetupError
from harness.estimator import HARD_CAP_SECONDS
from harness.redact import MIN_SECRET_LENGTH, SECRET_ENV_NAMES
from harness.targets import TARGET_NAMES, Target, local_target, remote_target


@dataclass(frozen=True)
class RemoteEndpoint:
    """A deployed target: its base URL and its API keys (secrets, never printed)."""

    url: str
    keys: ApiKeys = field(repr=False)


@dataclass(frozen=True)
class HarnessConfig:
    target: Target
    database: DatabaseRequest | None  # the local stack's server to provision
    remote: RemoteEndpoint | None  # staging / url
    remote_database_dsn: str | None = field(repr=False)  # a remote target's own database, used as is
    migrations: MigrationSet = field(default_factory=MigrationSet.reference)
    seed: int = 20251130
    allow_destructive: bool = False
    report_dir: Path = Path("reports")
    max_wait_seconds: float | None = None  # None: the target's default
    service_pythonpath: Path | None = None  # a modified reference_impl for the local service
    secret_values: tuple[str, ...] = field(default=(), repr=False)  # keys from the env file and environment

    @classmethod
    def from_pytest(cls, config: pytest.Config) -> HarnessConfig:
        target_name = str(options.value(config, "target"))
        if target_name not in TARGET_NAMES:
            raise HarnessSetupError(
                f"--target {target_name!r} is not a target; use one of {', '.join(TARGET_NAMES)}"
            )
        env = _environment(options.value(config, "env-file"))
        db_spec = str(options.value(config, "db"))
        migrations_path = options.value(config, "migrations")
        migrations = (
            MigrationSet.from_folder(Path(str(migrations_path)))
            if migrations_path
            else MigrationSet.reference()
        )
        database: DatabaseRequest | None = None
        remote: RemoteEndpoint | None = None
        remote_dsn: str | None = None
        if target_name != "url" and options.value(config, "url"):
            raise HarnessSetupError(f"--url is for --target url; this run's target is {target_name}")
        if target_name == "local":
            target = local_target()
            database = DatabaseRequest(
                spec=db_spec,
                image=str(options.value(config, "db-image")),
                environment_dsn=env.get("DATABASE_URL") or None,
            )
        else:
            remote_dsn = db_spec if looks_like_dsn(db_spec) else env.get("DATABASE_URL") or None
            remote = _remote_endpoint(target_name, options.value(config, "url"), env)
            target = remote_target(target_name, has_database=remote_dsn is not None)
        return cls(
            target=target,
            database=database,
            remote=remote,
            remote_database_dsn=remote_dsn,
            migrations=migrations,
            seed=_seed(str(options.value(config, "seed"))),
            allow_destructive=bool(options.value(config, "allow-destructive")),
            report_dir=Path(str(options.value(config, "report-dir"))),
            max_wait_seconds=_max_wait(options.value(config, "max-wait")),
            service_pythonpath=_folder(options.value(config, "service-pythonpath"), "--service-pythonpath"),
            secret_values=tuple(
                env[name] for name in SECRET_ENV_NAMES if len(env.get(name, "")) >= MIN_SECRET_LENGTH
            ),
        )


def _environment(env_file: object) -> dict[str, str]:
    values: dict[str, str] = {}
    if env_file:
        path = Path(str(env_file)).expanduser()
        if not path.is_file():
            raise HarnessSetupError(f"--env-file {path}: no such file")
        values.update({key: value for key, value in dotenv_values(path).items() if value})
    values.update({key: value for key, value in os.environ.items() if value})
    return values


def _remote_endpoint(target_name: str, url_option: object, env: Mapping[str, str]) -> RemoteEndpoint:
    if target_name == "url":
        if not url_option:
            raise HarnessSetupError("--target url needs --url http://host:port (the service's base URL)")
        url = str(url_option)
    else:
        url = env.get("SUPABASE_URL", "")
        if not url:
            raise HarnessSetupError(
                "--target staging needs SUPABASE_URL (in the environment or the --env-file)"
            )
    if not url.startswith(("http://", "https://")):
        raise HarnessSetupError(f"the target URL must start with http:// or https://, got {url!r}")
    missing = [name for name in ("SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY") if not env.get(name)]
    if missing:
        raise HarnessSetupError(
            f"--target {target_name} needs {' and '.join(missing)} (in the environment or the --env-file)"
        )
    return RemoteEndpoint(
        url.rstrip("/"), ApiKeys(env["SUPABASE_ANON_KEY"], env["SUPABASE_SERVICE_ROLE_KEY"])
    )


def _folder(given: object, option: str) -> Path | None:
    if not given:
        return None
    path = Path(str(given)).expanduser().resolve()
    if not path.is_dir():
        raise HarnessSetupError(f"{option} {path}: no such directory")
    return path


def _seed(text: str) -> int:
    if text == "random":
        return random.SystemRandom().randrange(1, 2**31)
    try:
        return int(text)
    except ValueError:
        raise HarnessSetupError(f"--seed {text!r} is not an integer or 'random'") from None


def _max_wait(given: object) -> float | None:
    if not given:
        return None
    text = str(given)
    try:
        value = float(text)
    except ValueError:
        raise HarnessSetupError(f"--max-wait {text!r} is not a number of seconds") from None
    if not 0 < value <= HARD_CAP_SECONDS:
        raise HarnessSetupError(
            f"--max-wait must be above 0 and at most {HARD_CAP_SECONDS:.0f} s, got {value:g}"
        )
    return value
