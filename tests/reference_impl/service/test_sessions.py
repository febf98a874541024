"""Sign-out ends the session: its access tokens stop working on `/auth/v1` and the
functions, as GoTrue's do; `/rest/v1` stays stateless, as PostgREST is."""

from __future__ import annotations

from typing import Any

import pytest

from harness.profiles import ProfileFactory
from harness.queue_db import QueueDatabase
from reference_impl.auth import JwtAuthority
from tests.reference_impl.service.conftest import Client, ServiceFactory, service_headers
from tests.reference_impl.service.error_shapes import function_refusal, gotrue_refusal

PASSWORD = "correct-horse-battery"
PROFILE = ProfileFactory(5).make()


@pytest.fixture
async def client(start_service: ServiceFactory) -> Client:
    return await start_service()


async def _signed_in(client: Client, authority: JwtAuthority, email: str) -> dict[str, Any]:
    created = await client.post(
        "/auth/v1/admin/users",
        json={"email": email, "password": PASSWORD, "email_confirm": True},
        headers=service_headers(authority),
    )
    assert created.status == 200, await created.text()
    return await _sign_in(client, authority, email)


async def _sign_in(client: Client, authority: JwtAuthority, email: str) -> dict[str, Any]:
    response = await client.post(
        "/auth/v1/token?grant_type=password",
        json={"email": email, "password": PASSWORD},
        headers={"apikey": authority.api_keys.anon},
    )
    assert response.status == 200, await response.text()
    session: dict[str, Any] = await response.json()
    return session


def _bearer(authority: JwtAuthority, token: str) -> dict[str, str]:
    return {"apikey": authority.api_keys.anon, "Authorization": f"Bearer {token}"}


async def test_after_sign_out_the_access_token_no_longer_works_on_auth_and_the_functions(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    session = await _signed_in(client, authority, "leaving@example.test")
    headers = _bearer(authority, session["access_token"])
    session_id = authority.verify(session["access_token"])["session_id"]
    assert (await client.get("/auth/v1/user", headers=headers)).status == 200

    signed_out = await client.post("/auth/v1/logout", headers=headers)
    user = await client.get("/auth/v1/user", headers=headers)
    create = await client.post("/functions/v1/create-plan-job", json={"profile": PROFILE}, headers=headers)

    assert signed_out.status == 204
    assert user.status == 403
    gotrue_refusal(
        await user.json(),
        403,
        "session_not_found",
        mentions="Session from session_id claim in JWT does not exist",
    )
    assert create.status == 401
    function_refusal(await create.json(), "AUTH_REQUIRED", mentions=session_id)
    assert queue_db.jobs() == []


async def test_rest_stays_stateless_after_sign_out(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    session = await _signed_in(client, authority, "stateless@example.test")
    headers = _bearer(authority, session["access_token"])
    created = await client.post("/functions/v1/create-plan-job", json={"profile": PROFILE}, headers=headers)
    job_id = (await created.json())["jobId"]

    await client.post("/auth/v1/logout", headers=headers)
    read = await client.get(f"/rest/v1/plan_generation_jobs?select=id&id=eq.{job_id}", headers=headers)

    assert read.status == 200
    assert await read.json() == [{"id": job_id}]


async def test_a_local_sign_out_ends_only_that_session(client: Client, authority: JwtAuthority) -> None:
    phone = await _signed_in(client, authority, "two-devices@example.test")
    laptop = await _sign_in(client, authority, "two-devices@example.test")

    await client.post("/auth/v1/logout?scope=local", headers=_bearer(authority, phone["access_token"]))
    on_phone = await client.get("/auth/v1/user", headers=_bearer(authority, phone["access_token"]))
    on_laptop = await client.get("/auth/v1/user", headers=_bearer(authority, laptop["access_token"]))

    assert on_phone.status == 403
    assert on_laptop.status == 200


async def test_a_refreshed_session_keeps_its_old_access_tokens_valid(
    client: Client, authority: JwtAuthority
) -> None:
    first = await _signed_in(client, authority, "refresher@example.test")

    refreshed = await client.post(
        "/auth/v1/token?grant_type=refresh_token",
        json={"refresh_token": first["refresh_token"]},
        headers={"apikey": authority.api_keys.anon},
    )
    old_token_user = await client.get("/auth/v1/user", headers=_bearer(authority, first["access_token"]))

    assert refreshed.status == 200
    assert old_token_user.status == 200


async def test_reusing_a_spent_refresh_token_ends_the_session_for_its_access_tokens(
    client: Client, authority: JwtAuthority
) -> None:
    first = await _signed_in(client, authority, "stolen@example.test")
    anon = {"apikey": authority.api_keys.anon}
    refresh = "/auth/v1/token?grant_type=refresh_token"
    second = await (
        await client.post(refresh, json={"refresh_token": first["refresh_token"]}, headers=anon)
    ).json()

    reused = await client.post(refresh, json={"refresh_token": first["refresh_token"]}, headers=anon)
    user = await client.get("/auth/v1/user", headers=_bearer(authority, second["access_token"]))

    assert reused.status == 400
    assert user.status == 403
    gotrue_refusal(await user.json(), 403, "session_not_found")


async def test_a_session_id_that_is_not_a_uuid_is_a_bad_token(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    user = queue_db.create_user()
    token = authority.mint_access_token(user_id=user.id, email=user.email, session_id="not-a-session").token

    on_auth = await client.get("/auth/v1/user", headers=_bearer(authority, token))
    on_functions = await client.post(
        "/functions/v1/create-plan-job", json={"profile": PROFILE}, headers=_bearer(authority, token)
    )

    assert on_auth.status == 403
    gotrue_refusal(await on_auth.json(), 403, "bad_jwt", mentions="session_id")
    assert on_functions.status == 401
    function_refusal(await on_functions.json(), "AUTH_REQUIRED", mentions="session_id")
