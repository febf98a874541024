"""Inputs that used to get a 5xx (issue 10) get a 4xx in their surface's own error shape,
naming what is wrong: the whole service on a loopback port, on the real database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from harness.profiles import ProfileFactory
from harness.queue_db import QueueDatabase
from reference_impl.auth import JwtAuthority
from reference_impl.request_input import MAX_JSON_DEPTH
from tests.reference_impl.service.conftest import (
    JWT_SECRET,
    Client,
    ServiceFactory,
    service_headers,
    user_headers,
)
from tests.reference_impl.service.error_shapes import (
    function_refusal,
    gotrue_refusal,
    kong_refusal,
    no_traceback,
    postgrest_refusal,
)
from tests.reference_impl.service.raw_http import send_raw

PROFILE = ProfileFactory(3).make()
DEEP = b"[" * 30_000 + b"]" * 30_000
LONG_EMAIL = "a" * 3000 + "@example.test"
JOBS = "/rest/v1/plan_generation_jobs"
CREATE = "/functions/v1/create-plan-job"
SIGN_IN = "/auth/v1/token?grant_type=password"


@pytest.fixture
async def client(start_service: ServiceFactory) -> Client:
    return await start_service()


def anon(authority: JwtAuthority) -> dict[str, str]:
    return {"apikey": authority.api_keys.anon}


async def json_of(response: Any) -> Any:
    text = await response.text()
    no_traceback(text)
    return json.loads(text)


# -- header bytes that are not UTF-8 ---------------------------------------------------------

NOT_UTF8_TOKEN = b"Bearer eyJ\xff\xfe.eyJ\xc3\x28.sig\x80"


async def test_authorization_bytes_that_are_not_utf8_are_refused_on_every_surface(
    client: Client, authority: JwtAuthority
) -> None:
    anon_key = authority.api_keys.anon
    on_rest = await send_raw(client.port, "GET", JOBS, {"apikey": anon_key, "Authorization": NOT_UTF8_TOKEN})
    on_auth = await send_raw(
        client.port, "GET", "/auth/v1/user", {"apikey": anon_key, "Authorization": NOT_UTF8_TOKEN}
    )
    on_functions = await send_raw(
        client.port,
        "POST",
        CREATE,
        {"Authorization": NOT_UTF8_TOKEN, "Content-Type": "application/json"},
        json.dumps({"profile": PROFILE}).encode(),
    )

    assert on_rest.status == 401
    postgrest_refusal(on_rest.json(), "PGRST301", mentions="ASCII")
    assert on_auth.status == 403
    gotrue_refusal(on_auth.json(), 403, "bad_jwt", mentions="ASCII")
    assert on_functions.status == 401
    function_refusal(on_functions.json(), "AUTH_REQUIRED", mentions="ASCII")


@pytest.mark.parametrize("path", [JOBS, "/auth/v1/user", "/rest/v1/"])
async def test_an_apikey_that_is_not_utf8_is_an_invalid_api_key(client: Client, path: str) -> None:
    response = await send_raw(client.port, "GET", path, {"apikey": b"eyJ\xff.\xfe.\x80"})

    assert response.status == 401
    kong_refusal(response.json(), "Invalid API key")


# -- JSON nested 30,000 deep -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (CREATE, b'{"profile": ' + DEEP + b"}"),
        ("/functions/v1/process-plan-queue", b'{"maxJobs": ' + DEEP + b"}"),
    ],
)
async def test_deep_json_is_refused_by_the_functions(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase, path: str, body: bytes
) -> None:
    user = queue_db.create_user()
    headers = user_headers(authority, queue_db, user) if path == CREATE else service_headers(authority)

    response = await client.post(path, data=body, headers={**headers, "Content-Type": "application/json"})

    assert response.status == 400
    function_refusal(await json_of(response), "INVALID_REQUEST", mentions=f"deeper than {MAX_JSON_DEPTH}")
    assert queue_db.jobs() == []


async def test_deep_json_is_refused_by_rpc(client: Client, authority: JwtAuthority) -> None:
    response = await client.post(
        "/rest/v1/rpc/cancel_plan_job",
        data=b'{"p_job_id": ' + DEEP + b"}",
        headers={**anon(authority), "Content-Type": "application/json"},
    )

    assert response.status == 400
    postgrest_refusal(await json_of(response), "PGRST102", mentions=f"deeper than {MAX_JSON_DEPTH}")


@pytest.mark.parametrize("path", ["/auth/v1/signup", SIGN_IN, "/auth/v1/admin/users"])
async def test_deep_json_is_refused_by_auth(client: Client, authority: JwtAuthority, path: str) -> None:
    headers = service_headers(authority) if "admin" in path else anon(authority)

    response = await client.post(
        path, data=b'{"email": ' + DEEP + b"}", headers={**headers, "Content-Type": "application/json"}
    )

    assert response.status == 400
    gotrue_refusal(await json_of(response), 400, "bad_json", mentions=f"deeper than {MAX_JSON_DEPTH}")


async def test_json_at_the_depth_limit_is_read_and_one_level_more_is_not(
    client: Client, authority: JwtAuthority
) -> None:
    def sign_up(email: str, levels: int) -> bytes:
        # The body is one level, `data` a second, then `levels` nested arrays.
        nested = "[" * levels + "]" * levels
        return f'{{"email": "{email}", "password": "secret-enough", "data": {{"x": {nested}}}}}'.encode()

    headers = {**anon(authority), "Content-Type": "application/json"}
    at_limit = await client.post(
        "/auth/v1/signup", data=sign_up("a@example.test", MAX_JSON_DEPTH - 2), headers=headers
    )
    beyond = await client.post(
        "/auth/v1/signup", data=sign_up("b@example.test", MAX_JSON_DEPTH - 1), headers=headers
    )

    assert at_limit.status == 200, await at_limit.text()
    assert beyond.status == 400
    gotrue_refusal(await json_of(beyond), 400, "bad_json", mentions=f"deeper than {MAX_JSON_DEPTH}")


# -- NUL and lone surrogates in strings that reach PostgreSQL -----------------------------------------

NUL = "\\u0000"
SURROGATE = "\\ud800"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/auth/v1/signup", f'{{"email": "a{NUL}b@example.test", "password": "secret-enough"}}', "email"),
        ("/auth/v1/signup", f'{{"email": "c@example.test", "password": "secret{SURROGATE}x"}}', "password"),
        (SIGN_IN, f'{{"email": "a{NUL}b@example.test", "password": "secret-enough"}}', "email"),
        (SIGN_IN, f'{{"email": "a@example.test", "password": "pw{NUL}"}}', "password"),
        ("/auth/v1/token?grant_type=refresh_token", f'{{"refresh_token": "{SURROGATE}"}}', "refresh_token"),
        ("/auth/v1/signup", f'{{"email": "d@example.test", "password": "secret-enough", "{NUL}": 1}}', NUL),
    ],
)
async def test_auth_refuses_text_postgresql_cannot_hold(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase, path: str, body: str, field: str
) -> None:
    users_before = queue_db.conn.execute("select count(*) as n from auth.users").fetchone()

    response = await client.post(
        path, data=body, headers={**anon(authority), "Content-Type": "application/json"}
    )

    assert response.status == 400
    gotrue_refusal(await json_of(response), 400, "validation_failed", mentions=field)
    assert queue_db.conn.execute("select count(*) as n from auth.users").fetchone() == users_before


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
async def test_create_plan_job_refuses_a_profile_list_item_postgresql_cannot_hold(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase, bad: str
) -> None:
    user = queue_db.create_user()
    profile = json.dumps({**PROFILE, "equipment": ["dumbbells", "PLACEHOLDER"]}).replace(
        "PLACEHOLDER", f"bar{bad}"
    )

    response = await client.post(
        CREATE,
        data='{"profile": ' + profile + "}",
        headers={**user_headers(authority, queue_db, user), "Content-Type": "application/json"},
    )

    assert response.status == 400
    body = await json_of(response)
    function_refusal(body, "INVALID_REQUEST")
    assert [detail["field"] for detail in body["details"]] == ["profile.equipment.1"]
    assert queue_db.jobs() == []


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
async def test_rpc_refuses_an_argument_postgresql_cannot_hold(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase, bad: str
) -> None:
    user = queue_db.create_user()

    response = await client.post(
        "/rest/v1/rpc/cancel_plan_job",
        data=f'{{"p_job_id": "x{bad}"}}',
        headers={**user_headers(authority, queue_db, user), "Content-Type": "application/json"},
    )

    assert response.status == 400
    postgrest_refusal(await json_of(response), "PGRST102", mentions="p_job_id")


async def test_a_body_that_is_not_utf8_is_refused(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    user = queue_db.create_user()

    response = await client.post(
        CREATE,
        data=b'{"profile": "\xff\xfe"}',
        headers={**user_headers(authority, queue_db, user), "Content-Type": "application/json"},
    )

    assert response.status == 400
    function_refusal(await json_of(response), "INVALID_REQUEST", mentions="not UTF-8")


# -- oversized query values and emails --------------------------------------------------------------


@pytest.mark.parametrize("parameter", ["limit", "offset"])
async def test_a_count_of_thousands_of_digits_is_refused(
    client: Client, authority: JwtAuthority, parameter: str
) -> None:
    response = await client.get(f"{JOBS}?{parameter}={'9' * 5000}", headers=anon(authority))

    assert response.status == 400
    postgrest_refusal(await json_of(response), "PGRST100", mentions=parameter)


async def test_a_count_beyond_a_bigint_is_refused_and_leading_zeros_are_not(
    client: Client, authority: JwtAuthority
) -> None:
    too_big = await client.get(f"{JOBS}?limit={2**63}", headers=anon(authority))
    padded = await client.get(f"{JOBS}?limit={'0' * 40}5", headers=service_headers(authority))

    assert too_big.status == 400
    postgrest_refusal(await json_of(too_big), "PGRST100", mentions="limit")
    assert padded.status == 200, await padded.text()


async def test_a_select_of_2000_columns_is_refused(client: Client, authority: JwtAuthority) -> None:
    response = await client.get(f"{JOBS}?select={','.join(['id'] * 2000)}", headers=anon(authority))

    assert response.status == 400
    postgrest_refusal(await json_of(response), "PGRST100", mentions="at most 1000 columns")


@pytest.mark.parametrize("path", ["/auth/v1/signup", SIGN_IN, "/auth/v1/admin/users"])
async def test_a_3000_character_email_is_refused(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase, path: str
) -> None:
    headers = service_headers(authority) if "admin" in path else anon(authority)

    response = await client.post(
        path, json={"email": LONG_EMAIL, "password": "secret-enough"}, headers=headers
    )

    assert response.status == 400
    gotrue_refusal(await json_of(response), 400, "validation_failed", mentions="too long")
    assert queue_db.conn.execute("select count(*) as n from auth.users").fetchone() == {"n": 0}


# -- tokens signed with the real secret but with claims of the wrong type ------------------------------


def _odd_token(authority: JwtAuthority, **claims: Any) -> str:
    base = {
        "sub": "2b9f6c1e-5a4d-4c3b-9e8f-7a6b5c4d3e2f",
        "role": "authenticated",
        "exp": int(time.time()) + 600,
    }
    return authority.sign({**base, **claims})


async def test_a_role_claim_that_is_a_list_is_refused_on_every_surface(
    client: Client, authority: JwtAuthority
) -> None:
    token = _odd_token(authority, role=["authenticated", "service_role"])
    headers = {"apikey": authority.api_keys.anon, "Authorization": f"Bearer {token}"}

    on_rest = await client.get(JOBS, headers=headers)
    on_auth = await client.get("/auth/v1/user", headers=headers)
    on_functions = await client.post(CREATE, json={"profile": PROFILE}, headers=headers)

    assert on_rest.status == 401
    postgrest_refusal(await json_of(on_rest), "PGRST301", mentions="role claim")
    assert on_auth.status == 403
    gotrue_refusal(await json_of(on_auth), 403, "bad_jwt", mentions="role claim")
    assert on_functions.status == 401
    function_refusal(await json_of(on_functions), "AUTH_REQUIRED", mentions="role claim")


async def test_a_sub_that_is_not_a_uuid_is_refused_on_every_surface(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    token = _odd_token(authority, sub="not-a-user-id")
    headers = {"apikey": authority.api_keys.anon, "Authorization": f"Bearer {token}"}

    on_rest = await client.get(JOBS, headers=headers)
    on_auth = await client.get("/auth/v1/user", headers=headers)
    on_functions = await client.post(CREATE, json={"profile": PROFILE}, headers=headers)

    # PostgREST passes claims through; auth.uid() in the RLS policy refuses it (22P02).
    assert on_rest.status == 400
    postgrest_refusal(await json_of(on_rest), "22P02", mentions="uuid")
    assert on_auth.status == 403
    gotrue_refusal(await json_of(on_auth), 403, "bad_jwt", mentions="sub claim")
    assert on_functions.status == 401
    function_refusal(await json_of(on_functions), "AUTH_REQUIRED", mentions="sub claim")
    assert queue_db.jobs() == []


def _signed_raw(payload: bytes) -> str:
    """An HS256 token with exactly these payload bytes, signed with the service's secret."""
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(payload).rstrip(b"=")
    signature = hmac.new(JWT_SECRET.encode(), header + b"." + body, hashlib.sha256).digest()
    return b".".join([header, body, base64.urlsafe_b64encode(signature).rstrip(b"=")]).decode()


async def test_claims_nested_deeper_than_the_json_parser_goes_are_a_malformed_token(
    client: Client, authority: JwtAuthority
) -> None:
    token = _signed_raw(b'{"role": "anon", "x": ' + b"[" * 2500 + b"]" * 2500 + b"}")
    headers = {"apikey": authority.api_keys.anon, "Authorization": f"Bearer {token}"}

    on_rest = await client.get(JOBS, headers=headers)
    on_functions = await client.post(CREATE, json={"profile": PROFILE}, headers=headers)

    assert on_rest.status == 401
    postgrest_refusal(await json_of(on_rest), "PGRST301", mentions="JWT is invalid")
    assert on_functions.status == 401
    function_refusal(await json_of(on_functions), "AUTH_REQUIRED")


# -- NUL in names -------------------------------------------------------------------------------------


async def test_nul_in_a_table_name_is_not_found(client: Client, authority: JwtAuthority) -> None:
    response = await send_raw(client.port, "GET", "/rest/v1/plan_generation%00jobs", anon(authority))

    assert response.status == 404
    postgrest_refusal(response.json(), "PGRST205", mentions="NUL")


async def test_nul_in_a_function_name_is_not_found(client: Client, authority: JwtAuthority) -> None:
    response = await send_raw(
        client.port,
        "POST",
        "/rest/v1/rpc/cancel_plan_job%00",
        {**anon(authority), "Content-Type": "application/json"},
        b"{}",
    )

    assert response.status == 404
    postgrest_refusal(response.json(), "PGRST202", mentions="NUL")


@pytest.mark.parametrize(
    "query", ["st%00atus=eq.pending", "status=eq.pend%00ing", "order=id%00", "select=id,%00"]
)
async def test_nul_in_a_filter_is_a_parse_error(client: Client, authority: JwtAuthority, query: str) -> None:
    response = await send_raw(client.port, "GET", f"{JOBS}?{query}", anon(authority))

    assert response.status == 400
    postgrest_refusal(response.json(), "PGRST100", mentions="NUL")


async def test_a_whole_number_written_with_a_fraction_is_that_integer(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    user = queue_db.create_user()
    body = json.dumps({"profile": {**PROFILE, "age": 30, "mealCount": 4}}).replace('"age": 30', '"age": 30.0')

    created = await client.post(
        CREATE,
        data=body,
        headers={**user_headers(authority, queue_db, user), "Content-Type": "application/json"},
    )
    processed = await client.post(
        "/functions/v1/process-plan-queue",
        data=b'{"maxJobs": 1e0}',
        headers={**service_headers(authority), "Content-Type": "application/json"},
    )
    fraction = await client.post(
        "/functions/v1/process-plan-queue",
        data=b'{"maxJobs": 1.5}',
        headers={**service_headers(authority), "Content-Type": "application/json"},
    )

    assert created.status == 202, await created.text()
    assert queue_db.job((await created.json())["jobId"])["input"]["profile"]["age"] == 30
    assert processed.status == 200, await processed.text()
    assert fraction.status == 400
    function_refusal(await json_of(fraction), "INVALID_REQUEST", mentions="maxJobs")
