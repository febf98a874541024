"""Benchmark of the reference service end to end: jobs per second from one service process.

Run: `.venv/bin/python benchmarks/bench_service.py [--jobs 400] [--concurrency 200] [--latency-ms 2000]`

Everything is real and on loopback: embedded PostgreSQL with the reference migrations, the
fake DeepSeek as its own process, and one `plan-reference serve` process (attempts run in
its event loop: WALL_CLOCK_LIMIT_MS=0). Jobs are inserted in one transaction; the clock
runs from that commit until every job is `completed`, as counted in the database. CPU is
the service's and the fake's over the run (their start-up left out), from /proc.

Two runs, each against a peer measured in the same run:
1. zero latency: jobs/s, against a SQL-only worker in this process that claims and
   completes the same number of jobs with a ready-made plan (the queue's own cost: what
   is left for HTTP, the pipeline and the fake is the difference);
2. `--latency-ms` per DeepSeek call with `--concurrency` jobs in flight: jobs/s against the
   latency-bound ideal `concurrency / (2 calls x latency)`, and the service's peak memory;
3. (`--runs spread`) the same with each call's latency drawn uniformly from 25 % to 175 % of
   `--latency-ms` (a fake delay rule): the ideal is the same mean, and only a worker
   whose freed slots claim at once (not after the slowest job of a batch) gets near it.

`--profile DIR` samples the service and the fake with py-spy (the `benchmark` extra)
during the zero-latency run, writes their collapsed stacks to DIR and prints the
functions with the most samples in each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest
from harness.db.run import DatabaseRun
from harness.profiles import ProfileFactory
from harness.stack.local import LocalStack

PROFILE = ProfileFactory(1).make(mealCount=4, dietaryPreference="Vegetarian")
TARGETS = {"total_kcal": 2200, "protein_g": 120}


@dataclass(frozen=True)
class Measurement:
    jobs: int
    seconds: float
    peak_rss_mib: float | None
    service_cpu_s: float | None = None
    fake_cpu_s: float | None = None
    completed_at: tuple[float, ...] = ()  # seconds, in completion order (the database's clock)

    @property
    def jobs_per_second(self) -> float:
        return self.jobs / self.seconds

    def slot_cycle_s(self, slots: int) -> float | None:
        """The median time from a completion to the completion `slots` later: how long an
        attempt slot takes to go round once the queue runs steadily, without the first
        round's fill and the last round's drain. None with fewer than two rounds."""
        times = self.completed_at
        gaps = [later - earlier for earlier, later in zip(times, times[slots:], strict=False)]
        return statistics.median(gaps) if gaps else None


def insert_jobs(dsn: str, count: int) -> float:
    """`count` users with one pending job each, in one transaction; returns the commit time."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("truncate auth.users, public.plan_generation_jobs cascade")
        with conn.transaction():
            conn.execute(
                """
                with users as (
                    insert into auth.users (email)
                    select 'bench-' || n || '@example.test' from generate_series(1, %s) n
                    returning id
                )
                insert into public.plan_generation_jobs (user_id, input)
                select id, %s from users
                """,
                (count, Jsonb({"profile": PROFILE, "targets": TARGETS})),
            )
        return time.perf_counter()


def wait_completed(dsn: str, count: int, timeout_s: float) -> float:
    deadline = time.perf_counter() + timeout_s
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.perf_counter() < deadline:
            row = conn.execute(
                "select count(*) filter (where status = 'completed'),"
                " count(*) filter (where status in ('failed', 'cancelled'))"
                " from public.plan_generation_jobs"
            ).fetchone()
            assert row is not None
            if row[1]:
                raise RuntimeError(f"{row[1]} jobs failed; the benchmark expects a healthy run")
            if row[0] >= count:
                return time.perf_counter()
            time.sleep(0.02)
    raise RuntimeError(f"not all {count} jobs completed within {timeout_s} s")


def completion_times(dsn: str) -> tuple[float, ...]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "select extract(epoch from completed_at)::float8 from public.plan_generation_jobs"
            " where status = 'completed' order by completed_at"
        ).fetchall()
    return tuple(row[0] for row in rows)


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a live process (from /proc)."""
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spent(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def peak_rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


@contextlib.contextmanager
def sampled(targets: dict[Path, int | None]) -> Iterator[None]:
    """py-spy records each process (pid) into its file while the block runs."""
    spies: list[tuple[Path, subprocess.Popen[bytes]]] = []
    for output, pid in targets.items():
        if pid is None:
            continue
        output.parent.mkdir(parents=True, exist_ok=True)
        command = [_py_spy(), "record", "--pid", str(pid), "--format", "raw", "--rate", "250"]
        spy = subprocess.Popen(
            [*command, "--output", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        spies.append((output, spy))
    try:
        yield
    finally:
        for output, spy in spies:
            spy.send_signal(signal.SIGINT)
            _, errors = spy.communicate(timeout=60)
            if not output.exists():
                print(f"  py-spy wrote no profile: {errors.decode(errors='replace').strip()[-300:]}")


def _py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else "py-spy"


def print_profile(collapsed: Path, top: int = 15) -> None:
    """The functions with the most samples (inclusive, and as the running frame)."""
    if not collapsed.exists():
        return
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] += count
        leaf[frames[-1]] += count
    if not total:
        return
    print(f"  profile ({total} samples, {collapsed}):")
    for title, counter in (("inclusive", inclusive), ("running", leaf)):
        print(f"    most {title}:")
        for frame, count in counter.most_common(top):
            print(f"      {100 * count / total:5.1f} %  {frame[:150]}")


def run_service(
    run: DatabaseRun,
    name: str,
    *,
    jobs: int,
    concurrency: int,
    latency_ms: int,
    workdir: Path,
    profile: Path | None = None,
    spread: bool = False,
) -> Measurement:
    dsn = run.server.dsn(name)
    overrides = {
        "WALL_CLOCK_LIMIT_MS": "0",
        "WORKER_CONCURRENCY": str(concurrency),
        "WORKER_INTERVAL_MS": "20",
        "INTERNAL_TIMEOUT_MS": str(max(60_000, 4 * latency_ms)),
        "DEEPSEEK_CALL_TIMEOUT_MS": str(max(30_000, 2 * latency_ms)),
        "LOG_LEVEL": "WARNING",
    }
    stack = LocalStack(dsn, 1, workdir, service_overrides=overrides, service_dsn=run.service_dsn(name))
    stack.start()
    try:
        if latency_ms:
            with stack.fake_control() as control:
                if spread:
                    bounds = {"lower_ms": latency_ms // 4, "upper_ms": latency_ms * 7 // 4}
                    delay = {"type": "delay", "distribution": {"type": "uniform", **bounds}}
                    control.add_fault({"name": "latency-spread", "match": {}, "action": delay})
                else:
                    control.settings(latency_ms=latency_ms)
        assert stack.service is not None and stack.fake is not None
        service_cpu_before, fake_cpu_before = cpu_seconds(stack.service.pid), cpu_seconds(stack.fake.pid)
        profiled = (
            {profile / "service.collapsed": stack.service.pid, profile / "fake.collapsed": stack.fake.pid}
            if profile
            else {}
        )
        with sampled(profiled):
            started = insert_jobs(dsn, jobs)
            finished = wait_completed(dsn, jobs, timeout_s=600)
        return Measurement(
            jobs,
            finished - started,
            peak_rss_mib(stack.service.pid),
            _spent(service_cpu_before, cpu_seconds(stack.service.pid)),
            _spent(fake_cpu_before, cpu_seconds(stack.fake.pid)),
            completion_times(dsn),
        )
    finally:
        stack.stop()


async def sql_only_peer(dsn: str, jobs: int, workers: int) -> Measurement:
    """The queue alone: claim and complete every job with a ready plan, `workers` at a time."""
    plan = Jsonb({"days": {}, "note": "ready-made"})

    async def worker(name: str) -> None:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            while True:
                cursor = await conn.execute(
                    "select id, claim_token from public.claim_next_plan_job(%s)", (name,)
                )
                row = await cursor.fetchone()
                if row is None:
                    return
                await conn.execute("select public.complete_plan_job(%s, %s, %s)", (row[0], row[1], plan))

    started = insert_jobs(dsn, jobs)
    await asyncio.gather(*(worker(f"peer-{n}") for n in range(workers)))
    return Measurement(jobs, time.perf_counter() - started, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=2000)
    parser.add_argument("--zero-latency-jobs", type=int, default=300)
    parser.add_argument(
        "--profile", type=Path, help="directory for py-spy's profiles of the zero-latency run (service, fake)"
    )
    parser.add_argument(
        "--runs",
        default="zero,latency,spread",
        help="which runs: zero (zero-latency fake), latency (fixed), spread (uniform around it)",
    )
    arguments = parser.parse_args()
    runs = {part.strip() for part in arguments.runs.split(",")}
    if not runs or runs - {"zero", "latency", "spread"}:
        parser.error(f"--runs takes a comma-separated list of zero, latency, spread; got {arguments.runs!r}")

    run = DatabaseRun.start(DatabaseRequest(spec="embedded"), MigrationSet.reference())
    try:
        workdir = Path(tempfile.mkdtemp(prefix="bench-service-"))
        name = run.scratch.clone("bench")
        print(run.header())

        if "zero" in runs:
            zero_latency_run(run, name, arguments, workdir)
        if "latency" in runs:
            latency_run(run, name, arguments, workdir, spread=False)
        if "spread" in runs:
            latency_run(run, name, arguments, workdir, spread=True)
    finally:
        run.close()
    return 0


def zero_latency_run(run: DatabaseRun, name: str, arguments: argparse.Namespace, workdir: Path) -> None:
    peer = asyncio.run(sql_only_peer(run.server.dsn(name), arguments.zero_latency_jobs, workers=8))
    fast = run_service(
        run,
        name,
        jobs=arguments.zero_latency_jobs,
        concurrency=16,
        latency_ms=0,
        workdir=workdir / "fast",
        profile=arguments.profile,
    )
    print(f"\nzero-latency fake, {fast.jobs} jobs, WORKER_CONCURRENCY=16")
    print(f"  service end to end      {fast.jobs_per_second:8.1f} jobs/s  ({fast.seconds:.2f} s)")
    print(f"  SQL-only peer (8 conns) {peer.jobs_per_second:8.1f} jobs/s  ({peer.seconds:.2f} s)")
    print(f"  ratio service / peer    {fast.jobs_per_second / peer.jobs_per_second:8.2f}   (goal >= 0.25)")
    print(f"  service peak RSS        {fast.peak_rss_mib or 0:8.1f} MiB")
    print(f"  CPU during the run: {_cpu_line(fast)}")
    if arguments.profile:
        print_profile(arguments.profile / "service.collapsed")
        print_profile(arguments.profile / "fake.collapsed")


def latency_run(
    run: DatabaseRun, name: str, arguments: argparse.Namespace, workdir: Path, *, spread: bool
) -> None:
    slow = run_service(
        run,
        name,
        jobs=arguments.jobs,
        concurrency=arguments.concurrency,
        latency_ms=arguments.latency_ms,
        workdir=workdir / ("spread" if spread else "slow"),
        spread=spread,
    )
    ideal = arguments.concurrency / (2 * arguments.latency_ms / 1000)
    low, high = arguments.latency_ms // 4, arguments.latency_ms * 7 // 4
    latency = (
        f"{low}-{high} ms (uniform, mean {arguments.latency_ms} ms)"
        if spread
        else f"{arguments.latency_ms} ms"
    )
    print(f"\n{latency} per DeepSeek call, {arguments.concurrency} jobs in flight, {slow.jobs} jobs")
    print(f"  service end to end      {slow.jobs_per_second:8.1f} jobs/s  ({slow.seconds:.2f} s)")
    print(f"  latency-bound ideal     {ideal:8.1f} jobs/s")
    whole = slow.jobs_per_second / ideal
    print(f"  ratio service / ideal   {whole:8.2f}   (the whole run, fill and drain included)")
    cycle = slow.slot_cycle_s(arguments.concurrency)
    if cycle is not None:
        steady = arguments.concurrency / cycle
        ideal_cycle = 2 * arguments.latency_ms / 1000
        print(f"  slot cycle (median)     {cycle:8.3f} s      (ideal {ideal_cycle:.3f} s: two calls)")
        print(f"  steady rate             {steady:8.1f} jobs/s  ({arguments.concurrency} slots / cycle)")
        print(f"  ratio steady / ideal    {steady / ideal:8.2f}   (goal >= 0.95)")
    print(f"  service peak RSS        {slow.peak_rss_mib or 0:8.1f} MiB")
    print(f"  CPU during the run: {_cpu_line(slow)}")


def _cpu_line(measured: Measurement) -> str:
    service, fake = measured.service_cpu_s or 0.0, measured.fake_cpu_s or 0.0
    return (
        f"service {service:.2f} s ({service / measured.jobs * 1000:.1f} ms per job), "
        f"fake DeepSeek {fake:.2f} s ({fake / measured.jobs * 1000:.1f} ms per job)"
    )


if __name__ == "__main__":
    sys.exit(main())
