"""Benchmark of the local stack under `plan-load`: the load it sustains on this machine.

Run: `.venv/bin/python benchmarks/bench_load.py [--steps 1,16,32,64] [--jobs-per-user 3]
[--latency-ms 1000] [--concurrency 16] [--workers 0]`

Starts `plan-stack serve` as a user would (embedded PostgreSQL, the fake DeepSeek, one
reference service; all on loopback), sets the fake's latency per call, then runs `plan-load`
once per step: U simulated users, each making `--jobs-per-user` journeys one after the other
(a new account, one job, polling with the app's policy, the plan read). Each step is a
closed loop, so the offered load grows with U until the stack saturates.

Per step it prints jobs/s (terminal jobs over the span from the first creation to the last
completion) and the time to plan (created_at -> completed_at of completed jobs) p50/p95/p99.
The peer, measured in the same run, is the first step (one user: no queueing): the stack
"sustains" the highest jobs/s whose p95 time to plan stays within `--p95-factor` (2.5) of
it. The peak jobs/s over all steps is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from fake_llm.control import FakeLLMControl

STACK_START_S = 180.0
STEP_RUN_TIME = "10m"


@dataclass(frozen=True)
class Step:
    users: int
    summary: dict[str, Any]

    @property
    def jobs_per_s(self) -> float:
        return float(self.summary["throughput_jobs_per_s"] or 0.0)

    def wait(self, q: int) -> float:
        return float(self.summary["time_to_plan_seconds"]["completed"][f"p{q}"] or 0.0)


def script(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def start_stack(folder: Path, concurrency: int) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    env_file = folder / "stack.env"
    overrides = {
        "INTERNAL_TIMEOUT_MS": "140000",  # production-like deadlines: latency must not time out
        "DEEPSEEK_CALL_TIMEOUT_MS": "60000",
        "WORKER_CONCURRENCY": str(concurrency),
        "WORKER_INTERVAL_MS": "1000",
    }
    command = [script("plan-stack"), "serve", "--db", "embedded", "--env-out", str(env_file)]
    for name, value in overrides.items():
        command += ["--service-env", f"{name}={value}"]
    log = (folder / "stack.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + STACK_START_S
    while not env_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"plan-stack serve did not start; see {folder / 'stack.log'}")
        time.sleep(0.2)
    return process, {key: value or "" for key, value in dotenv_values(env_file).items()}


def run_step(folder: Path, env_file: Path, users: int, arguments: argparse.Namespace) -> Step:
    out = folder / f"step-{users:03d}"
    command = [
        script("plan-load"), "--env-file", str(env_file),
        "--users", str(users), "--spawn-rate", str(min(users, 100)),
        "--jobs-per-user", str(arguments.jobs_per_user), "--workers", str(arguments.workers),
        "--run-time", STEP_RUN_TIME, "--health-interval", "5s", "--out", str(out),
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900)
    summary_path = out / "summary.json"
    if not summary_path.is_file():
        raise SystemExit(f"plan-load wrote no summary for {users} users:\n{completed.stderr[-2000:]}")
    summary = json.loads(summary_path.read_text())
    if not summary["ok"]:
        print(f"  warning: step with {users} users is not ok: {summary['jobs']} {summary['journeys_failed']}")
    return Step(users, summary)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="1,16,32,64", help="users per step; the first is the peer")
    parser.add_argument("--jobs-per-user", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=1000.0, help="fake DeepSeek latency per call")
    parser.add_argument("--concurrency", type=int, default=16, help="the service's WORKER_CONCURRENCY")
    parser.add_argument("--workers", type=int, default=0, help="Locust workers per step (0: standalone)")
    parser.add_argument(
        "--p95-factor", type=float, default=2.5, help="p95 time to plan allowed, as a multiple of the peer's"
    )
    arguments = parser.parse_args()
    steps = [int(users) for users in arguments.steps.split(",")]

    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    stack, values = start_stack(folder, arguments.concurrency)
    try:
        with FakeLLMControl(values["FAKE_DEEPSEEK_URL"]) as fake:
            fake.settings(latency_ms=arguments.latency_ms)
        print(
            f"local stack: embedded PostgreSQL, fake DeepSeek at {arguments.latency_ms:g} ms per call "
            f"(2 calls a job), WORKER_CONCURRENCY={arguments.concurrency}; "
            f"{arguments.jobs_per_user} journeys per user, Locust workers: {arguments.workers or 'none'}"
        )
        print(
            f"{'users':>5} {'jobs':>5} {'jobs/s':>7} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} {'p95/peer':>8}"
        )
        results: list[Step] = []
        for users in steps:
            step = run_step(folder, folder / "stack.env", users, arguments)
            results.append(step)
            peer_p95 = results[0].wait(95) or 1.0
            print(
                f"{users:>5} {step.summary['jobs']['terminal']:>5} {step.jobs_per_s:>7.2f} "
                f"{step.wait(50):>7.2f} {step.wait(95):>7.2f} {step.wait(99):>7.2f} "
                f"{step.wait(95) / peer_p95:>8.2f}",
                flush=True,
            )
        peer = results[0]
        within = [step for step in results if step.wait(95) <= arguments.p95_factor * peer.wait(95)]
        best = max(within, key=lambda step: step.jobs_per_s)
        peak = max(results, key=lambda step: step.jobs_per_s)
        print(
            f"\nsustained: {best.jobs_per_s:.2f} jobs/s at p95 time to plan {best.wait(95):.2f} s "
            f"({best.users} users); unloaded p95 {peer.wait(95):.2f} s, "
            f"limit {arguments.p95_factor:g}x = {arguments.p95_factor * peer.wait(95):.2f} s"
        )
        print(
            f"peak:      {peak.jobs_per_s:.2f} jobs/s at p95 time to plan {peak.wait(95):.2f} s "
            f"({peak.users} users)"
        )
        print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{n:.1f}' for n in os.getloadavg())}")
        print(f"reports: {folder}")
    finally:
        os.kill(stack.pid, signal.SIGTERM)
        try:
            stack.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stack.kill()
            stack.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
