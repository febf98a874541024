"""Child process of the ChildProcessRunner: one invocation, its outcome as JSON on stdout."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

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


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_impl.queue.child")
    parser.add_argument("--max-jobs", type=int, required=True)
    parser.add_argument("--worker-id", required=True)
    args = parser.parse_args()
    configure_logging(ServiceSettings.from_env(os.environ).log_level)
    return asyncio.run(_main(args.max_jobs, args.worker_id))


if __name__ == "__main__":
    raise SystemExit(main())
