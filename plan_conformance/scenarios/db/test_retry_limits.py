"""Retry limits (docs/contract.md "Retry semantics"): max_retries = N means at most N attempts, exactly."""

from __future__ import annotations

import pytest

from harness import QueueDatabase, refused


@pytest.mark.parametrize("max_retries", [1, 2, 3, 4, 5])
def test_job_failing_every_attempt_is_claimed_exactly_max_retries_times(
    queue_db: QueueDatabase, max_retries: int
) -> None:
    user = queue_db.create_user()
    job = queue_db.insert_job(user, max_retries=max_retries)

    claims = 0
    while (claimed := queue_db.claim()) is not None:
        claims += 1
        assert claimed["id"] == job["id"]
        assert claims <= max_retries, f"attempt {claims} claimed with max_retries={max_retries}"
        after = queue_db.fail(claimed, "AI_TIMEOUT", f"attempt {claims} timed out after 90000 ms")
        assert after["retry_count"] == claims
        queue_db.end_backoff(job["id"])

    final = queue_db.job(job["id"])
    assert claims == max_retries
    assert final["status"] == "failed"
    assert final["retry_count"] == max_retries
    assert final["error_code"] == "AI_TIMEOUT"
    assert final["error_message"] == f"attempt {max_retries} timed out after 90000 ms"
    assert final["completed_at"] is not None
    assert final["claim_token"] is None
    assert [entry["attempt"] for entry in final["errors"]] == list(range(1, max_retries + 1))


def test_retryable_failure_below_the_limit_requeues_with_claim_cleared(queue_db: QueueDatabase) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=3)
    claimed = queue_db.claim("worker-a")
    assert claimed is not None

    after = queue_db.fail(claimed, "AI_RATE_LIMIT", "DeepSeek answered 429 three times")

    assert after["status"] == "pending"
    assert after["retry_count"] == 1
    assert after["claim_token"] is None
    assert after["claimed_by"] is None
    assert after["completed_at"] is None
    assert after["error_code"] == "AI_RATE_LIMIT"
    entry = after["errors"][0]
    assert entry["attempt"] == 1
    assert entry["error_code"] == "AI_RATE_LIMIT"
    assert entry["worker"] == "worker-a"
    assert entry["at"]
    assert queue_db.job(job["id"])["status"] == "pending"


@pytest.mark.parametrize("max_retries", [1, 3, 5])
def test_non_retryable_error_fails_the_job_at_once(queue_db: QueueDatabase, max_retries: int) -> None:
    job = queue_db.insert_job(queue_db.create_user(), max_retries=max_retries)
    claimed = queue_db.claim()
    assert claimed is not None

    after = queue_db.fail(claimed, "UNEXPECTED_ERROR", "plan schema changed", retryable=False)

    assert after["status"] == "failed"
    assert after["retry_count"] == 1
    assert after["completed_at"] is not None
    assert queue_db.claim() is None
    assert queue_db.job(job["id"])["status"] == "failed"


@pytest.mark.parametrize("error_code", ["AI_QUOTA_EXCEEDED", "CONFIG_ERROR"])
def test_codes_that_cannot_succeed_on_retry_fail_at_once_even_if_flagged_retryable(
    queue_db: QueueDatabase, error_code: str
) -> None:
    queue_db.insert_job(queue_db.create_user(), max_retries=3)
    claimed = queue_db.claim()
    assert claimed is not None

    after = queue_db.fail(claimed, error_code, "from DeepSeek", retryable=True)

    assert after["status"] == "failed"
    assert after["retry_count"] == 1
    assert after["error_code"] == error_code


def test_blank_error_message_is_replaced_by_one_naming_the_code(queue_db: QueueDatabase) -> None:
    queue_db.insert_job(queue_db.create_user())
    claimed = queue_db.claim()
    assert claimed is not None

    after = queue_db.fail(claimed, "JSON_PARSE_ERROR", "   ")

    assert after["error_code"] == "JSON_PARSE_ERROR"
    assert "JSON_PARSE_ERROR" in after["error_message"]


def test_unknown_error_code_is_refused_and_changes_nothing(queue_db: QueueDatabase) -> None:
    queue_db.insert_job(queue_db.create_user())
    claimed = queue_db.claim()
    assert claimed is not None

    with refused("PT400"):
        queue_db.fail(claimed, "AI_SOMETHING_NEW", "not a documented code")

    assert queue_db.job(claimed["id"]) == claimed
