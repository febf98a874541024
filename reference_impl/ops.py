"""Operational endpoints: `GET /healthz` (liveness and database) and `GET /metrics`."""

from __future__ import annotations

import psycopg
from aiohttp import web

from pgcaller import Caller
from reference_impl.keys import DATABASE_KEY
from reference_impl.worker_keys import METRICS_KEY

STATUSES = ("pending", "processing", "completed", "failed", "cancelled")


async def healthz(request: web.Request) -> web.Response:
    try:
        await request.config_dict[DATABASE_KEY].fetch_one(Caller.service(), "select 1 as ok")
    except (psycopg.Error, OSError) as error:
        return web.json_response({"status": "degraded", "database": type(error).__name__}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


async def metrics(request: web.Request) -> web.Response:
    rows = await request.config_dict[DATABASE_KEY].fetch_all(
        Caller.service(),
        "select status, count(*) as n from public.plan_generation_jobs group by status",
    )
    by_status = dict.fromkeys(STATUSES, 0) | {row["status"]: int(row["n"]) for row in rows}
    text = request.config_dict[METRICS_KEY].render(by_status)
    return web.Response(
        text=text, content_type="text/plain", charset="utf-8", headers={"X-Metrics-Format": "0.0.4"}
    )


def add_ops_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
