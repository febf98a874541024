"""The reference service: one aiohttp application with the Supabase-shaped surface.

    /functions/v1   create-plan-job, process-plan-queue        (reference_impl.functions)
    /rest/v1        PostgREST subset: table reads and rpc      (reference_impl.rest)
    /auth/v1        GoTrue subset: admin users, password login (reference_impl.auth)
    /healthz, /metrics                                         (reference_impl.ops)

Each of the three surfaces has its own catch-all middleware (`reference_impl.surface_guard`)
that answers every failure in that surface's error shape, and publishes its API
description (`reference_impl.openapi`).

`create_app(env)` reads every setting from `env` (the environment names of docs/contract.md "Configuration"),
so a bad value fails before the server starts. Start-up opens the database pool, then
the queue worker (runner + background loop); shutdown stops them in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Callable, Mapping

from aiohttp import web

from reference_impl.app_keys import DATABASE_KEY, SETTINGS_KEY
from reference_impl.auth import JWT_AUTHORITY_KEY, JwtAuthority, ScryptParams, create_auth_app
from reference_impl.database import Database
from reference_impl.functions import create_functions_app
from reference_impl.metrics import ServiceMetrics
from reference_impl.ops import add_ops_routes
from reference_impl.pipeline.settings import PipelineSettings
from reference_impl.queue.context import claims_database
from reference_impl.queue.http_clients import deepseek_clients
from reference_impl.queue.invocation import WorkerContext
from reference_impl.queue.loop import QueueLoop
from reference_impl.queue.runners import ChildProcessRunner, InProcessRunner, InvocationRunner
from reference_impl.request_input import GATEWAY_MAX_BODY_BYTES
from reference_impl.rest import create_rest_app
from reference_impl.settings import ServiceSettings
from reference_impl.worker_app_keys import LOOP_KEY, METRICS_KEY, RUNNER_KEY

# The surfaces read bodies themselves, with their own limits (reference_impl.request_input);
# this only bounds what aiohttp's own readers would accept.
CLIENT_MAX_SIZE = GATEWAY_MAX_BODY_BYTES


def create_app(env: Mapping[str, str]) -> web.Application:
    settings = ServiceSettings.from_env(env)
    pipeline = PipelineSettings.from_env(env)
    app = web.Application(client_max_size=CLIENT_MAX_SIZE)
    app[SETTINGS_KEY] = settings
    app[JWT_AUTHORITY_KEY] = JwtAuthority.from_settings(settings)
    app[METRICS_KEY] = ServiceMetrics()
    app.cleanup_ctx.append(_database(settings))
    app.cleanup_ctx.append(_queue_worker(env, settings, pipeline))
    app.add_subapp("/functions/v1", create_functions_app())
    app.add_subapp("/rest/v1", create_rest_app())
    app.add_subapp(
        "/auth/v1",
        create_auth_app(
            password_params=ScryptParams(log2_n=settings.password_hash_cost), sign_in_limits=settings.sign_in
        ),
    )
    add_ops_routes(app)
    return app


CleanupContext = Callable[[web.Application], AsyncIterator[None]]


def _database(settings: ServiceSettings) -> CleanupContext:
    async def database_context(app: web.Application) -> AsyncIterator[None]:
        database = await Database.open(
            settings.database_url, max_size=max(10, settings.queue.worker_concurrency // 4)
        )
        app[DATABASE_KEY] = database
        yield
        await database.close()

    return database_context


def _queue_worker(
    env: Mapping[str, str], settings: ServiceSettings, pipeline: PipelineSettings
) -> CleanupContext:
    async def worker_context(app: web.Application) -> AsyncIterator[None]:
        worker_prefix = f"{socket.gethostname()}:{os.getpid()}"
        queue = settings.queue
        async with contextlib.AsyncExitStack() as resources:
            runner: InvocationRunner
            if queue.wall_clock_limit.total_seconds() > 0:
                runner = ChildProcessRunner(env, queue.wall_clock_limit.total_seconds(), worker_prefix)
                await runner.warm()
            else:
                http = await resources.enter_async_context(deepseek_clients(queue.worker_concurrency))
                claims = await resources.enter_async_context(claims_database(settings.database_url))
                slots = asyncio.Semaphore(queue.worker_concurrency)
                runner = InProcessRunner(
                    WorkerContext(app[DATABASE_KEY], claims, http, pipeline, queue, worker_prefix, slots)
                )
            app[RUNNER_KEY] = runner
            loop = QueueLoop(
                runner,
                interval_s=queue.worker_interval.total_seconds(),
                max_jobs=queue.worker_concurrency,
                on_outcome=app[METRICS_KEY].record_invocation,
            )
            app[LOOP_KEY] = loop  # with no interval it is never started, and a trigger does nothing
            loop_task: asyncio.Task[None] | None = None
            if queue.worker_interval.total_seconds() > 0:
                loop_task = asyncio.create_task(loop.run_forever(), name="queue-loop")
            yield
            if loop_task is not None:
                loop_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await loop_task
            if isinstance(runner, ChildProcessRunner):
                await runner.close()

    return worker_context
