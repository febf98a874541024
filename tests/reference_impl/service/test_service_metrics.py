"""`GET /metrics` after real jobs ran through the whole service, read back with
prometheus-client's own parsers (text format and OpenMetrics)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families

from fake_llm.server import FakeDeepSeek
from harness.profiles import ProfileFactory
from harness.queue_db import QueueDatabase
from reference_impl.auth import JwtAuthority
from tests.reference_impl.service.conftest import Client, ServiceFactory, service_headers, user_headers

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(families: Iterable[Metric]) -> Samples:
    """Every sample by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def by_label(values: Samples, name: str, label: str) -> dict[str, float]:
    """The samples of `name` that carry only `label`, by that label's value."""
    return {dict(labels)[label]: value for (sample, labels), value in values.items() if sample == name and
            [key for key, _ in labels] == [label]}  # fmt: skip


async def scrape(client: Client, accept: str | None = None) -> tuple[str, str]:
    response = await client.get("/metrics", headers={"Accept": accept} if accept else {})
    assert response.status == 200
    return response.headers["Content-Type"], await response.text()


async def create_job(client: Client, authority: JwtAuthority, queue_db: QueueDatabase, seed: int) -> str:
    user = queue_db.create_user()
    created = await client.post(
        "/functions/v1/create-plan-job",
        json={"profile": ProfileFactory(seed).make()},
        headers=user_headers(authority, queue_db, user),
    )
    assert created.status == 202
    return user.id


async def test_metrics_count_what_the_jobs_did(
    start_service: ServiceFactory,
    queue_db: QueueDatabase,
    authority: JwtAuthority,
    fake_deepseek: FakeDeepSeek,
) -> None:
    client = await start_service()
    await create_job(client, authority, queue_db, seed=1)  # completes
    quota_user = await create_job(client, authority, queue_db, seed=2)
    upstream_user = await create_job(client, authority, queue_db, seed=3)
    for user, status in ((quota_user, 402), (upstream_user, 500)):
        fake_deepseek.add_fault({"match": {"user": user}, "action": {"type": "http_error", "status": status}})

    processed = await client.post(
        "/functions/v1/process-plan-queue", json={}, headers=service_headers(authority)
    )
    assert processed.status == 200
    content_type, text = await scrape(client)
    values = samples(text_string_to_metric_families(text))

    assert content_type.startswith("text/plain")
    assert values[("plan_jobs_created_total", ())] == 3
    assert by_label(values, "plan_jobs", "status") == {
        "completed": 1,
        "failed": 1,
        "pending": 1,
        "processing": 0,
        "cancelled": 0,
    }
    assert 0 < values[("plan_jobs_oldest_pending_age_seconds", ())] < 120
    attempts = by_label(values, "plan_job_attempts_total", "result")
    assert attempts == {"completed": 1, "requeued": 1, "failed": 1, "dropped": 0}
    errors = {labels: n for (name, labels), n in values.items() if name == "plan_job_attempt_errors_total"}
    assert errors == {
        (("error_code", "AI_QUOTA_EXCEEDED"), ("result", "failed")): 1,
        (("error_code", "AI_UPSTREAM_ERROR"), ("result", "requeued")): 1,
    }
    assert by_label(values, "plan_queue_invocations_total", "result") == {"completed": 1, "killed": 0}
    assert by_label(values, "plan_queue_recovered_jobs_total", "kind") == {"stuck": 0, "stale": 0}
    assert values[("plan_job_attempt_duration_seconds_count", ())] == 3
    assert values[("plan_job_attempt_duration_seconds_bucket", (("le", "+Inf"),))] == 3
    assert values[("plan_job_attempt_duration_seconds_bucket", (("le", "600.0"),))] == 3
    assert 0 < values[("plan_job_attempt_duration_seconds_sum", ())] < 60
    buckets = sorted(
        (float(dict(labels)["le"]), value)
        for (name, labels), value in values.items()
        if name == "plan_job_attempt_duration_seconds_bucket"
    )
    assert buckets[0][0] == 0.05 and [count for _, count in buckets] == sorted(count for _, count in buckets)


async def test_openmetrics_is_served_when_asked_for(
    start_service: ServiceFactory, queue_db: QueueDatabase, authority: JwtAuthority
) -> None:
    client = await start_service()
    await create_job(client, authority, queue_db, seed=4)

    content_type, text = await scrape(client, accept="application/openmetrics-text; version=1.0.0")
    families = {family.name: family for family in openmetrics_families(text)}  # type: ignore[no-untyped-call]

    assert content_type.startswith("application/openmetrics-text")
    assert families["plan_jobs_created"].type == "counter"
    assert families["plan_job_attempt_duration_seconds"].type == "histogram"
    assert samples([families["plan_jobs_created"]])[("plan_jobs_created_total", ())] == 1


async def test_two_services_in_one_process_keep_their_own_counters(
    start_service: ServiceFactory, queue_db: QueueDatabase, authority: JwtAuthority
) -> None:
    busy = await start_service()
    idle = await start_service()
    await create_job(busy, authority, queue_db, seed=5)
    await create_job(busy, authority, queue_db, seed=6)

    busy_values = samples(text_string_to_metric_families((await scrape(busy))[1]))
    idle_values = samples(text_string_to_metric_families((await scrape(idle))[1]))

    assert busy_values[("plan_jobs_created_total", ())] == 2
    assert idle_values[("plan_jobs_created_total", ())] == 0
    # the job gauges come from the shared database, so both see the same jobs
    assert busy_values[("plan_jobs", (("status", "pending"),))] == 2
    assert idle_values[("plan_jobs", (("status", "pending"),))] == 2
