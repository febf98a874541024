"""supabase-py 2.34, unchanged, against the service: admin users, sign-in, table reads, rpc.

supabase-py is synchronous, so the service runs on a loopback port in a thread of its own.
The clients share one httpx client that the test closes, so no socket outlives it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from postgrest.exceptions import APIError
from supabase import Client, ClientOptions, create_client
from supabase_auth.errors import AuthApiError

from harness.queue_db import QueueDatabase, QueueUser
from reference_impl.auth import JwtAuthority
from reference_impl.settings import ServiceSettings

from .service import create_test_app, serve_in_thread

PASSWORD = "correct-horse-battery"


@pytest.fixture
def service_url(service_settings: ServiceSettings, queue_db: QueueDatabase) -> Iterator[str]:
    with serve_in_thread(lambda: create_test_app(service_settings)) as url:
        yield url


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def admin(service_url: str, authority: JwtAuthority, http: httpx.Client) -> Client:
    return create_client(service_url, authority.api_keys.service_role, ClientOptions(httpx_client=http))


@pytest.fixture
def app_client(service_url: str, authority: JwtAuthority, http: httpx.Client) -> Client:
    return create_client(service_url, authority.api_keys.anon, ClientOptions(httpx_client=http))


def ids(data: Any) -> list[Any]:
    """The `id` of every row of a PostgREST array result."""
    assert isinstance(data, list)
    return [row["id"] for row in data]


def signed_up(admin: Client, app_client: Client, email: str) -> QueueUser:
    """A user created with the service key and signed in on the app's client."""
    created = admin.auth.admin.create_user(
        {"email": email, "password": PASSWORD, "email_confirm": True, "user_metadata": {"plan": "weekly"}}
    )
    session = app_client.auth.sign_in_with_password({"email": email, "password": PASSWORD})
    assert session.user is not None and session.session is not None
    assert session.user.id == created.user.id
    assert session.user.user_metadata == {"plan": "weekly"}
    return QueueUser(created.user.id, email)


def test_a_signed_in_user_reads_their_own_job(
    admin: Client, app_client: Client, queue_db: QueueDatabase
) -> None:
    user = signed_up(admin, app_client, "reader@example.test")
    job_id = str(queue_db.insert_job(user)["id"])
    queue_db.insert_job(queue_db.create_user())

    own = app_client.table("plan_generation_jobs").select("id,status").eq("id", job_id).execute()
    everything_visible = app_client.table("plan_generation_jobs").select("*").execute()

    assert own.data == [{"id": job_id, "status": "pending"}]
    assert ids(everything_visible.data) == [job_id]


def test_single_with_no_row_raises_pgrst116(
    admin: Client, app_client: Client, queue_db: QueueDatabase
) -> None:
    signed_up(admin, app_client, "single@example.test")
    someone_elses = str(queue_db.insert_job(queue_db.create_user())["id"])

    with pytest.raises(APIError) as caught:
        app_client.table("plan_generation_jobs").select("*").eq("id", someone_elses).single().execute()

    assert caught.value.code == "PGRST116"
    assert caught.value.details == "The result contains 0 rows"


def test_rpc_runs_with_the_callers_grants(admin: Client, app_client: Client, queue_db: QueueDatabase) -> None:
    user = signed_up(admin, app_client, "rpc@example.test")
    job_id = str(queue_db.insert_job(user)["id"])

    active = app_client.rpc("get_active_plan_job", {}).execute()
    with pytest.raises(APIError) as refused:
        app_client.rpc("claim_next_plan_job", {"p_worker_id": "app"}).execute()
    claimed = admin.rpc("claim_next_plan_job", {"p_worker_id": "worker"}).execute()

    assert isinstance(active.data, dict)
    assert active.data["id"] == job_id
    assert refused.value.code == "42501"
    assert ids(claimed.data) == [job_id]


def test_sessions_refresh_and_end(admin: Client, app_client: Client) -> None:
    user = signed_up(admin, app_client, "session@example.test")
    first = app_client.auth.get_session()
    assert first is not None

    refreshed = app_client.auth.refresh_session()
    current = app_client.auth.get_user()
    app_client.auth.sign_out()

    assert refreshed.session is not None
    assert refreshed.session.refresh_token != first.refresh_token
    assert current is not None and current.user.id == user.id
    assert app_client.auth.get_session() is None


def test_wrong_credentials_and_deleted_users_cannot_sign_in(admin: Client, app_client: Client) -> None:
    user = signed_up(admin, app_client, "gone@example.test")

    with pytest.raises(AuthApiError) as wrong:
        app_client.auth.sign_in_with_password({"email": user.email, "password": "not-the-password"})
    admin.auth.admin.delete_user(user.id)
    with pytest.raises(AuthApiError) as deleted:
        app_client.auth.sign_in_with_password({"email": user.email, "password": PASSWORD})

    assert (wrong.value.status, wrong.value.code, wrong.value.message) == (
        400,
        "invalid_credentials",
        "Invalid login credentials",
    )
    assert deleted.value.code == "invalid_credentials"


def test_sign_up_gives_a_confirmed_user_and_a_session(app_client: Client, queue_db: QueueDatabase) -> None:
    signed_up_now = app_client.auth.sign_up(
        {"email": "new@example.test", "password": PASSWORD, "options": {"data": {"plan": "weekly"}}}
    )

    assert signed_up_now.user is not None and signed_up_now.session is not None
    assert signed_up_now.user.user_metadata == {"plan": "weekly"}
    job_id = str(queue_db.insert_job(QueueUser(signed_up_now.user.id, "new@example.test"))["id"])
    own = app_client.table("plan_generation_jobs").select("id").execute()
    assert ids(own.data) == [job_id]
    with pytest.raises(AuthApiError) as again:
        app_client.auth.sign_up({"email": "new@example.test", "password": PASSWORD})
    assert again.value.code == "user_already_exists"


def test_sign_out_ends_the_session_for_its_access_token(
    admin: Client, app_client: Client, queue_db: QueueDatabase
) -> None:
    user = signed_up(admin, app_client, "signed-out@example.test")
    job_id = str(queue_db.insert_job(user)["id"])
    session = app_client.auth.get_session()
    assert session is not None
    old_token = session.access_token

    app_client.auth.sign_out()
    with pytest.raises(AuthApiError) as ended:
        admin.auth.get_user(old_token)
    # /rest/v1 is stateless, as PostgREST is: the token still reads until it expires.
    still_reads = app_client.postgrest.auth(old_token).from_("plan_generation_jobs").select("id").execute()

    assert (ended.value.status, ended.value.code) == (403, "session_not_found")
    assert ids(still_reads.data) == [job_id]


def test_too_many_wrong_passwords_are_throttled(admin: Client, app_client: Client) -> None:
    user = signed_up(admin, app_client, "guessed@example.test")
    app_client.auth.sign_out()

    codes = []
    for attempt in range(6):
        with pytest.raises(AuthApiError) as refused:
            app_client.auth.sign_in_with_password({"email": user.email, "password": f"guess-{attempt}"})
        codes.append((refused.value.status, refused.value.code))

    assert codes == [(400, "invalid_credentials")] * 5 + [(429, "over_request_rate_limit")]
