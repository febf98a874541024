"""Reads how long a 429/503 answer asks us to wait: `retry-after-ms`, then `Retry-After`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def retry_after_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    """The requested wait in seconds, or None when no usable header is present.

    Order as in the OpenAI SDK: `retry-after-ms` (milliseconds), then `Retry-After` as
    seconds (a fraction is accepted), then `Retry-After` as an HTTP date relative to
    `now`. Negative, non-finite and unparsable values are ignored; a date in the past
    means no wait.
    """
    milliseconds = _non_negative_number(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    raw = headers.get("retry-after")
    if raw is None:
        return None
    seconds = _non_negative_number(raw)
    if seconds is not None:
        return seconds
    return _seconds_until_date(raw, now)


def _non_negative_number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value


def _seconds_until_date(raw: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
