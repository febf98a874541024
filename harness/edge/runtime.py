"""The edge runtime: a team's functions under Deno behind a Supabase-shaped gateway.

    python -m harness.edge.runtime serve --functions DIR --upstream URL [--host H] [--port P]

- `/functions/v1/<name>[/...]` goes to that function's Deno worker (started at boot, and again
  after it died); anything else goes to `--upstream` (the reference service's `/rest/v1`,
  `/auth/v1`), as Supabase's gateway sends each path to its service.
- A request that runs past `WALL_CLOCK_LIMIT_MS` (0: no limit) ends its worker with SIGKILL,
  as the platform does, and is answered `546 {"code": "WORKER_LIMIT"}`; so is every request
  the dead worker still held.
- Every `WORKER_INTERVAL_MS` (0: never) `process-plan-queue` is invoked with the service key,
  as pg_cron + pg_net would, at most four at a time.
- `/__edge/workers` lists the workers' pids, `POST /__edge/workers/<name>/kill` kills one (the
  harness's `workers` capability); both need `EDGE_RUNTIME_ADMIN_TOKEN` as a bearer token.

Each function's environment is this process's, minus `EDGE_RUNTIME_*`, plus `SUPABASE_URL`
pointing at this gateway. The function's output goes to this process's output.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web
from yarl import URL

from harness.edge import ADMIN_TOKEN_ENV
from harness.edge.deno_binary import Deno
from harness.edge.folder import FunctionsFolder
from harness.edge.worker import FunctionWorker, WorkerStartError

RUNTIME_PREFIX = "EDGE_RUNTIME_"
MAX_SCHEDULED_IN_FLIGHT = 4
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
     "transfer-encoding", "upgrade", "host", "content-length"}
)  # fmt: skip


@dataclass(frozen=True)
class RuntimeSettings:
    wall_clock_limit_s: float | None
    schedule_interval_s: float | None
    service_key: str | None = field(repr=False)
    admin_token: str | None = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RuntimeSettings:
        def milliseconds(name: str) -> float | None:
            raw = env.get(name, "").strip() or "0"
            try:
                value = int(raw)
            except ValueError:
                raise SystemExit(
                    f"edge-runtime: {name} must be a whole number of milliseconds, got {raw!r}"
                ) from None
            if value < 0:
                raise SystemExit(f"edge-runtime: {name} must be at least 0, got {value}")
            return value / 1000 if value else None

        return cls(
            wall_clock_limit_s=milliseconds("WALL_CLOCK_LIMIT_MS"),
            schedule_interval_s=milliseconds("WORKER_INTERVAL_MS"),
            service_key=env.get("SUPABASE_SERVICE_ROLE_KEY") or None,
            admin_token=env.get(ADMIN_TOKEN_ENV) or None,
        )


WORKERS_KEY = web.AppKey("workers", dict[str, FunctionWorker])
SESSION_KEY = web.AppKey("session", aiohttp.ClientSession)
SETTINGS_KEY = web.AppKey("settings", RuntimeSettings)
UPSTREAM_KEY = web.AppKey("upstream", str)


def _json(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {"code": code, "message": message, "error": message, "error_code": code}, status=status
    )


def _forwarded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() not in HOP_BY_HOP}


async def _forward(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
) -> web.Response:
    target = URL(url, encoded=True)  # already encoded: sent as it came
    async with session.request(method, target, headers=headers, data=body, allow_redirects=False) as answer:
        content = await answer.read()
        return web.Response(status=answer.status, body=content, headers=_forwarded_headers(answer.headers))


async def invoke_function(
    app: web.Application, name: str, method: str, path_and_query: str, headers: Mapping[str, str], body: bytes
) -> web.Response:
    """One request to a function, under the wall-clock limit."""
    worker = app[WORKERS_KEY].get(name)
    if worker is None:
        return _json(404, "NOT_FOUND", f"Function {name} not found")
    try:
        base = await worker.ensure_started()
    except WorkerStartError as error:
        print(f"edge-runtime: {error}", flush=True)
        return _json(503, "BOOT_ERROR", f"Function {name} failed to start (see the function's log)")
    limit = app[SETTINGS_KEY].wall_clock_limit_s
    try:
        async with asyncio.timeout(limit):
            return await _forward(app[SESSION_KEY], method, base + path_and_query, headers, body)
    except TimeoutError:
        worker.kill()
        message = (
            f"wall clock time limit reached: {name} was ended after {limit * 1000:.0f} ms" if limit else ""
        )
        print(json.dumps({"event": "edge.worker_limit", "function": name, "message": message}), flush=True)
        return _json(546, "WORKER_LIMIT", message)
    except aiohttp.ClientError:
        return _json(546, "WORKER_LIMIT", f"the worker of {name} ended before it answered")


async def functions_route(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    # The rest of the path and the query as the client encoded them (decoded, a `%23` would end
    # the URL as a fragment and a `%2F` would split a segment).
    raw_segments = request.rel_url.raw_path.split("/", 4)  # "", "functions", "v1", name, tail
    path = "/" + (raw_segments[4] if len(raw_segments) > 4 else "")
    if request.rel_url.raw_query_string:
        path += "?" + request.rel_url.raw_query_string
    body = await request.read()
    return await invoke_function(
        request.app, name, request.method, path, _forwarded_headers(request.headers), body
    )


async def upstream_route(request: web.Request) -> web.Response:
    body = await request.read()
    url = request.app[UPSTREAM_KEY] + request.rel_url.raw_path_qs  # as encoded: see functions_route
    try:
        return await _forward(
            request.app[SESSION_KEY], request.method, url, _forwarded_headers(request.headers), body
        )
    except aiohttp.ClientError as error:
        return _json(
            502,
            "UPSTREAM_UNAVAILABLE",
            f"the service behind the gateway did not answer: {type(error).__name__}",
        )


def _admin_allowed(request: web.Request) -> bool:
    token = request.app[SETTINGS_KEY].admin_token
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return token is not None and hmac.compare_digest(given.encode(), token.encode())


async def list_workers(request: web.Request) -> web.Response:
    if not _admin_allowed(request):
        return _json(401, "UNAUTHORIZED", "the edge runtime's admin API needs its token")
    workers = request.app[WORKERS_KEY]
    return web.json_response(
        {name: {"pid": worker.pid, "url": worker.url} for name, worker in workers.items()}
    )


async def kill_worker(request: web.Request) -> web.Response:
    if not _admin_allowed(request):
        return _json(401, "UNAUTHORIZED", "the edge runtime's admin API needs its token")
    worker = request.app[WORKERS_KEY].get(request.match_info["name"])
    if worker is None:
        return _json(404, "NOT_FOUND", "no such function")
    pid = worker.pid
    worker.kill()
    return web.json_response({"killed": pid})


async def _schedule(app: web.Application, interval_s: float) -> None:
    """pg_cron + pg_net: post process-plan-queue every interval, never waiting for it."""
    key = app[SETTINGS_KEY].service_key or ""
    headers = {"Authorization": f"Bearer {key}", "apikey": key, "Content-Type": "application/json"}
    in_flight: set[asyncio.Task[web.Response]] = set()
    while True:
        await asyncio.sleep(interval_s)
        if len(in_flight) >= MAX_SCHEDULED_IN_FLIGHT:
            continue
        task = asyncio.create_task(invoke_function(app, "process-plan-queue", "POST", "/", headers, b"{}"))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)


def create_runtime_app(
    folder: FunctionsFolder, deno: Deno, upstream: str, env: Mapping[str, str]
) -> web.Application:
    settings = RuntimeSettings.from_env(env)
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app[SETTINGS_KEY] = settings
    app[UPSTREAM_KEY] = upstream.rstrip("/")
    function_env = {name: value for name, value in env.items() if not name.startswith(RUNTIME_PREFIX)}
    app[WORKERS_KEY] = {
        name: FunctionWorker(name, folder.path, deno, dict(function_env)) for name in folder.functions
    }

    async def session_context(app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
        async with aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as session:
            app[SESSION_KEY] = session
            yield

    async def workers_context(app: web.Application) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await asyncio.gather(*(worker.stop() for worker in app[WORKERS_KEY].values()))

    async def schedule_context(app: web.Application) -> AsyncIterator[None]:
        task = None
        if settings.schedule_interval_s is not None:
            task = asyncio.create_task(_schedule(app, settings.schedule_interval_s))
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.cleanup_ctx.extend([session_context, workers_context, schedule_context])
    app.router.add_get("/__edge/workers", list_workers)
    app.router.add_post("/__edge/workers/{name}/kill", kill_worker)
    app.router.add_route("*", "/functions/v1/{name}", functions_route)
    app.router.add_route("*", "/functions/v1/{name}/{tail:.*}", functions_route)
    app.router.add_route("*", "/{path:.*}", upstream_route)
    return app


async def serve(arguments: argparse.Namespace) -> int:
    folder = FunctionsFolder.open(arguments.functions)
    deno = Deno.find()
    runner = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        # bind first: the functions get this gateway's URL as SUPABASE_URL
        site_socket = _bound_socket(arguments.host, arguments.port)
        url = f"http://{arguments.host}:{site_socket.getsockname()[1]}"
        env = {**os.environ, "SUPABASE_URL": url}
        app = create_runtime_app(folder, deno, arguments.upstream, env)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.SockSite(runner, site_socket).start()
        started = await asyncio.gather(
            *(worker.ensure_started() for worker in app[WORKERS_KEY].values()), return_exceptions=True
        )
        failures = [outcome for outcome in started if isinstance(outcome, BaseException)]
        if failures:
            print(f"edge-runtime: {failures[0]}", flush=True)
            return 1
        cold = max(worker.started_in_s or 0.0 for worker in app[WORKERS_KEY].values())
        print(
            f"edge-runtime serving on {url} (functions: {', '.join(folder.functions)}; "
            f"{len(started)} workers, cold start {cold:.2f} s)",
            flush=True,
        )
        await stop.wait()
        return 0
    finally:
        if runner is not None:
            await runner.cleanup()


def _bound_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="edge-runtime", description="Serve Edge Functions under Deno.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve")
    serve_parser.add_argument("--functions", type=Path, required=True)
    serve_parser.add_argument("--upstream", required=True, help="base URL for every path but /functions/v1")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args(argv)
    try:
        return asyncio.run(serve(arguments))
    except Exception as error:  # one line, the harness shows it
        print(f"edge-runtime: {error}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
