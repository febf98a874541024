"""JSON on the attempt's hot path: orjson, with the standard library behind it.

A plan crosses JSON five times per attempt (two DeepSeek answers, each an envelope and its
content, the draft in the Stage 2 prompt, the request bodies, the saved plan); with the
standard library that was a fifth of the service's CPU per job (docs/performance.md).

Reading is strict JSON, as `JSON.parse` reads it in a team's Edge Function: orjson first;
what it refuses is read again by `json.loads`, so a syntax error keeps the standard
library's message (`lineno`, `colno`) and a lone surrogate escape is accepted as before.
`NaN`, `Infinity` and numbers beyond a double's range are refused (`JSONDecodeError`
naming the token and its position) rather than read as floats that no JSON writer can
write back. An integer beyond 64 bits is read as a float, as `JSON.parse` reads it.

Writing: compact UTF-8, keys sorted where asked; what orjson cannot write (an integer
beyond 64 bits) is written by the standard library, and text that is not UTF-8 (a lone
surrogate) raises `UnicodeEncodeError`, as encoding the standard library's output did.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson


class _NotAJsonNumber(ValueError):
    def __init__(self, token: str, problem: str) -> None:
        super().__init__(f"{token} {problem}")
        self.token = token


def _refuse_constant(name: str) -> Any:
    raise _NotAJsonNumber(name, "is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotAJsonNumber(text, "is beyond a double's range")
    return value


_STRICT_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def loads(data: bytes | str) -> Any:
    """The JSON value in `data`; `json.JSONDecodeError` when it is not strict JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as refused:
        fast_refusal = refused
    try:
        return json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NotAJsonNumber as not_a_number:
        text = fast_refusal.doc  # orjson's text and position count characters, as json's do
        position = _token_at(text, not_a_number.token, fast_refusal.pos)
        raise json.JSONDecodeError(str(not_a_number), text, position) from None


def decode_at(text: str, start: int) -> tuple[Any, int]:
    """The strict JSON value starting at `text[start]`, and the index after it."""
    try:
        value, end = _STRICT_DECODER.raw_decode(text, start)
    except _NotAJsonNumber as not_a_number:
        try:
            orjson.loads(text[start:])
            stopped = 0
        except orjson.JSONDecodeError as refused:
            stopped = refused.pos
        position = _token_at(text, not_a_number.token, start + stopped)
        raise json.JSONDecodeError(str(not_a_number), text, position) from None
    return value, end


def _token_at(text: str, token: str, near: int) -> int:
    """Where `token` starts: orjson stops at it, or one past a leading minus sign."""
    found = text.find(token, max(0, near - 1))
    return found if found != -1 else near


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    """`value` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys).encode()


def dumps_text(value: Any, *, sort_keys: bool = False) -> str:
    """`value` as compact JSON text."""
    return dumps(value, sort_keys=sort_keys).decode()
