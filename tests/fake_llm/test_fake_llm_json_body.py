"""Request bodies read fast (orjson) give exactly what the strict reader gives, refusals included."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from fake_llm import json_body
from fake_llm.json_body import JsonBodyError


def _random_value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 5 or roll < 0.3:
        return rng.choice(
            [
                rng.randint(-(10 ** rng.randint(0, 25)), 10 ** rng.randint(0, 25)),
                rng.uniform(-1e300, 1e300),
                'Käse \u2028 \\ "',
                True,
                None,
            ]
        )
    if roll < 0.65:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f"k{rng.randint(0, 5)}": _random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def test_values_and_nesting_refusals_match_the_standard_library_reading() -> None:
    rng = random.Random(20261130)
    for _ in range(2000):
        value = _random_value(rng, 0)
        raw = json.dumps(value, ensure_ascii=rng.random() < 0.5).encode()
        max_depth = rng.randint(1, 8)
        try:
            read = json_body.loads(raw, max_depth=max_depth)
        except JsonBodyError as refused:
            assert str(refused).startswith(f"nested deeper than {max_depth} levels at ")
            continue
        assert json.dumps(read) == json.dumps(value)  # ints stay ints, floats the same floats


@pytest.mark.parametrize(
    ("raw", "max_depth", "refusal"),
    [
        (b"[[[1]]]", 2, "nested deeper than 2 levels at 0.0"),
        (b'{"a": {"b": [1]}}', 2, "nested deeper than 2 levels at a.b"),
        (b'{"x": 1' + b"0" * 100 + b"}", 8, "number of 101 characters (the limit is 100)"),
        (b'{"x": NaN}', 8, "NaN is not a JSON number"),
        (b'{"x": 1e400}', 8, "number out of range: 1e400"),
        (b'{"x": "\\ud800"}', 8, "lone surrogate escape in a string at x"),
    ],
    ids=["list-depth", "object-depth", "long-number", "nan", "overflow", "lone-surrogate"],
)
def test_refusals_name_what_is_wrong(raw: bytes, max_depth: int, refusal: str) -> None:
    with pytest.raises(JsonBodyError) as refused:
        json_body.loads(raw, max_depth=max_depth)

    assert str(refused.value) == refusal


def test_an_integer_beyond_64_bits_stays_an_integer() -> None:
    assert json_body.loads(b'{"n": 123456789012345678901234567890}', max_depth=4) == {
        "n": 123456789012345678901234567890
    }
