"""Reading the wait a 429/503 asks for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reference_impl.pipeline.retry_after import retry_after_seconds

NOW = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.05"}, 0.05),
        ({"retry-after": "Mon, 05 Jan 2026 12:00:07 GMT"}, 7.0),
        ({"retry-after": "Mon, 05 Jan 2026 11:59:00 GMT"}, 0.0),
        ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),
    ],
)
def test_wait_is_read(headers: dict[str, str], seconds: float) -> None:
    assert retry_after_seconds(headers, NOW) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "headers", [{}, {"retry-after": "later"}, {"retry-after": "-5"}, {"retry-after": "inf"}]
)
def test_unusable_headers_give_none(headers: dict[str, str]) -> None:
    assert retry_after_seconds(headers, NOW) is None
