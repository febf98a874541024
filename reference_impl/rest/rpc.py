"""`POST /rpc/<function>`: resolving the function by name and argument names, and calling it.

Arguments are converted by PostgreSQL itself, as PostgREST does: the JSON body goes in as
one parameter and `json_to_record` turns each argument into its declared type, so
`"10 minutes"` becomes an interval and an object a jsonb. The result is shaped like
PostgREST's: a set-returning function gives an array, any other function its value as
JSON (an object for a row, `null` for none, a bare scalar), and a void one no body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import DictRow

from reference_impl.rest.catalog import EXPOSED_SCHEMA, Function
from reference_impl.rest.errors import PostgrestError

Connection = psycopg.AsyncConnection[DictRow]


@dataclass(frozen=True)
class RpcResult:
    """The JSON body (None for a void function) and, for a set, how many rows it holds."""

    body: str | None
    row_count: int | None = None


def resolve_function(name: str, overloads: list[Function], argument_names: frozenset[str]) -> Function:
    """The one overload a call with these named arguments means, or PostgREST's refusal."""
    matching = [function for function in overloads if function.accepts(argument_names)]
    if len(matching) == 1:
        return matching[0]
    if matching:
        raise PostgrestError(
            300,
            "PGRST203",
            "Could not choose the best candidate function between: "
            + ", ".join(function.signature() for function in matching),
            hint="Try renaming the parameters or the function itself in the database "
            "so function overloading can be resolved",
        )
    qualified = f"{EXPOSED_SCHEMA}.{name}"
    keys = ", ".join(sorted(argument_names))
    if keys:
        message = f"Could not find the function {qualified}({keys}) in the schema cache"
        details = (
            f"Searched for the function {qualified} with parameters {keys} or with a single "
            "unnamed json/jsonb parameter, but no matches were found in the schema cache."
        )
    else:
        message = f"Could not find the function {qualified} without parameters in the schema cache"
        details = (
            f"Searched for the function {qualified} without parameters, "
            "but no matches were found in the schema cache."
        )
    hint = f"Perhaps you meant to call the function {overloads[0].signature()}" if overloads else None
    raise PostgrestError(404, "PGRST202", message, details=details, hint=hint)


async def call_function(conn: Connection, function: Function, arguments: Mapping[str, Any]) -> RpcResult:
    """Call `function` with named `arguments` (already resolved to it)."""
    names = [argument.name for argument in function.arguments if argument.name in arguments]
    types = {argument.name: argument.type for argument in function.arguments}
    call = sql.SQL("{}({})").format(
        sql.Identifier(EXPOSED_SCHEMA, function.name),
        sql.SQL(", ").join(
            sql.SQL("{} => _args.{}").format(sql.Identifier(n), sql.Identifier(n)) for n in names
        ),
    )
    sources: list[sql.Composable] = []
    params: list[str] = []
    if names:
        columns = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(types[n])) for n in names
        )
        sources.append(sql.SQL("json_to_record({}::json) as _args({})").format(sql.Placeholder(), columns))
        params.append(json.dumps({n: arguments[n] for n in names}))
    if function.returns_set:
        sources.append(sql.SQL("{} as _result").format(call))
        statement = sql.SQL(
            "select count(*) as row_count, coalesce(json_agg(_result), '[]')::text as body from {}"
        ).format(sql.SQL(", ").join(sources))
    else:
        value = sql.SQL("{}") if function.returns_void else sql.SQL("to_json({})::text")
        statement = sql.SQL("select {} as body{}").format(
            value.format(call),
            sql.SQL(" from {}").format(sql.SQL(", ").join(sources)) if sources else sql.SQL(""),
        )
    cursor = await conn.execute(statement, params)
    row = await cursor.fetchone()
    assert row is not None, "a call with one argument row returns one row"
    if function.returns_void:
        return RpcResult(body=None)
    if function.returns_set:
        return RpcResult(body=row["body"], row_count=row["row_count"])
    return RpcResult(body=row["body"] if row["body"] is not None else "null")
