"""PostgREST's calling convention in as few round trips as psycopg allows (sync and async).

PostgREST runs a request as one transaction: `set_config('role', ...)` and
`set_config('request.jwt.claims', ...)` (and the method and path) local to it, then the
request's statement, then the commit. Sent one statement at a time that is four round
trips and four parses for every call; here it is one or two:

- `execute_as` (one statement as the caller): the settings and the statement travel as
  one simple-protocol query string, which PostgreSQL runs as one implicit transaction:
  the settings last until its end, an error anywhere rolls all of it back and leaves the
  connection idle. The parameters are merged into the text by psycopg's client-side
  cursor (the same adapters, sent as quoted literals), since a string of several
  statements cannot carry bound parameters. One round trip, error or not.
- `as_caller` (a block of statements as the caller): `BEGIN` and the settings in one
  round trip, the block's statements, then `COMMIT` (or `ROLLBACK` when the block raises).

Measured in docs/performance.md ("Calling convention"); the choice is docs/decisions.md D39.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import psycopg
from psycopg import pq
from psycopg.abc import Params, Query
from psycopg.rows import Row

from pgcaller._caller import Caller

logger = logging.getLogger(__name__)

# PostgREST's pre-request query sets these with set_config(..., true), i.e. SET LOCAL.
_SETUP_SQL = (
    "select set_config('role', %(role)s, true),"
    " set_config('request.jwt.claims', %(claims)s, true),"
    " set_config('request.method', %(method)s, true),"
    " set_config('request.path', %(path)s, true)"
)


def _require_idle(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any], what: str) -> None:
    status = conn.info.transaction_status
    if status != pq.TransactionStatus.IDLE:
        raise RuntimeError(
            f"{what} needs a connection with no transaction open (it is {status.name}); "
            "use an autocommit connection or commit first"
        )


def _one_statement_text(
    cursor: psycopg.ClientCursor[Any] | psycopg.AsyncClientCursor[Any],
    caller: Caller,
    query: Query,
    params: Params | None,
    *,
    read_only: bool,
    method: str,
    path: str,
) -> str:
    """`[set transaction read only;] <settings>; <query with its parameters merged>`."""
    setup = cursor.mogrify(_SETUP_SQL, caller.setup_params(method=method, path=path))
    statement = cursor.mogrify(query, params)
    prefix = "set transaction read only; " if read_only else ""
    return f"{prefix}{setup}; {statement}"


def _begin_text(
    cursor: psycopg.ClientCursor[Any] | psycopg.AsyncClientCursor[Any],
    caller: Caller,
    *,
    read_only: bool,
    method: str,
    path: str,
) -> str:
    """`begin [read only]; <settings>`."""
    setup = cursor.mogrify(_SETUP_SQL, caller.setup_params(method=method, path=path))
    return f"begin{' read only' if read_only else ''}; {setup}"


def execute_as(
    conn: psycopg.Connection[Row],
    caller: Caller,
    query: Query,
    params: Params | None = None,
    *,
    read_only: bool = False,
    method: str = "POST",
    path: str = "/",
) -> psycopg.ClientCursor[Row]:
    """Runs one statement as `caller` in a transaction of its own, in one round trip; the
    returned cursor holds the statement's result. The connection must be idle."""
    _require_idle(conn, "execute_as")
    cursor = psycopg.ClientCursor(conn, row_factory=conn.row_factory)
    text = _one_statement_text(cursor, caller, query, params, read_only=read_only, method=method, path=path)
    cursor.execute(text.encode(conn.info.encoding))
    while cursor.nextset():
        pass
    return cursor


async def execute_as_async(
    conn: psycopg.AsyncConnection[Row],
    caller: Caller,
    query: Query,
    params: Params | None = None,
    *,
    read_only: bool = False,
    method: str = "POST",
    path: str = "/",
) -> psycopg.AsyncClientCursor[Row]:
    """The async twin of `execute_as`."""
    _require_idle(conn, "execute_as")
    cursor = psycopg.AsyncClientCursor(conn, row_factory=conn.row_factory)
    text = _one_statement_text(cursor, caller, query, params, read_only=read_only, method=method, path=path)
    await cursor.execute(text.encode(conn.info.encoding))
    while cursor.nextset():
        pass
    return cursor


@contextmanager
def as_caller(
    conn: psycopg.Connection[Row],
    caller: Caller,
    *,
    read_only: bool = False,
    method: str = "POST",
    path: str = "/",
) -> Iterator[psycopg.Connection[Row]]:
    """One transaction in which every statement runs as `caller`; committed on success,
    rolled back when the block raises.

    The connection must be idle (no transaction open): inside one, the settings would
    outlive the block.
    """
    _require_idle(conn, "as_caller")
    try:
        with psycopg.ClientCursor(conn) as cursor:
            cursor.execute(_begin_text(cursor, caller, read_only=read_only, method=method, path=path))
        yield conn
    except BaseException:
        if conn.info.transaction_status in _ROLLBACK_STATES:
            try:
                conn.rollback()
            except psycopg.Error as error:  # the block's error is the one to report
                logger.warning("rolling back the caller's transaction failed: %s", error)
        raise
    conn.commit()


@asynccontextmanager
async def as_caller_async(
    conn: psycopg.AsyncConnection[Row],
    caller: Caller,
    *,
    read_only: bool = False,
    method: str = "POST",
    path: str = "/",
) -> AsyncIterator[psycopg.AsyncConnection[Row]]:
    """The async twin of `as_caller`."""
    _require_idle(conn, "as_caller")
    try:
        async with psycopg.AsyncClientCursor(conn) as cursor:
            await cursor.execute(_begin_text(cursor, caller, read_only=read_only, method=method, path=path))
        yield conn
    except BaseException:
        if conn.info.transaction_status in _ROLLBACK_STATES:
            try:
                await conn.rollback()
            except psycopg.Error as error:  # the block's error is the one to report
                logger.warning("rolling back the caller's transaction failed: %s", error)
        raise
    await conn.commit()


_ROLLBACK_STATES = frozenset({pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR})
