"""Auth and bad input: missing or forged tokens, another user's job, malformed profiles.

A refusal names what is wrong (the field, for profiles) and writes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import jwt
import pytest

from harness import PlanJobs, ProfileFactory, QueueAdmin, SupabaseHttp, invalid_profiles

pytestmark = [pytest.mark.needs("http"), pytest.mark.smoke]


def _forged_token(user_id: str) -> str:
    claims = {"sub": user_id, "role": "authenticated", "aud": "authenticated", "exp": int(time.time()) + 600}
    return jwt.encode(claims, "not-the-projects-secret-but-long-enough-to-sign", algorithm="HS256")


def _unsigned_token(user_id: str) -> str:
    header = jwt.utils.base64url_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).decode()
    claims = {"sub": user_id, "role": "authenticated", "aud": "authenticated", "exp": int(time.time()) + 600}
    body = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    return f"{header}.{body}."


@pytest.mark.parametrize("token_kind", ["missing", "anon_key", "forged", "alg_none", "expired", "garbage"])
def test_create_plan_job_needs_a_valid_user_token(
    token_kind: str, wire: SupabaseHttp, make_user: Callable[[], PlanJobs], profile_factory: ProfileFactory
) -> None:
    victim = make_user()
    tokens = {
        "missing": None,
        "anon_key": wire.keys.anon,
        "forged": _forged_token(victim.session.user_id),
        "alg_none": _unsigned_token(victim.session.user_id),
        "expired": jwt.encode({"sub": victim.session.user_id, "role": "authenticated", "exp": 1}, "x" * 40),
        "garbage": "not.a.jwt",
    }
    token = tokens[token_kind]
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    response = wire.http.post(
        "/functions/v1/create-plan-job",
        json={"profile": profile_factory.make()},
        headers={"apikey": wire.keys.anon, **headers},
    )

    assert response.status_code == 401, response.text
    assert response.json()["error"]
    assert victim.get_job_ids() == []


def test_a_user_cannot_see_or_touch_another_users_job(
    make_user: Callable[[], PlanJobs], profile_factory: ProfileFactory
) -> None:
    alice, mallory = make_user(), make_user()
    job_id = alice.create_job_id(profile_factory.make())

    assert mallory.get_job(job_id) is None
    cancel = mallory.wire.rpc("cancel_plan_job", {"p_job_id": job_id}, token=mallory.token)
    reset = mallory.wire.rpc("reset_stuck_plan_job", {"p_job_id": job_id}, token=mallory.token)

    assert cancel.status_code == 404 and cancel.json()["code"] == "PT404"
    assert reset.status_code == 404 and reset.json()["code"] == "PT404"
    job = alice.get_job(job_id)
    assert job is not None and job.status != "cancelled"


def test_users_cannot_call_the_service_functions(
    make_user: Callable[[], PlanJobs], wire: SupabaseHttp
) -> None:
    user = make_user()

    claim = wire.rpc("claim_next_plan_job", {"p_worker_id": "intruder"}, token=user.token)
    anon_claim = wire.rpc("claim_next_plan_job", {"p_worker_id": "intruder"}, token=None)

    assert (claim.status_code, claim.json()["code"]) == (403, "42501")
    assert (anon_claim.status_code, anon_claim.json()["code"]) == (401, "42501")


def test_process_plan_queue_needs_the_service_role(
    make_user: Callable[[], PlanJobs], wire: SupabaseHttp, queue_admin: QueueAdmin
) -> None:
    user = make_user()

    as_anon = wire.invoke("process-plan-queue", {"maxJobs": 1}, token=None)
    as_user = wire.invoke("process-plan-queue", {"maxJobs": 1}, token=user.token)
    bad_body = queue_admin.wire.invoke(
        "process-plan-queue", {"maxJobs": 0}, token=wire.keys.service_role, apikey=wire.keys.service_role
    )

    assert as_anon.status_code in (401, 403), as_anon.text
    assert as_user.status_code == 403, as_user.text
    assert bad_body.status_code == 400 and "maxJobs" in bad_body.text


@pytest.mark.parametrize(
    ("field", "profile"),
    invalid_profiles(),
    ids=[f"{field}-{n}" for n, (field, _) in enumerate(invalid_profiles())],
)
def test_malformed_profile_is_refused_naming_the_field_and_nothing_is_written(
    field: str, profile: dict[str, object], make_user: Callable[[], PlanJobs]
) -> None:
    jobs = make_user()

    response = jobs.create(profile)

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "INVALID_REQUEST"
    assert field in json.dumps(body["details"]), body
    assert jobs.get_job_ids() == []


def test_unknown_fields_and_non_objects_are_refused(
    make_user: Callable[[], PlanJobs], wire: SupabaseHttp
) -> None:
    jobs = make_user()

    for content, named in (
        (b"[1, 2]", "body"),
        (b"{not json", "body"),
        (b'{"profile": {}, "extra": 1}', "extra"),
    ):
        response = wire.invoke("create-plan-job", token=jobs.token, content=content)
        assert response.status_code == 400, (content, response.text)
        assert named in json.dumps(response.json()["details"])
    assert jobs.get_job_ids() == []


def test_oversized_body_is_refused_with_413(
    make_user: Callable[[], PlanJobs], wire: SupabaseHttp, profile_factory: ProfileFactory
) -> None:
    jobs = make_user()
    profile = profile_factory.make(supplements=["x" * 60] * 2000)

    response = wire.invoke("create-plan-job", {"profile": profile}, token=jobs.token)

    assert response.status_code == 413, response.text
    assert jobs.get_job_ids() == []
