"""The root of `/rest/v1`: an OpenAPI 2 (Swagger) document of what the caller's role can
use, generated from the catalog as PostgREST does.

Tables and views the role may SELECT (with the columns it may read) get a `GET` path with
PostgREST's parameters (column filters, `select`, `order`, `limit`, `offset`, `Prefer`),
each with the pattern of the values the stand-in accepts for that column
(`reference_impl.rest.root_patterns`); functions it may EXECUTE get a
`POST /rpc/<name>` path whose body names the arguments. Only what the reference service
serves is described: no writes to tables, no embedding. Types follow PostgREST (`format` is
the PostgreSQL type name); a nullable value is marked with `x-nullable`, the Swagger 2
extension tools read.
"""

from __future__ import annotations

from typing import Any

from reference_impl.openapi.common import API_VERSION, NO_NUL_PATTERN
from reference_impl.request_input import GATEWAY_MAX_BODY_BYTES, MAX_JSON_DEPTH
from reference_impl.rest.catalog import Catalog, DescribedFunction, DescribedTable, PgType
from reference_impl.rest.query_params import MAX_COUNT, MAX_SELECT_ITEMS, RESERVED, UNSUPPORTED
from reference_impl.rest.root_patterns import (
    INTERVAL,
    TIMESTAMP,
    TIMESTAMP_WITH_ZONE,
    filter_pattern,
    order_pattern,
    select_pattern,
)

_INTEGER_BOUNDS = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
_NUMBER_TYPES = frozenset({"numeric", "real", "double precision"})
_TEXT_TYPES = frozenset({"text", "character varying", "character", "name", "citext"})
_ANY_JSON_TYPES = frozenset({"json", "jsonb"})
_NOT_FILTERABLE = RESERVED | UNSUPPORTED  # a column with such a name cannot be filtered on


def _pointer(name: str) -> str:
    """`name` as one step of a JSON pointer (`$ref`)."""
    return name.replace("~", "~0").replace("/", "~1")


def type_schema(pg_type: PgType, *, as_input: bool = False) -> dict[str, Any]:
    """The Swagger schema of a value of `pg_type` as PostgREST renders it in JSON, or, with
    `as_input`, as the stand-in takes it in a function's arguments: time values in the forms
    PostgreSQL reads (its own output has more: fractions of seconds, `00:10:00`)."""
    name = pg_type.name
    if pg_type.enum_labels:
        return {"type": "string", "format": name, "enum": list(pg_type.enum_labels)}
    if name.endswith("[]"):
        element = PgType(pg_type.element or name[:-2])
        return {"type": "array", "format": name, "items": type_schema(element, as_input=as_input)}
    if name in _INTEGER_BOUNDS:
        low, high = _INTEGER_BOUNDS[name]
        return {"type": "integer", "format": name, "minimum": low, "maximum": high}
    if name in _NUMBER_TYPES:
        return {"type": "number", "format": name}
    if name == "boolean":
        return {"type": "boolean", "format": name}
    if name == "uuid":
        return {"type": "string", "format": "uuid"}
    if name in _TEXT_TYPES:
        return {"type": "string", "format": name, "pattern": NO_NUL_PATTERN}
    if name in _ANY_JSON_TYPES:
        return {"format": name}
    input_patterns = {
        "interval": INTERVAL,
        "timestamp with time zone": TIMESTAMP_WITH_ZONE,
        "timestamp without time zone": TIMESTAMP,
    }
    if as_input and name in input_patterns:
        return {"type": "string", "format": name, "pattern": f"^{input_patterns[name]}$"}
    if name.startswith(("date", "time", "interval")):
        return {"type": "string", "format": name}
    if pg_type.row_of is not None or name == "record":
        return {"type": "object", "format": name}
    return {"format": name}  # any JSON: the type's own rendering (inet, bytea, ranges, ...)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "x-nullable": True}


def _column_description(table: DescribedTable, column_index: int) -> str | None:
    column = table.columns[column_index]
    notes = []
    if column.primary_key:
        notes.append("This is a Primary Key.<pk/>")
    if column.references is not None:
        target_table, target_column = column.references
        notes.append(
            f"This is a Foreign Key to `{target_table}.{target_column}`."
            f"<fk table='{target_table}' column='{target_column}'/>"
        )
    parts = [column.description] if column.description else []
    if notes:
        parts.append("Note:\n" + "\n".join(notes))
    return "\n\n".join(parts) or None


def _definition(table: DescribedTable) -> dict[str, Any]:
    properties = {}
    for index, column in enumerate(table.columns):
        schema = type_schema(column.type)
        description = _column_description(table, index)
        if description:
            schema["description"] = description
        properties[column.name] = _nullable(schema) if column.nullable else schema
    definition: dict[str, Any] = {"type": "object", "properties": properties}
    if table.description:
        definition["description"] = table.description
    return definition


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"$ref": "#/definitions/Error"}}


_COMMON_ERRORS = {
    "401": _error_response(
        "no or a wrong apikey (`{message}` of the gateway), a bad JWT (PGRST301), or the anonymous role "
        "lacks a privilege (42501)"
    ),
    "403": _error_response("the role lacks a privilege (42501)"),
    "406": _error_response("Accept or the schema profile asks for something not served (PGRST106, PGRST107)"),
    "500": _error_response("a database error PostgREST maps to 500 (statement timeout, ...) or PGRSTX00"),
    "503": _error_response("the database cannot be reached (PGRST001, 08*, 53*)"),
    "504": _error_response("no database connection became free in time (PGRST003)"),
}
_BODY_ERRORS = {
    "408": _error_response("the body did not arrive within the read timeout (PGRST102)"),
    "413": _error_response(f"the body is larger than {GATEWAY_MAX_BODY_BYTES} bytes (PGRST102)"),
}


def _table_path(table: DescribedTable) -> dict[str, Any]:
    filters = [
        {"$ref": f"#/parameters/{_pointer(f'rowFilter.{table.name}.{column.name}')}"}
        for column in table.columns
        if column.name not in _NOT_FILTERABLE
    ]
    rows = {"type": "array", "items": {"$ref": f"#/definitions/{_pointer(table.name)}"}}
    content_range = {
        "Content-Range": {"type": "string", "description": "first-last/total, e.g. 0-9/42 or 0-9/*"}
    }
    return {
        "get": {
            "tags": [table.name],
            "summary": table.description or f"Rows of {table.name} the caller may see (RLS applies)",
            "produces": ["application/json"],
            "parameters": [
                *filters,
                {"$ref": f"#/parameters/{_pointer(f'select.{table.name}')}"},
                {"$ref": f"#/parameters/{_pointer(f'order.{table.name}')}"},
                {"$ref": "#/parameters/limit"},
                {"$ref": "#/parameters/offset"},
                {"$ref": "#/parameters/preferCount"},
                {"$ref": "#/parameters/acceptProfile"},
            ],
            "responses": {
                "200": {"description": "OK", "schema": rows, "headers": content_range},
                "206": {
                    "description": "Partial Content (a counted page)",
                    "schema": rows,
                    "headers": content_range,
                },
                "400": _error_response(
                    "a query parameter cannot be parsed (PGRST100), names an unknown column (42703), or a "
                    "value does not fit its column's type (22P02, ...)"
                ),
                **_COMMON_ERRORS,
                "416": _error_response("the offset is past the counted rows (PGRST103)"),
            },
        }
    }


def _result_schema(function: DescribedFunction, definitions: dict[str, Any]) -> dict[str, Any]:
    returns = function.returns
    item: dict[str, Any]
    if returns.row_of is not None and returns.row_of in definitions:
        item = {"$ref": f"#/definitions/{_pointer(returns.row_of)}"}
    else:
        item = type_schema(returns)
    if function.returns_set:
        return {"type": "array", "items": item}
    if "$ref" in item:
        return {"type": "object", "allOf": [item], "x-nullable": True}
    return _nullable(item)


def _rpc_path(function: DescribedFunction, definitions: dict[str, Any]) -> dict[str, Any]:
    names = [name for name, _ in function.arguments]
    arguments: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: type_schema(pg_type, as_input=True) for name, pg_type in function.arguments},
    }
    if function.required:
        arguments["required"] = names[: function.required]
    success: dict[str, Any]
    if function.returns_void:
        success = {"204": {"description": "No Content (the function returns void)"}}
    else:
        success = {"200": {"description": "OK", "schema": _result_schema(function, definitions)}}
    return {
        "post": {
            "tags": ["(rpc) " + function.name],
            "summary": function.description or f"Call {function.name}",
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "parameters": [
                {"name": "args", "in": "body", "required": function.required > 0, "schema": arguments},
                {"$ref": "#/parameters/contentProfile"},
            ],
            "responses": {
                **success,
                "300": _error_response("more than one overload takes these argument names (PGRST203)"),
                "400": _error_response(
                    "the body is not a JSON object of arguments (PGRST102), an argument does not fit its "
                    "type (22P02, ...), or the function raised P0001 or PT400"
                ),
                **_COMMON_ERRORS,
                "404": _error_response(
                    "no overload takes these argument names (PGRST202), or the function raised PT404"
                ),
                "409": _error_response("a unique or foreign key violation (23505, 23503), or PT409"),
                **_BODY_ERRORS,
                "default": _error_response("the status a function chose by raising SQLSTATE PTxyz (xyz)"),
            },
        }
    }


def _shared_parameters(catalog: Catalog) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_COUNT,
        },
        "offset": {
            "name": "offset",
            "in": "query",
            "required": False,
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_COUNT,
        },
        "preferCount": {
            "name": "Prefer",
            "in": "header",
            "required": False,
            "type": "string",
            "description": (
                "count=exact|planned|estimated counts the rows (every method counts exactly) and "
                "Content-Range then has the total; other preferences are ignored, as PostgREST's "
                "lenient handling does"
            ),
        },
        "acceptProfile": {
            "name": "Accept-Profile",
            "in": "header",
            "required": False,
            "type": "string",
            "enum": ["public"],
        },
        "contentProfile": {
            "name": "Content-Profile",
            "in": "header",
            "required": False,
            "type": "string",
            "enum": ["public"],
        },
    }
    for table in catalog.tables:
        parameters[f"select.{table.name}"] = {
            "name": "select",
            "in": "query",
            "required": False,
            "type": "string",
            "pattern": select_pattern(table),
            "description": f"* or a comma-separated list of at most {MAX_SELECT_ITEMS} column names",
        }
        parameters[f"order.{table.name}"] = {
            "name": "order",
            "in": "query",
            "required": False,
            "type": "string",
            "pattern": order_pattern(table),
            "description": "column[.asc|.desc][.nullsfirst|.nullslast], separated by commas",
        }
        for column in table.columns:
            if column.name in _NOT_FILTERABLE:
                continue
            parameters[f"rowFilter.{table.name}.{column.name}"] = {
                "name": column.name,
                "in": "query",
                "required": False,
                "type": "string",
                "pattern": filter_pattern(column.type),
                "description": (
                    f"a filter on {column.name} ({column.type.name}): [not.]eq|neq|gt|gte|lt|lte.<value>, "
                    "[not.]in.(<values>) or [not.]is.null (is.true|false|unknown for booleans)"
                ),
            }
    return parameters


def postgrest_document(catalog: Catalog, *, host: str, scheme: str) -> dict[str, Any]:
    """The root document for the role that read `catalog`, as served at `host`."""
    definitions: dict[str, Any] = {table.name: _definition(table) for table in catalog.tables}
    paths: dict[str, Any] = {
        "/": {
            "get": {
                "tags": ["Introspection"],
                "summary": "OpenAPI description (this document)",
                "produces": ["application/openapi+json", "application/json"],
                "parameters": [{"$ref": "#/parameters/acceptProfile"}],
                "responses": {"200": {"description": "OK", "schema": {"type": "object"}}, **_COMMON_ERRORS},
            }
        }
    }
    paths.update({f"/{table.name}": _table_path(table) for table in catalog.tables})
    by_name: dict[str, DescribedFunction] = {}
    for function in catalog.functions:
        by_name.setdefault(function.name, function)  # overloads: the first one describes the path
    paths.update({f"/rpc/{name}": _rpc_path(function, definitions) for name, function in by_name.items()})
    definitions["Error"] = {
        "type": "object",
        "required": ["message"],
        "description": "PostgREST's {code, message, details, hint}; API key refusals have only message",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "details": {"type": "string", "x-nullable": True},
            "hint": {"type": "string", "x-nullable": True},
        },
    }
    return {
        "swagger": "2.0",
        "info": {
            "title": "plan-conformance reference service: PostgREST stand-in",
            "version": API_VERSION,
            "description": (
                "Table reads and function calls of the `public` schema, for the caller's role. "
                f"Function bodies are UTF-8 JSON objects of at most {GATEWAY_MAX_BODY_BYTES} bytes, "
                f"nested at most {MAX_JSON_DEPTH} levels, without NUL in any string. "
                "Other methods answer 405 (PGRST117), unknown paths 404 (PGRST125 / PGRST205)."
            ),
        },
        "host": host,
        "basePath": "/rest/v1",
        "schemes": [scheme],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "securityDefinitions": {
            "apikey": {
                "type": "apiKey",
                "in": "header",
                "name": "apikey",
                "description": "the anon or service key",
            },
            "bearer": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "Bearer <JWT>: a user's access token or a key; without it, the apikey's role",
            },
        },
        "security": [{"apikey": []}, {"apikey": [], "bearer": []}],
        "paths": paths,
        "definitions": definitions,
        "parameters": _shared_parameters(catalog),
    }
