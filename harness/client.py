"""One httpx client that speaks the Supabase protocol, used for every target.

    SupabaseHttp      the wire: /auth/v1, /functions/v1, /rest/v1 with apikey + bearer
    Session           a signed-in user (access token, id, email)
    PlanJobs          the app's plan-job calls for one user (server-plan-generation.ts);
                      also the poller's JobSource
    QueueAdmin        the service-role calls an operator (or pg_cron) makes

Requests and responses can be recorded into a `History` (Jepsen-style) so invariants are
checked after a run; keys and tokens never appear in what is recorded.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.history import History
from harness.poller import JobSnapshot

OBJECT_ACCEPT = "application/vnd.pgrst.object+json"


class TargetHttpError(AssertionError):
    """A call the scenario expected to succeed did not; carries status and body."""

    def __init__(self, what: str, response: httpx.Response) -> None:
        super().__init__(f"{what}: HTTP {response.status_code} {response.text[:500]}")
        self.response = response


@dataclass(frozen=True)
class ApiKeys:
    anon: str = field(repr=False)
    service_role: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Session:
    user_id: str
    email: str
    access_token: str = field(repr=False)


class SupabaseHttp:
    """The wire protocol; every method returns the raw response for scenarios to inspect."""

    def __init__(self, base_url: str, keys: ApiKeys, *, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.keys = keys
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout_s)

    def close(self) -> None:
        self.http.close()

    def headers(self, token: str | None, *, apikey: str | None = None) -> dict[str, str]:
        key = apikey if apikey is not None else self.keys.anon
        headers = {"apikey": key, "X-Client-Info": "plan-conformance-harness"}
        bearer = token if token is not None else key
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return headers

    def _service_key(self) -> str:
        if not self.keys.service_role:
            raise RuntimeError("this call needs SUPABASE_SERVICE_ROLE_KEY, which the target has not")
        return self.keys.service_role

    # -- auth ---------------------------------------------------------------------------

    def create_user(self, email: str, password: str) -> httpx.Response:
        key = self._service_key()
        return self.http.post(
            "/auth/v1/admin/users",
            json={"email": email, "password": password, "email_confirm": True},
            headers=self.headers(key, apikey=key),
        )

    def delete_user(self, user_id: str) -> httpx.Response:
        key = self._service_key()
        return self.http.delete(f"/auth/v1/admin/users/{user_id}", headers=self.headers(key, apikey=key))

    def sign_in(self, email: str, password: str) -> httpx.Response:
        return self.http.post(
            "/auth/v1/token",
            params={"grant_type": "password"},
            json={"email": email, "password": password},
            headers=self.headers(None),
        )

    # -- functions, rest ----------------------------------------------------------------

    def invoke(
        self,
        name: str,
        body: Any = None,
        *,
        token: str | None,
        apikey: str | None = None,
        content: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        headers = self.headers(token, apikey=apikey) | {"Content-Type": "application/json"}
        headers |= dict(extra_headers or {})
        payload = content if content is not None else json.dumps(body if body is not None else {}).encode()
        return self.http.post(f"/functions/v1/{name}", content=payload, headers=headers)

    def select(
        self, table: str, params: Mapping[str, str], *, token: str | None, single: bool = False
    ) -> httpx.Response:
        headers = self.headers(token) | {"Accept-Profile": "public"}
        if single:
            headers["Accept"] = OBJECT_ACCEPT
        return self.http.get(f"/rest/v1/{table}", params=dict(params), headers=headers)

    def rpc(
        self, function: str, args: Mapping[str, Any], *, token: str | None, apikey: str | None = None
    ) -> httpx.Response:
        headers = self.headers(token, apikey=apikey) | {"Content-Profile": "public"}
        return self.http.post(f"/rest/v1/rpc/{function}", json=dict(args), headers=headers)

    # -- users ----------------------------------------------------------------------------

    def new_session(self, email: str | None = None) -> Session:
        """Create a confirmed user through /auth/v1 and sign them in."""
        email = email or f"conformance-{uuid.uuid4().hex[:12]}@example.test"
        password = uuid.uuid4().hex
        created = self.create_user(email, password)
        if created.status_code not in (200, 201):
            raise TargetHttpError("creating a test user", created)
        user_id = str(created.json().get("id", ""))
        signed_in = self.sign_in(email, password)
        if signed_in.status_code != 200:
            if user_id:
                self.delete_user(user_id)  # do not leave a half-made user on the target
            raise TargetHttpError("signing the test user in", signed_in)
        body = signed_in.json()
        return Session(user_id=str(body["user"]["id"]), email=email, access_token=str(body["access_token"]))


class PlanJobs:
    """What the app does for one signed-in user; also the poller's `JobSource`."""

    def __init__(self, wire: SupabaseHttp, session: Session, history: History | None = None) -> None:
        self.wire = wire
        self.session = session
        self.history = history

    @property
    def token(self) -> str:
        return self.session.access_token

    def create(self, profile: Mapping[str, Any], *, regenerate: bool | None = None) -> httpx.Response:
        body: dict[str, Any] = {"profile": dict(profile)}
        if regenerate is not None:
            body["regenerate"] = regenerate
        op = self._invoke("create", {"userId": self.session.user_id, "regenerate": bool(regenerate)})
        response = self.wire.invoke("create-plan-job", body, token=self.token)
        if op is not None and self.history is not None:
            payload = _json_or_text(response)
            ok = response.status_code == 202
            value = (
                {**payload, "jobId": payload.get("jobId")} if ok and isinstance(payload, dict) else payload
            )
            self.history.complete(op, "ok" if ok else "fail", {"status": response.status_code, "body": value})
        return response

    def create_job_id(self, profile: Mapping[str, Any], *, regenerate: bool | None = None) -> str:
        response = self.create(profile, regenerate=regenerate)
        if response.status_code != 202:
            raise TargetHttpError("create-plan-job", response)
        return str(response.json()["jobId"])

    def get_job(self, job_id: str) -> JobSnapshot | None:
        response = self.wire.select(
            "plan_generation_jobs", {"id": f"eq.{job_id}", "select": "*"}, token=self.token
        )
        if response.status_code != 200:
            raise TargetHttpError("reading the job", response)
        rows = response.json()
        snapshot = JobSnapshot.from_row(rows[0]) if rows else None
        if self.history is not None and snapshot is not None:
            self.history.record(
                "ok",
                "read",
                {
                    "id": snapshot.id,
                    "status": snapshot.status,
                    "retry_count": snapshot.retry_count,
                    "error_code": snapshot.error_code,
                },
                process=self.session.user_id,
            )
        return snapshot

    def get_job_ids(self) -> list[str]:
        """Ids of every job this user can see, oldest first."""
        response = self.wire.select(
            "plan_generation_jobs", {"select": "id", "order": "created_at.asc"}, token=self.token
        )
        if response.status_code != 200:
            raise TargetHttpError("listing the user's jobs", response)
        return [str(row["id"]) for row in response.json()]

    def notifications(self) -> httpx.Response:
        """The user's plan notifications (a reference-implementation table; 404 where absent)."""
        return self.wire.select(
            "plan_notifications", {"select": "*", "order": "created_at.asc"}, token=self.token
        )

    def cancel_job(self, job_id: str) -> None:
        response = self.wire.rpc("cancel_plan_job", {"p_job_id": job_id}, token=self.token)
        if response.status_code != 200:
            raise TargetHttpError("cancel_plan_job", response)

    def reset_stuck_job(self, job_id: str) -> None:
        response = self.wire.rpc("reset_stuck_plan_job", {"p_job_id": job_id}, token=self.token)
        if response.status_code != 200:
            raise TargetHttpError("reset_stuck_plan_job", response)

    def active_plan(self) -> dict[str, Any] | None:
        response = self.wire.select(
            "weekly_base_plans",
            {"user_id": f"eq.{self.session.user_id}", "is_active": "eq.true", "select": "*"},
            token=self.token,
        )
        if response.status_code != 200:
            raise TargetHttpError("reading the active plan", response)
        rows = response.json()
        assert len(rows) <= 1, f"{len(rows)} active plans for one user"
        return rows[0] if rows else None

    def _invoke(self, f: str, value: Any) -> Any:
        if self.history is None:
            return None
        return self.history.invoke(f, value, process=self.session.user_id)


class QueueAdmin:
    """Service-role calls: run the queue now, read the health summary."""

    def __init__(self, wire: SupabaseHttp) -> None:
        self.wire = wire

    def process_queue(self, max_jobs: int | None = None) -> httpx.Response:
        key = self.wire._service_key()
        body = {} if max_jobs is None else {"maxJobs": max_jobs}
        return self.wire.invoke("process-plan-queue", body, token=key, apikey=key)

    def health(self) -> dict[str, Any]:
        key = self.wire._service_key()
        response = self.wire.rpc("plan_job_health", {}, token=key, apikey=key)
        if response.status_code != 200:
            raise TargetHttpError("plan_job_health", response)
        result: dict[str, Any] = response.json()
        return result


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
