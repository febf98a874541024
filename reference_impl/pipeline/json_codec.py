"""JSON on the attempt's hot path: orjson, with the standard library behind it.

A plan crosses JSON five times per attempt (two DeepSeek answers, each an envelope and its
content, the draft in the Stage 2 prompt, the request bodies, the saved plan); with the
standard library that was a fifth of the service's CPU per job (docs/performance.md).

Reading: orjson first; what it refuses (NaN, Infinity, a lone surrogate, numbers out of a
double's range) is read again by `json.loads`, so such text is accepted or refused exactly
as before and a refusal keeps the standard library's message (`lineno`, `colno`). An
integer beyond 64 bits is read as a float, as `JSON.parse` reads it in a team's Edge
Function. Writing: compact, UTF-8, keys sorted where asked (`JSON.stringify` of sorted
keys writes the same); a value orjson cannot write (an integer beyond 64 bits, a lone
surrogate) is written by the standard library instead.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    """The JSON value in `data`; `json.JSONDecodeError` with the standard library's message."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    """`value` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except TypeError:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
        return text.encode("utf-8", "surrogatepass")


def dumps_text(value: Any, *, sort_keys: bool = False) -> str:
    """`value` as compact JSON text."""
    return dumps(value, sort_keys=sort_keys).decode("utf-8", "surrogatepass")
