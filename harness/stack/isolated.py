"""A stack of a scenario's own (the `isolated_stack` fixture): its client, database and fake."""

from __future__ import annotations

from dataclasses import dataclass

from harness.client import PlanJobs, SupabaseHttp
from harness.faults import ScenarioFake
from harness.history import History
from harness.queue_db import QueueDatabase
from harness.stack.local import LocalStack


@dataclass
class IsolatedStack:
    """A stack of its own (database, fake, service) for a scenario that needs other settings."""

    stack: LocalStack
    wire: SupabaseHttp
    db: QueueDatabase
    fake: ScenarioFake

    def user(self, history: History | None = None) -> PlanJobs:
        return PlanJobs(self.wire, self.wire.new_session(), history)
