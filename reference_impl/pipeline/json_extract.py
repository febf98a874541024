"""Turns the model's message content into the plan's JSON object, or says why it cannot.

Recovery is deliberately narrow: content that is one JSON object is taken as is;
otherwise (code fences, prose around it) the text is scanned for top-level JSON objects
and the object is taken only when there is exactly one and every `{` outside it is
accounted for. A `{` that does not start a complete object means the structure is
unknown (a truncated object, an object with a syntax error), and guessing could pick
an inner fragment such as a single day, so that is a `JSON_PARSE_ERROR` instead.
"""

from __future__ import annotations

import json
from typing import Any

from reference_impl.pipeline import json_codec
from reference_impl.pipeline.errors import ErrorCode, PipelineError


def extract_json_object(content: str | None, finish_reason: str | None) -> dict[str, Any]:
    """The single JSON object in `content`, or `PipelineError(JSON_PARSE_ERROR)`.

    `finish_reason == "length"` fails first: the output was cut at `max_tokens`, and a
    truncated plan is never repaired.
    """
    if finish_reason == "length":
        raise _parse_error(
            "model output truncated: finish_reason 'length' (max_tokens reached) after "
            f"{len(content or '')} characters"
        )
    if content is None:
        raise _parse_error("model content is null")
    if not content.strip():
        raise _parse_error(f"model content is blank ({len(content)} whitespace characters)")
    try:
        whole = json_codec.loads(content)
    except json.JSONDecodeError as whole_error:
        return _recover_embedded_object(content, whole_error, finish_reason)
    if not isinstance(whole, dict):
        raise _parse_error(f"content is a JSON {_json_kind(whole)}, not an object")
    return whole


def _recover_embedded_object(
    text: str, whole_error: json.JSONDecodeError, finish_reason: str | None
) -> dict[str, Any]:
    found: list[dict[str, Any]] = []
    position = text.find("{")
    while position != -1:
        try:
            value, end = json_codec.decode_at(text, position)
        except json.JSONDecodeError as inner_error:
            raise _parse_error(
                f"content is not JSON ({_describe(whole_error)}) and the object starting at "
                f"char {position} is not valid JSON either ({_describe(inner_error)})"
                f"{_finish_note(finish_reason)}"
            ) from None
        found.append(value)
        position = text.find("{", end)
    if len(found) == 1:
        return found[0]
    if not found:
        raise _parse_error(
            f"content is not JSON ({_describe(whole_error)}) and contains no JSON object"
            f"{_finish_note(finish_reason)}"
        )
    raise _parse_error(
        f"content is not JSON ({_describe(whole_error)}) and contains {len(found)} separate "
        "JSON objects; cannot tell which one is the plan"
    )


def _describe(error: json.JSONDecodeError) -> str:
    return f"{error.msg} at line {error.lineno} column {error.colno} (char {error.pos})"


def _finish_note(finish_reason: str | None) -> str:
    if finish_reason in (None, "stop"):
        return ""
    return f"; finish_reason was {finish_reason!r}"


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _parse_error(message: str) -> PipelineError:
    return PipelineError(ErrorCode.JSON_PARSE_ERROR, message)
