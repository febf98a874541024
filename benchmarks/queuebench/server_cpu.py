"""CPU time of a whole PostgreSQL server, read from /proc (no extension needed).

The server is the postmaster and its children. A live process's run time is read in
nanoseconds from /proc/<pid>/schedstat. A backend that exits is reaped by the postmaster,
which adds its CPU time to the postmaster's `cutime`/`cstime` (clock ticks, 10 ms). The
sum of the postmaster's own run time, those two fields and every live child's run time
grows by what the server spent: backends, WAL writer, checkpointer and autovacuum
included. The benchmark's workers keep their connections until the run is measured, so
their backends are read in nanoseconds; only processes that exit mid-run (autovacuum
workers) are counted to the tick.
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


def _run_seconds(pid: int) -> float:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def server_cpu_seconds(postmaster: int) -> float:
    """CPU seconds spent so far by the server: the postmaster, its reaped children and its
    live children."""
    reaped_ticks = sum(int(value) for value in _stat_fields(postmaster)[13:15])  # cutime, cstime
    seconds = _run_seconds(postmaster) + reaped_ticks / TICKS_PER_SECOND
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if int(_stat_fields(int(entry.name))[1]) == postmaster:
                seconds += _run_seconds(int(entry.name))
        except OSError:  # exited meanwhile
            continue
    return seconds
