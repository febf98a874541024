"""The queue's claims run on connections of their own (docs/decisions.md S8)."""

from __future__ import annotations

import asyncio

from harness.queue_db import QueueDatabase
from reference_impl.database import Database
from reference_impl.pipeline.settings import PipelineSettings
from reference_impl.queue.context import claims_database
from reference_impl.queue.http_clients import deepseek_clients
from reference_impl.queue.invocation import WorkerContext, claim_invocation
from reference_impl.settings import ServiceSettings


async def test_a_claim_does_not_wait_for_the_attempts_pool(
    base_env: dict[str, str], queue_db: QueueDatabase
) -> None:
    """Every connection of the attempts' pool is busy (as when a round's completions are
    being written), and a free slot still claims its job at once."""
    job = queue_db.insert_job(queue_db.create_user())
    settings = ServiceSettings.from_env(base_env)
    attempts_pool = await Database.open(settings.database_url, min_size=1, max_size=1)
    try:
        async with (
            attempts_pool.pool.connection(),  # the pool's only connection, held throughout
            claims_database(settings.database_url) as claims,
            deepseek_clients(1) as http,
        ):
            context = WorkerContext(
                attempts_pool,
                claims,
                http,
                PipelineSettings.from_env(base_env),
                settings.queue,
                "claims-test",
                asyncio.Semaphore(1),
            )
            claimed = await asyncio.wait_for(claim_invocation(context, 1), timeout=5)
            for attempt in claimed.attempts:  # it would wait for the held connection to save
                attempt.cancel()
            await asyncio.gather(*claimed.attempts, return_exceptions=True)
    finally:
        await attempts_pool.close()

    assert claimed.claimed == 1
    assert queue_db.job(job["id"])["status"] == "processing"
