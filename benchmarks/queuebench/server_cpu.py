"""CPU time of a whole PostgreSQL server, read from /proc (no extension needed).

The server is the postmaster and its children. A backend that exits is reaped by the
postmaster, which adds its CPU time to the postmaster's own `cutime`/`cstime`; so the
sum of the postmaster's four fields and every live child's `utime`/`stime` grows by
exactly what the server spent, backends, WAL writer, checkpointer and autovacuum
included. Clock ticks are 10 ms: a run needs a few hundred ms of server CPU for 5 %.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name (index 0 = state)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def postmaster_pid(dsn: str) -> int:
    """The postmaster of the server behind `dsn`: the parent of this session's backend.
    The server must run on this machine (a local cluster)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute("select pg_backend_pid()").fetchone()
    assert row is not None
    try:
        return int(_stat_fields(int(row[0]))[1])
    except OSError as error:
        raise RuntimeError(
            f"cannot read /proc for backend {row[0]}: server CPU needs a server on this machine"
        ) from error


def server_cpu_seconds(postmaster: int) -> float:
    """CPU seconds spent so far by the server: the postmaster, its reaped children and its
    live children."""
    own = _stat_fields(postmaster)
    ticks = sum(int(value) for value in own[11:15])  # utime, stime, cutime, cstime
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields(int(entry.name))
        except OSError:  # exited meanwhile
            continue
        if int(fields[1]) == postmaster:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / TICKS_PER_SECOND
