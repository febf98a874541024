"""Pieces shared by the OpenAPI 3.1 documents of `/functions/v1` and `/auth/v1`."""

from __future__ import annotations

from typing import Any

from reference_impl.request_input import MAX_JSON_DEPTH

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
# Strings that reach PostgreSQL may not hold NUL (lone surrogates cannot be written in JSON
# a client library produces, so the pattern does not mention them).
NO_NUL_PATTERN = "^[^\\u0000]*$"


def body_rules(max_bytes: int) -> str:
    """The body rules every JSON request of the service follows, for descriptions."""
    return (
        f"Request bodies are UTF-8 JSON of at most {max_bytes} bytes, nested at most "
        f"{MAX_JSON_DEPTH} levels, whose strings (keys included) hold neither NUL nor lone "
        "surrogates; a body that has not fully arrived within the read timeout "
        "(`BODY_READ_TIMEOUT_MS`) is answered 408. A whole number written with a fraction or "
        "an exponent (`5.0`, `5e0`) is that integer."
    )


# Any JSON value whose strings and keys hold no NUL (free-form metadata).
NO_NUL_JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": ["null", "boolean", "number"]},
        {"type": "string", "pattern": NO_NUL_PATTERN},
        {"type": "array", "items": {"$ref": "#/components/schemas/Json"}},
        {
            "type": "object",
            "propertyNames": {"pattern": NO_NUL_PATTERN},
            "additionalProperties": {"$ref": "#/components/schemas/Json"},
        },
    ]
}


def json_object(
    *, properties: dict[str, Any] | None = None, required: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    """An object whose other keys and values (free-form) hold no NUL; documents that use it
    have `NO_NUL_JSON_SCHEMA` as `components.schemas.Json`."""
    schema: dict[str, Any] = {
        "type": "object",
        "propertyNames": {"pattern": NO_NUL_PATTERN},
        "additionalProperties": ref("Json"),
        **extra,
    }
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = required
    return schema


def text(*, min_length: int = 0, max_length: int | None = None, **extra: Any) -> dict[str, Any]:
    """A string schema that refuses NUL, as the service does."""
    schema: dict[str, Any] = {"type": "string", "pattern": NO_NUL_PATTERN, **extra}
    if min_length:
        schema["minLength"] = min_length
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def response(description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": json_content(schema), **extra}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}
