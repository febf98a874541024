"""supabase-py 2.34, unchanged, against the whole service: functions.invoke for both Edge
Functions, then the job and the plan read back through table() and rpc().

supabase-py is synchronous; its calls run in a worker thread (`asyncio.to_thread`) so the
in-process fake DeepSeek keeps answering on the test's event loop meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from supabase import Client, ClientOptions, create_client
from supabase_functions.errors import FunctionsHttpError

from harness.profiles import ProfileFactory
from harness.queue_db import QueueDatabase
from reference_impl.app import create_app
from reference_impl.auth import JwtAuthority
from tests.reference_impl.http.service import serve_in_thread

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def service_url(base_env: dict[str, str], queue_db: QueueDatabase) -> Iterator[str]:
    with serve_in_thread(lambda: create_app(base_env)) as url:
        yield url


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def _clients(url: str, authority: JwtAuthority, http: httpx.Client) -> tuple[Client, Client]:
    options = ClientOptions(httpx_client=http, function_client_timeout=30)
    return (
        create_client(url, authority.api_keys.service_role, options),
        create_client(url, authority.api_keys.anon, options),
    )


async def test_the_app_flow_through_supabase_py(
    service_url: str, authority: JwtAuthority, http: httpx.Client
) -> None:
    await asyncio.to_thread(_app_flow, service_url, authority, http)


def _app_flow(service_url: str, authority: JwtAuthority, http: httpx.Client) -> None:
    admin, app = _clients(service_url, authority, http)
    admin.auth.admin.create_user({"email": "flow@example.test", "password": PASSWORD, "email_confirm": True})
    app.auth.sign_in_with_password({"email": "flow@example.test", "password": PASSWORD})
    profile = ProfileFactory(11).make()

    created = _json(
        app.functions.invoke("create-plan-job", {"body": {"profile": profile}, "responseType": "json"})
    )
    processed = _json(admin.functions.invoke("process-plan-queue", {"body": {}, "responseType": "json"}))
    job = app.table("plan_generation_jobs").select("*").eq("id", created["jobId"]).single().execute()
    job_row = job.data
    assert isinstance(job_row, dict)
    plan = app.table("weekly_base_plans").select("id,job_id,is_active").eq("is_active", True).execute()
    active_job = app.rpc("get_active_plan_job").execute()

    assert created["status"] == "pending"
    assert processed["processed"][0]["jobId"] == created["jobId"]
    assert job_row["status"] == "completed", job_row["error_message"]
    assert plan.data == [{"id": job_row["plan_id"], "job_id": created["jobId"], "is_active": True}]
    assert active_job.data is None


def _json(data: Any) -> dict[str, Any]:
    """`functions.invoke` with responseType json returns the parsed body."""
    assert isinstance(data, dict), data
    return data


def test_function_refusals_reach_supabase_py_with_their_message(
    service_url: str, authority: JwtAuthority, http: httpx.Client
) -> None:
    admin, app = _clients(service_url, authority, http)
    admin.auth.admin.create_user(
        {"email": "refused@example.test", "password": PASSWORD, "email_confirm": True}
    )
    app.auth.sign_in_with_password({"email": "refused@example.test", "password": PASSWORD})

    with pytest.raises(FunctionsHttpError) as refused:
        app.functions.invoke("create-plan-job", {"body": {"profile": {"age": 30}}, "responseType": "json"})
    with pytest.raises(FunctionsHttpError) as forbidden:
        app.functions.invoke("process-plan-queue", {"body": {}, "responseType": "json"})

    assert refused.value.status == 400
    assert "profile.sex" in refused.value.message
    assert forbidden.value.status == 403
