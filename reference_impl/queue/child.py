"""Child process of the ChildProcessRunner: one invocation, its outcome as JSON on stdout.

The child is started ahead of its invocation: it imports the service and then waits for its
order, one JSON line on stdin (`{"maxJobs": 8, "workerId": "host:pid:child-3"}`). Stdin
closed without an order (the service stopped) ends it quietly.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from reference_impl.logs import configure_logging
from reference_impl.queue.context import open_worker_context
from reference_impl.queue.invocation import run_invocation
from reference_impl.settings import ServiceSettings


async def _main(max_jobs: int, worker_id: str) -> int:
    async with open_worker_context(os.environ, worker_id) as context:
        outcome = await run_invocation(context, max_jobs)
    sys.stdout.write(json.dumps(outcome.to_json()) + "\n")
    sys.stdout.flush()
    return 0


def read_order(line: str) -> tuple[int, str]:
    """`(max_jobs, worker_id)` from the order line; ValueError naming the field that is wrong."""
    order: Any = json.loads(line)
    if not isinstance(order, dict):
        raise ValueError("the order must be a JSON object")
    max_jobs, worker_id = order.get("maxJobs"), order.get("workerId")
    if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or max_jobs < 1:
        raise ValueError(f"maxJobs must be a whole number of at least 1, got {max_jobs!r}")
    if not isinstance(worker_id, str) or not worker_id:
        raise ValueError(f"workerId must be a non-empty string, got {worker_id!r}")
    return max_jobs, worker_id


def main() -> int:
    configure_logging(ServiceSettings.from_env(os.environ).log_level)
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    max_jobs, worker_id = read_order(line)
    return asyncio.run(_main(max_jobs, worker_id))


if __name__ == "__main__":
    raise SystemExit(main())
