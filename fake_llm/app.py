"""The aiohttp application factory of the fake DeepSeek server."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from fake_llm.admin import add_admin_routes
from fake_llm.admin_guard import guard_admin
from fake_llm.api import add_api_routes
from fake_llm.settings import ServerSettings
from fake_llm.state import SETTINGS_KEY, STATE_KEY, build_state


async def _state_lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Build the state at start-up (loading presets and rule files); close open calls at the end."""
    app[STATE_KEY] = build_state(app[SETTINGS_KEY])
    yield
    for record in app[STATE_KEY].journal.in_progress():
        record.finish("server_shutdown")


async def _release_waiting_handlers(app: web.Application) -> None:
    """On shutdown, wake every hang, stall and delay so their handlers end at once."""
    app[STATE_KEY].shutdown.set()


def create_app(settings: ServerSettings | None = None) -> web.Application:
    """A fake DeepSeek application; serve it with `handler_cancellation=True` (see `server.py`)."""
    app = web.Application(middlewares=[guard_admin])
    app[SETTINGS_KEY] = settings or ServerSettings()
    app.cleanup_ctx.append(_state_lifecycle)
    app.on_shutdown.append(_release_waiting_handlers)
    add_api_routes(app)
    add_admin_routes(app)
    return app
