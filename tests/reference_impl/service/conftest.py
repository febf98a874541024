"""Fixtures for the service tests: the whole app (`create_app`) on the worker's database,
with an in-process fake DeepSeek, served by aiohttp's test server on a loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from fake_llm.server import FakeDeepSeek
from fake_llm.settings import ServerSettings
from harness.queue_db import QueueDatabase, QueueUser
from reference_impl.app import create_app
from reference_impl.auth import JwtAuthority
from reference_impl.settings import ServiceSettings
from tests.reference_impl.http.seed import open_session

JWT_SECRET = "service-tests-jwt-secret-0123456789-abcdefgh"
DEEPSEEK_KEY = "sk-service-tests-0123456789abcdef"

Client = TestClient[web.Request, web.Application]
ServiceFactory = Callable[..., Awaitable[Client]]


@pytest.fixture
async def fake_deepseek() -> AsyncIterator[FakeDeepSeek]:
    async with FakeDeepSeek(ServerSettings()) as fake:
        yield fake


@pytest.fixture
def base_env(worker_service_dsn: str, fake_deepseek: FakeDeepSeek) -> dict[str, str]:
    return {
        "DATABASE_URL": worker_service_dsn,
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "DEEPSEEK_API_KEY": DEEPSEEK_KEY,
        "DEEPSEEK_BASE_URL": fake_deepseek.url,
        "INTERNAL_TIMEOUT_MS": "1500",
        "DEEPSEEK_CALL_TIMEOUT_MS": "1200",
        "DEEPSEEK_RETRY_BACKOFF_MS": "10",
        "WALL_CLOCK_LIMIT_MS": "0",
        "WORKER_INTERVAL_MS": "0",
    }


@pytest.fixture
def authority(base_env: dict[str, str]) -> JwtAuthority:
    return JwtAuthority.from_settings(ServiceSettings.from_env(base_env))


@pytest.fixture
async def start_service(base_env: dict[str, str], queue_db: QueueDatabase) -> AsyncIterator[ServiceFactory]:
    """Factory: `await start_service(**env_overrides)` -> a client of the whole service."""
    clients: list[Client] = []

    async def start(**overrides: Any) -> Client:
        client: Client = TestClient(TestServer(create_app({**base_env, **overrides}), host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in reversed(clients):
        await client.close()


def user_headers(authority: JwtAuthority, queue_db: QueueDatabase, user: QueueUser) -> dict[str, str]:
    """Headers of `user` signed in: a token of a live session, as supabase clients send it."""
    token = authority.mint_access_token(
        user_id=user.id, email=user.email, session_id=open_session(queue_db, user)
    ).token
    return {"apikey": authority.api_keys.anon, "Authorization": f"Bearer {token}"}


def service_headers(authority: JwtAuthority) -> dict[str, str]:
    key = authority.api_keys.service_role
    return {"apikey": key, "Authorization": f"Bearer {key}"}
