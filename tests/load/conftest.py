"""A `plan-stack serve` on loopback for the load tests, and `plan-load` run as a process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dotenv import dotenv_values

STACK_START_S = 180.0
STACK_STOP_S = 30.0


def console_script(name: str) -> Path:
    """A console script of this environment (installed with the project)."""
    script = Path(sys.executable).with_name(name)
    assert script.is_file(), f"{script} missing: install the project (pip install -e '.[test]')"
    return script


@dataclass(frozen=True)
class PlanStack:
    env_file: Path
    url: str
    fake_url: str
    keys: tuple[str, str] = field(repr=False)  # anon, service role
    fake_admin_token: str = field(repr=False, default="")


@pytest.fixture(scope="module")
def plan_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlanStack]:
    """`plan-stack serve` as a user starts it, stopped with SIGTERM at the end of the module."""
    folder = tmp_path_factory.mktemp("plan-stack")
    env_file = folder / "stack.env"
    with (folder / "stack.log").open("wb") as log:
        process = subprocess.Popen(
            [str(console_script("plan-stack")), "serve", "--env-out", str(env_file)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + STACK_START_S
            while not env_file.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"plan-stack serve did not start:\n{(folder / 'stack.log').read_text()[-3000:]}"
                    )
                time.sleep(0.2)
            values = {key: value or "" for key, value in dotenv_values(env_file).items()}
            yield PlanStack(
                env_file=env_file,
                url=values["SUPABASE_URL"],
                fake_url=values["FAKE_DEEPSEEK_URL"],
                keys=(values["SUPABASE_ANON_KEY"], values["SUPABASE_SERVICE_ROLE_KEY"]),
                fake_admin_token=values["FAKE_DEEPSEEK_ADMIN_TOKEN"],
            )
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STACK_STOP_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass(frozen=True)
class LoadRun:
    exit_code: int
    stdout: str
    stderr: str
    out: Path
    seconds: float


RunLoad = Callable[..., LoadRun]


@pytest.fixture
def run_plan_load(tmp_path: Path) -> RunLoad:
    """Factory: `run_plan_load(*flags, timeout_s=...)` runs the `plan-load` console script with
    `--out` in a fresh folder; the process is bounded by `timeout_s` (it is killed past it)."""
    runs = iter(range(1000))

    def run(*flags: str, timeout_s: float = 120.0, env: dict[str, str] | None = None) -> LoadRun:
        out = tmp_path / f"load-{next(runs)}"
        started = time.monotonic()
        process = subprocess.Popen(
            [str(console_script("plan-load")), *flags, "--out", str(out)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env if env is not None else dict(os.environ),
            start_new_session=True,  # its own process group: Locust's processes go with it
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"plan-load ran past {timeout_s:g} s and was killed")
        return LoadRun(process.returncode, stdout, stderr, out, time.monotonic() - started)

    return run
