"""The run's settings, resolved once from options, ini values and the environment.

Kept frozen on `config.stash`; nothing in the harness reads options anywhere else.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import options
from harness.db.errors import HarnessSetupError
from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest, looks_like_dsn
from harness.targets import TARGET_NAMES, Target, local_target, remote_target


@dataclass(frozen=True)
class HarnessConfig:
    target: Target
    database: DatabaseRequest | None  # the local stack's server to provision
    remote_database_dsn: str | None  # a staging/url target's own database, used as is
    migrations: MigrationSet
    seed: int
    allow_destructive: bool

    @classmethod
    def from_pytest(cls, config: pytest.Config) -> HarnessConfig:
        target_name = str(options.value(config, "target"))
        if target_name not in TARGET_NAMES:
            raise HarnessSetupError(
                f"--target {target_name!r} is not a target; use one of {', '.join(TARGET_NAMES)}"
            )
        db_spec = str(options.value(config, "db"))
        environment_dsn = os.environ.get("DATABASE_URL") or None
        database: DatabaseRequest | None = DatabaseRequest(
            spec=db_spec,
            image=str(options.value(config, "db-image")),
            environment_dsn=environment_dsn,
        )
        remote_dsn: str | None = None
        if target_name == "local":
            target = local_target()
        else:
            remote_dsn = db_spec if looks_like_dsn(db_spec) else environment_dsn
            target = remote_target(target_name, has_database=remote_dsn is not None)
            database = None
        migrations_path = options.value(config, "migrations")
        migrations = (
            MigrationSet.from_folder(Path(str(migrations_path)))
            if migrations_path
            else MigrationSet.reference()
        )
        return cls(
            target=target,
            database=database,
            remote_database_dsn=remote_dsn,
            migrations=migrations,
            seed=_seed(str(options.value(config, "seed"))),
            allow_destructive=bool(options.value(config, "allow-destructive")),
        )


def _seed(text: str) -> int:
    if text == "random":
        return random.SystemRandom().randrange(1, 2**31)
    try:
        return int(text)
    except ValueError:
        raise HarnessSetupError(f"--seed {text!r} is not an integer or 'random'") from None
