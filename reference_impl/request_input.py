"""What every surface checks in a request before any of it reaches PostgreSQL.

Bodies are read with a size limit and a time limit, must be UTF-8 JSON nested at most
`MAX_JSON_DEPTH` levels, and every string in them (keys included) must be text
PostgreSQL can store: no NUL character and no lone UTF-16 surrogate (which is what a
`\\ud800` escape or bytes that are not UTF-8 become in Python). A refusal is a
`BodyRefused` naming the field; each surface renders it in its own error shape.

A number written with a fraction or an exponent that is a whole number (`30.0`, `1e3`) is
read as that whole number, as JSON Schema counts it an integer: `{"maxJobs": 5.0}` is
`{"maxJobs": 5}` (docs/decisions.md, S15).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiohttp import web

MAX_JSON_DEPTH = 64
# Bodies of /rest/v1 and /auth/v1 (the functions have their own, smaller setting).
GATEWAY_MAX_BODY_BYTES = 1024 * 1024
_CHUNK_BYTES = 16 * 1024


class BodyProblem(StrEnum):
    """Why a body was refused; decides the status."""

    TOO_LARGE = "too_large"  # 413
    TIMEOUT = "timeout"  # 408
    INVALID = "invalid"  # 400: not UTF-8, not JSON, too deep, not an object, bad text


BODY_STATUS = {BodyProblem.TOO_LARGE: 413, BodyProblem.TIMEOUT: 408, BodyProblem.INVALID: 400}


class BodyRefused(Exception):
    """The request body cannot be used. `field` is the dotted path of the bad value
    (`profile.equipment.0`), or `body` for the body as a whole; `reason` says what is wrong
    with it (`must be a JSON object`) and `message` says it in a sentence."""

    def __init__(self, problem: BodyProblem, reason: str, *, field: str = "body", subject: str = "") -> None:
        self.message = (
            f"{subject or ('request body' if field == 'body' else f'the value at {field}')} {reason}"
        )
        super().__init__(self.message)
        self.problem = problem
        self.reason = reason
        self.field = field

    @property
    def status(self) -> int:
        return BODY_STATUS[self.problem]


def text_problem(value: str) -> str | None:
    """What makes `value` unusable as PostgreSQL text, or None when it is fine."""
    if "\x00" in value:
        return "contains the NUL character (\\u0000), which PostgreSQL text cannot hold"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (a lone surrogate, or bytes that are not UTF-8)"
    return None


def printable(value: str, limit: int = 60) -> str:
    """`value` made safe to echo in a message: escapes for anything unprintable, shortened."""
    shown = value if value.isprintable() and text_problem(value) is None else json.dumps(value)[1:-1]
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


async def read_body(request: web.Request, *, limit: int, timeout_s: float) -> bytes:
    """The whole body, or `BodyRefused` when it exceeds `limit` bytes or has not fully
    arrived `timeout_s` seconds after reading began."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyRefused(
            BodyProblem.TOO_LARGE,
            f"is {request.content_length} bytes; the limit is {limit} bytes",
        )
    raw = bytearray()
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.content.iter_chunked(_CHUNK_BYTES):
                raw += chunk
                if len(raw) > limit:
                    raise BodyRefused(
                        BodyProblem.TOO_LARGE,
                        f"is more than {limit} bytes; the limit is {limit} bytes",
                    )
    except TimeoutError:
        raise BodyRefused(
            BodyProblem.TIMEOUT,
            f"did not arrive within {timeout_s:g} s ({len(raw)} bytes received)",
        ) from None
    return bytes(raw)


def parse_json(raw: bytes) -> Any:
    """The JSON value of `raw`, checked for depth and text (see the module docstring)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BodyRefused(
            BodyProblem.INVALID, f"is not UTF-8 (byte {error.start} cannot be decoded)"
        ) from None
    try:
        value = json.loads(text, parse_float=_number)
    except RecursionError:
        raise BodyRefused(BodyProblem.INVALID, _too_deep()) from None
    except json.JSONDecodeError as error:
        raise BodyRefused(BodyProblem.INVALID, f"is not valid JSON: {error}") from None
    check_json_value(value)
    return value


_EXACT_INTEGER_LIMIT = 2**53  # beyond it a float no longer holds every whole number


def _number(literal: str) -> int | float:
    """A JSON number with a fraction or exponent: a whole one (within float precision) as int."""
    value = float(literal)
    if value.is_integer() and abs(value) <= _EXACT_INTEGER_LIMIT:
        return int(value)
    return value


def parse_json_object(raw: bytes, *, allow_empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object (`{}` for an empty or blank body when `allow_empty`)."""
    if allow_empty and not raw.strip():
        return {}
    value = parse_json(raw)
    if not isinstance(value, dict):
        raise BodyRefused(BodyProblem.INVALID, "must be a JSON object")
    return value


def check_json_value(value: Any) -> None:
    """Refuse nesting deeper than `MAX_JSON_DEPTH` and strings PostgreSQL cannot hold."""
    pending: list[tuple[Any, tuple[str, ...], int]] = [(value, (), 1)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise BodyRefused(BodyProblem.INVALID, _too_deep())
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_text(key, (*path, key), what="key")
                    pending.append((child, (*path, key), depth + 1))
            else:
                pending.extend((child, (*path, str(index)), depth + 1) for index, child in enumerate(item))


def _check_text(value: str, path: tuple[str, ...], *, what: str = "value") -> None:
    problem = text_problem(value)
    if problem is not None:
        field = _field(path)
        raise BodyRefused(BodyProblem.INVALID, problem, field=field, subject=f"the {what} at {field}")


def _field(path: tuple[str, ...]) -> str:
    return ".".join(printable(part) for part in path) if path else "body"


def _too_deep() -> str:
    return f"nests arrays and objects deeper than {MAX_JSON_DEPTH} levels"


@dataclass(frozen=True)
class BodyLimits:
    """The size and time limits of one surface's bodies."""

    max_bytes: int
    timeout_s: float


async def read_json_object(
    request: web.Request, limits: BodyLimits, *, allow_empty: bool = False
) -> dict[str, Any]:
    """Read and parse the body as a JSON object, with every check of this module."""
    raw = await read_body(request, limit=limits.max_bytes, timeout_s=limits.timeout_s)
    return parse_json_object(raw, allow_empty=allow_empty)
