"""`GET /rest/v1/<table>`: filters, ordering, paging, single objects, errors, and RLS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from harness.queue_db import QueueDatabase, QueueUser

from .conftest import ApiHeaders, Client
from .seed import SeededJob, seed_job

JOBS = "/rest/v1/plan_generation_jobs"
OBJECT = "application/vnd.pgrst.object+json"


@dataclass(frozen=True)
class Seeded:
    alice: QueueUser
    bob: QueueUser
    jobs: tuple[SeededJob, ...]

    def by_id(self, job_id: str) -> SeededJob:
        return next(job for job in self.jobs if job.id == job_id)


@pytest.fixture
def seeded(queue_db: QueueDatabase) -> Seeded:
    alice, bob = queue_db.create_user(), queue_db.create_user()
    jobs = (
        seed_job(queue_db, alice, status="failed", retry_count=3, error_code="AI_TIMEOUT", age_minutes=40),
        seed_job(
            queue_db, alice, status="pending", retry_count=1, error_code="AI_RATE_LIMIT", age_minutes=30
        ),
        seed_job(queue_db, bob, status="completed", age_minutes=20),
        seed_job(queue_db, bob, status="pending", retry_count=2, age_minutes=10),
    )
    return Seeded(alice, bob, jobs)


async def get_json(client: Client, path: str, headers: dict[str, str], status: int = 200) -> Any:
    response = await client.get(path, headers=headers)
    assert response.status == status, await response.text()
    return await response.json()


def ids(rows: list[dict[str, Any]]) -> set[str]:
    return {row["id"] for row in rows}


# -- row-level security through REST ----------------------------------------------------


async def test_a_user_reads_only_their_own_jobs(client: Client, headers: ApiHeaders, seeded: Seeded) -> None:
    rows = await get_json(client, f"{JOBS}?select=*", headers.user(seeded.alice))

    assert ids(rows) == {job.id for job in seeded.jobs if job.user_id == seeded.alice.id}


async def test_a_user_cannot_read_another_users_job_by_id(
    client: Client, headers: ApiHeaders, seeded: Seeded
) -> None:
    bobs_job = next(job for job in seeded.jobs if job.user_id == seeded.bob.id)

    rows = await get_json(client, f"{JOBS}?id=eq.{bobs_job.id}&select=*", headers.user(seeded.alice))

    assert rows == []


async def test_the_anon_role_reads_nothing(client: Client, headers: ApiHeaders, seeded: Seeded) -> None:
    response = await client.get(f"{JOBS}?select=*", headers=headers.anon())

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    body = await response.json()
    assert body["code"] == "42501"
    assert set(body) == {"code", "message", "details", "hint"}


async def test_the_service_role_reads_every_job(client: Client, headers: ApiHeaders, seeded: Seeded) -> None:
    rows = await get_json(client, JOBS, headers.service())

    assert ids(rows) == {job.id for job in seeded.jobs}


async def test_a_user_reads_their_active_plan(
    client: Client, headers: ApiHeaders, queue_db: QueueDatabase
) -> None:
    alice, bob = queue_db.create_user(), queue_db.create_user()
    for user in (alice, bob):
        queue_db.insert_job(user)
        claimed = queue_db.claim()
        assert claimed is not None
        queue_db.complete(claimed)

    path = f"/rest/v1/weekly_base_plans?user_id=eq.{alice.id}&is_active=eq.true"
    own = await get_json(client, path, headers.user(alice))
    others = await get_json(client, path, headers.user(bob))

    assert [row["user_id"] for row in own] == [alice.id]
    assert own[0]["is_active"] is True
    assert others == []


# -- filters ------------------------------------------------------------------------------

FILTERS: list[tuple[str, Callable[[SeededJob], bool]]] = [
    ("status=eq.pending", lambda job: job.status == "pending"),
    ("status=neq.pending", lambda job: job.status != "pending"),
    ("retry_count=gt.1", lambda job: job.retry_count > 1),
    ("retry_count=gte.1", lambda job: job.retry_count >= 1),
    ("retry_count=lt.2", lambda job: job.retry_count < 2),
    ("retry_count=lte.2", lambda job: job.retry_count <= 2),
    ("status=in.(failed,completed)", lambda job: job.status in ("failed", "completed")),
    ('status=in.("failed", "cancelled")', lambda job: job.status in ("failed", "cancelled")),
    ("status=in.()", lambda job: False),
    ("error_code=is.null", lambda job: job.error_code is None),
    ("error_code=not.is.null", lambda job: job.error_code is not None),
    ("status=not.eq.pending", lambda job: job.status != "pending"),
    ("retry_count=gte.1&status=eq.pending", lambda job: job.retry_count >= 1 and job.status == "pending"),
    ("retry_count=gt.0&retry_count=lt.3", lambda job: 0 < job.retry_count < 3),
    ("error_code=eq.AI_TIMEOUT", lambda job: job.error_code == "AI_TIMEOUT"),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS, ids=[query for query, _ in FILTERS])
async def test_filters_select_the_rows_they_describe(
    client: Client,
    headers: ApiHeaders,
    seeded: Seeded,
    query: str,
    expected: Callable[[SeededJob], bool],
) -> None:
    rows = await get_json(client, f"{JOBS}?select=id&{query}", headers.service())

    assert ids(rows) == {job.id for job in seeded.jobs if expected(job)}


async def test_in_filter_takes_quoted_uuids(client: Client, headers: ApiHeaders, seeded: Seeded) -> None:
    wanted = [seeded.jobs[0].id, seeded.jobs[3].id]

    rows = await get_json(client, f'{JOBS}?id=in.("{wanted[0]}","{wanted[1]}")', headers.service())

    assert ids(rows) == set(wanted)


async def test_boolean_is_filter(client: Client, headers: ApiHeaders, queue_db: QueueDatabase) -> None:
    user = queue_db.create_user()
    for _ in range(2):
        queue_db.insert_job(user)
        claimed = queue_db.claim()
        assert claimed is not None
        queue_db.complete(claimed)

    active = await get_json(client, "/rest/v1/weekly_base_plans?is_active=is.true", headers.service())
    inactive = await get_json(client, "/rest/v1/weekly_base_plans?is_active=is.false", headers.service())

    assert (len(active), len(inactive)) == (1, 1)


# -- columns, order, paging ----------------------------------------------------------------


async def test_select_returns_exactly_the_listed_columns(
    client: Client, headers: ApiHeaders, seeded: Seeded
) -> None:
    rows = await get_json(client, f"{JOBS}?select=id, status,retry_count", headers.service())

    assert {tuple(sorted(row)) for row in rows} == {("id", "retry_count", "status")}
    assert {(row["id"], row["status"], row["retry_count"]) for row in rows} == {
        (job.id, job.status, job.retry_count) for job in seeded.jobs
    }


async def test_order_by_several_columns(client: Client, headers: ApiHeaders, seeded: Seeded) -> None:
    rows = await get_json(client, f"{JOBS}?select=id&order=status.asc,retry_count.desc", headers.service())

    expected = sorted(seeded.jobs, key=lambda job: (job.status, -job.retry_count))
    assert [row["id"] for row in rows] == [job.id for job in expected]


@pytest.mark.parametrize("nulls", ["nullsfirst", "nullslast"])
async def test_order_places_nulls_as_asked(
    client: Client, headers: ApiHeaders, seeded: Seeded, nulls: str
) -> None:
    rows = await get_json(
        client, f"{JOBS}?select=error_code&order=error_code.desc.{nulls}", headers.service()
    )

    codes = [row["error_code"] for row in rows]
    named = sorted((job.error_code for job in seeded.jobs if job.error_code), reverse=True)
    missing = [None] * sum(job.error_code is None for job in seeded.jobs)
    assert codes == (missing + named if nulls == "nullsfirst" else named + missing)


async def test_limit_and_offset_page_through_ordered_rows(
    client: Client, headers: ApiHeaders, seeded: Seeded
) -> None:
    response = await client.get(
        f"{JOBS}?select=id&order=created_at.asc&limit=2&offset=1", headers=headers.service()
    )

    oldest_first = sorted(seeded.jobs, key=lambda job: -job.age_minutes)
    assert response.status == 200
    assert [row["id"] for row in await response.json()] == [job.id for job in oldest_first[1:3]]
    assert response.headers["Content-Range"] == "1-2/*"


async def test_exact_count_gives_the_total_and_206_for_a_partial_page(
    client: Client, headers: ApiHeaders, seeded: Seeded
) -> None:
    counted = {**headers.service(), "Prefer": "count=exact"}

    partial = await client.get(f"{JOBS}?select=id&limit=3", headers=counted)
    whole = await client.get(f"{JOBS}?select=id", headers=counted)

    total = len(seeded.jobs)
    assert (partial.status, partial.headers["Content-Range"]) == (206, f"0-2/{total}")
    assert (whole.status, whole.headers["Content-Range"]) == (200, f"0-{total - 1}/{total}")


async def test_an_offset_past_the_total_is_416(client: Client, headers: ApiHeaders, seeded: Seeded) -> None:
    response = await client.get(f"{JOBS}?offset=10", headers={**headers.service(), "Prefer": "count=exact"})

    assert response.status == 416
    body = await response.json()
    assert body["code"] == "PGRST103"
    assert str(len(seeded.jobs)) in body["details"]


async def test_an_empty_result_has_an_empty_content_range(
    client: Client, headers: ApiHeaders, seeded: Seeded
) -> None:
    response = await client.get(f"{JOBS}?status=eq.cancelled", headers=headers.service())

    assert await response.json() == []
    assert response.headers["Content-Range"] == "*/*"


async def test_head_returns_headers_without_a_body(
    client: Client, headers: ApiHeaders, seeded: Seeded
) -> None:
    response = await client.head(f"{JOBS}?select=id", headers=headers.service())

    assert response.status == 200
    assert response.headers["Content-Range"] == f"0-{len(seeded.jobs) - 1}/*"
    assert await response.read() == b""


# -- single object ------------------------------------------------------------------------


async def test_single_object_accept_returns_the_one_row(
    client: Client, headers: ApiHeaders, seeded: Seeded
) -> None:
    job = seeded.jobs[2]
    response = await client.get(f"{JOBS}?id=eq.{job.id}", headers={**headers.service(), "Accept": OBJECT})

    assert response.status == 200
    assert response.content_type == OBJECT
    body = await response.json()
    assert (body["id"], body["status"]) == (job.id, job.status)


@pytest.mark.parametrize(("query", "rows"), [("status=eq.cancelled", 0), ("status=eq.pending", 2)])
async def test_single_object_accept_refuses_other_than_one_row(
    client: Client, headers: ApiHeaders, seeded: Seeded, query: str, rows: int
) -> None:
    response = await client.get(f"{JOBS}?{query}", headers={**headers.service(), "Accept": OBJECT})

    assert response.status == 406
    body = await response.json()
    assert body["code"] == "PGRST116"
    assert body["details"] == f"The result contains {rows} rows"


# -- refusals ------------------------------------------------------------------------------


async def test_an_unknown_table_is_404_pgrst205(client: Client, headers: ApiHeaders) -> None:
    body = await get_json(client, "/rest/v1/plan_jobs?select=*", headers.service(), status=404)

    assert body["code"] == "PGRST205"
    assert "public.plan_jobs" in body["message"]


@pytest.mark.parametrize(
    "query",
    ["select=id,nope", "nope=eq.1", "order=nope.desc", 'select="status"', "status;drop=eq.1"],
)
async def test_an_unknown_column_is_400_42703(client: Client, headers: ApiHeaders, query: str) -> None:
    body = await get_json(client, f"{JOBS}?{query}", headers.service(), status=400)

    assert body["code"] == "42703"
    assert "does not exist" in body["message"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("status=like.pend*", "like.pend*"),
        ("error_code=is.maybe", "is.maybe"),
        ("status=in.failed", "in.failed"),
        ("status=pending", "pending"),
        ("order=status.sideways", "status.sideways"),
        ("limit=ten", "ten"),
        ("offset=-1", "-1"),
        ("select=id,user:user_id", "user:user_id"),
        ("or=(status.eq.pending)", "or"),
    ],
)
async def test_malformed_parameters_are_400_pgrst100_naming_the_value(
    client: Client, headers: ApiHeaders, query: str, named: str
) -> None:
    body = await get_json(client, f"{JOBS}?{query}", headers.service(), status=400)

    assert body["code"] == "PGRST100"
    assert named in body["message"]


async def test_a_value_of_the_wrong_type_is_the_database_error(client: Client, headers: ApiHeaders) -> None:
    body = await get_json(client, f"{JOBS}?id=eq.not-a-uuid", headers.service(), status=400)

    assert body["code"] == "22P02"
    assert "uuid" in body["message"]


async def test_values_are_never_sql(
    client: Client, headers: ApiHeaders, seeded: Seeded, queue_db: QueueDatabase
) -> None:
    sneaky = "pending' or '1'='1"

    rows = await get_json(client, f"{JOBS}?status=eq.{sneaky}", headers.service())
    dropped = await get_json(
        client, f"{JOBS}?status=eq.x'; drop table public.plan_generation_jobs; --", headers.service()
    )

    assert rows == dropped == []
    assert len(queue_db.jobs()) == len(seeded.jobs)


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "PUT"])
async def test_tables_are_never_written(
    client: Client, headers: ApiHeaders, seeded: Seeded, queue_db: QueueDatabase, method: str
) -> None:
    response = await client.request(
        method, f"{JOBS}?id=eq.{seeded.jobs[1].id}", json={"status": "cancelled"}, headers=headers.service()
    )

    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert (await response.json())["code"] == "PGRST117"
    assert queue_db.job(seeded.jobs[1].id)["status"] == "pending"


async def test_only_the_public_schema_is_exposed(client: Client, headers: ApiHeaders) -> None:
    body = await get_json(client, JOBS, {**headers.service(), "Accept-Profile": "auth"}, status=406)

    assert body["code"] == "PGRST106"


async def test_an_unservable_media_type_is_406(client: Client, headers: ApiHeaders) -> None:
    body = await get_json(client, JOBS, {**headers.service(), "Accept": "text/csv"}, status=406)

    assert body["code"] == "PGRST107"
    assert "text/csv" in body["message"]
