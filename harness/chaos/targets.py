"""What a chaos run acts on: its own local stack, or a deployed target it can only partly break.

`LocalChaosStack` starts everything itself, so every nemesis is available: a durable
PostgreSQL (`harness.db.run.DatabaseRun` with `durable=True`), the fake DeepSeek and a
reference service for the HTTP surface (`harness.stack.local.LocalStack`), and `workers`
more reference service processes on the same database that work the queue. The HTTP
front works no jobs itself, so killing a worker never takes the surface down.

`DeployedChaosTarget` is a service started elsewhere: the run reaches it over HTTP and its
database by DSN, and has the `faults` nemesis when it controls the fake DeepSeek the target
calls; the other nemeses are refused with the reason.

Every method that starts a process must be called from the thread that outlives it (the
run's main thread): children get a signal when the thread that started them ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psycopg

from fake_llm.control import FakeLLMControl
from harness.chaos.settings import NEMESES
from harness.client import ApiKeys
from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest
from harness.db.run import DatabaseRun
from harness.errors import HarnessSetupError
from harness.stack.local import FAKE_READY, SERVICE_READY, LocalStack
from harness.stack.process import ServerProcess
from harness.target.fake import FakeDeepSeek
from harness.target.spec import NO_FAULTS, NO_WORKERS

NOT_OUR_DATABASE = "the run does not own the target's database server (only its local stack's)"
NOT_OUR_FAKE = "the fake DeepSeek is not a process this run started"
NO_RESTARTABLE_DATABASE = (
    "the database server is not one this run started (--db with a DSN, or testcontainers); "
    "use --db embedded or system"
)
WORKER_INTERVAL_MS = "100"
READY_TIMEOUT_S = 60.0
STARTS_AT_HEAL = 5


class NemesisUnavailable(RuntimeError):
    """The target cannot do what the nemesis asked; the message says why."""


@dataclass(frozen=True)
class Begun:
    """What a nemesis action did at once, and, for one whose effect takes time (a process
    starting, a server recovering), `settle`: blocks until it is over and says how."""

    done: dict[str, Any]
    settle: Callable[[], dict[str, Any]] | None = None


class ChaosTarget(ABC):
    """The surface, the database and the fake of a target, and what its nemesis may break."""

    label: str
    removes_its_users = False  # True: the run deletes the users it made (and their jobs) at the end

    @property
    @abstractmethod
    def url(self) -> str: ...

    @property
    @abstractmethod
    def keys(self) -> ApiKeys: ...

    @property
    @abstractmethod
    def database_dsn(self) -> str:
        """A DSN that reads every row of the queue tables (the owner's)."""

    @abstractmethod
    def support(self) -> Mapping[str, str | None]:
        """Every nemesis mapped to None (available) or the reason it is not."""

    def fake_control(self) -> FakeLLMControl | None:
        return None

    def service_logs(self) -> list[Path]:
        """Logs the target's service wrote during the run (JSON lines), where the run has them."""
        return []

    def secrets(self) -> tuple[str, ...]:
        keys = self.keys
        return tuple(secret for secret in (keys.anon, keys.service_role) if secret)

    def kill_worker(self, worker: int) -> Begun:
        raise NemesisUnavailable(self.support().get("kill") or "kill is not available")

    def start_worker(self, worker: int) -> Begun:
        raise NemesisUnavailable(self.support().get("kill") or "kill is not available")

    def pause_worker(self, worker: int) -> Begun:
        raise NemesisUnavailable(self.support().get("pause") or "pause is not available")

    def resume_worker(self, worker: int) -> Begun:
        raise NemesisUnavailable(self.support().get("pause") or "pause is not available")

    def restart_database(self) -> Begun:
        raise NemesisUnavailable(self.support().get("db-restart") or "db-restart is not available")

    def restart_fake(self) -> Begun:
        raise NemesisUnavailable(self.support().get("fake-restart") or "fake-restart is not available")

    def heal_processes(self) -> list[dict[str, Any]]:
        """Resume paused and start killed processes, without waiting for them; what was done."""
        return []

    def wait_serving(self) -> None:  # noqa: B027 (a deployed target started no process)
        """Wait until every process the run started serves (after `heal_processes`)."""

    def close(self) -> None:  # noqa: B027 (a deployed target has nothing to stop)
        """Stop what the run started."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class LocalChaosStack(ChaosTarget):
    """A stack of the run's own: durable PostgreSQL, fake, an HTTP front and N workers."""

    label = "local"

    def __init__(
        self,
        *,
        database: DatabaseRequest,
        migrations: MigrationSet,
        workers: int,
        stuck_after_ms: int,
        seed: int,
        workdir: Path | None = None,
        service_pythonpath: Path | None = None,
        service_settings: Mapping[str, str] | None = None,
    ) -> None:
        """`service_settings` are the service's own over the local stack's (names as the
        service reads them, e.g. `INTERNAL_TIMEOUT_MS`)."""
        self._request = replace(database, durable=True)
        self._migrations = migrations
        self._worker_count = workers
        self._seed = seed
        # None: a temporary folder of its own, removed by close() (the run copies the logs)
        self._owns_workdir = workdir is None
        self._workdir = workdir if workdir is not None else Path(tempfile.mkdtemp(prefix="plan-chaos-"))
        self._service_pythonpath = service_pythonpath
        # short thresholds, so stuck recovery runs within the run; no regeneration cooldown,
        # so a user's next job is a new job (the contract's 14 days would refuse it)
        self.service_settings = {
            "STUCK_AFTER_MS": str(stuck_after_ms),
            "REGENERATION_COOLDOWN_MS": "0",
            **(service_settings or {}),
        }
        self._run: DatabaseRun | None = None
        self._stack: LocalStack | None = None
        self._workers: list[ServerProcess | None] = []
        self._paused: set[int] = set()
        self._starts = [0] * workers
        self._fake_starts = 0

    def start(self) -> Self:
        self._workdir.mkdir(parents=True, exist_ok=True)
        self._run = DatabaseRun.start(self._request, self._migrations)
        try:
            name = self._run.scratch.clone("chaos")
            self._stack = LocalStack(
                self._run.server.dsn(name),
                self._seed,
                self._workdir,
                service_overrides={**self.service_settings, "WORKER_INTERVAL_MS": "0"},
                service_pythonpath=self._service_pythonpath,
                service_dsn=self._run.service_dsn(name),
            )
            self._stack.start()
            if self._run.server.restart is not None:  # a server of the run's own: crash recovery
                with psycopg.connect(self._run.server.dsn("postgres"), autocommit=True) as admin:
                    admin.execute("checkpoint")  # starts from here, not from the template's copy
            self._workers = [None] * self._worker_count
            settles = [self.start_worker(worker).settle for worker in range(self._worker_count)]
            for settle in settles:  # started together, waited for in turn
                assert settle is not None
                settle()
        except BaseException:
            self.close()
            raise
        return self

    @property
    def stack(self) -> LocalStack:
        if self._stack is None:
            raise RuntimeError("the chaos stack is not started")
        return self._stack

    @property
    def url(self) -> str:
        return self.stack.service_url

    @property
    def keys(self) -> ApiKeys:
        assert self.stack.keys is not None
        return self.stack.keys

    @property
    def database_dsn(self) -> str:
        return self.stack.database_dsn

    def describe(self) -> str:
        assert self._run is not None
        return (
            f"{self._run.header()}\nlocal stack: an HTTP front and {self._worker_count} worker processes, "
            f"{', '.join(f'{k}={v}' for k, v in self.service_settings.items())}; logs in {self._workdir}"
        )

    def support(self) -> Mapping[str, str | None]:
        assert self._run is not None
        support: dict[str, str | None] = dict.fromkeys(NEMESES)
        if self._run.server.restart is None:
            support["db-restart"] = NO_RESTARTABLE_DATABASE
        return support

    def fake_control(self) -> FakeLLMControl:
        return self.stack.fake_control()

    def service_logs(self) -> list[Path]:
        return sorted(self._workdir.glob("*.log"))

    def secrets(self) -> tuple[str, ...]:
        return (*super().secrets(), *self.stack.secrets.all())

    def _worker(self, worker: int) -> ServerProcess:
        process = self._workers[worker]
        if process is None or not process.running:
            raise NemesisUnavailable(f"worker {worker} is not running")
        return process

    def kill_worker(self, worker: int) -> Begun:
        process = self._worker(worker)
        pid = process.pid
        process.kill()
        self._workers[worker] = None
        self._paused.discard(worker)
        return Begun({"pid": pid})

    def start_worker(self, worker: int) -> Begun:
        running = self._workers[worker]
        if running is not None and running.running:
            raise NemesisUnavailable(f"worker {worker} is already running")
        self._starts[worker] += 1
        process = self.stack.spawn_service(
            {**self.service_settings, "WORKER_INTERVAL_MS": WORKER_INTERVAL_MS},
            log_name=f"worker-{worker}.{self._starts[worker]}.log",
        )
        self._workers[worker] = process
        return Begun(
            {"pid": process.pid},
            settle=lambda: {
                "url": process.wait_ready(ready_pattern=SERVICE_READY, timeout_s=READY_TIMEOUT_S)
            },
        )

    def pause_worker(self, worker: int) -> Begun:
        process = self._worker(worker)
        assert process.pid is not None
        os.killpg(process.pid, signal.SIGSTOP)
        self._paused.add(worker)
        return Begun({"pid": process.pid})

    def resume_worker(self, worker: int) -> Begun:
        process = self._worker(worker)
        assert process.pid is not None
        os.killpg(process.pid, signal.SIGCONT)
        self._paused.discard(worker)
        return Begun({"pid": process.pid})

    def restart_database(self) -> Begun:
        assert self._run is not None
        if self._run.server.restart is None:
            raise NemesisUnavailable(NO_RESTARTABLE_DATABASE)
        self._run.server.restart()
        return Begun({}, settle=self._database_accepts)

    def _database_accepts(self) -> dict[str, Any]:
        """Wait until the restarted server accepts connections again."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(self.database_dsn, connect_timeout=2):
                    return {}
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def restart_fake(self) -> Begun:
        self._fake_starts += 1
        fake = self.stack.restart_fake(log_name=f"fake-llm.{self._fake_starts}.log", wait=False)
        return Begun(
            {"pid": fake.pid},
            settle=lambda: {"url": fake.wait_ready(ready_pattern=FAKE_READY, timeout_s=READY_TIMEOUT_S)},
        )

    def heal_processes(self) -> list[dict[str, Any]]:
        done: list[dict[str, Any]] = []
        for worker in sorted(self._paused):
            done.append({"resumed": worker, **self.resume_worker(worker).done})
        for worker, process in enumerate(self._workers):
            if process is None or not process.running:
                self._workers[worker] = None
                done.append({"started": worker, **self.start_worker(worker).done})
        return done

    def wait_serving(self) -> None:
        for worker in range(len(self._workers)):
            for attempt in range(1, STARTS_AT_HEAL + 1):
                process = self._workers[worker]
                try:
                    assert process is not None
                    process.wait_ready(ready_pattern=SERVICE_READY, timeout_s=READY_TIMEOUT_S)
                    break
                except HarnessSetupError:  # it exited while starting (the database was down)
                    if attempt == STARTS_AT_HEAL:
                        raise
                    self._workers[worker] = None
                    time.sleep(0.5)
                    self.start_worker(worker)

    def close(self) -> None:
        for worker in sorted(self._paused):  # a stopped process would not see SIGTERM
            with contextlib.suppress(Exception):
                self.resume_worker(worker)
        for process in self._workers:
            if process is not None:
                process.stop()
        self._workers = []
        if self._stack is not None:
            self._stack.stop()
            self._stack = None
        if self._run is not None:
            self._run.close()
            self._run = None
        if self._owns_workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)


class DeployedChaosTarget(ChaosTarget):
    """A service started elsewhere: HTTP, its database by DSN, and maybe the fake it calls."""

    label = "url"
    removes_its_users = True

    def __init__(
        self,
        *,
        url: str,
        keys: ApiKeys,
        database_dsn: str,
        fake: FakeDeepSeek | None,
        service_log: Path | None,
    ) -> None:
        self._url = url
        self._keys = keys
        self._database_dsn = database_dsn
        self._fake = fake
        self._service_log = service_log

    @property
    def url(self) -> str:
        return self._url

    @property
    def keys(self) -> ApiKeys:
        return self._keys

    @property
    def database_dsn(self) -> str:
        return self._database_dsn

    def support(self) -> Mapping[str, str | None]:
        return {
            "kill": NO_WORKERS,
            "pause": NO_WORKERS,
            "db-restart": NOT_OUR_DATABASE,
            "fake-restart": NOT_OUR_FAKE,
            "faults": None if self._fake is not None else NO_FAULTS,
        }

    def fake_control(self) -> FakeLLMControl | None:
        return self._fake.control() if self._fake is not None else None

    def service_logs(self) -> list[Path]:
        return [self._service_log] if self._service_log is not None else []

    def secrets(self) -> tuple[str, ...]:
        token = self._fake.admin_token if self._fake is not None else None
        return (*super().secrets(), *((token,) if token else ()))
