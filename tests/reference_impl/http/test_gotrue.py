"""`/auth/v1`: admin users, password and refresh-token grants, the current user, sign-out."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from harness.queue_db import QueueDatabase
from reference_impl.auth import JwtAuthority

from .conftest import ApiHeaders, Client
from .seed import open_session
from .service import JWT_SECRET

ADMIN_USERS = "/auth/v1/admin/users"
PASSWORD_GRANT = "/auth/v1/token?grant_type=password"
REFRESH_GRANT = "/auth/v1/token?grant_type=refresh_token"
PASSWORD = "correct-horse-battery"


async def create_user(
    client: Client, headers: ApiHeaders, email: str, *, status: int = 200, **attributes: Any
) -> dict[str, Any]:
    body = {"email": email, "password": PASSWORD, "email_confirm": True, **attributes}
    response = await client.post(ADMIN_USERS, json=body, headers=headers.service())
    assert response.status == status, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def sign_in(
    client: Client, headers: ApiHeaders, email: str, password: str = PASSWORD, *, status: int = 200
) -> dict[str, Any]:
    response = await client.post(
        PASSWORD_GRANT, json={"email": email, "password": password}, headers=headers.anon()
    )
    assert response.status == status, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def refresh(client: Client, headers: ApiHeaders, token: str, *, status: int = 200) -> dict[str, Any]:
    response = await client.post(REFRESH_GRANT, json={"refresh_token": token}, headers=headers.anon())
    assert response.status == status, await response.text()
    result: dict[str, Any] = await response.json()
    return result


def user_count(queue_db: QueueDatabase) -> int:
    row = queue_db.conn.execute("select count(*) as n from auth.users").fetchone()
    assert row is not None
    return int(row["n"])


# -- admin users ----------------------------------------------------------------------------


async def test_the_service_creates_a_confirmed_user(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    user = await create_user(client, headers, "Ada@Example.test", user_metadata={"name": "Ada"})

    assert user["email"] == "ada@example.test"
    assert user["email_confirmed_at"] is not None
    assert user["user_metadata"] == {"name": "Ada"}
    assert user["app_metadata"]["provider"] == "email"
    assert (user["aud"], user["role"]) == ("authenticated", "authenticated")
    row = queue_db.conn.execute(
        "select encrypted_password from auth.users where id = %s", (user["id"],)
    ).fetchone()
    assert row is not None
    assert row["encrypted_password"].startswith("$scrypt$")
    assert PASSWORD not in row["encrypted_password"]


async def test_an_admin_may_choose_the_user_id(client: Client, headers: ApiHeaders) -> None:
    chosen = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"

    user = await create_user(client, headers, "chosen@example.test", id=chosen.upper())

    assert user["id"] == chosen


async def test_a_taken_user_id_is_422(client: Client, headers: ApiHeaders) -> None:
    chosen = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
    await create_user(client, headers, "first@example.test", id=chosen)

    body = await create_user(client, headers, "second@example.test", id=chosen, status=422)

    assert body["error_code"] == "user_already_exists"


@pytest.mark.parametrize("caller", ["anon", "user"])
async def test_only_the_service_role_creates_users(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase, caller: str
) -> None:
    sent = headers.anon() if caller == "anon" else headers.user(queue_db.create_user())
    before = user_count(queue_db)

    response = await client.post(ADMIN_USERS, json={"email": "x@example.test"}, headers=sent)

    assert response.status == 403
    assert (await response.json())["error_code"] == "not_admin"
    assert user_count(queue_db) == before


async def test_admin_calls_need_a_bearer_token(
    client: Client, headers: ApiHeaders, authority: JwtAuthority
) -> None:
    response = await client.post(
        ADMIN_USERS, json={"email": "x@example.test"}, headers={"apikey": authority.api_keys.service_role}
    )

    assert response.status == 401
    assert (await response.json())["error_code"] == "no_authorization"


async def test_a_duplicate_email_is_422_email_exists(client: Client, headers: ApiHeaders) -> None:
    await create_user(client, headers, "twice@example.test")

    body = await create_user(client, headers, "TWICE@example.test", status=422)

    assert (body["code"], body["error_code"]) == (422, "email_exists")
    assert "already been registered" in body["msg"]


@pytest.mark.parametrize(
    ("attributes", "status", "named"),
    [
        ({"email": None}, 400, "email"),
        ({"email": "no-at-sign"}, 400, "email"),
        ({"password": "short"}, 422, "Password"),
        ({"password": 123456}, 400, "password"),
        ({"email_confirm": "yes"}, 400, "email_confirm"),
        ({"user_metadata": ["not", "an", "object"]}, 400, "user_metadata"),
        ({"app_metadata": "admin"}, 400, "app_metadata"),
        ({"id": "not-a-uuid"}, 400, "id"),
        ({"role": "service_role"}, 400, "role"),
        ({"phone": "+15550100"}, 400, "phone"),
    ],
)
async def test_invalid_attributes_are_refused_naming_the_field(
    client: Client,
    headers: ApiHeaders,
    queue_db: QueueDatabase,
    attributes: dict[str, Any],
    status: int,
    named: str,
) -> None:
    sent = {"email": "bad@example.test", "password": PASSWORD, **attributes}

    response = await client.post(ADMIN_USERS, json=sent, headers=headers.service())

    assert response.status == status
    assert named in (await response.json())["msg"]
    assert user_count(queue_db) == 0


async def test_a_body_that_is_not_json_is_400_bad_json(client: Client, headers: ApiHeaders) -> None:
    response = await client.post(ADMIN_USERS, data=b"{nope", headers=headers.service())

    assert response.status == 400
    assert (await response.json())["error_code"] == "bad_json"


async def test_deleting_a_user_removes_their_jobs_and_plans(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    created = await create_user(client, headers, "leaving@example.test")
    await sign_in(client, headers, "leaving@example.test")
    staying = queue_db.create_user()
    for user_id in (created["id"], staying.id):
        queue_db.conn.execute(
            "insert into public.plan_generation_jobs (user_id, input) values (%s, '{}')", (user_id,)
        )
        claimed = queue_db.claim()
        assert claimed is not None
        queue_db.complete(claimed)

    response = await client.delete(f"{ADMIN_USERS}/{created['id']}", headers=headers.service())

    assert response.status == 200
    assert {str(job["user_id"]) for job in queue_db.jobs()} == {staying.id}
    assert {str(plan["user_id"]) for plan in queue_db.plans()} == {staying.id}
    tokens = queue_db.conn.execute("select count(*) as n from auth.refresh_tokens").fetchone()
    assert tokens is not None and tokens["n"] == 0


async def test_deleting_twice_is_404_user_not_found(client: Client, headers: ApiHeaders) -> None:
    created = await create_user(client, headers, "once@example.test")
    await client.delete(f"{ADMIN_USERS}/{created['id']}", headers=headers.service())

    again = await client.delete(f"{ADMIN_USERS}/{created['id']}", headers=headers.service())
    not_an_id = await client.delete(f"{ADMIN_USERS}/not-an-id", headers=headers.service())

    assert (again.status, (await again.json())["error_code"]) == (404, "user_not_found")
    assert (not_an_id.status, (await not_an_id.json())["error_code"]) == (404, "validation_failed")


async def test_a_user_may_not_delete_users(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    user = queue_db.create_user()

    response = await client.delete(f"{ADMIN_USERS}/{user.id}", headers=headers.user(user))

    assert response.status == 403
    assert user_count(queue_db) == 1


# -- password sign-in ---------------------------------------------------------------------------


async def test_sign_in_returns_a_gotrue_session_with_a_valid_access_token(
    client: Client, headers: ApiHeaders, authority: JwtAuthority, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = await create_user(client, headers, "session@example.test")

    session = await sign_in(client, headers, "session@example.test")

    claims = authority.verify(session["access_token"])
    assert (claims["sub"], claims["role"], claims["aud"], claims["email"]) == (
        created["id"],
        "authenticated",
        "authenticated",
        "session@example.test",
    )
    assert session["token_type"] == "bearer"
    assert session["expires_in"] == claims["exp"] - claims["iat"]
    assert abs(session["expires_at"] - (time.time() + session["expires_in"])) < 5
    assert session["refresh_token"]
    assert session["user"]["id"] == created["id"]
    assert session["user"]["last_sign_in_at"] is not None
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize(
    ("email", "password"), [("known@example.test", "wrong-password"), ("who@example.test", PASSWORD)]
)
async def test_wrong_credentials_are_400_invalid_grant_in_old_and_new_shapes(
    client: Client, headers: ApiHeaders, email: str, password: str
) -> None:
    await create_user(client, headers, "known@example.test")

    body = await sign_in(client, headers, email, password, status=400)

    assert body == {
        "error": "invalid_grant",
        "error_description": "Invalid login credentials",
        "code": 400,
        "error_code": "invalid_credentials",
        "msg": "Invalid login credentials",
    }


async def test_a_user_without_a_password_cannot_sign_in(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    user = queue_db.create_user()

    body = await sign_in(client, headers, user.email, "anything-at-all", status=400)

    assert body["error_code"] == "invalid_credentials"


async def test_an_unconfirmed_email_cannot_sign_in(client: Client, headers: ApiHeaders) -> None:
    await create_user(client, headers, "later@example.test", email_confirm=False)

    body = await sign_in(client, headers, "later@example.test", status=400)

    assert (body["error"], body["error_code"]) == ("invalid_grant", "email_not_confirmed")


async def test_sign_in_needs_an_api_key(client: Client) -> None:
    response = await client.post(PASSWORD_GRANT, json={"email": "a@example.test", "password": PASSWORD})

    assert response.status == 401
    assert await response.json() == {"message": "No API key found in request"}


@pytest.mark.parametrize("body", [{"email": "a@example.test"}, {"password": PASSWORD}])
async def test_sign_in_names_a_missing_field(
    client: Client, headers: ApiHeaders, body: dict[str, str]
) -> None:
    response = await client.post(PASSWORD_GRANT, json=body, headers=headers.anon())

    assert response.status == 400
    missing = "password" if "email" in body else "email"
    assert missing in (await response.json())["msg"]


async def test_an_unknown_grant_type_is_refused(client: Client, headers: ApiHeaders) -> None:
    response = await client.post("/auth/v1/token?grant_type=magic", json={}, headers=headers.anon())

    assert response.status == 400
    body = await response.json()
    assert body["error"] == "unsupported_grant_type"
    assert "magic" in body["msg"]


# -- refresh tokens -------------------------------------------------------------------------------


async def test_a_refresh_rotates_the_token_within_the_session(
    client: Client, headers: ApiHeaders, authority: JwtAuthority
) -> None:
    await create_user(client, headers, "rotate@example.test")
    first = await sign_in(client, headers, "rotate@example.test")

    second = await refresh(client, headers, first["refresh_token"])

    assert second["refresh_token"] != first["refresh_token"]
    first_claims, second_claims = (
        authority.verify(first["access_token"]),
        authority.verify(second["access_token"]),
    )
    assert second_claims["session_id"] == first_claims["session_id"]
    assert second_claims["sub"] == first_claims["sub"]


async def test_reusing_a_refresh_token_ends_the_session(client: Client, headers: ApiHeaders) -> None:
    await create_user(client, headers, "reuse@example.test")
    first = await sign_in(client, headers, "reuse@example.test")
    second = await refresh(client, headers, first["refresh_token"])

    reused = await refresh(client, headers, first["refresh_token"], status=400)
    successor = await refresh(client, headers, second["refresh_token"], status=400)

    assert (reused["error"], reused["error_code"]) == ("invalid_grant", "refresh_token_already_used")
    assert successor["error_code"] == "refresh_token_already_used"


async def test_an_unknown_refresh_token_is_refused(client: Client, headers: ApiHeaders) -> None:
    body = await refresh(client, headers, "never-issued", status=400)

    assert body["error_code"] == "refresh_token_not_found"


async def test_sign_out_ends_the_sessions(client: Client, headers: ApiHeaders) -> None:
    await create_user(client, headers, "bye@example.test")
    session = await sign_in(client, headers, "bye@example.test")

    response = await client.post("/auth/v1/logout", headers=headers.bearer(session["access_token"]))

    assert response.status == 204
    assert (await refresh(client, headers, session["refresh_token"], status=400))["error_code"] == (
        "refresh_token_not_found"
    )


async def test_a_local_sign_out_keeps_the_other_sessions(client: Client, headers: ApiHeaders) -> None:
    await create_user(client, headers, "two@example.test")
    phone = await sign_in(client, headers, "two@example.test")
    laptop = await sign_in(client, headers, "two@example.test")

    await client.post("/auth/v1/logout?scope=local", headers=headers.bearer(phone["access_token"]))

    assert (await refresh(client, headers, phone["refresh_token"], status=400))["error_code"] == (
        "refresh_token_not_found"
    )
    assert (await refresh(client, headers, laptop["refresh_token"]))["access_token"]


# -- the current user -------------------------------------------------------------------------------


async def test_get_user_returns_the_tokens_user(client: Client, headers: ApiHeaders) -> None:
    created = await create_user(client, headers, "me@example.test")
    session = await sign_in(client, headers, "me@example.test")

    response = await client.get("/auth/v1/user", headers=headers.bearer(session["access_token"]))

    assert response.status == 200
    assert (await response.json())["id"] == created["id"]


async def test_get_user_refuses_bad_tokens_like_gotrue(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    user = queue_db.create_user()
    expired = headers.token_for(user, JwtAuthority(JWT_SECRET, clock=lambda: time.time() - 7200))

    expired_response = await client.get("/auth/v1/user", headers=headers.bearer(expired))
    anon_response = await client.get("/auth/v1/user", headers=headers.anon())
    missing_response = await client.get("/auth/v1/user", headers={"apikey": headers.authority.api_keys.anon})

    assert (expired_response.status, (await expired_response.json())["error_code"]) == (403, "bad_jwt")
    assert "token is expired" in (await expired_response.json())["msg"]
    assert (anon_response.status, (await anon_response.json())["error_code"]) == (403, "bad_jwt")
    assert (missing_response.status, (await missing_response.json())["error_code"]) == (
        401,
        "no_authorization",
    )


async def test_get_user_for_a_deleted_user_is_403_as_their_session_went_with_them(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    user = queue_db.create_user()
    token = headers.authority.mint_access_token(
        user_id=user.id, email=user.email, session_id=open_session(queue_db, user)
    ).token
    queue_db.conn.execute("delete from auth.users where id = %s", (user.id,))

    response = await client.get("/auth/v1/user", headers=headers.bearer(token))

    assert (response.status, (await response.json())["error_code"]) == (403, "session_not_found")


async def test_get_user_for_a_deleted_user_without_a_session_claim_is_user_not_found(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    user = queue_db.create_user()
    claims = {"sub": user.id, "role": "authenticated", "exp": int(time.time()) + 600}
    token = headers.authority.sign(claims)
    queue_db.conn.execute("delete from auth.users where id = %s", (user.id,))

    response = await client.get("/auth/v1/user", headers=headers.bearer(token))

    assert (response.status, (await response.json())["error_code"]) == (403, "user_not_found")
