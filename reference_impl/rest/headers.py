"""PostgREST's request and response headers: media types, schema profiles, `Prefer: count`,
and `Content-Range` with the status it implies."""

from __future__ import annotations

from dataclasses import dataclass

from reference_impl.rest.catalog import EXPOSED_SCHEMA
from reference_impl.rest.errors import PostgrestError

OBJECT_MEDIA_TYPES = frozenset({"application/vnd.pgrst.object+json", "application/vnd.pgrst.object"})
ARRAY_MEDIA_TYPES = frozenset(
    {"application/json", "application/vnd.pgrst.array+json", "application/*", "*/*"}
)
OBJECT_CONTENT_TYPE = "application/vnd.pgrst.object+json"
ARRAY_CONTENT_TYPE = "application/json"
_COUNT_PREFERENCES = frozenset({"count=exact", "count=planned", "count=estimated"})


def wants_single_object(accept: str) -> bool:
    """Whether `Accept` asks for one object; 406 `PGRST107` when it asks for nothing we serve."""
    media_types = {part.split(";")[0].strip().lower() for part in accept.split(",")} - {""}
    if media_types & OBJECT_MEDIA_TYPES:
        return True
    if not media_types or media_types & ARRAY_MEDIA_TYPES:
        return False
    raise PostgrestError(
        406, "PGRST107", f"None of these media types are available: {', '.join(sorted(media_types))}"
    )


def check_profile(profile: str | None) -> None:
    """`Accept-Profile`/`Content-Profile` may only name the exposed schema (406 `PGRST106`)."""
    if profile is not None and profile.strip() != EXPOSED_SCHEMA:
        raise PostgrestError(406, "PGRST106", f"The schema must be one of the following: {EXPOSED_SCHEMA}")


def prefers_count(prefer: str) -> bool:
    """Whether `Prefer` asks for the total row count (every count method is counted exactly)."""
    return any(part.strip().lower() in _COUNT_PREFERENCES for part in prefer.split(","))


@dataclass(frozen=True)
class RangeOutcome:
    status: int
    content_range: str


def range_outcome(offset: int, page_rows: int, total_rows: int | None) -> RangeOutcome:
    """PostgREST's `Content-Range` (`0-9/*`, `*/*`, `0-9/42`) and 200, 206 or 416 (`PGRST103`)."""
    upper = offset + page_rows - 1
    shown = f"{offset}-{upper}" if total_rows != 0 and offset <= upper else "*"
    content_range = f"{shown}/{'*' if total_rows is None else total_rows}"
    if total_rows is None:
        return RangeOutcome(200, content_range)
    if offset > total_rows:
        raise PostgrestError(
            416,
            "PGRST103",
            "Requested range not satisfiable",
            details=f"An offset of {offset} was requested, but there are only {total_rows} rows.",
            headers={"Content-Range": content_range},
        )
    return RangeOutcome(206 if page_rows < total_rows else 200, content_range)
