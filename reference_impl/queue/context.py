"""Building a WorkerContext (database pool, DeepSeek HTTP client, settings) from the environment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx

from reference_impl.database import Database
from reference_impl.pipeline.settings import PipelineSettings
from reference_impl.queue.invocation import WorkerContext
from reference_impl.settings import ServiceSettings


def deepseek_http_client(max_connections: int) -> httpx.AsyncClient:
    """One client for all DeepSeek calls; deadlines are enforced by the pipeline, not here."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(None),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        follow_redirects=False,
    )


@asynccontextmanager
async def open_worker_context(env: Mapping[str, str], worker_id: str) -> AsyncIterator[WorkerContext]:
    settings = ServiceSettings.from_env(env)
    pipeline = PipelineSettings.from_env(env)
    concurrency = settings.queue.worker_concurrency
    database = await Database.open(settings.database_url, min_size=1, max_size=min(concurrency, 20) + 2)
    try:
        async with deepseek_http_client(concurrency) as http:
            yield WorkerContext(database, http, pipeline, settings.queue, worker_id)
    finally:
        await database.close()
