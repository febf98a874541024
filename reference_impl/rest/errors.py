"""PostgREST's error body `{code, message, details, hint}` and its HTTP status mapping.

Database errors keep their SQLSTATE as `code` and map to a status the way PostgREST's
`Error.hs` does (`PTxyz` -> xyz, `42501` -> 401 for the anon role and 403 otherwise, ...).
PostgREST's own refusals carry `PGRSTxyz` codes. Authentication refusals keep the
gateway's `{"message": ...}` for API keys and PostgREST's `PGRST301` for bad JWTs.
"""

from __future__ import annotations

from collections.abc import Mapping

import psycopg
from aiohttp import web
from psycopg_pool import PoolTimeout

from reference_impl.auth.request_auth import KONG_MESSAGES, AuthFailure
from reference_impl.surface_guard import Refusal, RefusalKind

# SQLSTATE prefixes and codes PostgREST maps to a status other than 400, most specific first.
_STATUS_BY_SQLSTATE: tuple[tuple[str, int], ...] = (
    ("23503", 409),  # foreign_key_violation
    ("23505", 409),  # unique_violation
    ("25006", 405),  # read_only_sql_transaction
    ("42883", 404),  # undefined_function
    ("42P01", 404),  # undefined_table
    ("42P17", 500),  # invalid_object_definition (e.g. infinite recursion in a policy)
    ("P0001", 400),  # raise_exception
    ("08", 503),  # connection exception
    ("09", 500),  # triggered action exception
    ("0L", 403),  # invalid grantor
    ("0P", 403),  # invalid role specification
    ("25", 500),  # invalid transaction state
    ("28", 403),  # invalid authorization specification
    ("2D", 500),  # invalid transaction termination
    ("38", 500),  # external routine exception
    ("39", 500),  # external routine invocation exception
    ("3B", 500),  # savepoint exception
    ("40", 500),  # transaction rollback
    ("53", 503),  # insufficient resources
    ("54", 500),  # program limit exceeded
    ("55", 500),  # object not in prerequisite state
    ("57", 500),  # operator intervention (statement timeout, ...)
    ("58", 500),  # system error
    ("F0", 500),  # configuration file error
    ("HV", 500),  # foreign data wrapper error
    ("P0", 500),  # PL/pgSQL error
    ("XX", 500),  # internal error
)

JSON_CONTENT_TYPE = "application/json"


class PostgrestError(Exception):
    """A refusal in PostgREST's shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: str | None = None,
        hint: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.hint = hint
        self.headers = dict(headers or {})

    def response(self) -> web.Response:
        body = {"code": self.code, "details": self.details, "hint": self.hint, "message": self.message}
        return web.json_response(body, status=self.status, headers=self.headers)


def status_for_sqlstate(sqlstate: str, *, anonymous: bool) -> int:
    """The HTTP status PostgREST answers a database error with."""
    if sqlstate == "42501":
        return 401 if anonymous else 403
    if sqlstate.startswith("PT"):
        digits = sqlstate[2:]
        return int(digits) if digits.isdigit() and 100 <= int(digits) <= 599 else 500
    for prefix, status in _STATUS_BY_SQLSTATE:
        if sqlstate.startswith(prefix):
            return status
    return 400


def from_database_error(error: psycopg.Error | PoolTimeout, *, role: str) -> PostgrestError:
    """The PostgREST error for a failed database call made as `role`."""
    if isinstance(error, PoolTimeout):
        return PostgrestError(504, "PGRST003", "Timed out acquiring connection from connection pool.")
    sqlstate = error.sqlstate
    if sqlstate is None:
        return PostgrestError(503, "PGRST001", "Database client error. Retrying the connection.")
    status = status_for_sqlstate(sqlstate, anonymous=role == "anon")
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return PostgrestError(
        status,
        sqlstate,
        error.diag.message_primary or str(error),
        details=error.diag.message_detail,
        hint=error.diag.message_hint,
        headers=headers,
    )


def refusal_response(refusal: Refusal) -> web.Response:
    """A refusal of the surface guard in PostgREST's shape. Every body problem is `PGRST102`
    (PostgREST's invalid-body code) with the status that fits: 400, 413 or 408."""
    headers = dict(refusal.headers)
    if refusal.kind in (RefusalKind.BODY_INVALID, RefusalKind.BODY_TOO_LARGE, RefusalKind.BODY_TIMEOUT):
        message = "Empty or invalid json" if refusal.kind is RefusalKind.BODY_INVALID else refusal.message
        error = PostgrestError(refusal.status, "PGRST102", message, details=refusal.message, headers=headers)
    elif refusal.kind is RefusalKind.NOT_FOUND:
        error = PostgrestError(
            404, "PGRST125", "Invalid path specified in request URL", details=refusal.message
        )
    elif refusal.kind is RefusalKind.METHOD_NOT_ALLOWED:
        error = PostgrestError(
            405, "PGRST117", "Unsupported HTTP method", details=refusal.message, headers=headers
        )
    elif refusal.kind is RefusalKind.HTTP_ERROR and refusal.status < 500:
        error = PostgrestError(refusal.status, "PGRST100", refusal.message, headers=headers)
    else:
        error = PostgrestError(refusal.status, "PGRSTX00", "Internal server error", details=refusal.message)
    return error.response()


def auth_failure_response(failure: AuthFailure) -> web.Response:
    """The gateway's 401 for a bad API key, PostgREST's `PGRST301` for a bad JWT."""
    if failure.reason in KONG_MESSAGES:
        return web.json_response({"message": failure.message}, status=401)
    challenge = f'Bearer error="invalid_token", error_description="{failure.message}"'
    return PostgrestError(
        401, "PGRST301", failure.message, headers={"WWW-Authenticate": challenge}
    ).response()
