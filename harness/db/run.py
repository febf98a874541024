"""The database side of one pytest run: started once by the controller, shared with workers.

The controller (the only process without xdist, the xdist controller with it) provisions
the server and builds the template; each worker clones its own database from the
template. The description travels to workers as plain JSON in `workerinput`.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from psycopg.conninfo import make_conninfo

from harness.db.errors import MigrationError
from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest, provision
from harness.db.scratch import ScratchDatabases
from harness.db.server import PostgresServer


@dataclass(frozen=True)
class DatabaseRun:
    """The server, the run's scratch databases and how long setting them up took."""

    server: PostgresServer
    scratch: ScratchDatabases
    migrations_label: str
    template_seconds: float
    is_controller: bool
    # set when the run owns the server: the service then connects as `authenticator`, like
    # PostgREST; on a server reached by DSN it connects with the DSN's own role
    authenticator_password: str | None = field(default=None, repr=False)

    @classmethod
    def start(cls, request: DatabaseRequest, migrations: MigrationSet) -> DatabaseRun:
        server = provision(request)
        scratch = ScratchDatabases(server, uuid.uuid4().hex[:10])
        try:
            seconds = scratch.build_template(migrations)
            password = secrets.token_urlsafe(24) if server.owns_server else None
            if password is not None:
                scratch.set_login_password("authenticator", password)
        except MigrationError as error:
            _clean_up(server, scratch)
            if error.sql_error.startswith("0A000") and "extension" in error.sql_error:
                raise MigrationError(
                    error.file,
                    error.line,
                    f"{error.sql_error} on the {server.provider} server (PostgreSQL {server.version}); "
                    "use a provider whose server has it, e.g. --db system or a DSN",
                ) from None
            raise
        except BaseException:
            _clean_up(server, scratch)
            raise
        return cls(
            server,
            scratch,
            migrations.describe(),
            seconds,
            is_controller=True,
            authenticator_password=password,
        )

    def service_dsn(self, dbname: str) -> str:
        """How the service under test reaches `dbname` (a role that can SET ROLE to the API roles)."""
        if self.authenticator_password is None:
            return self.server.dsn(dbname)
        return make_conninfo(
            self.server.dsn(dbname), user="authenticator", password=self.authenticator_password
        )

    def close(self) -> None:
        """Drop what the run created and stop what it started (controller only)."""
        if not self.is_controller:
            return
        try:
            if not self.server.owns_server:
                self.scratch.drop_all()
        finally:
            self.server.stop()

    def header(self) -> str:
        total = self.server.startup_seconds + self.template_seconds
        return (
            f"database: {self.server.provider}, PostgreSQL {self.server.version}; "
            f"start-up {self.server.startup_seconds:.2f} s + shim and migrations "
            f"{self.template_seconds:.2f} s = {total:.2f} s; migrations: {self.migrations_label}"
        )

    def to_workerinput(self) -> dict[str, Any]:
        return {
            "provider": self.server.provider,
            "version": self.server.version,
            "conninfo": dict(self.server.conninfo),
            "startup_seconds": self.server.startup_seconds,
            "run_id": self.scratch.run_id,
            "migrations_label": self.migrations_label,
            "template_seconds": self.template_seconds,
            "authenticator_password": self.authenticator_password,
        }

    @classmethod
    def from_workerinput(cls, data: Mapping[str, Any]) -> DatabaseRun:
        server = PostgresServer(
            provider=data["provider"],
            version=data["version"],
            conninfo=data["conninfo"],
            startup_seconds=data["startup_seconds"],
            owns_server=False,
            stop=lambda: None,
        )
        return cls(
            server,
            ScratchDatabases(server, data["run_id"]),
            data["migrations_label"],
            data["template_seconds"],
            is_controller=False,
            authenticator_password=data.get("authenticator_password"),
        )


def _clean_up(server: PostgresServer, scratch: ScratchDatabases) -> None:
    """After a failed start: drop what was created on a shared server, stop an owned one."""
    with contextlib.suppress(Exception):
        if not server.owns_server:
            scratch.drop_all()
    server.stop()
