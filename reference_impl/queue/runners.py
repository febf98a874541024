"""How an invocation is run: in this process, or in a child process under a wall clock.

The platform kills an Edge Function that passes its wall-clock limit, whatever it is
doing; jobs it had claimed stay `processing` until stuck recovery finds them. With
`WALL_CLOCK_LIMIT_MS` > 0 the service reproduces that: each invocation runs in a child
process (`python -m reference_impl.queue.child`) that gets SIGKILL at the limit. With 0,
invocations run in the service's own event loop and are never killed.

A child is started one invocation ahead (a warm spare, as the platform keeps warm workers):
it imports the service, about 0.4 s of CPU here, while the previous invocation runs, and
waits for its order on stdin. The wall clock counts from the order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from reference_impl.queue.invocation import WorkerContext, claim_invocation, run_invocation
from reference_impl.queue.outcome import InvocationOutcome

logger = logging.getLogger(__name__)
CHILD_MODULE = "reference_impl.queue.child"


class StartedInvocation(Protocol):
    """An invocation whose claims are made; its attempts may still run."""

    @property
    def claimed(self) -> int: ...

    @property
    def killed(self) -> bool: ...

    async def outcome(self) -> InvocationOutcome: ...


class InvocationRunner(Protocol):
    async def run(self, max_jobs: int) -> InvocationOutcome:
        """A whole invocation (process-plan-queue answers when it returns)."""
        ...

    async def start(self, max_jobs: int) -> StartedInvocation:
        """An invocation, returned as soon as it stops claiming (the background loop's)."""
        ...


@dataclass(frozen=True)
class FinishedInvocation:
    """An invocation that had ended by the time it was returned."""

    finished: InvocationOutcome

    @property
    def claimed(self) -> int:
        return self.finished.claimed

    @property
    def killed(self) -> bool:
        return self.finished.killed

    async def outcome(self) -> InvocationOutcome:
        return self.finished


class InProcessRunner:
    """Runs invocations on the service's own event loop, sharing its attempt slots."""

    def __init__(self, context: WorkerContext) -> None:
        self.context = context

    async def run(self, max_jobs: int) -> InvocationOutcome:
        return await run_invocation(self.context, max_jobs)

    async def start(self, max_jobs: int) -> StartedInvocation:
        return await claim_invocation(self.context, max_jobs)


class ChildProcessRunner:
    """Runs each invocation in a child process, killed (SIGKILL) at the wall-clock limit."""

    def __init__(self, env: Mapping[str, str], wall_clock_limit_s: float, worker_prefix: str) -> None:
        self.env = dict(env)
        self.wall_clock_limit_s = wall_clock_limit_s
        self.worker_prefix = worker_prefix
        self._count = 0
        self._spare: asyncio.subprocess.Process | None = None

    @property
    def spare_pid(self) -> int | None:
        """The process id of the child waiting for the next invocation, if one is alive."""
        spare = self._spare
        return spare.pid if spare is not None and spare.returncode is None else None

    async def start(self, max_jobs: int) -> StartedInvocation:
        """A child's attempts end with it: the invocation is over when it returns."""
        return FinishedInvocation(await self.run(max_jobs))

    async def run(self, max_jobs: int) -> InvocationOutcome:
        self._count += 1
        worker_id = f"{self.worker_prefix}:child-{self._count}"
        process = await self._take_child()
        order = json.dumps({"maxJobs": max_jobs, "workerId": worker_id}) + "\n"
        started = time.monotonic()
        try:
            stdout, _ = await asyncio.wait_for(process.communicate(order.encode()), self.wall_clock_limit_s)
        except TimeoutError:
            process.kill()
            await process.wait()
            elapsed_ms = int((time.monotonic() - started) * 1000)
            logger.warning(
                "invocation killed at the wall-clock limit; its claimed jobs stay processing",
                extra={"event": "queue.invocation_killed", "worker": worker_id, "elapsed_ms": elapsed_ms},
            )
            return InvocationOutcome(killed=True, killed_after_ms=elapsed_ms)
        except asyncio.CancelledError:
            process.kill()
            await process.wait()
            raise
        if process.returncode != 0:
            raise RuntimeError(f"invocation child {worker_id} exited with code {process.returncode}")
        last_line = stdout.decode().strip().splitlines()[-1]
        return InvocationOutcome.from_json(json.loads(last_line))

    async def _take_child(self) -> asyncio.subprocess.Process:
        """The warm spare if it is alive, else a new child; a new spare is started behind it."""
        child, self._spare = self._spare, None
        if child is None or child.returncode is not None:
            child = await self._spawn()
        try:
            await self.warm()
        except BaseException:  # cancelled while the next spare started: this child has no order
            child.kill()
            await child.wait()
            raise
        return child

    async def warm(self) -> None:
        """Start the spare now, so the first invocation does not wait for a child to import."""
        if self._spare is not None and self._spare.returncode is None:
            return
        spare = await self._spawn()
        if self._spare is None or self._spare.returncode is not None:
            self._spare = spare
        else:  # another invocation started one meanwhile
            spare.kill()
            await spare.wait()

    async def _spawn(self) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            CHILD_MODULE,
            env={**os.environ, **self.env},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )

    async def close(self) -> None:
        """Stop the warm spare (the service is stopping)."""
        spare, self._spare = self._spare, None
        if spare is not None and spare.returncode is None:
            spare.kill()
            await spare.wait()
