"""One measured run: `workers` processes work one queue from a common start line.

The workers are forked processes, each with its own connection(s), so the client side
is not one Python thread's limit. Each connects, then waits at a barrier; all start
together and count the jobs they finish in a shared counter. The clock and the server's
CPU are read once the first `WARM_UP_SHARE` of the jobs are done (so every connection's
first calls, which compile functions and make plans, and each library's start-up stay
out of the figures), and again when the last worker reports its queue empty (workers
disconnect only after that). The rate is the jobs in between over the time in between.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import time
import traceback
from dataclasses import dataclass

from benchmarks.queuebench.server_cpu import server_cpu_seconds
from benchmarks.queuebench.systems import BenchDatabase, Payload, QueueSystem

START_TIMEOUT_S = 60.0
RUN_TIMEOUT_S = 300.0
WARM_UP_SHARE = 0.1


@dataclass(frozen=True)
class RunResult:
    jobs: int
    seconds: float
    server_cpu_s: float

    @property
    def jobs_per_second(self) -> float:
        return self.jobs / self.seconds

    @property
    def server_cpu_us_per_job(self) -> float:
        return self.server_cpu_s / self.jobs * 1e6


class SharedControl:
    """The run's start line and a job counter shared by its worker processes (inherited
    through fork)."""

    def __init__(self, context: multiprocessing.context.ForkContext, workers: int, jobs: int) -> None:
        self.start_line = context.Barrier(workers + 1)
        self.finish_line = context.Barrier(workers + 1)
        self.done = context.Value("q", 0)
        self.jobs = jobs
        self.results: multiprocessing.Queue[tuple[str, int | str]] = context.Queue()
        self.worker = ""

    def start(self) -> None:
        self.start_line.wait(START_TIMEOUT_S)

    def add_done(self, jobs: int) -> None:
        with self.done.get_lock():
            self.done.value += jobs

    def all_done(self) -> bool:
        return bool(self.done.value >= self.jobs)

    def finish(self, jobs: int) -> None:
        self.results.put((self.worker, jobs))
        self.finish_line.wait(RUN_TIMEOUT_S)


def _worker(
    system: QueueSystem,
    db: BenchDatabase,
    name: str,
    payload: Payload,
    control: SharedControl,
) -> None:
    control.worker = name
    try:
        system.work(db, name, payload, control)
    except BaseException:
        control.results.put((name, traceback.format_exc()))
        control.start_line.abort()
        control.finish_line.abort()


def measure(
    system: QueueSystem, db: BenchDatabase, *, workers: int, jobs: int, payload: Payload, postmaster: int
) -> RunResult:
    """Enqueue `jobs`, let `workers` processes drain them, return rate and server CPU."""
    system.enqueue(db, jobs, payload)
    context = multiprocessing.get_context("fork")
    control = SharedControl(context, workers, jobs)
    processes = [
        context.Process(
            target=_worker,
            args=(system, db, f"{system.name}-{n}", payload, control),
            daemon=True,
        )
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        control.start()
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while control.done.value < int(jobs * WARM_UP_SHARE) and time.monotonic() < deadline:
            if not control.results.empty():  # a worker failed (or the queue ran dry early)
                break
            time.sleep(0.0005)
        cpu_before = server_cpu_seconds(postmaster)
        started = time.perf_counter()
        warmed_up = int(control.done.value)
        reports = [control.results.get(timeout=RUN_TIMEOUT_S) for _ in processes]
        seconds = time.perf_counter() - started
        cpu = server_cpu_seconds(postmaster) - cpu_before
        failures = [f"{name}:\n{outcome}" for name, outcome in reports if isinstance(outcome, str)]
        if failures:
            raise RuntimeError(f"{system.name} workers failed:\n" + "\n".join(failures))
        control.finish_line.wait(START_TIMEOUT_S)
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
    left = system.unfinished(db)
    if left:
        raise RuntimeError(f"{system.name}: {left} of {jobs} jobs were not finished when its workers stopped")
    return RunResult(jobs - warmed_up, seconds, cpu)
