"""The `/rest/v1` sub-application: the subset of PostgREST the app and the harness use.

`GET /` describes what the caller's role can see (PostgREST's OpenAPI 2 root document),
`GET /<table>` reads (READ ONLY, as the caller, so RLS decides what is visible) and
`POST /rpc/<function>` calls (as the caller, so grants decide who may). Tables are never
written through it: the contract routes every mutation through functions, so other
methods get 405. Every route first passes the gateway's API key check. The parent
application provides `DATABASE_KEY`, `SETTINGS_KEY` and `JWT_AUTHORITY_KEY`; every failure
is answered in PostgREST's error shape by the surface guard.

Stateless, as PostgREST is: a user's access token is good here until it expires, even
after its session was signed out (docs/decisions.md, S14).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from aiohttp import web
from psycopg_pool import PoolTimeout

from pgcaller import Caller
from reference_impl.app_keys import DATABASE_KEY, SETTINGS_KEY
from reference_impl.auth.request_auth import AuthFailure, authenticate
from reference_impl.request_input import (
    GATEWAY_MAX_BODY_BYTES,
    BodyProblem,
    BodyRefused,
    parse_json,
    printable,
    read_body,
    text_problem,
)
from reference_impl.rest.catalog import EXPOSED_SCHEMA, find_functions, find_table, read_catalog
from reference_impl.rest.errors import (
    PostgrestError,
    auth_failure_response,
    from_database_error,
    refusal_response,
)
from reference_impl.rest.headers import (
    ARRAY_CONTENT_TYPE,
    OBJECT_CONTENT_TYPE,
    check_profile,
    prefers_count,
    range_outcome,
    wants_single_object,
)
from reference_impl.rest.query_params import parse_read_query
from reference_impl.rest.root_document import postgrest_document
from reference_impl.rest.rpc import call_function, resolve_function
from reference_impl.rest.table_read import read_table
from reference_impl.surface_guard import surface_guard

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


OPENAPI_MEDIA_TYPES = frozenset({"application/openapi+json", "application/json", "application/*", "*/*"})


def create_rest_app() -> web.Application:
    """The PostgREST stand-in, to be mounted at `/rest/v1`."""
    app = web.Application(middlewares=[surface_guard("rest", refusal_response, _render_known)])
    app.router.add_get("/", describe_root)
    app.router.add_post("/rpc/{function}", call_rpc)
    app.router.add_route("*", "/rpc/{function}", _method_not_allowed("POST"))
    app.router.add_get("/{table}", read_rows)
    app.router.add_route("*", "/{table}", _method_not_allowed("GET, HEAD"))
    return app


def _render_known(error: Exception) -> web.Response | None:
    if isinstance(error, PostgrestError):
        return error.response()
    if isinstance(error, AuthFailure):
        return auth_failure_response(error)
    return None


@asynccontextmanager
async def _database_errors(caller: Caller) -> AsyncIterator[None]:
    """Turn a failed database call into PostgREST's error for the caller's role.

    An error psycopg raises itself (no SQLSTATE) that is not about the connection is a bug
    of this service, not the database's: it goes on to the surface guard as a logged 500.
    """
    try:
        yield
    except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as error:
        raise from_database_error(error, role=caller.role) from None
    except psycopg.Error as error:
        if error.sqlstate is None:
            raise
        raise from_database_error(error, role=caller.role) from None


def _checked_name(name: str, kind: str) -> str:
    """A table or function name from the path; one PostgreSQL could not hold names nothing."""
    problem = text_problem(name)
    if problem is not None:
        qualified = f"{EXPOSED_SCHEMA}.{printable(name)}"
        if kind == "table":
            raise PostgrestError(
                404,
                "PGRST205",
                f"Could not find the table '{qualified}' in the schema cache",
                details=f"the name {problem}",
            )
        raise PostgrestError(
            404,
            "PGRST202",
            f"Could not find the function {qualified} in the schema cache",
            details=f"the name {problem}",
        )
    return name


async def describe_root(request: web.Request) -> web.Response:
    """PostgREST's root: an OpenAPI 2 description of the tables and functions the caller's
    role may use, read from the catalog."""
    caller = authenticate(request)
    check_profile(request.headers.get("Accept-Profile"))
    accept = {part.split(";")[0].strip().lower() for part in request.headers.get("Accept", "").split(",")} - {
        ""
    }
    if accept and not accept & OPENAPI_MEDIA_TYPES:
        raise PostgrestError(
            406, "PGRST107", f"None of these media types are available: {', '.join(sorted(accept))}"
        )
    async with _database_errors(caller):
        database = request.config_dict[DATABASE_KEY]
        async with database.as_caller(caller, read_only=True, method="GET", path="/") as conn:
            catalog = await read_catalog(conn)
    document = postgrest_document(catalog, host=request.host, scheme=request.scheme)
    return web.Response(
        text=json.dumps(document, separators=(",", ":")),
        content_type="application/openapi+json",
        charset="utf-8",
    )


def _single_object_of(array_body: str) -> str:
    rows = json.loads(array_body)
    if len(rows) != 1:
        raise _not_one_row(len(rows))
    return json.dumps(rows[0], separators=(",", ":"))


def _not_one_row(row_count: int) -> PostgrestError:
    return PostgrestError(
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        details=f"The result contains {row_count} rows",
    )


def _json_response(
    body: str, *, single: bool, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=body,
        status=status,
        content_type=OBJECT_CONTENT_TYPE if single else ARRAY_CONTENT_TYPE,
        charset="utf-8",
        headers=headers,
    )


async def read_rows(request: web.Request) -> web.Response:
    caller = authenticate(request)
    check_profile(request.headers.get("Accept-Profile"))
    query = parse_read_query(request.query.items())
    single = wants_single_object(request.headers.get("Accept", ""))
    name = _checked_name(request.match_info["table"], "table")
    async with _database_errors(caller):
        database = request.config_dict[DATABASE_KEY]
        async with database.as_caller(caller, read_only=True, method="GET", path=f"/{name}") as conn:
            table = await find_table(conn, name)
            if table is None:
                raise PostgrestError(
                    404, "PGRST205", f"Could not find the table '{EXPOSED_SCHEMA}.{name}' in the schema cache"
                )
            result = await read_table(
                conn,
                table,
                query,
                single=single,
                count_total=prefers_count(request.headers.get("Prefer", "")),
            )
    outcome = range_outcome(query.offset, result.page_rows, result.total_rows)
    if single and result.page_rows != 1:
        raise _not_one_row(result.page_rows)
    return _json_response(
        result.body, single=single, status=outcome.status, headers={"Content-Range": outcome.content_range}
    )


async def _rpc_arguments(request: web.Request) -> dict[str, Any]:
    timeout_s = request.config_dict[SETTINGS_KEY].body_read_timeout.total_seconds()
    raw = await read_body(request, limit=GATEWAY_MAX_BODY_BYTES, timeout_s=timeout_s)
    if not raw.strip():
        return {}
    arguments = parse_json(raw)
    if not isinstance(arguments, dict):
        raise BodyRefused(BodyProblem.INVALID, "must be a JSON object of the function's named arguments")
    return arguments


async def call_rpc(request: web.Request) -> web.Response:
    caller = authenticate(request)
    check_profile(request.headers.get("Content-Profile"))
    single = wants_single_object(request.headers.get("Accept", ""))
    name = _checked_name(request.match_info["function"], "function")
    arguments = await _rpc_arguments(request)
    async with _database_errors(caller):
        database = request.config_dict[DATABASE_KEY]
        async with database.as_caller(caller, method="POST", path=f"/rpc/{name}") as conn:
            function = resolve_function(name, await find_functions(conn, name), frozenset(arguments))
            result = await call_function(conn, function, arguments)
    if result.body is None:
        return web.Response(status=204)
    if result.row_count is None:
        return _json_response(result.body, single=single)
    if single:
        return _json_response(_single_object_of(result.body), single=True)
    outcome = range_outcome(0, result.row_count, None)
    return _json_response(result.body, single=False, headers={"Content-Range": outcome.content_range})


def _method_not_allowed(allowed: str) -> Handler:
    async def refuse(request: web.Request) -> web.StreamResponse:
        authenticate(request)
        raise PostgrestError(
            405,
            "PGRST117",
            f"Unsupported HTTP method: {request.method}",
            details=f"{request.path} accepts {allowed}; the reference service writes only through functions",
            headers={"Allow": allowed},
        )

    return refuse
