"""Fixtures for the HTTP surface tests: settings on the worker's database, a served app,
and request headers for each kind of caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from harness.queue_db import QueueDatabase, QueueUser
from reference_impl.auth import JwtAuthority
from reference_impl.settings import ServiceSettings

from .service import JWT_SECRET, create_test_app

Client = TestClient[web.Request, web.Application]


@dataclass(frozen=True)
class ApiHeaders:
    """Headers as supabase clients send them, for each kind of caller."""

    authority: JwtAuthority

    def anon(self) -> dict[str, str]:
        key = self.authority.api_keys.anon
        return {"apikey": key, "Authorization": f"Bearer {key}"}

    def service(self) -> dict[str, str]:
        key = self.authority.api_keys.service_role
        return {"apikey": key, "Authorization": f"Bearer {key}"}

    def user(self, user: QueueUser) -> dict[str, str]:
        return self.bearer(self.token_for(user))

    def bearer(self, token: str) -> dict[str, str]:
        return {"apikey": self.authority.api_keys.anon, "Authorization": f"Bearer {token}"}

    def token_for(self, user: QueueUser, authority: JwtAuthority | None = None) -> str:
        minted = (authority or self.authority).mint_access_token(
            user_id=user.id, email=user.email, session_id="00000000-0000-4000-8000-000000000001"
        )
        return minted.token


@pytest.fixture(scope="session")
def service_settings(worker_service_dsn: str) -> ServiceSettings:
    return ServiceSettings(database_url=worker_service_dsn, jwt_secret=JWT_SECRET)


@pytest.fixture(scope="session")
def authority(service_settings: ServiceSettings) -> JwtAuthority:
    """The same authority (secret and keys) the served app builds from the settings."""
    return JwtAuthority.from_settings(service_settings)


@pytest.fixture(scope="session")
def headers(authority: JwtAuthority) -> ApiHeaders:
    return ApiHeaders(authority)


@pytest.fixture
async def client(service_settings: ServiceSettings, queue_db: QueueDatabase) -> AsyncIterator[Client]:
    """The REST and Auth sub-apps served on 127.0.0.1, over a freshly emptied database."""
    async with TestClient(TestServer(create_test_app(service_settings), host="127.0.0.1", port=0)) as client:
        yield client
