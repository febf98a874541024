"""JSON the fake writes in its answers: compact UTF-8 from orjson, as DeepSeek writes it.

A distinct request means a freshly rendered plan and envelope; with the standard library
that was a fifth of the fake's CPU per call (docs/performance.md). What orjson cannot
write (an integer beyond 64 bits) is written by the standard library instead.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def dumps_text(value: Any) -> str:
    """`value` as compact JSON text."""
    return dumps(value).decode()
