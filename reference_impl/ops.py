"""Operational endpoints: `GET /healthz` (liveness and database) and `GET /metrics`."""

from __future__ import annotations

import psycopg
from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from pgcaller import Caller
from reference_impl.app_keys import DATABASE_KEY
from reference_impl.worker_app_keys import METRICS_KEY

JOB_GAUGES_SQL = """
select status, count(*) as n,
       case when status = 'pending' then extract(epoch from now() - min(created_at)) end as oldest_age_s
  from public.plan_generation_jobs
 group by status
"""


async def healthz(request: web.Request) -> web.Response:
    try:
        await request.config_dict[DATABASE_KEY].fetch_one(Caller.service(), "select 1 as ok")
    except (psycopg.Error, OSError) as error:
        return web.json_response({"status": "degraded", "database": type(error).__name__}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


async def metrics(request: web.Request) -> web.StreamResponse:
    """The registry in the format the scraper asks for (prometheus-client's handler), after
    reading the job gauges from the database."""
    rows = await request.config_dict[DATABASE_KEY].fetch_all(Caller.service(), JOB_GAUGES_SQL)
    oldest = next((float(row["oldest_age_s"]) for row in rows if row["oldest_age_s"] is not None), None)
    service_metrics = request.config_dict[METRICS_KEY]
    service_metrics.refresh_jobs(rows, oldest)
    return await make_aiohttp_handler(service_metrics.registry)(request)


def add_ops_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
