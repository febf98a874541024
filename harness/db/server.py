"""A running PostgreSQL server as the harness sees it: how to reach it and how to stop it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from psycopg.conninfo import make_conninfo


@dataclass(frozen=True)
class PostgresServer:
    """A server the run may create and drop databases on, as a superuser (or CREATEDB role).

    `conninfo` holds everything but the database name; `stop` ends what the provider
    started (a no-op for a DSN to an existing server); `restart`, where the run can, stops
    the server as a crash would and starts it again at the same address, returning before it
    accepts connections again (None where the run cannot).
    """

    provider: str
    version: str
    conninfo: Mapping[str, Any]
    startup_seconds: float
    owns_server: bool
    stop: Callable[[], None] = field(compare=False, repr=False)
    restart: Callable[[], None] | None = field(default=None, compare=False, repr=False)

    def dsn(self, dbname: str) -> str:
        return make_conninfo("", **{**self.conninfo, "dbname": dbname})

    def describe(self) -> str:
        host = self.conninfo.get("host", "?")
        port = self.conninfo.get("port", "?")
        return f"{self.provider}: PostgreSQL {self.version} at {host}:{port}"
