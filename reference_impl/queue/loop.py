"""The background worker loop: runs the queue on an interval, like a cron trigger.

An invocation starts every `WORKER_INTERVAL_MS`, or at once when `trigger()` is called
(create-plan-job does, so a new job does not wait for the next tick). When an
invocation claimed as many jobs as it could take, the next one starts as soon as the
first has made its claims, not when its attempts end: in process, its claims wait for
free attempt slots, so a slot freed by any attempt claims the next job at once
(docs/decisions.md S6). Each invocation's outcome is recorded when its attempts end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from reference_impl.queue.outcome import InvocationOutcome
from reference_impl.queue.runners import InvocationRunner, StartedInvocation

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
        self._running: set[asyncio.Task[None]] = set()

    def trigger(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.interval_s)
                self._wake.clear()
                await self._claim_while_full()
        finally:
            for task in self._running:
                task.cancel()
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _claim_while_full(self) -> None:
        """Invocations one after the other while each finds a full share of jobs."""
        while True:
            try:
                started = await self.runner.start(self.max_jobs)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("queue invocation failed", extra={"event": "queue.invocation_error"})
                return
            task = asyncio.create_task(self._record(started), name="queue-invocation")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            if started.killed or started.claimed < self.max_jobs:
                return

    async def _record(self, started: StartedInvocation) -> None:
        try:
            outcome = await started.outcome()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("queue invocation failed", extra={"event": "queue.invocation_error"})
            return
        self.on_outcome(outcome)
