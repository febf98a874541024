"""Building a WorkerContext (database pools, DeepSeek HTTP clients, settings) from the environment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from reference_impl.database import Database
from reference_impl.pipeline.settings import PipelineSettings
from reference_impl.queue.http_clients import deepseek_clients
from reference_impl.queue.invocation import WorkerContext
from reference_impl.settings import ServiceSettings

CLAIM_CONNECTIONS = 2


@asynccontextmanager
async def claims_database(database_url: str) -> AsyncIterator[Database]:
    """The queue's own connections, for the recovery pass and the claims (docs/decisions.md S8)."""
    database = await Database.open(database_url, min_size=1, max_size=CLAIM_CONNECTIONS)
    try:
        yield database
    finally:
        await database.close()


@asynccontextmanager
async def open_worker_context(env: Mapping[str, str], worker_id: str) -> AsyncIterator[WorkerContext]:
    settings = ServiceSettings.from_env(env)
    pipeline = PipelineSettings.from_env(env)
    concurrency = settings.queue.worker_concurrency
    database = await Database.open(settings.database_url, min_size=1, max_size=min(concurrency, 20) + 2)
    try:
        async with deepseek_clients(concurrency) as http, claims_database(settings.database_url) as claims:
            slots = asyncio.Semaphore(concurrency)
            yield WorkerContext(database, claims, http, pipeline, settings.queue, worker_id, slots)
    finally:
        await database.close()
