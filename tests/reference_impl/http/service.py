"""A test stand-in for the lead's `create_app`: the REST and Auth sub-apps under one parent.

The parent opens the database pool (as `authenticator`, like PostgREST) and puts the
database, the settings and the JWT authority under their keys in a `cleanup_ctx`.
`serve_in_thread` runs such an app on a loopback port in its own event loop, for
synchronous clients such as supabase-py.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager

from aiohttp import web

from reference_impl.app_keys import DATABASE_KEY, SETTINGS_KEY
from reference_impl.auth import JWT_AUTHORITY_KEY, JwtAuthority, ScryptParams, create_auth_app
from reference_impl.database import Database
from reference_impl.rest import create_rest_app
from reference_impl.settings import ServiceSettings

JWT_SECRET = "reference-http-tests-jwt-secret-0123456789"
# Cheap scrypt for tests that create many users; the default parameters have their own test.
FAST_SCRYPT = ScryptParams(log2_n=4)
STARTUP_TIMEOUT_S = 30


def create_test_app(
    settings: ServiceSettings, *, password_params: ScryptParams = FAST_SCRYPT
) -> web.Application:
    async def resources(app: web.Application) -> AsyncIterator[None]:
        database = await Database.open(settings.database_url, min_size=1, max_size=4)
        app[DATABASE_KEY] = database
        app[SETTINGS_KEY] = settings
        app[JWT_AUTHORITY_KEY] = JwtAuthority.from_settings(settings)
        yield
        await database.close()

    app = web.Application()
    app.cleanup_ctx.append(resources)
    app.add_subapp("/rest/v1", create_rest_app())
    app.add_subapp(
        "/auth/v1", create_auth_app(password_params=password_params, sign_in_limits=settings.sign_in)
    )
    return app


@contextmanager
def serve_in_thread(app_factory: Callable[[], web.Application]) -> Iterator[str]:
    """Serve the app on 127.0.0.1 and a free port from a thread of its own; yields the base URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="reference-service", daemon=True)
    thread.start()

    async def start() -> tuple[web.AppRunner, int]:
        runner = web.AppRunner(app_factory())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, runner.addresses[0][1]

    try:
        runner, port = asyncio.run_coroutine_threadsafe(start(), loop).result(STARTUP_TIMEOUT_S)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(STARTUP_TIMEOUT_S)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
