"""The hot path's JSON (orjson) reads and writes as the standard library did, where it matters."""

from __future__ import annotations

import json
import math

import pytest

from reference_impl.pipeline import json_codec


def test_text_orjson_refuses_is_read_by_the_standard_library() -> None:
    value = json_codec.loads('{"kcal": NaN, "big": 123456789012345678901234567890}')

    assert math.isnan(value["kcal"])
    assert value["big"] == 123456789012345678901234567890


def test_an_integer_beyond_64_bits_is_a_float_as_json_parse_reads_it() -> None:
    value = json_codec.loads(b'{"big": 123456789012345678901234567890}')

    assert value["big"] == 1.2345678901234568e29
    assert isinstance(value["big"], float)


def test_a_refusal_keeps_the_standard_librarys_line_and_column() -> None:
    with pytest.raises(json.JSONDecodeError) as refused:
        json_codec.loads('{\n  "days": {,}\n}')

    assert (refused.value.lineno, refused.value.colno) == (2, 12)
    assert "Expecting property name" in refused.value.msg


def test_sorted_output_is_compact_utf8_as_json_stringify_of_sorted_keys() -> None:
    written = json_codec.dumps_text({"b": [1, 2.5], "a": "Café", "c": {"z": None, "y": True}}, sort_keys=True)

    assert written == '{"a":"Café","b":[1,2.5],"c":{"y":true,"z":null}}'
    assert list(json.loads(written)) == ["a", "b", "c"]


def test_values_orjson_cannot_write_are_written_by_the_standard_library() -> None:
    big = 2**70
    value = {"big": big, "text": "lone \ud800 surrogate"}

    assert json.loads(json_codec.dumps(value).decode("utf-8", "surrogatepass")) == value
