"""Model content to a JSON object: exact JSON, safe recovery, and named parse failures."""

from __future__ import annotations

import json

import pytest

from reference_impl.pipeline.errors import ErrorCode, PipelineError
from reference_impl.pipeline.json_extract import extract_json_object

PLAN_TEXT = json.dumps({"days": {"monday": {"reason": "Rest {and} recover."}}})
PLAN = json.loads(PLAN_TEXT)


def parse_failure(content: str | None, finish_reason: str | None = "stop") -> str:
    with pytest.raises(PipelineError) as failed:
        extract_json_object(content, finish_reason)
    assert failed.value.code is ErrorCode.JSON_PARSE_ERROR
    assert failed.value.retryable
    return failed.value.message


def test_plain_json_object() -> None:
    assert extract_json_object(PLAN_TEXT, "stop") == PLAN


def test_surrounding_whitespace_is_fine() -> None:
    assert extract_json_object(f"\n\n  {PLAN_TEXT}\n", "stop") == PLAN


@pytest.mark.parametrize(
    "content",
    [
        f"```json\n{PLAN_TEXT}\n```",
        f"```\n{PLAN_TEXT}\n```",
        f"Here is your plan:\n{PLAN_TEXT}\nEnjoy!",
        f"Sure! ```json\n{PLAN_TEXT}\n``` Let me know if you need changes.",
    ],
    ids=["fenced-json", "fenced-bare", "prose", "prose-and-fence"],
)
def test_one_wrapped_object_is_recovered(content: str) -> None:
    assert extract_json_object(content, "stop") == PLAN


def test_truncated_output_fails_naming_finish_reason_length() -> None:
    message = parse_failure(PLAN_TEXT[:-5], "length")

    assert "truncated" in message
    assert "finish_reason 'length'" in message


def test_length_fails_even_if_the_content_happens_to_parse() -> None:
    assert "truncated" in parse_failure(PLAN_TEXT, "length")


@pytest.mark.parametrize("content", ["", "   ", "\n\n\n", None])
def test_blank_or_null_content_fails(content: str | None) -> None:
    message = parse_failure(content)

    assert "blank" in message or "null" in message


def test_truncated_object_inside_prose_is_not_mined_for_fragments() -> None:
    # The inner {"reason": ...} objects would parse; taking one would be wrong.
    content = 'Plan: {"days": {"monday": {"reason": "a"}, "tuesday": {"reason": "b"}'

    message = parse_failure(content)

    assert "char 6" in message
    assert "not valid JSON" in message


def test_two_objects_are_ambiguous() -> None:
    message = parse_failure(f"Draft: {PLAN_TEXT}\nFinal: {PLAN_TEXT}")

    assert "2 separate JSON objects" in message


def test_no_object_at_all_names_the_parse_position() -> None:
    message = parse_failure("I cannot help with that.")

    assert "line 1 column 1 (char 0)" in message
    assert "contains no JSON object" in message


def test_invalid_json_names_line_and_column() -> None:
    message = parse_failure('{\n  "days": {,}\n}')

    assert "line 2 column 12" in message


@pytest.mark.parametrize(("content", "kind"), [("[1, 2]", "array"), ('"plan"', "string")])
def test_top_level_value_must_be_an_object(content: str, kind: str) -> None:
    assert f"JSON {kind}, not an object" in parse_failure(content)


def test_other_finish_reasons_are_reported_when_parsing_fails() -> None:
    assert "content_filter" in parse_failure('{"days": ', "content_filter")
