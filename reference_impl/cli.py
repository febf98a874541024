"""`plan-reference`: serve the reference service, run a standalone worker, print API keys.

    plan-reference serve  [--host 127.0.0.1] [--port 0] [--env-file FILE]
    plan-reference worker [--env-file FILE]
    plan-reference keys   [--env-file FILE]

Settings come from the environment (the names of docs/contract.md "Configuration"); an env file
fills in what the environment does not set. `serve` prints `plan-reference serving <url>` once it listens,
and stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from aiohttp import web
from dotenv import dotenv_values

from reference_impl.app import create_app
from reference_impl.auth import JwtAuthority
from reference_impl.database import DatabaseUnavailable
from reference_impl.logs import configure_logging
from reference_impl.pipeline.settings import SettingsError
from reference_impl.queue.context import open_worker_context
from reference_impl.queue.loop import QueueLoop
from reference_impl.queue.runners import InProcessRunner
from reference_impl.settings import ServiceSettings, ServiceSettingsError


def _environment(env_file: Path | None) -> dict[str, str]:
    """The environment, with an env file filling in what it does not set."""
    merged: dict[str, str] = {}
    if env_file is not None:
        if not env_file.is_file():
            raise ServiceSettingsError(f"--env-file {env_file}: no such file")
        # an empty value leaves the variable unset, as everywhere in the project
        merged.update({key: value for key, value in dotenv_values(env_file).items() if value})
    merged.update(os.environ)
    return merged


async def _serve(env: Mapping[str, str], host: str, port: int) -> None:
    app = create_app(env)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        url_host = f"[{host}]" if ":" in host else host
        print(f"plan-reference serving http://{url_host}:{bound_port}", flush=True)
        await _until_stopped()
    finally:
        await runner.cleanup()


async def _worker(env: Mapping[str, str]) -> None:
    settings = ServiceSettings.from_env(env)
    worker_id = f"standalone:{os.getpid()}"
    async with open_worker_context(env, worker_id) as context:
        loop = QueueLoop(
            InProcessRunner(context),
            interval_s=max(settings.queue.worker_interval.total_seconds(), 0.05),
            max_jobs=settings.queue.worker_concurrency,
            on_outcome=lambda outcome: None,
        )
        loop.trigger()
        print(f"plan-reference worker {worker_id} running", flush=True)
        task = asyncio.create_task(loop.run_forever())
        await _until_stopped()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="plan-reference", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the HTTP surface and run the queue")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    for sub in (
        serve,
        commands.add_parser("worker", help="run the queue loop without HTTP"),
        commands.add_parser("keys", help="print the anon and service keys for the JWT secret"),
    ):
        sub.add_argument("--env-file", type=Path)
    args = parser.parse_args(argv)

    try:
        env = _environment(args.env_file)
        if args.command == "keys":
            authority = JwtAuthority.from_settings(
                ServiceSettings.from_env({"DATABASE_URL": "unused", **env})
            )
            print(f"SUPABASE_ANON_KEY={authority.api_keys.anon}")
            print(f"SUPABASE_SERVICE_ROLE_KEY={authority.api_keys.service_role}")
            return 0
        configure_logging(ServiceSettings.from_env(env).log_level)
        if args.command == "serve":
            asyncio.run(_serve(env, args.host, args.port))
        else:
            asyncio.run(_worker(env))
    except (ServiceSettingsError, SettingsError, DatabaseUnavailable, OSError) as error:
        print(f"plan-reference: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
