"""Scenario connections that give up on a lock within seconds and say who held it.

A scenario whose statement waits on a lock (a claim that lost its `SKIP LOCKED` waiting
for another transaction's job, a `truncate` waiting for a forgotten transaction) would
otherwise hang until the poller or a thread's deadline gives up, and fail without saying
why. These connections run with a `lock_timeout` (docs/decisions.md H29); when a
statement fails with `LockNotAvailable` (SQLSTATE 55P03), the error gets a note, read from
`pg_stat_activity` and `pg_locks` on a second connection at that moment (the other
transaction still holds its lock): the blocked statement, what it was locking, and each
other backend of the database in an open transaction holding a lock on that relation,
with its state and query. The error itself is unchanged (type, SQLSTATE, diagnostics).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.abc import PQGen
from psycopg.rows import Row, dict_row

LOCK_TIMEOUT = timedelta(seconds=3)
# the longest query text quoted in a note
_QUOTED_CHARS = 400
_RELATION = re.compile(r'in relation "([^"]+)"')
# pgcaller's one-round-trip form puts the caller's settings before the statement
_CALLER_SETUP = re.compile(
    r"^(?:set transaction read only; |begin(?: read only)?; )?"
    r"select set_config\('role'.*?, true\)(?:; |$)",
    re.S,
)

_OWN_STATEMENT_SQL = "select query from pg_stat_activity where pid = %(blocked)s"
_HOLDERS_SQL = """
select a.pid, a.state, a.application_name, a.query,
       extract(epoch from clock_timestamp() - a.xact_start)::float8 as in_transaction_s
  from pg_stat_activity a
 where a.datname = current_database()
   and a.pid not in (pg_backend_pid(), %(blocked)s)
   and a.xact_start is not null
   and (%(relation)s::text is null
        or exists (select 1
                     from pg_locks l
                     join pg_class c on c.oid = l.relation
                    where l.pid = a.pid and l.granted and c.relname = %(relation)s))
 order by a.xact_start
"""


class LockReportingConnection(psycopg.Connection[Row]):
    """A psycopg connection whose `LockNotAvailable` errors name the blocked statement
    and the backends holding the lock. Open it with `connect_with_lock_timeout`."""

    monitor_dsn: str = ""
    lock_timeout: timedelta = LOCK_TIMEOUT

    def wait(self, gen: PQGen[Any], interval: float = 0.1, timeout: float | None = None) -> Any:
        # every statement, commit and rollback of a psycopg connection goes through wait()
        try:
            return super().wait(gen, interval, timeout)
        except psycopg.errors.LockNotAvailable as error:
            note = describe_lock_wait(self.monitor_dsn, self.info.backend_pid, error, self.lock_timeout)
            error.add_note(note)
            raise


def connect_with_lock_timeout(
    dsn: str, *, lock_timeout: timedelta = LOCK_TIMEOUT, application_name: str = "plan-conformance scenario"
) -> psycopg.Connection[dict[str, Any]]:
    """An autocommit connection with dict rows whose statements wait at most
    `lock_timeout` for a lock, and whose lock timeouts name who held the lock."""
    if lock_timeout <= timedelta(0):
        raise ValueError(f"lock_timeout must be positive, got {lock_timeout}")
    conn: LockReportingConnection[dict[str, Any]] = LockReportingConnection.connect(
        dsn, autocommit=True, row_factory=dict_row, application_name=application_name
    )
    conn.monitor_dsn = dsn
    conn.lock_timeout = lock_timeout
    conn.execute(f"set lock_timeout = {int(lock_timeout.total_seconds() * 1000)}")
    return conn


def describe_lock_wait(
    monitor_dsn: str, blocked_pid: int, error: psycopg.Error, lock_timeout: timedelta
) -> str:
    """What a statement that hit `lock_timeout` waited for, read while the holders still
    hold their locks."""
    # the context's first line says what was being locked ("while locking tuple (0,1) in
    # relation ..."); the rest is the PL/pgSQL stack psycopg prints with the error anyway
    context = " ".join((error.diag.context or "").strip().split("\n", 1)[0].split())
    relation_match = _RELATION.search(context)
    relation = relation_match.group(1) if relation_match else None
    lines = [f"lock wait over lock_timeout ({int(lock_timeout.total_seconds() * 1000)} ms):"]
    try:
        with psycopg.connect(
            monitor_dsn, autocommit=True, row_factory=dict_row, connect_timeout=5
        ) as monitor:
            own = monitor.execute(_OWN_STATEMENT_SQL, {"blocked": blocked_pid}).fetchone()
            holders = monitor.execute(_HOLDERS_SQL, {"blocked": blocked_pid, "relation": relation}).fetchall()
            if not holders and relation is not None:
                holders = monitor.execute(_HOLDERS_SQL, {"blocked": blocked_pid, "relation": None}).fetchall()
    except psycopg.Error as monitor_error:
        lines.append(f"  (could not read pg_stat_activity: {' '.join(str(monitor_error).split())})")
        return "\n".join(lines)
    statement = _statement(own["query"]) if own else "(its query is no longer shown)"
    lines.append(f"  blocked statement (backend {blocked_pid}): {statement}")
    if context:
        lines.append(f"  {context if context.startswith('while ') else f'context: {context}'}")
    if not holders:
        lines.append("  no other backend of this database is in a transaction now (the holder has ended)")
    for holder in holders:
        lines.append(
            f"  held by backend {holder['pid']} ({holder['state']}, in a transaction for "
            f"{holder['in_transaction_s']:.1f} s, application {holder['application_name'] or '-'!r}): "
            f"{_statement(holder['query'] or '')}"
        )
    return "\n".join(lines)


def _statement(query: str) -> str:
    """The query text without pgcaller's settings before it, on one line, shortened."""
    flat = " ".join((_CALLER_SETUP.sub("", query) or query).split())
    return flat if len(flat) <= _QUOTED_CHARS else f"{flat[:_QUOTED_CHARS]}..."
