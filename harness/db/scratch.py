"""Scratch databases of one run: a template with the shim and migrations, one clone per worker.

Names start with `ptc_<run id>_` so that everything the run created can be found and
dropped at the end, also on a shared server reached by DSN.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from harness.db.errors import ProvisioningError
from harness.db.migrations import MigrationSet, apply_shim
from harness.db.server import PostgresServer

_NAME_PART = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class ScratchDatabases:
    """Creates and drops the run's databases on `server` (PostgreSQL 13 or newer)."""

    server: PostgresServer
    run_id: str

    def __post_init__(self) -> None:
        if not _NAME_PART.match(self.run_id):
            raise ValueError(f"run id must be lowercase letters, digits and _, got {self.run_id!r}")

    @property
    def prefix(self) -> str:
        return f"ptc_{self.run_id}_"

    @property
    def template(self) -> str:
        return f"{self.prefix}template"

    def _admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.server.dsn("postgres"), autocommit=True)

    def build_template(self, migrations: MigrationSet) -> float:
        """Create the template and apply the shim and the migrations; returns seconds taken."""
        started = time.perf_counter()
        self._create(self.template)
        with psycopg.connect(self.server.dsn(self.template), autocommit=True) as conn:
            apply_shim(conn)
            migrations.apply(conn)
        return time.perf_counter() - started

    def set_login_password(self, role: str, password: str) -> None:
        """Let `role` log in with `password` (roles are per server: only on a server the run owns)."""
        with self._admin() as admin:
            admin.execute(
                sql.SQL("alter role {} with login password {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )

    def clone(self, label: str) -> str:
        """A fresh database copied from the template; returns its name."""
        name = f"{self.prefix}{_safe(label)}"
        self._create(name, template=self.template)
        return name

    def _create(self, name: str, *, template: str | None = None) -> None:
        statement = sql.SQL("create database {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} template {}").format(statement, sql.Identifier(template))
        try:
            with self._admin() as admin:
                admin.execute(statement)
        except psycopg.Error as error:
            user = self.server.conninfo.get("user", "the DSN's role")
            raise ProvisioningError(
                f"cannot create the scratch database {name} on {self.server.describe()}: "
                f"{' '.join(str(error).split())} (the role {user} needs CREATEDB)"
            ) from None

    def drop(self, name: str) -> None:
        with self._admin() as admin:
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))

    def existing(self) -> list[str]:
        with self._admin() as admin:
            rows = admin.execute(
                "select datname from pg_database where starts_with(datname, %s) order by 1",
                (self.prefix,),
            ).fetchall()
        return [str(row[0]) for row in rows]

    def drop_all(self) -> None:
        for name in self.existing():
            self.drop(name)


def _safe(label: str) -> str:
    cleaned = re.sub(r"[^a-z0-9_]", "_", label.lower())
    return cleaned or "main"
