"""aiohttp application keys (`web.AppKey`) of the service: its database pool and settings,
shared by the sub-applications (functions, REST, auth, ops)."""

from __future__ import annotations

from aiohttp import web

from reference_impl.database import Database
from reference_impl.settings import ServiceSettings

DATABASE_KEY = web.AppKey("database", Database)
SETTINGS_KEY = web.AppKey("settings", ServiceSettings)
