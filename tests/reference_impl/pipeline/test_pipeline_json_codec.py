"""The hot path's JSON (orjson): strict JSON as `JSON.parse` reads it, the standard library's
messages for syntax errors, and nothing written back that was not read."""

from __future__ import annotations

import json

import pytest

from reference_impl.pipeline import json_codec
from reference_impl.pipeline.errors import ErrorCode, PipelineError
from reference_impl.pipeline.json_extract import extract_json_object


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ('{"kcal": NaN}', "NaN is not a JSON number", 1, 10),
        ('{\n  "days": {"qty": -Infinity}}', "-Infinity is not a JSON number", 2, 19),
        ('{"s": "NaN", "kcal": Infinity}', "Infinity is not a JSON number", 1, 22),
        ("[1, 2, 1e400]", "1e400 is beyond a double's range", 1, 8),
    ],
    ids=["nan", "minus-infinity", "after-a-string-saying-nan", "overflow"],
)
def test_numbers_json_cannot_carry_are_refused_where_they_stand(
    text: str, message: str, line: int, column: int
) -> None:
    with pytest.raises(json.JSONDecodeError) as refused:
        json_codec.loads(text)

    assert (refused.value.msg, refused.value.lineno, refused.value.colno) == (message, line, column)


def test_a_syntax_error_keeps_the_standard_librarys_message() -> None:
    with pytest.raises(json.JSONDecodeError) as refused:
        json_codec.loads(b'{\n  "days": {,}\n}')

    assert (refused.value.lineno, refused.value.colno) == (2, 12)
    assert refused.value.msg == "Expecting property name enclosed in double quotes"


def test_a_lone_surrogate_escape_is_read_as_before_and_cannot_be_written() -> None:
    value = json_codec.loads('{"note": "\\ud800"}')

    assert value == {"note": "\ud800"}
    with pytest.raises(UnicodeEncodeError):
        json_codec.dumps(value)


def test_an_integer_beyond_64_bits_is_a_float_as_json_parse_reads_it() -> None:
    value = json_codec.loads(b'{"big": 123456789012345678901234567890}')

    assert value["big"] == 1.2345678901234568e29
    assert isinstance(value["big"], float)


def test_a_fenced_plan_with_nan_is_a_parse_error_not_a_plan() -> None:
    content = 'Here it is:\n```json\n{"days": {"monday": {"kcal": NaN}}}\n```'

    with pytest.raises(PipelineError) as failed:
        extract_json_object(content, "stop")

    assert failed.value.code == ErrorCode.JSON_PARSE_ERROR
    assert "NaN is not a JSON number at line 3 column 30" in failed.value.message


def test_sorted_output_is_compact_utf8_as_json_stringify_of_sorted_keys() -> None:
    written = json_codec.dumps_text({"b": [1, 2.5], "a": "Café", "c": {"z": None, "y": True}}, sort_keys=True)

    assert written == '{"a":"Café","b":[1,2.5],"c":{"y":true,"z":null}}'


def test_an_integer_orjson_cannot_write_is_written_by_the_standard_library() -> None:
    assert json.loads(json_codec.dumps({"big": 2**70})) == {"big": 2**70}
