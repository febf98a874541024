"""The service's PostgreSQL access: one async pool, every call as the request's caller.

The service connects like PostgREST does (ideally as `authenticator`) and switches to the
caller's role for each transaction, so grants and RLS in SQL are the security boundary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from pgcaller import Caller, as_caller_async, execute_as_async


class DatabaseUnavailable(Exception):
    """The database cannot be reached at start-up."""


def describe_dsn(dsn: str) -> str:
    """user@host:port/dbname, without the password."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "an unparseable DSN"
    user = parts.get("user")
    where = f"{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"
    return f"{user}@{where}" if user else where


class Database:
    """A connection pool whose transactions run as an API caller."""

    def __init__(self, pool: AsyncConnectionPool[psycopg.AsyncConnection[DictRow]]) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, dsn: str, *, min_size: int = 2, max_size: int = 20) -> Database:
        """A pool on `dsn`; `DatabaseUnavailable` names the server (never the password) and
        why when it cannot be reached."""
        try:
            probe = await psycopg.AsyncConnection.connect(dsn, connect_timeout=10)
        except psycopg.Error as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise DatabaseUnavailable(
                f"cannot connect to DATABASE_URL ({describe_dsn(dsn)}): {reason}"
            ) from None
        await probe.close()
        pool: AsyncConnectionPool[psycopg.AsyncConnection[DictRow]] = AsyncConnectionPool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True, "row_factory": dict_row},
            open=False,
            name="plan-reference",
        )
        await pool.open(wait=True, timeout=15)
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def as_caller(
        self, caller: Caller, *, read_only: bool = False, method: str = "POST", path: str = "/"
    ) -> AsyncIterator[psycopg.AsyncConnection[DictRow]]:
        """One transaction as `caller`; committed when the block ends without an error."""
        async with (
            self.pool.connection() as conn,
            as_caller_async(conn, caller, read_only=read_only, method=method, path=path),
        ):
            yield conn

    async def fetch_one(self, caller: Caller, query: str, params: Any = None) -> DictRow | None:
        """One statement as `caller`, in a transaction of its own and one round trip."""
        async with self.pool.connection() as conn:
            cursor = await execute_as_async(conn, caller, query.encode(), params)
            return await cursor.fetchone()

    async def fetch_all(self, caller: Caller, query: str, params: Any = None) -> list[DictRow]:
        """One statement as `caller`, in a transaction of its own and one round trip."""
        async with self.pool.connection() as conn:
            cursor = await execute_as_async(conn, caller, query.encode(), params)
            return await cursor.fetchall()
