"""Request authentication: the gateway's API key check and the bearer JWT, through `/rest/v1`
and through `authenticate` as the function handlers use it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from harness.queue_db import QueueDatabase
from reference_impl.auth import JWT_AUTHORITY_KEY, AuthFailure, JwtAuthority, authenticate

from .conftest import ApiHeaders, Client
from .service import JWT_SECRET

JOBS = "/rest/v1/plan_generation_jobs"
OTHER_SECRET = "a-different-secret-that-is-long-enough-too"


def bad_tokens(authority: JwtAuthority, user_id: str) -> dict[str, str]:
    claims = {"sub": user_id, "role": "authenticated", "aud": "authenticated", "exp": int(time.time()) + 600}
    expired_authority = JwtAuthority(JWT_SECRET, clock=lambda: time.time() - 7200)
    return {
        "forged": JwtAuthority(OTHER_SECRET).sign(claims),
        "expired": expired_authority.mint_access_token(user_id=user_id, email=None, session_id="s").token,
        "alg-none": jwt.encode(claims, "", algorithm="none"),
        "service-role-unsigned": jwt.encode({**claims, "role": "service_role"}, "", algorithm="none"),
        "garbage": "not-a-jwt",
    }


@pytest.mark.parametrize("kind", ["forged", "expired", "alg-none", "service-role-unsigned", "garbage"])
async def test_a_bad_token_is_401_pgrst301(
    client: Client, headers: ApiHeaders, authority: JwtAuthority, queue_db: QueueDatabase, kind: str
) -> None:
    user = queue_db.create_user()
    queue_db.insert_job(user)
    token = bad_tokens(authority, user.id)[kind]

    response = await client.get(JOBS, headers=headers.bearer(token))

    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    body = await response.json()
    assert body["code"] == "PGRST301"
    assert token not in body["message"]


async def test_an_expired_token_says_so(client: Client, headers: ApiHeaders, authority: JwtAuthority) -> None:
    token = bad_tokens(authority, "2b9f6c1e-5a4d-4c3b-9e8f-7a6b5c4d3e2f")["expired"]

    body = await (await client.get(JOBS, headers=headers.bearer(token))).json()

    assert body["message"] == "JWT expired"


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   "])
async def test_an_authorization_header_that_is_not_a_bearer_token_is_401(
    client: Client, headers: ApiHeaders, authorization: str
) -> None:
    response = await client.get(JOBS, headers={**headers.anon(), "Authorization": authorization})

    assert response.status == 401
    assert (await response.json())["code"] == "PGRST301"


async def test_a_request_without_credentials_is_401(client: Client) -> None:
    response = await client.get(JOBS)

    assert response.status == 401
    assert await response.json() == {"message": "No API key found in request"}


async def test_a_request_without_an_api_key_is_refused_by_the_gateway(
    client: Client, headers: ApiHeaders, authority: JwtAuthority
) -> None:
    response = await client.get(JOBS, headers={"Authorization": f"Bearer {authority.api_keys.service_role}"})

    assert response.status == 401
    assert await response.json() == {"message": "No API key found in request"}


async def test_a_valid_jwt_is_not_an_api_key(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    user_token = headers.token_for(queue_db.create_user())

    response = await client.get(JOBS, headers={"apikey": user_token})

    assert response.status == 401
    assert await response.json() == {"message": "Invalid API key"}


async def test_without_authorization_the_api_keys_role_is_used(
    client: Client, headers: ApiHeaders, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    job = queue_db.insert_job(queue_db.create_user())

    as_service = await client.get(JOBS, headers={"apikey": authority.api_keys.service_role})
    as_anon = await client.get(JOBS, headers={"apikey": authority.api_keys.anon})

    assert [row["id"] for row in await as_service.json()] == [str(job["id"])]
    assert as_anon.status == 401
    assert (await as_anon.json())["code"] == "42501"


async def test_the_bearer_token_decides_over_the_api_key(
    client: Client, headers: ApiHeaders, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    alice, bob = queue_db.create_user(), queue_db.create_user()
    alices_job = queue_db.insert_job(alice)
    queue_db.insert_job(bob)

    response = await client.get(
        JOBS,
        headers={
            "apikey": authority.api_keys.service_role,
            "Authorization": f"Bearer {headers.token_for(alice)}",
        },
    )

    assert [row["id"] for row in await response.json()] == [str(alices_job["id"])]


# -- authenticate() as a function handler uses it (no gateway key check) --------------------


async def whoami(request: web.Request) -> web.Response:
    try:
        caller = authenticate(request, require_api_key=False)
    except AuthFailure as failure:
        return web.json_response({"reason": failure.reason.value, "message": failure.message}, status=401)
    return web.json_response({"role": caller.role, "sub": caller.user_id})


@pytest.fixture
async def functions_client(
    authority: JwtAuthority,
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    app[JWT_AUTHORITY_KEY] = authority
    app.router.add_post("/whoami", whoami)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        yield client


async def test_a_function_caller_is_the_bearer_tokens_user(
    functions_client: TestClient[web.Request, web.Application], authority: JwtAuthority
) -> None:
    token = authority.mint_access_token(
        user_id="2b9f6c1e-5a4d-4c3b-9e8f-7a6b5c4d3e2f", email=None, session_id="s"
    )

    response = await functions_client.post("/whoami", headers={"Authorization": f"Bearer {token.token}"})

    assert await response.json() == {"role": "authenticated", "sub": "2b9f6c1e-5a4d-4c3b-9e8f-7a6b5c4d3e2f"}


async def test_a_function_call_needs_a_token_even_with_an_api_key(
    functions_client: TestClient[web.Request, web.Application], authority: JwtAuthority
) -> None:
    response = await functions_client.post("/whoami", headers={"apikey": authority.api_keys.service_role})

    assert response.status == 401
    assert (await response.json())["reason"] == "token_missing"


async def test_a_function_call_with_an_expired_token_fails_as_expired(
    functions_client: TestClient[web.Request, web.Application], authority: JwtAuthority
) -> None:
    token = bad_tokens(authority, "2b9f6c1e-5a4d-4c3b-9e8f-7a6b5c4d3e2f")["expired"]

    response = await functions_client.post("/whoami", headers={"Authorization": f"Bearer {token}"})

    assert (await response.json())["reason"] == "token_expired"
