"""Benchmark of the queue's SQL: the contract's claim and complete beside PgQueuer,
procrastinate and a raw `UPDATE ... SKIP LOCKED` loop, on the same PostgreSQL in one run.

Run from the repository root:

    .venv/bin/python -m benchmarks.bench_queue            # full matrix, a few minutes
    .venv/bin/python -m benchmarks.bench_queue --quick    # smoke run, seconds

Every system drains the same number of jobs with 1, 4 and 8 worker processes, with empty
payloads and with 12 KB ones, on young tables (emptied and analyzed: the planner thinks
they are empty) and on tables with history (10,000 finished jobs, vacuumed and analyzed),
on a server with the harness's fast settings and on one with durable settings (fsync,
synchronous_commit and full_page_writes on). Each cell prints jobs/s and the server's
CPU per job (from /proc, see `benchmarks/queuebench/server_cpu.py`), then the ratios the
goals are about (docs/performance.md).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from unittest import mock

import psycopg

from benchmarks.queuebench.runner import RunResult, measure
from benchmarks.queuebench.server_cpu import postmaster_pid
from benchmarks.queuebench.systems import BenchDatabase, Payload, QueueSystem
from benchmarks.queuebench.systems.contract import ContractQueue
from benchmarks.queuebench.systems.pgqueuer_queue import PgQueuerQueue
from benchmarks.queuebench.systems.procrastinate_queue import ProcrastinateQueue
from benchmarks.queuebench.systems.raw import RawLoop
from harness.db import local_cluster
from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest
from harness.db.run import DatabaseRun

CONTRACT = ContractQueue()
CONTRACT_BATCH = ContractQueue(batch=10)
CONTRACT_SQL = ContractQueue(direct=True)
RAW = RawLoop()
PGQUEUER_BATCH = PgQueuerQueue(batch=10)
PGQUEUER_SINGLE = PgQueuerQueue(batch=1)
PROCRASTINATE = ProcrastinateQueue()
SYSTEMS: tuple[QueueSystem, ...] = (
    CONTRACT,
    CONTRACT_BATCH,
    CONTRACT_SQL,
    RAW,
    PGQUEUER_BATCH,
    PGQUEUER_SINGLE,
    PROCRASTINATE,
)
# The peers imported when their runs start (the `benchmark` extra).
PEER_PACKAGES = ("pgqueuer", "procrastinate", "asyncpg")
PAYLOADS = {"empty": Payload("empty", 0), "12k": Payload("12 KB", 12 * 1024)}
HISTORY_PLAN = Payload("12 KB", 12 * 1024)
DURABLE_SETTINGS = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


@dataclass(frozen=True)
class Matrix:
    settings: tuple[str, ...]
    tables: tuple[str, ...]
    payloads: tuple[str, ...]
    workers: tuple[int, ...]
    jobs: int
    history: int
    provider: str


@dataclass(frozen=True)
class Cell:
    settings: str
    tables: str
    payload: str


@contextlib.contextmanager
def database_server(settings: str, provider: str) -> Iterator[DatabaseRun]:
    """A server from the harness's providers with the reference migrations; `durable`
    starts the local cluster with durability on (the harness has no option for it, so
    its settings table is patched for the start only)."""
    patch = (
        mock.patch.dict(local_cluster.SERVER_SETTINGS, DURABLE_SETTINGS)
        if settings == "durable"
        else contextlib.nullcontext()
    )
    with patch:
        run = DatabaseRun.start(DatabaseRequest(spec=provider), MigrationSet.reference())
    try:
        yield run
    finally:
        run.close()


def prepare(db: BenchDatabase, tables: str, history: int) -> None:
    """Every system's tables emptied, then (for `history`) `history` finished jobs each."""
    one_per_storage = {system.storage: system for system in SYSTEMS}.values()
    for system in one_per_storage:
        system.make_young(db)
    if tables == "history":
        for system in one_per_storage:
            system.seed_history(db, history, HISTORY_PLAN)
        with psycopg.connect(db.owner_dsn, autocommit=True) as conn:
            conn.execute("vacuum analyze")


def run_cell(
    db: BenchDatabase, cell: Cell, matrix: Matrix, postmaster: int
) -> dict[tuple[str, int], RunResult]:
    results: dict[tuple[str, int], RunResult] = {}
    payload = PAYLOADS[cell.payload]
    for workers in matrix.workers:
        for system in SYSTEMS:
            if cell.tables == "young":
                system.make_young(db)
            results[system.name, workers] = measure(
                system, db, workers=workers, jobs=matrix.jobs, payload=payload, postmaster=postmaster
            )
            if cell.tables == "history":
                system.forget_run(db)
    return results


def print_cell(cell: Cell, matrix: Matrix, results: dict[tuple[str, int], RunResult]) -> None:
    title = f"{cell.settings} settings, {cell.tables} tables, {PAYLOADS[cell.payload].label} payload"
    print(f"\n{title}: jobs/s (server CPU per job), {matrix.jobs} jobs per run")
    header = "".join(f"{f'{n} worker' + ('s' if n > 1 else ''):>22}" for n in matrix.workers)
    print(f"  {'system':<24}{header}")
    for system in SYSTEMS:
        figures = "".join(_figure(results[system.name, n]) for n in matrix.workers)
        print(f"  {system.name:<24}{figures}")
    for line in ratio_lines(matrix, results):
        print(f"  {line}")


def _figure(result: RunResult) -> str:
    return f"{result.jobs_per_second:>12,.0f} ({result.server_cpu_us_per_job:>5,.0f} us)"


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator > 0 else "n/a"


def ratio_lines(matrix: Matrix, results: dict[tuple[str, int], RunResult]) -> Iterator[str]:
    def rate(system: QueueSystem, workers: int) -> float:
        return results[system.name, workers].jobs_per_second

    def cpu(system: QueueSystem, workers: int) -> float:
        return results[system.name, workers].server_cpu_us_per_job

    per_workers = ", ".join(f"{n}: {_ratio(cpu(CONTRACT, n), cpu(RAW, n))}" for n in matrix.workers)
    yield f"server CPU per job, contract / raw loop       {per_workers}   (goal <= 2)"
    per_workers = ", ".join(f"{n}: {_ratio(cpu(CONTRACT_SQL, n), cpu(RAW, n))}" for n in matrix.workers)
    yield f"server CPU per job, contract SQL only / raw   {per_workers}"
    per_workers = ", ".join(f"{n}: {_ratio(rate(CONTRACT, n), rate(RAW, n))}" for n in matrix.workers)
    yield f"rate, contract / raw loop                    {per_workers}   (goal >= 0.5 at 4 and 8)"
    per_workers = ", ".join(f"{n}: {_ratio(rate(CONTRACT_SQL, n), rate(RAW, n))}" for n in matrix.workers)
    yield f"rate, contract SQL only / raw loop           {per_workers}"
    per_workers = ", ".join(
        f"{n}: {_ratio(rate(CONTRACT_BATCH, n), rate(PGQUEUER_BATCH, n))}" for n in matrix.workers
    )
    yield f"rate, contract batch 10 / PgQueuer batch 10  {per_workers}   (goal >= 0.7)"
    for peer in (PROCRASTINATE, PGQUEUER_SINGLE):
        per_workers = ", ".join(f"{n}: {_ratio(rate(CONTRACT, n), rate(peer, n))}" for n in matrix.workers)
        yield f"rate, contract / {peer.name:<27} {per_workers}   (goal > 1)"


def run_matrix(matrix: Matrix) -> None:
    for settings in matrix.settings:
        with database_server(settings, matrix.provider) as run:
            name = run.scratch.clone("bench_queue")
            db = BenchDatabase(run.server.dsn(name), run.service_dsn(name))
            postmaster = postmaster_pid(db.owner_dsn)
            print(f"\n== {settings} settings: {run.header()}", flush=True)
            for system in SYSTEMS:
                system.install(db)
            for tables in matrix.tables:
                prepare(db, tables, matrix.history)
                for payload in matrix.payloads:
                    cell = Cell(settings, tables, payload)
                    print_cell(cell, matrix, run_cell(db, cell, matrix, postmaster))
                    sys.stdout.flush()


def parse_matrix(argv: Sequence[str] | None) -> Matrix:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 4 workers, fast settings, empty payloads, 100 jobs per run, 1,000 of history",
    )
    parser.add_argument("--jobs", type=int, help="jobs per run (default 600; 100 with --quick)")
    parser.add_argument("--workers", help="comma-separated worker counts (default 1,4,8; 4 with --quick)")
    parser.add_argument("--settings", help="fast,durable (default both; fast with --quick)")
    parser.add_argument("--tables", default="young,history", help="young,history (default both)")
    parser.add_argument("--payloads", help="empty,12k (default both; empty with --quick)")
    parser.add_argument("--history", type=int, help="finished jobs on tables with history (default 10,000)")
    parser.add_argument("--db", default="embedded", choices=("embedded", "system"), help="the local server")
    arguments = parser.parse_args(argv)

    def choices(raw: str, allowed: Sequence[str], option: str) -> tuple[str, ...]:
        picked = tuple(part.strip() for part in raw.split(",") if part.strip())
        wrong = [part for part in picked if part not in allowed]
        if wrong or not picked:
            parser.error(f"{option} takes a comma-separated list of {', '.join(allowed)}; got {raw!r}")
        return picked

    workers_raw = arguments.workers or ("4" if arguments.quick else "1,4,8")
    try:
        workers = tuple(int(part) for part in workers_raw.split(","))
    except ValueError:
        parser.error(f"--workers takes whole numbers separated by commas; got {workers_raw!r}")
    if not workers or any(not 1 <= count <= 32 for count in workers):
        parser.error(f"--workers: each count must be from 1 to 32; got {workers_raw!r}")
    jobs = arguments.jobs or (100 if arguments.quick else 600)
    if jobs < 10:
        parser.error(f"--jobs must be at least 10; got {jobs}")
    return Matrix(
        settings=choices(
            arguments.settings or ("fast" if arguments.quick else "fast,durable"),
            ("fast", "durable"),
            "--settings",
        ),
        tables=choices(arguments.tables, ("young", "history"), "--tables"),
        payloads=choices(
            arguments.payloads or ("empty" if arguments.quick else "empty,12k"), tuple(PAYLOADS), "--payloads"
        ),
        workers=workers,
        jobs=jobs,
        history=arguments.history or (1_000 if arguments.quick else 10_000),
        provider=arguments.db,
    )


def missing_peers() -> list[str]:
    """The peer queues' packages (the `benchmark` extra) this environment lacks."""
    return [name for name in PEER_PACKAGES if importlib.util.find_spec(name) is None]


def main(argv: Sequence[str] | None = None) -> int:
    matrix = parse_matrix(argv)
    missing = missing_peers()
    if missing:
        print(
            f"bench_queue: {', '.join(missing)} not installed; the peers come with the benchmark "
            "extra: pip install -e '.[benchmark]'",
            file=sys.stderr,
        )
        return 2
    run_matrix(matrix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
