"""`POST /rest/v1/rpc/<function>`: resolution, argument types, result shapes, grants, errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from harness.queue_db import QueueDatabase

from .conftest import ApiHeaders, Client

RPC = "/rest/v1/rpc"
OBJECT = "application/vnd.pgrst.object+json"

# Functions only these tests need: a void one, a plain RAISE, and an ambiguous overload.
TEST_FUNCTIONS = """
create function public.rest_test_note(p_note text) returns void language sql as $$ select $$;
create function public.rest_test_raise() returns integer language plpgsql as $$
begin raise exception 'plain failure'; end $$;
create function public.rest_test_pick(p_number integer default 1) returns text
    language sql as $$ select 'n' $$;
create function public.rest_test_pick(p_word text default 'w') returns text
    language sql as $$ select 'w' $$;
"""
DROP_TEST_FUNCTIONS = """
drop function public.rest_test_note(text);
drop function public.rest_test_raise();
drop function public.rest_test_pick(integer);
drop function public.rest_test_pick(text);
"""


@pytest.fixture
def test_functions(queue_db: QueueDatabase) -> Iterator[None]:
    queue_db.conn.execute(TEST_FUNCTIONS)
    try:
        yield
    finally:
        queue_db.conn.execute(DROP_TEST_FUNCTIONS)


async def rpc(
    client: Client,
    function: str,
    headers: dict[str, str],
    arguments: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> Any:
    response = await client.post(f"{RPC}/{function}", json=arguments or {}, headers=headers)
    assert response.status == status, await response.text()
    return await response.json() if response.status != 204 else None


# -- grants and ownership ---------------------------------------------------------------


async def test_an_authenticated_user_may_not_claim_jobs(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    user = queue_db.create_user()
    job = queue_db.insert_job(user)

    body = await rpc(client, "claim_next_plan_job", headers.user(user), {"p_worker_id": "w"}, status=403)

    assert body["code"] == "42501"
    assert queue_db.job(job["id"])["status"] == "pending"


async def test_the_anon_role_may_not_claim_jobs(client: Client, headers: ApiHeaders) -> None:
    response = await client.post(
        f"{RPC}/claim_next_plan_job", json={"p_worker_id": "w"}, headers=headers.anon()
    )

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert (await response.json())["code"] == "42501"


async def test_the_service_claims_the_oldest_pending_job_as_an_array(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    older = queue_db.insert_job(queue_db.create_user(), created_ago=timedelta(minutes=5))
    queue_db.insert_job(queue_db.create_user())

    first = await rpc(client, "claim_next_plan_job", headers.service(), {"p_worker_id": "worker-7"})

    assert [row["id"] for row in first] == [str(older["id"])]
    assert (first[0]["status"], first[0]["claimed_by"]) == ("processing", "worker-7")


async def test_claiming_from_an_empty_queue_is_an_empty_array(client: Client, headers: ApiHeaders) -> None:
    assert await rpc(client, "claim_next_plan_job", headers.service(), {"p_worker_id": "w"}) == []


async def test_cancelling_another_users_job_is_404_pt404(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    alice, bob = queue_db.create_user(), queue_db.create_user()
    bobs_job = queue_db.insert_job(bob)

    body = await rpc(
        client, "cancel_plan_job", headers.user(alice), {"p_job_id": str(bobs_job["id"])}, status=404
    )

    assert body == {
        "code": "PT404",
        "message": f"plan job {bobs_job['id']} not found",
        "details": None,
        "hint": None,
    }
    assert queue_db.job(bobs_job["id"])["status"] == "pending"


async def test_a_user_cancels_their_own_job_and_gets_the_row_as_an_object(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    alice = queue_db.create_user()
    job = queue_db.insert_job(alice)

    body = await rpc(client, "cancel_plan_job", headers.user(alice), {"p_job_id": str(job["id"])})

    assert (body["id"], body["status"], body["error_code"]) == (str(job["id"]), "cancelled", "CANCELLED")
    assert queue_db.job(job["id"])["status"] == "cancelled"


async def test_get_active_plan_job_is_the_callers_job_or_null(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    alice, bob = queue_db.create_user(), queue_db.create_user()
    job = queue_db.insert_job(alice)

    alices = await rpc(client, "get_active_plan_job", headers.user(alice))
    bobs = await rpc(client, "get_active_plan_job", headers.user(bob))

    assert alices["id"] == str(job["id"])
    assert bobs is None


# -- argument conversion and result shapes ---------------------------------------------------


async def test_a_worker_completes_a_job_with_a_json_plan(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    user = queue_db.create_user()
    queue_db.insert_job(user)
    [claimed] = await rpc(client, "claim_next_plan_job", headers.service(), {"p_worker_id": "w"})
    plan = {"days": {"monday": {"reason": "a plan sent as JSON"}}}

    completed = await rpc(
        client,
        "complete_plan_job",
        headers.service(),
        {"p_job_id": claimed["id"], "p_claim_token": claimed["claim_token"], "p_plan": plan},
    )

    assert completed["status"] == "completed"
    [saved] = queue_db.plans(user)
    assert (saved["plan"], str(saved["id"])) == (plan, completed["plan_id"])


async def test_a_scalar_result_is_a_bare_value_and_intervals_are_converted(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    for _ in range(2):
        queue_db.insert_job(queue_db.create_user())
        claimed = queue_db.claim()
        assert claimed is not None
        queue_db.age(claimed["id"], started=timedelta(minutes=3))

    recovered = await rpc(client, "reset_stuck_plan_jobs", headers.service(), {"p_stuck_after": "2 minutes"})
    again = await rpc(client, "reset_stuck_plan_jobs", headers.service())

    assert (recovered, again) == (2, 0)


async def test_a_jsonb_result_is_the_json_value(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    queue_db.insert_job(queue_db.create_user())

    health = await rpc(client, "plan_job_health", headers.service(), {"p_window": "1 hour"})

    assert health["counts_by_status"]["pending"] == 1


async def test_a_void_function_answers_204_without_a_body(
    client: Client, headers: ApiHeaders, test_functions: None
) -> None:
    response = await client.post(f"{RPC}/rest_test_note", json={"p_note": "hi"}, headers=headers.service())

    assert response.status == 204
    assert await response.read() == b""
    assert "Content-Type" not in response.headers


async def test_single_object_accept_unwraps_a_one_row_set(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    job = queue_db.insert_job(queue_db.create_user())
    single = {**headers.service(), "Accept": OBJECT}

    claimed = await client.post(f"{RPC}/claim_next_plan_job", json={"p_worker_id": "w"}, headers=single)
    nothing = await client.post(f"{RPC}/claim_next_plan_job", json={"p_worker_id": "w"}, headers=single)

    assert claimed.status == 200
    assert (await claimed.json())["id"] == str(job["id"])
    assert nothing.status == 406
    assert (await nothing.json())["details"] == "The result contains 0 rows"


# -- refusals -----------------------------------------------------------------------------


async def test_an_unknown_function_is_404_pgrst202(client: Client, headers: ApiHeaders) -> None:
    body = await rpc(client, "no_such_fn", headers.service(), {"b": 1, "a": 2}, status=404)

    assert body["code"] == "PGRST202"
    assert body["message"] == "Could not find the function public.no_such_fn(a, b) in the schema cache"
    assert body["hint"] is None


async def test_an_unknown_function_without_arguments_says_so(client: Client, headers: ApiHeaders) -> None:
    body = await rpc(client, "no_such_fn", headers.service(), status=404)

    assert (
        body["message"]
        == "Could not find the function public.no_such_fn without parameters in the schema cache"
    )


@pytest.mark.parametrize(
    "arguments",
    [{"job_id": "00000000-0000-4000-8000-000000000000"}, {}],
    ids=["wrong-name", "missing-required"],
)
async def test_wrong_arguments_are_404_pgrst202_with_the_real_signature(
    client: Client, headers: ApiHeaders, arguments: dict[str, Any]
) -> None:
    body = await rpc(client, "cancel_plan_job", headers.service(), arguments, status=404)

    assert body["code"] == "PGRST202"
    assert body["hint"] == "Perhaps you meant to call the function public.cancel_plan_job(p_job_id)"


async def test_an_ambiguous_call_is_300_pgrst203(
    client: Client, headers: ApiHeaders, test_functions: None
) -> None:
    body = await rpc(client, "rest_test_pick", headers.service(), status=300)

    assert body["code"] == "PGRST203"
    assert "rest_test_pick(p_number)" in body["message"]
    assert "rest_test_pick(p_word)" in body["message"]


async def test_named_arguments_pick_the_overload(
    client: Client, headers: ApiHeaders, test_functions: None
) -> None:
    assert await rpc(client, "rest_test_pick", headers.service(), {"p_word": "x"}) == "w"
    assert await rpc(client, "rest_test_pick", headers.service(), {"p_number": 3}) == "n"


async def test_a_function_refusal_pt400_is_400_with_its_message(client: Client, headers: ApiHeaders) -> None:
    body = await rpc(
        client, "reset_stuck_plan_jobs", headers.service(), {"p_stuck_after": "-5 minutes"}, status=400
    )

    assert body["code"] == "PT400"
    assert "p_stuck_after" in body["message"]


async def test_a_plain_raise_is_400_p0001(client: Client, headers: ApiHeaders, test_functions: None) -> None:
    body = await rpc(client, "rest_test_raise", headers.service(), status=400)

    assert (body["code"], body["message"]) == ("P0001", "plain failure")


async def test_an_argument_of_the_wrong_type_is_the_database_error(
    client: Client, headers: ApiHeaders
) -> None:
    body = await rpc(client, "cancel_plan_job", headers.service(), {"p_job_id": "not-a-uuid"}, status=400)

    assert body["code"] == "22P02"


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b'"text"'])
async def test_a_body_that_is_not_a_json_object_is_400_pgrst102(
    client: Client, headers: ApiHeaders, payload: bytes
) -> None:
    response = await client.post(
        f"{RPC}/get_active_plan_job",
        data=payload,
        headers={**headers.service(), "Content-Type": "application/json"},
    )

    assert response.status == 400
    assert (await response.json())["code"] == "PGRST102"


async def test_functions_are_called_with_post_only(client: Client, headers: ApiHeaders) -> None:
    response = await client.get(f"{RPC}/get_active_plan_job", headers=headers.service())

    assert response.status == 405
    assert response.headers["Allow"] == "POST"
