"""The surface guard of each surface: a body that never arrives is 408 and the connection
closes; unknown paths and methods are 404 and 405; an unexpected failure is a logged 500
with a generic body in the surface's shape, never a traceback."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from harness.profiles import ProfileFactory
from harness.queue_db import QueueDatabase
from reference_impl.auth import JwtAuthority
from tests.reference_impl.service.conftest import ServiceFactory, service_headers, user_headers
from tests.reference_impl.service.error_shapes import (
    function_refusal,
    gotrue_refusal,
    no_traceback,
    postgrest_refusal,
)
from tests.reference_impl.service.raw_http import read_response, request_head

READ_TIMEOUT_MS = 300
# Generous: a 408 later than this means the timeout did not apply (the old behaviour held
# the connection for 40 s and more).
CLIENT_PATIENCE_S = 10

SURFACES = [
    pytest.param("/functions/v1/create-plan-job", "functions", id="functions"),
    pytest.param("/rest/v1/rpc/cancel_plan_job", "rest", id="rest"),
    pytest.param("/auth/v1/signup", "auth", id="auth"),
]


def check_shape(surface: str, body: Any, status: int, code: str, *, mentions: str = "") -> None:
    if surface == "functions":
        function_refusal(body, code, mentions=mentions)
    elif surface == "rest":
        postgrest_refusal(body, code, mentions=mentions)
    else:
        gotrue_refusal(body, status, code, mentions=mentions)


@pytest.mark.parametrize(("path", "surface"), SURFACES)
async def test_a_body_that_never_arrives_is_408_and_the_connection_is_closed(
    start_service: ServiceFactory, authority: JwtAuthority, queue_db: QueueDatabase, path: str, surface: str
) -> None:
    client = await start_service(BODY_READ_TIMEOUT_MS=str(READ_TIMEOUT_MS))
    headers = user_headers(authority, queue_db, queue_db.create_user())
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    started = time.monotonic()
    writer.write(
        request_head("POST", path, {**headers, "Content-Type": "application/json"}, content_length=500)
    )
    writer.write(b'{"profile": {')
    await writer.drain()

    response = await asyncio.wait_for(read_response(reader), CLIENT_PATIENCE_S)
    rest_of_stream = await asyncio.wait_for(reader.read(), CLIENT_PATIENCE_S)
    waited_s = time.monotonic() - started
    writer.close()

    assert response.status == 408
    assert response.headers.get("connection", "").lower() == "close"
    expected = {"functions": "REQUEST_TIMEOUT", "rest": "PGRST102", "auth": "request_timeout"}[surface]
    check_shape(surface, response.json(), 408, expected, mentions=f"within {READ_TIMEOUT_MS / 1000:g} s")
    assert rest_of_stream == b""  # the server closed the connection
    assert waited_s >= READ_TIMEOUT_MS / 1000
    assert queue_db.jobs() == []


@pytest.mark.parametrize(
    ("path", "surface", "code"),
    [
        ("/functions/v1/no-such-function", "functions", "NOT_FOUND"),
        ("/rest/v1/a/b/c", "rest", "PGRST125"),
        ("/auth/v1/no/such/route", "auth", "not_found"),
    ],
)
async def test_an_unknown_path_is_404_in_the_surfaces_shape(
    start_service: ServiceFactory, authority: JwtAuthority, path: str, surface: str, code: str
) -> None:
    client = await start_service()

    response = await client.get(path, headers=service_headers(authority))

    assert response.status == 404
    check_shape(surface, await response.json(), 404, code)


@pytest.mark.parametrize(
    ("method", "path", "surface", "code", "allow"),
    [
        ("GET", "/functions/v1/create-plan-job", "functions", "METHOD_NOT_ALLOWED", "POST"),
        ("DELETE", "/rest/v1/", "rest", "PGRST117", "GET, HEAD"),
        ("PUT", "/auth/v1/token", "auth", "method_not_allowed", "POST"),
    ],
)
async def test_a_wrong_method_is_405_with_allow(
    start_service: ServiceFactory,
    authority: JwtAuthority,
    method: str,
    path: str,
    surface: str,
    code: str,
    allow: str,
) -> None:
    client = await start_service()

    response = await client.request(method, path, headers=service_headers(authority))

    assert response.status == 405
    assert response.headers["Allow"] == allow
    check_shape(surface, await response.json(), 405, code, mentions=method)


def _fail(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("planted failure with a secret-looking detail sk-planted-0123456789")


@pytest.mark.parametrize(
    ("failing", "request_of", "surface", "code"),
    [
        (
            "reference_impl.functions.compute_targets",
            lambda a, q: ("POST", "/functions/v1/create-plan-job", user_headers(a, q, q.create_user())),
            "functions",
            "UNEXPECTED_ERROR",
        ),
        (
            "reference_impl.rest.app.read_table",
            lambda a, q: ("GET", "/rest/v1/plan_generation_jobs", service_headers(a)),
            "rest",
            "PGRSTX00",
        ),
        (
            "reference_impl.auth.gotrue.user_by_id",
            lambda a, q: ("GET", "/auth/v1/user", user_headers(a, q, q.create_user())),
            "auth",
            "unexpected_failure",
        ),
    ],
    ids=["functions", "rest", "auth"],
)
async def test_an_unexpected_failure_is_a_logged_500_without_details(
    start_service: ServiceFactory,
    authority: JwtAuthority,
    queue_db: QueueDatabase,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failing: str,
    request_of: Callable[[JwtAuthority, QueueDatabase], tuple[str, str, dict[str, str]]],
    surface: str,
    code: str,
) -> None:
    client = await start_service()
    monkeypatch.setattr(failing, _fail)
    method, path, headers = request_of(authority, queue_db)

    with caplog.at_level(logging.ERROR, logger="reference_impl.surface_guard"):
        response = await client.request(
            method, path, json={"profile": ProfileFactory(1).make()}, headers=headers
        )
    text = await response.text()

    assert response.status == 500
    no_traceback(text)
    assert "planted" not in text and "sk-planted" not in text
    check_shape(surface, await response.json(), 500, code)
    (record,) = [r for r in caplog.records if r.name == "reference_impl.surface_guard"]
    assert record.exc_info is not None and "planted failure" in str(record.exc_info[1])
    assert record.__dict__["event"] == f"{surface}.error"
