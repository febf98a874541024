"""Keeps the suite's database scenarios and everything else apart on a shared database.

On a deployed target whose database the database scenarios may use (`--allow-destructive`),
a database scenario needs the queue to itself: it claims "the oldest pending job", ages rows
and counts the whole queue. Every scenario therefore holds a PostgreSQL advisory lock on the
target's database for its duration, a database scenario in exclusive mode and every other
in shared mode, and the harness's queue schedule takes the shared lock for each invocation
(skipping the tick while a database scenario runs). The lock lives in the database, so it
holds across xdist workers and the controlling process alike.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from harness.errors import HarnessSetupError

QUEUE_LOCK_KEY = 0x706C_616E  # 'plan': the suite's own advisory lock key
WAIT_LIMIT_MS = 20 * 60 * 1000


class QueueGuard:
    """A reader-writer lock on the target's database, one connection per guard and thread."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._local = threading.local()
        self._connections: list[psycopg.Connection[tuple[object, ...]]] = []
        self._mutex = threading.Lock()

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        conn: psycopg.Connection[tuple[object, ...]] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self._dsn, autocommit=True, application_name="plan-conformance guard")
            conn.execute(f"set lock_timeout = {WAIT_LIMIT_MS}")
            self._local.conn = conn
            with self._mutex:
                self._connections.append(conn)
        return conn

    @contextmanager
    def hold(self, *, exclusive: bool) -> Iterator[None]:
        """Wait for the lock (exclusive for a database scenario, shared otherwise)."""
        conn = self._connection()
        kind = "" if exclusive else "_shared"
        try:
            conn.execute(f"select pg_advisory_lock{kind}(%s)", (QUEUE_LOCK_KEY,))
        except psycopg.errors.LockNotAvailable:
            raise HarnessSetupError(
                f"waited {WAIT_LIMIT_MS // 60000} minutes for the suite's queue lock on the target's "
                "database; another run of the suite may be using it"
            ) from None
        try:
            yield
        finally:
            conn.execute(f"select pg_advisory_unlock{kind}(%s)", (QUEUE_LOCK_KEY,))

    @contextmanager
    def try_shared(self) -> Iterator[bool]:
        """The shared lock if no database scenario holds (or waits for) the exclusive one."""
        conn = self._connection()
        row = conn.execute("select pg_try_advisory_lock_shared(%s)", (QUEUE_LOCK_KEY,)).fetchone()
        acquired = bool(row and row[0])
        try:
            yield acquired
        finally:
            if acquired:
                conn.execute("select pg_advisory_unlock_shared(%s)", (QUEUE_LOCK_KEY,))

    def close(self) -> None:
        with self._mutex:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
