"""PostgREST's mapping of SQLSTATEs to HTTP statuses (reference: PostgREST `Error.hs`)."""

from __future__ import annotations

import pytest

from reference_impl.rest import status_for_sqlstate

# (SQLSTATE, status for an authenticated caller, status for the anon role)
MAPPING = [
    ("P0001", 400, 400),
    ("PT404", 404, 404),
    ("PT409", 409, 409),
    ("PT400", 400, 400),
    ("42501", 403, 401),
    ("23505", 409, 409),
    ("23503", 409, 409),
    ("42883", 404, 404),
    ("42P01", 404, 404),
    ("57014", 500, 500),
    ("53300", 503, 503),
    ("08006", 503, 503),
    ("25006", 405, 405),
    ("P0002", 500, 500),
    ("XX000", 500, 500),
    ("22P02", 400, 400),
    ("23514", 400, 400),
    ("42703", 400, 400),
    ("PTxyz", 500, 500),
]


@pytest.mark.parametrize(("sqlstate", "as_user", "as_anon"), MAPPING, ids=[row[0] for row in MAPPING])
def test_statuses_follow_postgrest(sqlstate: str, as_user: int, as_anon: int) -> None:
    assert status_for_sqlstate(sqlstate, anonymous=False) == as_user
    assert status_for_sqlstate(sqlstate, anonymous=True) == as_anon
