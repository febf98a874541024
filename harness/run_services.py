"""What the controlling process starts once for the whole run, and stops at its end.

- the local target's PostgreSQL with the migrated template, when the first test needs it
  (`harness.db.on_demand`; with xdist, served to the workers by a `DatabaseBroker`);
- a fake DeepSeek for a deployed target, with `--fake-llm serve[:HOST:PORT]`;
- the queue's schedule for a deployed target, with `--invoke-queue-every MS`.

xdist workers receive descriptions of them (`workerinput`) and start nothing themselves.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.config import HarnessConfig
from harness.db.on_demand import DatabaseBroker, DatabaseOnDemand
from harness.edge.preflight import Preflight
from harness.edge.preflight import prepare as prepare_functions
from harness.queue_schedule import QueueSchedule
from harness.target.fake import FakeDeepSeek, FakeToStart, StartedFake
from harness.target.queue_guard import QueueGuard


@dataclass
class RunServices:
    database: DatabaseOnDemand | None = None
    broker: DatabaseBroker | None = None
    functions: Preflight | None = None
    fake: StartedFake | None = None
    schedule: QueueSchedule | None = None
    guard: QueueGuard | None = None
    workdir: Path | None = None

    @classmethod
    def start(cls, harness: HarnessConfig) -> RunServices:
        services = cls()
        try:
            services._start(harness)
        except BaseException:
            services.close()
            raise
        return services

    def _start(self, harness: HarnessConfig) -> None:
        spec = harness.target
        if harness.functions is not None:
            self.functions = prepare_functions(harness.functions.folder)
        if harness.database is not None:
            self.database = DatabaseOnDemand(harness.database, harness.migrations)
        if isinstance(spec.fake, FakeToStart):
            self.workdir = Path(tempfile.mkdtemp(prefix="plan-conformance-run-"))
            self.fake = StartedFake.start(
                spec.fake, seed=harness.seed, workdir=self.workdir, api_keys=harness.fake_api_keys
            )
        if spec.queue_schedule_ms is not None and spec.endpoint is not None:
            service_key = spec.endpoint.keys.service_role
            assert service_key is not None
            if spec.database_dsn is not None and spec.destructive_allowed:
                self.guard = QueueGuard(spec.database_dsn)
            self.schedule = QueueSchedule(
                spec.endpoint.url + "/functions/v1",
                service_key,
                interval_s=spec.queue_schedule_ms / 1000,
                gate=self._gate,
            ).start()

    @contextlib.contextmanager
    def _gate(self) -> Iterator[bool]:
        if self.guard is None:
            yield True
            return
        with self.guard.try_shared() as acquired:
            yield acquired

    def database_broker(self) -> DatabaseBroker | None:
        """The broker that serves the database to xdist workers, made for the first worker."""
        if self.database is not None and self.broker is None:
            self.broker = DatabaseBroker(self.database)
        return self.broker

    @property
    def started_fake(self) -> FakeDeepSeek | None:
        return self.fake.fake if self.fake is not None else None

    def header_lines(self) -> list[str]:
        lines = []
        if self.functions is not None:
            lines.append(self.functions.header())
        if self.schedule is not None:
            lines.append(
                "queue schedule: the harness invokes process-plan-queue every "
                f"{self.schedule.interval_s * 1000:g} ms"
                + (" (paused while a database scenario has the queue)" if self.guard is not None else "")
            )
        return lines

    def close(self) -> None:
        if self.schedule is not None:
            self.schedule.stop()
        if self.guard is not None:
            self.guard.close()
        if self.fake is not None:
            self.fake.stop()
        if self.database is not None:
            self.database.close()
        if self.broker is not None:
            self.broker.close()  # after the database: the server is tied to the broker's thread
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
