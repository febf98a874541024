"""Once per run, before any stack: the functions' dependencies cached, their types checked,
each started once (its cold start measured). Any failure stops the run with one line naming
the file (with `file:line` from Deno where it gives one), and nothing is left running.

Dependencies are taken from the cache when they are all there (`--cached-only`); only a cache
miss reaches the registry, so a run after the first needs no network.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.edge.deno_binary import Deno
from harness.edge.folder import FunctionsFolder
from harness.edge.worker import FunctionWorker, WorkerStartError, config_arguments
from harness.errors import HarnessSetupError

DENO_TIMEOUT_S = 600
_TYPE_ERROR = re.compile(r"^(TS\d+) \[ERROR\]: (.+)$")
_LOCATION = re.compile(r"^\s*at file://(\S+:\d+:\d+)")


@dataclass(frozen=True)
class Preflight:
    """A functions folder ready to serve: what it holds and how fast its workers start."""

    folder: FunctionsFolder
    deno: Deno
    cold_start_s: float

    def header(self) -> str:
        return (
            f"edge functions: {', '.join(self.folder.functions)} from {self.folder.path} under Deno "
            f"{self.deno.version}; cold start {self.cold_start_s:.2f} s"
        )


def prepare(path: Path) -> Preflight:
    folder = FunctionsFolder.open(path)
    deno = Deno.find()
    for name in folder.functions:
        _cache(deno, folder, name)
    for name in folder.functions:
        _check(deno, folder, name)
    return Preflight(folder, deno, asyncio.run(_cold_start(deno, folder)))


def _run(deno: Deno, arguments: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [str(deno.executable), *arguments],
            cwd=cwd,
            env={**_inherited(), **deno.environment()},
            capture_output=True,
            text=True,
            timeout=DENO_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise HarnessSetupError(f"deno {arguments[0]} did not finish within {DENO_TIMEOUT_S} s") from None


def _inherited() -> dict[str, str]:
    return dict(os.environ)


def _cache(deno: Deno, folder: FunctionsFolder, name: str) -> None:
    entry = str(folder.entry(name))
    options = config_arguments(folder.path, name)
    if (
        _run(
            deno, ["install", "--cached-only", *options, "--entrypoint", entry], folder.path / name
        ).returncode
        == 0
    ):
        return
    completed = _run(deno, ["install", *options, "--entrypoint", entry], folder.path / name)
    if completed.returncode != 0:
        raise HarnessSetupError(
            f"the dependencies of {folder.entry(name)} could not be fetched: {_last_error(completed)}"
        )


def _check(deno: Deno, folder: FunctionsFolder, name: str) -> None:
    completed = _run(
        deno, ["check", *config_arguments(folder.path, name), str(folder.entry(name))], folder.path / name
    )
    if completed.returncode == 0:
        return
    lines = (completed.stdout + "\n" + completed.stderr).splitlines()
    for index, line in enumerate(lines):
        if match := _TYPE_ERROR.match(line.strip()):
            where = next(
                (found.group(1) for later in lines[index + 1 :] if (found := _LOCATION.match(later))),
                str(folder.entry(name)),
            )
            raise HarnessSetupError(f"type error in {where}: {match.group(1)} {match.group(2)}")
    raise HarnessSetupError(f"deno check {folder.entry(name)} failed: {_last_error(completed)}")


def _last_error(completed: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (completed.stderr or completed.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    detail = errors[0] if errors else (lines[-1] if lines else f"exit {completed.returncode}")
    return detail.removeprefix("error: ")


async def _cold_start(deno: Deno, folder: FunctionsFolder) -> float:
    """Start every worker once, as the runtime will; the slowest start is the cold start."""
    workers = [FunctionWorker(name, folder.path, deno, {}) for name in folder.functions]
    started = await asyncio.gather(*(worker.ensure_started() for worker in workers), return_exceptions=True)
    await asyncio.gather(*(worker.stop() for worker in workers), return_exceptions=True)
    for outcome in started:
        if isinstance(outcome, WorkerStartError):
            raise HarnessSetupError(str(outcome)) from None
        if isinstance(outcome, BaseException):
            raise outcome
    return max(worker.started_in_s or 0.0 for worker in workers)
