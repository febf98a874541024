"""Strict JSON for request bodies and prompts: UTF-8 only, bounded size and nesting, finite numbers
of sane length, no lone surrogates. Every refusal is a `JsonBodyError` naming what is wrong, so
callers answer 400 (or 413 for `BodyTooLarge`) instead of failing with a 500.

A whole body is read by orjson when that is certainly what the strict reader reads (orjson
refuses what strict JSON refuses, and a body with a long digit run or deep nesting goes to
the strict reader); anything else, and every refusal, goes through the standard library's
decoder with the checks above, so values and messages are the strict reader's."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from aiohttp import web

MAX_NUMBER_CHARS = 100
SURROGATE = re.compile("[\ud800-\udfff]")
# 19 digits in a row may be an integer orjson reads as a float (the strict reader keeps an int)
# or part of a number over MAX_NUMBER_CHARS; found by mapping digits to "1" (a regex over a
# 20 KB body took 300 us, more than the strict reader itself)
DIGITS_AS_ONES = bytes(0x31 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
LONG_DIGIT_RUN = b"1" * 19


class JsonBodyError(ValueError):
    """Text that is not strict JSON; the message says why (and where, when known)."""


class BodyTooLarge(Exception):
    """A request body over the limit of its route."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body over the limit of {limit} bytes")
        self.limit = limit


def _refuse_constant(name: str) -> Any:
    raise JsonBodyError(f"{name} is not a JSON number")


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonBodyError(f"number of {len(text)} characters (the limit is {MAX_NUMBER_CHARS})")
    return int(text)


def _finite_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonBodyError(f"number of {len(text)} characters (the limit is {MAX_NUMBER_CHARS})")
    value = float(text)
    if not math.isfinite(value):
        raise JsonBodyError(f"number out of range: {text}")
    return value


_DECODER = json.JSONDecoder(
    parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_refuse_constant
)


def _path(parts: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in parts) or "(body)"


def strings_in(value: Any, *, max_depth: int) -> Iterator[tuple[str, str]]:
    """`(field path, text)` for every key and string in a decoded value, without recursion;
    `JsonBodyError` when containers nest deeper than `max_depth`."""
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while pending:
        current, parts = pending.pop()
        if isinstance(current, str):
            yield _path(parts), current
            continue
        if not isinstance(current, dict | list):
            continue
        if len(parts) >= max_depth:
            raise JsonBodyError(f"nested deeper than {max_depth} levels at {_path(parts)}")
        if isinstance(current, dict):
            for key, member in current.items():
                yield _path((*parts, key)), key
                pending.append((member, (*parts, key)))
        else:
            pending.extend((member, (*parts, index)) for index, member in enumerate(current))


def _check_decoded(value: Any, max_depth: int) -> Any:
    for path, text in strings_in(value, max_depth=max_depth):
        if SURROGATE.search(text):
            raise JsonBodyError(f"lone surrogate escape in a string at {path}")
    return value


@contextmanager
def _strict_decoding(max_depth: int) -> Iterator[None]:
    try:
        yield
    except json.JSONDecodeError as error:
        raise JsonBodyError(f"{error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise JsonBodyError(f"nested deeper than {max_depth} levels") from None


def decode_at(text: str, start: int, *, max_depth: int) -> tuple[Any, int]:
    """The JSON value starting at `text[start]` and the index after it (as strict as `loads`)."""
    with _strict_decoding(max_depth):
        value, end = _DECODER.raw_decode(text, start)
    return _check_decoded(value, max_depth), end


def loads(raw: bytes, *, max_depth: int) -> Any:
    """Decode a whole body: UTF-8 (no other encoding is guessed), then one strict JSON value."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise JsonBodyError(f"not UTF-8 (byte {error.start})") from None
    fast = _read_fast(raw, text, max_depth)
    if fast is not None:
        return fast[0]
    with _strict_decoding(max_depth):
        value = _DECODER.decode(text)
    return _check_decoded(value, max_depth)


def _read_fast(raw: bytes, text: str, max_depth: int) -> tuple[Any] | None:
    """orjson's reading of `text` (`raw` decoded), when the strict reader would read the same;
    else None."""
    if LONG_DIGIT_RUN in raw.translate(DIGITS_AS_ONES):
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return (value,) if _nested_within(value, max_depth) else None


def _nested_within(value: Any, max_depth: int) -> bool:
    """Whether no container sits `max_depth` levels down (what `strings_in` refuses)."""
    level: list[Any] = [value] if isinstance(value, dict | list) else []
    for _depth in range(max_depth):
        if not level:
            return True
        level = [
            member
            for container in level
            for member in (container.values() if isinstance(container, dict) else container)
            if isinstance(member, dict | list)
        ]
    return not level


def first_string_with(value: Any, character: str, *, max_depth: int) -> str | None:
    """The field path of the first key or string containing `character`, if any."""
    return next(
        (path for path, text in strings_in(value, max_depth=max_depth) if character in text), None
    )


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The request body, refused with `BodyTooLarge` past `limit` bytes (declared or streamed)."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)
