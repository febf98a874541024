"""Locust as child processes: one standalone process, or a master and N workers on loopback.

Locust patches the interpreter with gevent when it is imported, so it never runs in the
`plan-load` process (nor in a test process). The keys reach the children through their
environment only. Every child is bounded: the master gets the run time plus a start-up
allowance, then it is stopped (SIGTERM, which still makes Locust write its reports), then
killed; workers are stopped once the master is gone.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from harness.load import LOCUSTFILE, protocol
from harness.load.settings import LoadSettings, LoadTarget

LOOPBACK = "127.0.0.1"
STOP_GRACE_S = 15.0
WORKER_EXIT_S = 20.0


@dataclass(frozen=True)
class RunFiles:
    """Where a run writes; the folder is the `--out` of `plan-load`."""

    folder: Path

    @property
    def csv_prefix(self) -> Path:
        return self.folder / "locust"

    @property
    def stats_csv(self) -> Path:
        return self.folder / "locust_stats.csv"

    @property
    def html(self) -> Path:
        return self.folder / "report.html"

    @property
    def jobs(self) -> Path:
        return self.folder / "jobs.jsonl"

    @property
    def health(self) -> Path:
        return self.folder / "health.jsonl"

    @property
    def summary(self) -> Path:
        return self.folder / "summary.json"

    def log(self, role: str) -> Path:
        return self.folder / f"{role}.log"


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def child_environment(target: LoadTarget, files: RunFiles) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("LOCUST_")}
    env.update(
        {
            protocol.ANON_KEY_ENV: target.anon_key,
            protocol.SERVICE_ROLE_KEY_ENV: target.service_role_key,
            protocol.JOBS_FILE_ENV: str(files.jobs),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _duration(seconds: float) -> str:
    return f"{max(1, math.ceil(seconds))}s"


@dataclass(frozen=True)
class LocustCommands:
    """The command lines of one run (no secrets in them)."""

    settings: LoadSettings
    target_url: str
    files: RunFiles
    run_id: str
    master_port: int = field(default_factory=free_loopback_port)

    def main(self) -> list[str]:
        poll = self.settings.poll
        command = [
            sys.executable, "-m", "locust",
            "-f", str(LOCUSTFILE),
            "--headless",
            "--users", str(self.settings.users),
            "--spawn-rate", f"{self.settings.spawn_rate:g}",
            "--run-time", _duration(self.settings.run_time_s),
            "--stop-timeout", "0",
            "--host", self.target_url,
            "--csv", str(self.files.csv_prefix),
            "--html", str(self.files.html),
            "--loglevel", "INFO",
            protocol.OPTION_RUN_ID, self.run_id,
            protocol.OPTION_JOBS_PER_USER, str(self.settings.jobs_per_user),
            protocol.OPTION_SIGNUP, self.settings.signup,
            protocol.OPTION_SEED, str(self.settings.seed),
            protocol.OPTION_POLL_INITIAL_MS, f"{poll.initial_interval_ms:g}",
            protocol.OPTION_POLL_BACKOFF, f"{poll.backoff_factor:g}",
            protocol.OPTION_POLL_MAX_INTERVAL_MS, f"{poll.max_interval_ms:g}",
            protocol.OPTION_MAX_WAIT_S, f"{poll.max_wait_s or 0:g}",
        ]  # fmt: skip
        if self.settings.workers:
            command += [
                "--master",
                "--master-bind-host", LOOPBACK,
                "--master-bind-port", str(self.master_port),
                "--expect-workers", str(self.settings.workers),
                "--expect-workers-max-wait", f"{self.settings.startup_allowance_s:g}",
            ]  # fmt: skip
        return command

    def worker(self) -> list[str]:
        return [
            sys.executable, "-m", "locust",
            "-f", str(LOCUSTFILE),
            "--worker",
            "--master-host", LOOPBACK,
            "--master-port", str(self.master_port),
            "--loglevel", "INFO",
        ]  # fmt: skip


@dataclass(frozen=True)
class LocustOutcome:
    exit_code: int | None  # None: the master outlived its bound (or Ctrl-C's grace) and was stopped
    worker_exit_codes: tuple[int | None, ...]
    interrupted: bool = False


def _stop(process: subprocess.Popen[bytes], grace_s: float) -> int | None:
    """Wait up to `grace_s`, then SIGTERM, then SIGKILL; the exit code if it ended by itself."""
    try:
        return process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return None


def _start(command: list[str], log: BinaryIO, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd
    )


def run_locust(commands: LocustCommands, env: dict[str, str]) -> LocustOutcome:
    """Start the workers (if any) and the master, and wait within the run's bound."""
    files = commands.files
    settings = commands.settings
    workers: list[subprocess.Popen[bytes]] = []
    master: subprocess.Popen[bytes] | None = None
    with contextlib.ExitStack() as logs:
        try:
            role = "locust-master" if settings.workers else "locust"
            master_log = logs.enter_context(files.log(role).open("wb"))
            master = _start(commands.main(), master_log, env, files.folder)
            for index in range(settings.workers):
                worker_log = logs.enter_context(files.log(f"locust-worker-{index}").open("wb"))
                workers.append(_start(commands.worker(), worker_log, env, files.folder))
            bound_s = settings.run_time_s + settings.startup_allowance_s
            interrupted = False
            try:
                exit_code = _stop(master, bound_s)
            except KeyboardInterrupt:  # Ctrl-C: Locust got SIGINT too; let it write its reports
                interrupted = True
                exit_code = _stop(master, STOP_GRACE_S)
            worker_codes = tuple(_stop(worker, WORKER_EXIT_S) for worker in workers)
            return LocustOutcome(exit_code, worker_codes, interrupted)
        finally:
            for process in [*workers, *([master] if master else [])]:
                if process.poll() is None:
                    process.kill()
                    process.wait()
