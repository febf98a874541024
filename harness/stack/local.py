"""The local target's stack for one xdist worker: fake DeepSeek + reference service, and
with `--functions` a team's Edge Functions under Deno in place of the reference's.

All run as real processes on free loopback ports, against the worker's own database.
The service connects as `authenticator` (like PostgREST), gets a fresh JWT secret and a
DeepSeek API key that the fake alone accepts, and uses short thresholds so scenarios run
in seconds: the attempt deadline is 1 s, the queue is worked every 50 ms, a retry waits
fifty to a few hundred milliseconds (docs/decisions.md H2). With functions,
the edge runtime (`harness.edge.runtime`) is the stack's front door: `/functions/v1` goes to
the Deno workers, everything else to the reference service, whose own queue loop is off; the
runtime invokes `process-plan-queue` on the schedule instead, as pg_cron would.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from fake_llm.control import FakeLLMControl
from fake_llm.environment import ADMIN_TOKEN_ENV, API_KEYS_ENV
from harness.client import ApiKeys
from harness.db.providers import dsn_as_url
from harness.edge import ADMIN_TOKEN_ENV as EDGE_ADMIN_TOKEN_ENV
from harness.poller import CONTRACT_MAX_RETRIES
from harness.stack.process import ServerProcess
from harness.stack.secrets import RunSecrets, mint_api_keys

FAKE_READY = "fake-llm serving on"
SERVICE_READY = "plan-reference serving"
# What the local stack's service runs with (scenarios may override per isolated stack).
# The deadlines are as short as keeps a healthy attempt (tens of ms on this machine) and the
# scenarios' delays that must end in an answer (at most 300 ms a call, 600 ms an attempt)
# far inside them; a stalled call costs each attempt DEEPSEEK_CALL_TIMEOUT_MS
# (docs/decisions.md H2, H30).
SERVICE_DEFAULTS: Mapping[str, str] = {
    "INTERNAL_TIMEOUT_MS": "1000",
    "DEEPSEEK_CALL_TIMEOUT_MS": "800",
    "DEEPSEEK_RETRY_BACKOFF_MS": "20",
    "DEEPSEEK_IN_CALL_RETRIES": "2",
    "PLAN_JOB_MAX_RETRIES": str(CONTRACT_MAX_RETRIES),
    # the n-th retry waits 50-100 ms, 100-200 ms, ... up to 400 ms, and the queue is worked
    # every 50 ms, so a retry comes at most one tick after its wait (docs/decisions.md H2)
    "PLAN_JOB_RETRY_BASE_MS": "50",
    "PLAN_JOB_RETRY_CAP_MS": "400",
    "WALL_CLOCK_LIMIT_MS": "0",
    "WORKER_INTERVAL_MS": "50",
    "WORKER_CONCURRENCY": "8",
    "LOG_LEVEL": "INFO",
    # scrypt at 2^10 instead of 2^14: a test user's sign-up and sign-in cost about 5 ms, not
    # 95 ms (a run makes about 150 users); the hashes stay real scrypt (docs/decisions.md S4)
    "AUTH_PASSWORD_HASH_COST": "10",
}


@dataclass(frozen=True)
class FunctionsSetup:
    """A team's functions folder and its own settings (`--functions-env-file`)."""

    folder: Path
    env: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass
class LocalStack:
    """The fake and the service for one database; `start()` then `stop()`."""

    database_dsn: str
    seed: int
    workdir: Path
    secrets: RunSecrets = field(default_factory=RunSecrets, repr=False)
    service_overrides: Mapping[str, str] = field(default_factory=dict)
    service_pythonpath: Path | None = None
    service_dsn: str | None = field(default=None, repr=False)  # default: database_dsn
    functions: FunctionsSetup | None = None
    fake: ServerProcess | None = None
    service: ServerProcess | None = None
    edge: ServerProcess | None = None  # the edge runtime, with functions
    keys: ApiKeys | None = None

    def service_env_defaults(self) -> dict[str, str]:
        """The settings the functions run with (the reference's or the team's)."""
        team = dict(self.functions.env) if self.functions is not None else {}
        return {**SERVICE_DEFAULTS, **team, **self.service_overrides}

    @property
    def service_url(self) -> str:
        """The stack's front door: SUPABASE_URL."""
        front = self.edge if self.edge is not None else self.service
        assert front is not None
        return front.url

    @property
    def functions_log_path(self) -> Path:
        """Where the functions write their log (the edge runtime's, or the reference service's)."""
        process = self.edge if self.edge is not None else self.service
        assert process is not None
        return process.log_path

    @property
    def fake_url(self) -> str:
        assert self.fake is not None
        return self.fake.url

    def fake_control(self) -> FakeLLMControl:
        """A control client of this stack's fake."""
        return FakeLLMControl(self.fake_url, admin_token=self.secrets.fake_admin_token)

    def _fake_process(self, where: list[str], log_name: str, pass_fds: tuple[int, ...] = ()) -> ServerProcess:
        return ServerProcess(
            "fake-llm",
            [sys.executable, "-m", "fake_llm.cli", "serve", *where, "--seed", str(self.seed)],
            # secrets through the environment, never on a command line
            env={API_KEYS_ENV: self.secrets.deepseek_api_key, ADMIN_TOKEN_ENV: self.secrets.fake_admin_token},
            log_path=self.workdir / log_name,
            pass_fds=pass_fds,
        )

    def restart_fake(self, *, log_name: str, wait: bool = True) -> ServerProcess:
        """Kill the fake (SIGKILL) and start a new one on the same port, where the service's
        DEEPSEEK_BASE_URL points; it starts with no rules and an empty journal. With `wait`
        False it returns once the process is started (`wait_ready(ready_pattern=FAKE_READY)`)."""
        assert self.fake is not None
        url = self.fake.url
        port = urlsplit(url).port
        assert port is not None
        self.fake.kill()
        self.fake = self._fake_process(["--port", str(port)], log_name)
        self.fake.url = url
        self.fake.spawn()
        if wait:
            self.fake.wait_ready(ready_pattern=FAKE_READY)
        return self.fake

    def start(self) -> None:
        """The fake and the service start side by side: the fake serves on a socket bound here,
        so the service is given its URL before the fake has started (about 0.5 s saved)."""
        self.keys = mint_api_keys(self.secrets.jwt_secret)
        with socket.create_server(("127.0.0.1", 0)) as listener:
            self.fake = self._fake_process(
                ["--listen-fd", str(listener.fileno())], "fake-llm.log", (listener.fileno(),)
            )
            self.fake.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
            self.fake.spawn()  # the fake holds the socket now; this copy closes
        try:
            overrides = dict(self.service_overrides)
            if self.functions is not None:
                # the reference serves /rest/v1 and /auth/v1 only; the functions work the queue
                overrides["WORKER_INTERVAL_MS"] = "0"
            self.service = self.spawn_service(overrides, log_name="plan-reference.log")
            self.fake.wait_ready(ready_pattern=FAKE_READY)
            self.service.wait_ready(ready_pattern=SERVICE_READY)
            if self.functions is not None:
                self.edge = self._start_edge(self.functions, self.service.url)
        except BaseException:
            self.stop()
            raise

    def _start_edge(self, functions: FunctionsSetup, upstream: str) -> ServerProcess:
        assert self.keys is not None and self.keys.service_role is not None
        env = {
            **self.service_env_defaults(),
            "SUPABASE_ANON_KEY": self.keys.anon,
            "SUPABASE_SERVICE_ROLE_KEY": self.keys.service_role,
            "SUPABASE_DB_URL": dsn_as_url(self.database_dsn),
            "DEEPSEEK_API_KEY": self.secrets.deepseek_api_key,
            "DEEPSEEK_BASE_URL": self.fake_url,
            EDGE_ADMIN_TOKEN_ENV: self.secrets.fake_admin_token,
        }
        edge = ServerProcess(
            "edge-runtime",
            [
                sys.executable,
                "-m",
                "harness.edge.runtime",
                "serve",
                "--functions",
                str(functions.folder),
                "--upstream",
                upstream,
            ],
            env=env,
            log_path=self.workdir / "edge-functions.log",
        )
        edge.start(ready_pattern="edge-runtime serving on", failure_pattern="edge-runtime: ")
        return edge

    def service_env(self, overrides: Mapping[str, str] = {}) -> dict[str, str]:
        assert self.keys is not None and self.keys.service_role is not None
        return {
            **SERVICE_DEFAULTS,
            "DATABASE_URL": self.service_dsn or self.database_dsn,
            "SUPABASE_JWT_SECRET": self.secrets.jwt_secret,
            "SUPABASE_ANON_KEY": self.keys.anon,
            "SUPABASE_SERVICE_ROLE_KEY": self.keys.service_role,
            "DEEPSEEK_API_KEY": self.secrets.deepseek_api_key,
            "DEEPSEEK_BASE_URL": self.fake_url,
            **self._pythonpath(),
            **overrides,
        }

    def _pythonpath(self) -> dict[str, str]:
        if self.service_pythonpath is None:
            return {}
        inherited = os.environ.get("PYTHONPATH")
        parts = [str(self.service_pythonpath), *([inherited] if inherited else [])]
        return {"PYTHONPATH": os.pathsep.join(parts)}

    def start_service(self, overrides: Mapping[str, str], *, log_name: str) -> ServerProcess:
        """Another reference service process on this stack's database and fake."""
        service = self.spawn_service(overrides, log_name=log_name)
        service.wait_ready(ready_pattern=SERVICE_READY)
        return service

    def spawn_service(self, overrides: Mapping[str, str], *, log_name: str) -> ServerProcess:
        """Start another reference service process and return at once: it serves once its log
        says so (`wait_ready(ready_pattern=SERVICE_READY)`)."""
        service = ServerProcess(
            "plan-reference",
            [sys.executable, "-m", "reference_impl.cli", "serve", "--port", "0"],
            env=self.service_env(overrides),
            log_path=self.workdir / log_name,
        )
        service.spawn()
        return service

    def stop(self) -> None:
        for process in (self.edge, self.service, self.fake):
            if process is not None:
                process.stop()
