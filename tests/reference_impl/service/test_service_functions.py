"""create-plan-job and process-plan-queue through the whole app (`create_app`), on a real
database and the fake DeepSeek."""

from __future__ import annotations

import asyncio
import json

import pytest

from fake_llm.server import FakeDeepSeek
from harness.profiles import ProfileFactory
from harness.queue_db import QueueDatabase
from reference_impl.auth import JwtAuthority
from tests.reference_impl.service.conftest import ServiceFactory, service_headers, user_headers

PROFILE = ProfileFactory(7).make(dietaryPreference="Vegetarian", mealCount=4)


async def test_a_job_is_created_processed_and_its_plan_saved(
    start_service: ServiceFactory,
    queue_db: QueueDatabase,
    authority: JwtAuthority,
    fake_deepseek: FakeDeepSeek,
) -> None:
    client = await start_service()
    user = queue_db.create_user()

    created = await client.post(
        "/functions/v1/create-plan-job",
        json={"profile": PROFILE},
        headers=user_headers(authority, queue_db, user),
    )
    assert created.status == 202
    body = await created.json()
    assert body["status"] == "pending" and body["created"] is True
    processed = await client.post(
        "/functions/v1/process-plan-queue", json={}, headers=service_headers(authority)
    )

    assert processed.status == 200
    outcome = await processed.json()
    assert outcome["processed"] == [{"jobId": body["jobId"], "status": "completed", "errorCode": None}]
    job = queue_db.job(body["jobId"])
    assert (job["status"], job["retry_count"]) == ("completed", 0)
    (plan,) = queue_db.plans(user)
    assert plan["is_active"] and plan["job_id"] == job["id"]
    assert set(plan["plan"]["days"]) == {
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    }
    assert fake_deepseek.count(user=user.id) == 2


async def test_missing_deepseek_key_is_a_config_error_on_the_job(
    start_service: ServiceFactory,
    queue_db: QueueDatabase,
    authority: JwtAuthority,
    fake_deepseek: FakeDeepSeek,
) -> None:
    client = await start_service(DEEPSEEK_API_KEY="")
    user = queue_db.create_user()
    created = await client.post(
        "/functions/v1/create-plan-job",
        json={"profile": PROFILE},
        headers=user_headers(authority, queue_db, user),
    )
    job_id = (await created.json())["jobId"]

    processed = await client.post(
        "/functions/v1/process-plan-queue", json={}, headers=service_headers(authority)
    )

    assert processed.status == 200
    job = queue_db.job(job_id)
    assert (job["status"], job["error_code"], job["retry_count"]) == ("failed", "CONFIG_ERROR", 1)
    assert "DEEPSEEK_API_KEY" in job["error_message"]
    assert fake_deepseek.count() == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["profile"]),
        ({"profile": {**PROFILE, "mealCount": 9}}, ["profile.mealCount"]),
        ({"profile": {**PROFILE, "mealCount": "4", "goal": "bulk"}}, ["profile.mealCount", "profile.goal"]),
        ({"profile": PROFILE, "regenerate": "yes"}, ["regenerate"]),
        ({"profile": PROFILE, "userId": "someone-else"}, ["userId"]),
    ],
)
async def test_invalid_requests_name_every_bad_field_and_write_nothing(
    body: dict[str, object],
    fields: list[str],
    start_service: ServiceFactory,
    queue_db: QueueDatabase,
    authority: JwtAuthority,
) -> None:
    client = await start_service()
    user = queue_db.create_user()

    response = await client.post(
        "/functions/v1/create-plan-job", json=body, headers=user_headers(authority, queue_db, user)
    )

    assert response.status == 400
    refusal = await response.json()
    assert refusal["error_code"] == "INVALID_REQUEST"
    assert sorted(detail["field"] for detail in refusal["details"]) == sorted(fields)
    assert queue_db.jobs() == []


async def test_a_body_over_64_kib_is_refused_with_413(
    start_service: ServiceFactory, queue_db: QueueDatabase, authority: JwtAuthority
) -> None:
    client = await start_service()
    user = queue_db.create_user()

    response = await client.post(
        "/functions/v1/create-plan-job",
        data=b'{"profile": "' + b"x" * 70_000 + b'"}',
        headers={**user_headers(authority, queue_db, user), "Content-Type": "application/json"},
    )

    assert response.status == 413
    assert (await response.json())["error_code"] == "PAYLOAD_TOO_LARGE"
    assert queue_db.jobs() == []


async def test_creating_needs_a_user_token(
    start_service: ServiceFactory, queue_db: QueueDatabase, authority: JwtAuthority
) -> None:
    client = await start_service()

    missing = await client.post("/functions/v1/create-plan-job", json={"profile": PROFILE})
    as_service = await client.post(
        "/functions/v1/create-plan-job", json={"profile": PROFILE}, headers=service_headers(authority)
    )

    assert missing.status == 401 and (await missing.json())["error_code"] == "AUTH_REQUIRED"
    assert as_service.status == 401
    assert queue_db.jobs() == []


async def test_processing_the_queue_needs_the_service_role(
    start_service: ServiceFactory, queue_db: QueueDatabase, authority: JwtAuthority
) -> None:
    client = await start_service()
    user = queue_db.create_user()

    as_user = await client.post(
        "/functions/v1/process-plan-queue", json={}, headers=user_headers(authority, queue_db, user)
    )
    bad_max = await client.post(
        "/functions/v1/process-plan-queue", json={"maxJobs": 0}, headers=service_headers(authority)
    )

    assert as_user.status == 403 and (await as_user.json())["error_code"] == "FORBIDDEN"
    assert bad_max.status == 400
    assert [detail["field"] for detail in (await bad_max.json())["details"]] == ["maxJobs"]


async def test_max_jobs_bounds_the_claims(
    start_service: ServiceFactory, queue_db: QueueDatabase, authority: JwtAuthority
) -> None:
    client = await start_service()
    for _ in range(3):
        queue_db.insert_job(queue_db.create_user())

    response = await client.post(
        "/functions/v1/process-plan-queue", json={"maxJobs": 2}, headers=service_headers(authority)
    )

    assert len((await response.json())["processed"]) == 2
    assert sorted(job["status"] for job in queue_db.jobs()) == ["completed", "completed", "pending"]


async def test_health(start_service: ServiceFactory) -> None:
    client = await start_service()

    health = await client.get("/healthz")

    assert health.status == 200 and (await health.json()) == {"status": "ok", "database": "ok"}


async def test_a_body_arriving_in_pieces_is_read_whole(
    start_service: ServiceFactory, queue_db: QueueDatabase, authority: JwtAuthority
) -> None:
    client = await start_service()
    user = queue_db.create_user()
    body = json.dumps({"profile": PROFILE}).encode()
    headers = user_headers(authority, queue_db, user)
    head = (
        "POST /functions/v1/create-plan-job HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\napikey: {headers['apikey']}\r\n"
        f"Authorization: {headers['Authorization']}\r\nConnection: close\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    writer.write(head + body[:20])
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.write(body[20:])
    await writer.drain()

    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()

    assert b" 202 " in status_line, status_line
    assert len(queue_db.jobs()) == 1


async def test_more_jobs_than_attempt_slots_wait_for_a_slot_instead_of_timing_out(
    start_service: ServiceFactory,
    queue_db: QueueDatabase,
    authority: JwtAuthority,
    fake_deepseek: FakeDeepSeek,
) -> None:
    client = await start_service(WORKER_CONCURRENCY="2", INTERNAL_TIMEOUT_MS="1500")
    fake_deepseek.update_settings(latency_ms=300)
    for _ in range(8):
        queue_db.insert_job(queue_db.create_user())

    response = await client.post(
        "/functions/v1/process-plan-queue", json={"maxJobs": 8}, headers=service_headers(authority)
    )

    processed = (await response.json())["processed"]
    assert [job["status"] for job in processed] == ["completed"] * 8, processed
    assert [job["error_code"] for job in queue_db.jobs()] == [None] * 8
