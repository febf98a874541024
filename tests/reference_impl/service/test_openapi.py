"""The service's OpenAPI documents are valid, list what each role can use, and the real
service's responses conform to them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from jsonschema import ValidationError
from openapi_spec_validator import validate

from harness.profiles import ProfileFactory
from harness.queue_db import QueueDatabase
from reference_impl.auth import JwtAuthority
from tests.reference_impl.service.conftest import Client, ServiceFactory, service_headers, user_headers
from tests.reference_impl.service.openapi_conformance import Conformance

PROFILE = ProfileFactory(9).make()
PASSWORD = "correct-horse-battery"


@pytest.fixture
async def client(start_service: ServiceFactory) -> Client:
    return await start_service(SIGN_IN_MAX_FAILURES_PER_EMAIL="1")


async def _document(client: Client, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await client.get(path, headers=headers or {})
    assert response.status == 200, await response.text()
    document: dict[str, Any] = await response.json(content_type=None)
    return document


class Exchange:
    """Requests through the test client, each response checked against a document."""

    def __init__(self, client: Client, conformance: Conformance) -> None:
        self.client = client
        self.conformance = conformance
        self.statuses: list[int] = []

    async def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, **kwargs)
        body = await response.read()
        self.conformance.check(method, path, response.status, response.headers.get("Content-Type", ""), body)
        self.statuses.append(response.status)
        return response


async def test_the_documents_are_valid_openapi(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    user = user_headers(authority, queue_db, queue_db.create_user())
    documents = {
        "functions": await _document(client, "/functions/v1/openapi.json"),
        "auth": await _document(client, "/auth/v1/openapi.json"),
        "rest as anon": await _document(client, "/rest/v1/", {"apikey": authority.api_keys.anon}),
        "rest as a user": await _document(client, "/rest/v1/", user),
        "rest as the service": await _document(client, "/rest/v1/", service_headers(authority)),
    }

    for name, document in documents.items():
        validate(document)  # raises, naming the first problem
        assert document.get("openapi", document.get("swagger")) in ("3.1.0", "2.0"), name


async def test_the_rest_root_describes_what_the_callers_role_can_use(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    as_anon = await _document(client, "/rest/v1/", {"apikey": authority.api_keys.anon})
    as_user = await _document(client, "/rest/v1/", user_headers(authority, queue_db, queue_db.create_user()))
    as_service = await _document(client, "/rest/v1/", service_headers(authority))

    assert sorted(as_anon["paths"]) == ["/"]
    assert sorted(as_user["paths"]) == [
        "/",
        "/plan_generation_jobs",
        "/plan_notifications",
        "/rpc/cancel_plan_job",
        "/rpc/get_active_plan_job",
        "/rpc/reset_stuck_plan_job",
        "/weekly_base_plans",
    ]
    assert {"/rpc/claim_next_plan_job", "/rpc/complete_plan_job", "/rpc/plan_job_health"} <= set(
        as_service["paths"]
    )
    assert "/rpc/claim_next_plan_job" not in as_user["paths"]
    jobs = as_user["definitions"]["plan_generation_jobs"]["properties"]
    assert jobs["id"]["format"] == "uuid" and "Primary Key" in jobs["id"]["description"]
    assert jobs["user_id"]["description"].endswith("<fk table='users' column='id'/>")
    assert (
        jobs["retry_count"].items()
        >= {
            "type": "integer",
            "format": "integer",
            "minimum": -(2**31),
            "maximum": 2**31 - 1,
        }.items()
    )
    assert "attempts" in jobs["retry_count"]["description"]  # the column's comment
    assert jobs["error_code"]["x-nullable"] is True
    cancel = as_user["paths"]["/rpc/cancel_plan_job"]["post"]
    (args,) = [parameter for parameter in cancel["parameters"] if parameter.get("in") == "body"]
    assert args["schema"]["required"] == ["p_job_id"]
    assert args["schema"]["properties"]["p_job_id"] == {"type": "string", "format": "uuid"}


async def test_the_rest_root_follows_accept_and_the_api_key(client: Client, authority: JwtAuthority) -> None:
    served = await client.get("/rest/v1/", headers={"apikey": authority.api_keys.anon})
    refused = await client.get("/rest/v1/", headers={"apikey": authority.api_keys.anon, "Accept": "text/csv"})
    keyless = await client.get("/rest/v1/")

    assert served.headers["Content-Type"].startswith("application/openapi+json")
    assert refused.status == 406 and (await refused.json())["code"] == "PGRST107"
    assert keyless.status == 401


async def test_functions_responses_conform(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    exchange = Exchange(
        client, Conformance(await _document(client, "/functions/v1/openapi.json"), "/functions/v1")
    )
    user = user_headers(authority, queue_db, queue_db.create_user())
    create = "/functions/v1/create-plan-job"
    queue = "/functions/v1/process-plan-queue"

    await exchange("POST", create, json={"profile": PROFILE}, headers=user)
    await exchange("POST", create, json={"profile": {**PROFILE, "age": 3}}, headers=user)
    await exchange("POST", create, json={"profile": PROFILE})
    await exchange("POST", create, data=b"[" * 70_000, headers={**user, "Content-Type": "application/json"})
    await exchange("POST", queue, json={"maxJobs": 1}, headers=service_headers(authority))
    await exchange("POST", queue, json={"maxJobs": 0}, headers=service_headers(authority))
    await exchange("POST", queue, json={}, headers=user)

    assert exchange.statuses == [202, 400, 401, 413, 200, 400, 403]


async def test_auth_responses_conform(client: Client, authority: JwtAuthority) -> None:
    exchange = Exchange(client, Conformance(await _document(client, "/auth/v1/openapi.json"), "/auth/v1"))
    anon = {"apikey": authority.api_keys.anon}
    service = service_headers(authority)
    password_grant = "/auth/v1/token?grant_type=password"

    signed_up = await exchange(
        "POST", "/auth/v1/signup", json={"email": "a@example.test", "password": PASSWORD}, headers=anon
    )
    await exchange(
        "POST", "/auth/v1/signup", json={"email": "a@example.test", "password": PASSWORD}, headers=anon
    )
    await exchange(
        "POST", "/auth/v1/signup", json={"email": "b@example.test", "password": "short"}, headers=anon
    )
    await exchange("POST", "/auth/v1/signup", json={"email": "x"}, headers={})
    created = await exchange(
        "POST",
        "/auth/v1/admin/users",
        json={"email": "c@example.test", "password": PASSWORD, "email_confirm": True},
        headers=service,
    )
    await exchange(
        "POST",
        "/auth/v1/admin/users",
        json={"email": "d@example.test"},
        headers={**anon, "Authorization": f"Bearer {authority.api_keys.anon}"},
    )
    await exchange(
        "POST", password_grant, json={"email": "a@example.test", "password": "wrong"}, headers=anon
    )
    await exchange(
        "POST", password_grant, json={"email": "a@example.test", "password": "wrong"}, headers=anon
    )
    session = await (
        await exchange(
            "POST",
            password_grant,
            json={"email": "c@example.test", "password": PASSWORD, "email_confirm": True},
            headers=anon,
        )
    ).json()
    bearer = {**anon, "Authorization": f"Bearer {session['access_token']}"}
    await exchange("GET", "/auth/v1/user", headers=bearer)
    await exchange("GET", "/auth/v1/user", headers=anon)
    await exchange("POST", "/auth/v1/logout?scope=nowhere", headers=bearer)
    await exchange("POST", "/auth/v1/logout", headers=bearer)
    await exchange("GET", "/auth/v1/user", headers=bearer)
    user_id = (await created.json())["id"]
    await exchange("DELETE", f"/auth/v1/admin/users/{user_id}", headers=service)
    await exchange("DELETE", f"/auth/v1/admin/users/{user_id}", headers=service)

    assert signed_up.status == 200
    expected = [200, 422, 422, 401, 200, 403, 400, 429, 200, 200, 401, 400, 204, 403, 200, 404]
    assert exchange.statuses == expected


async def test_rest_responses_conform(
    client: Client, authority: JwtAuthority, queue_db: QueueDatabase
) -> None:
    user = queue_db.create_user()
    headers = user_headers(authority, queue_db, user)
    exchange = Exchange(client, Conformance(await _document(client, "/rest/v1/", headers), "/rest/v1"))
    job_id = str(queue_db.insert_job(user)["id"])
    jobs = "/rest/v1/plan_generation_jobs"

    await exchange("GET", "/rest/v1/", headers=headers)
    await exchange("GET", f"{jobs}?select=*", headers=headers)
    await exchange("GET", f"{jobs}?limit=0", headers={**headers, "Prefer": "count=exact"})
    await exchange("GET", f"{jobs}?offset=5", headers={**headers, "Prefer": "count=exact"})
    await exchange("GET", f"{jobs}?status=eq.pending&order=created_at.desc", headers=headers)
    await exchange("GET", f"{jobs}?status=like.x", headers=headers)
    await exchange("GET", "/rest/v1/weekly_base_plans?select=id,plan", headers=headers)
    await exchange("POST", "/rest/v1/rpc/get_active_plan_job", json={}, headers=headers)
    await exchange("POST", "/rest/v1/rpc/cancel_plan_job", json={"p_job_id": job_id}, headers=headers)
    await exchange(
        "POST", "/rest/v1/rpc/cancel_plan_job", json={"p_job_id": str(uuid.uuid4())}, headers=headers
    )
    await exchange("POST", "/rest/v1/rpc/cancel_plan_job", json={"p_job_id": "nope"}, headers=headers)
    await exchange("POST", "/rest/v1/rpc/cancel_plan_job", json={"job": job_id}, headers=headers)
    await exchange(
        "POST", "/rest/v1/rpc/get_active_plan_job", json={}, headers={"apikey": authority.api_keys.anon}
    )

    assert exchange.statuses == [200, 200, 206, 416, 200, 400, 200, 200, 200, 404, 400, 404, 401]


async def test_the_conformance_check_catches_what_does_not_conform(client: Client) -> None:
    conformance = Conformance(await _document(client, "/auth/v1/openapi.json"), "/auth/v1")
    user = b'{"id": "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b", "aud": "authenticated"}'

    with pytest.raises(AssertionError, match="not documented"):
        conformance.check("GET", "/auth/v1/user", 418, "application/json", b"{}")
    with pytest.raises(AssertionError, match="text/html"):
        conformance.check("GET", "/auth/v1/user", 200, "text/html", b"<p>")
    with pytest.raises(ValidationError, match="'role' is a required property"):
        conformance.check("GET", "/auth/v1/user", 200, "application/json", user)
