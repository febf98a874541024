"""The background worker loop: runs the queue on an interval, like a cron trigger.

An invocation starts every `WORKER_INTERVAL_MS`, or at once when `trigger()` is called
(create-plan-job does, so a new job does not wait for the next tick). When an
invocation claimed as many jobs as it could take, the next one starts without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from reference_impl.queue.outcome import InvocationOutcome
from reference_impl.queue.runners import InvocationRunner

logger = logging.getLogger(__name__)


class QueueLoop:
    def __init__(
        self,
        runner: InvocationRunner,
        *,
        interval_s: float,
        max_jobs: int,
        on_outcome: Callable[[InvocationOutcome], None],
    ) -> None:
        self.runner = runner
        self.interval_s = interval_s
        self.max_jobs = max_jobs
        self.on_outcome = on_outcome
        self._wake = asyncio.Event()

    def trigger(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()
            while True:
                try:
                    outcome = await self.runner.run(self.max_jobs)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("queue invocation failed", extra={"event": "queue.invocation_error"})
                    break
                self.on_outcome(outcome)
                if outcome.killed or outcome.claimed < self.max_jobs:
                    break
