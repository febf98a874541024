"""A target as one process meets it: endpoint, database, fake, logs, secrets, guards.

`Target` is what fixtures ask; the two implementations differ in where things come from,
never in what a scenario sees:

- `LocalTarget`: this process starts its own stack (database cloned from the run's template,
  fake DeepSeek, reference service) the first time something asks for it, and stacks with
  other settings on demand (its `workers`);
- `DeployedTarget`: everything comes from the configuration, plus the fake the controlling
  process may have started for the run.
"""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from harness.capabilities import Capabilities
from harness.db.run import DatabaseRun
from harness.poller import PollPolicy
from harness.stack.local import FunctionsSetup, LocalStack
from harness.stack.secrets import RunSecrets
from harness.target.fake import FakeDeepSeek, FakeGiven
from harness.target.queue_guard import QueueGuard
from harness.target.settings import TargetSettings
from harness.target.spec import Endpoint, TargetSpec


@dataclass(frozen=True)
class LogFile:
    """A log the target's service writes, read whole by scenarios that check log lines."""

    path: Path

    def lines(self) -> list[str]:
        return self.path.read_text(errors="replace").splitlines() if self.path.exists() else []


@dataclass(frozen=True)
class ScenarioDatabase:
    """Where the database scenarios run, and whether they have it to themselves."""

    dsn: str = field(repr=False)
    exclusive: bool  # True: a scratch database they may empty; False: shared, own rows only


class Target(ABC):
    """What the fixtures ask a target for; None where the run lacks it (the capability says why)."""

    def __init__(self, spec: TargetSpec) -> None:
        self.spec = spec

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def capabilities(self) -> Capabilities:
        return self.spec.capabilities

    @property
    def settings(self) -> TargetSettings:
        return self.spec.settings

    @property
    def poll_defaults(self) -> PollPolicy:
        return self.spec.poll_defaults

    @abstractmethod
    def endpoint(self) -> Endpoint: ...

    @abstractmethod
    def database_dsn(self) -> str | None: ...

    @abstractmethod
    def fake(self) -> FakeDeepSeek | None: ...

    @abstractmethod
    def service_log(self) -> LogFile | None: ...

    @abstractmethod
    def secrets(self) -> tuple[str, ...]:
        """Every secret of the target the run knows, for the checks that none leaks."""

    @abstractmethod
    def scenario_database(self) -> ScenarioDatabase | None: ...

    def queue_guard(self, *, exclusive: bool) -> AbstractContextManager[None]:
        """Held for a scenario's duration; see `harness.target.queue_guard`."""
        return contextlib.nullcontext()

    def stack_pool(self) -> StackPool | None:
        """Stacks with other service settings this process may start and kill (`workers`)."""
        return None

    @abstractmethod
    def close(self) -> None:
        """Stop what this process started for the target."""


class StackPool:
    """Stacks of one process, each on its own clone of the run's template database."""

    def __init__(
        self,
        *,
        run: DatabaseRun,
        secrets: RunSecrets,
        seed: int,
        workdir: Path,
        service_pythonpath: Path | None,
        functions: FunctionsSetup | None,
    ) -> None:
        self.run = run
        self.functions = functions
        self.secrets = secrets
        self.seed = seed
        self.workdir = workdir
        self.service_pythonpath = service_pythonpath
        self.worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self._started: list[LocalStack] = []
        self._count = 0

    def start(self, overrides: Mapping[str, str], *, label: str | None = None) -> LocalStack:
        """A stack with these service settings (on top of the local defaults)."""
        if label is None:
            label = f"isolated_{self._count}"
            self._count += 1
        name = self.run.scratch.clone(f"{self.worker}_{label}")
        stack = LocalStack(
            self.run.server.dsn(name),
            self.seed,
            self.workdir / label,
            secrets=self.secrets,
            service_overrides=overrides,
            service_pythonpath=self.service_pythonpath,
            service_dsn=self.run.service_dsn(name),
            functions=self.functions,
        )
        try:
            stack.start()
        except BaseException:
            self.run.scratch.drop(name)
            raise
        self._started.append(stack)
        return stack

    def stop(self, stack: LocalStack) -> None:
        """Stop the stack and drop its database."""
        self._started.remove(stack)
        stack.stop()
        with contextlib.suppress(Exception):
            self.run.scratch.drop(str(conninfo_to_dict(stack.database_dsn)["dbname"]))

    def close(self) -> None:
        for stack in reversed(list(self._started)):
            self.stop(stack)


class LocalTarget(Target):
    """This process's own stack on a clone of the run's template database, started when first
    asked for; other stacks on demand (the `workers` capability)."""

    def __init__(self, spec: TargetSpec, pool: StackPool) -> None:
        super().__init__(spec)
        self.pool = pool
        self._stack: LocalStack | None = None
        self._scenario_dsn: str | None = None

    @property
    def stack(self) -> LocalStack:
        if self._stack is None:
            self._stack = self.pool.start({}, label="stack")
        return self._stack

    def endpoint(self) -> Endpoint:
        assert self.stack.keys is not None
        return Endpoint(self.stack.service_url, self.stack.keys)

    def database_dsn(self) -> str:
        return self.stack.database_dsn

    def fake(self) -> FakeDeepSeek:
        token = self.pool.secrets.fake_admin_token
        return FakeDeepSeek(self.stack.fake_url, token, "this worker's local stack")

    def service_log(self) -> LogFile:
        return LogFile(self.stack.functions_log_path)

    def secrets(self) -> tuple[str, ...]:
        keys = self.stack.keys
        assert keys is not None and keys.service_role is not None
        return (*self.pool.secrets.all(), keys.anon, keys.service_role)

    def scenario_database(self) -> ScenarioDatabase:
        """A database of its own for `plan_conformance/scenarios/db` (not the stack's: they empty it)."""
        if self._scenario_dsn is None:
            self._scenario_dsn = self.pool.run.server.dsn(self.pool.run.scratch.clone(self.pool.worker))
        return ScenarioDatabase(self._scenario_dsn, exclusive=True)

    def stack_pool(self) -> StackPool:
        return self.pool

    def close(self) -> None:
        self.pool.close()
        self._stack = None
        if self._scenario_dsn is not None:
            with contextlib.suppress(Exception):
                self.pool.run.scratch.drop(str(conninfo_to_dict(self._scenario_dsn)["dbname"]))


class DeployedTarget(Target):
    """A service started elsewhere (a Supabase project, `supabase start`, `plan-stack serve`)."""

    def __init__(
        self, spec: TargetSpec, *, started_fake: FakeDeepSeek | None, known_secrets: tuple[str, ...]
    ) -> None:
        super().__init__(spec)
        assert spec.endpoint is not None
        self._endpoint = spec.endpoint
        self._started_fake = started_fake
        self._known_secrets = known_secrets
        self._guard = (
            QueueGuard(spec.database_dsn) if spec.database_dsn and spec.destructive_allowed else None
        )

    def endpoint(self) -> Endpoint:
        return self._endpoint

    def database_dsn(self) -> str | None:
        return self.spec.database_dsn

    def fake(self) -> FakeDeepSeek | None:
        if self._started_fake is not None:
            return self._started_fake
        if isinstance(self.spec.fake, FakeGiven):
            return FakeDeepSeek(
                self.spec.fake.url, self.spec.fake.admin_token, f"given at {self.spec.fake.url}"
            )
        return None

    def service_log(self) -> LogFile | None:
        return LogFile(self.spec.service_log) if self.spec.service_log is not None else None

    def secrets(self) -> tuple[str, ...]:
        keys = self._endpoint.keys
        fake = self.fake()
        candidates = (*self._known_secrets, keys.anon, keys.service_role, fake.admin_token if fake else None)
        return tuple(dict.fromkeys(secret for secret in candidates if secret))

    def scenario_database(self) -> ScenarioDatabase | None:
        if self.spec.database_dsn is None or not self.spec.destructive_allowed:
            return None
        return ScenarioDatabase(self.spec.database_dsn, exclusive=False)

    @contextlib.contextmanager
    def _guarded(self, exclusive: bool) -> Iterator[None]:
        assert self._guard is not None
        with self._guard.hold(exclusive=exclusive):
            yield

    def queue_guard(self, *, exclusive: bool) -> AbstractContextManager[None]:
        if self._guard is None:
            return contextlib.nullcontext()
        return self._guarded(exclusive)

    def close(self) -> None:
        if self._guard is not None:
            self._guard.close()
