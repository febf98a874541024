"""Parsing request bodies: UTF-8, nesting, text PostgreSQL can hold, whole numbers."""

from __future__ import annotations

import math

import pytest

from reference_impl.request_input import (
    MAX_JSON_DEPTH,
    BodyProblem,
    BodyRefused,
    parse_json,
    parse_json_object,
    printable,
    text_problem,
)


def nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def test_nesting_up_to_the_limit_is_read_and_one_more_level_is_not() -> None:
    assert parse_json(nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(BodyRefused) as refused:
        parse_json(nested(MAX_JSON_DEPTH + 1))
    assert (refused.value.problem, refused.value.field) == (BodyProblem.INVALID, "body")


def test_nesting_beyond_the_parsers_recursion_is_refused_not_raised() -> None:
    with pytest.raises(BodyRefused, match=f"deeper than {MAX_JSON_DEPTH}"):
        parse_json(nested(100_000))


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"profile": {"equipment": ["ok", "a\\u0000b"]}}', "profile.equipment.1"),
        (b'{"p_worker_id": "\\udc00"}', "p_worker_id"),
        (b'{"a\\u0000": 1}', "a\\u0000"),
        (b'{"data": {"name": "\\ud83d\\ude00 fine", "bad": "\\ud83d"}}', "data.bad"),
    ],
)
def test_strings_postgresql_cannot_hold_are_refused_naming_the_field(raw: bytes, field: str) -> None:
    with pytest.raises(BodyRefused) as refused:
        parse_json(raw)

    assert refused.value.field == field
    assert refused.value.status == 400


def test_a_surrogate_pair_is_one_character_and_fine() -> None:
    assert parse_json(b'"\\ud83d\\ude00"') == "\U0001f600"


def test_bytes_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(BodyRefused, match="not UTF-8"):
        parse_json(b'{"a": "\xff"}')


def test_whole_numbers_written_with_a_fraction_are_integers() -> None:
    value = parse_json(b'{"a": 5.0, "b": 1e3, "c": 2.5, "d": 1e400, "e": -0.0, "f": 1e300}')

    assert value["a"] == 5 and isinstance(value["a"], int)
    assert value["b"] == 1000 and isinstance(value["b"], int)
    assert value["c"] == 2.5
    assert math.isinf(value["d"])
    assert value["e"] == 0 and isinstance(value["e"], int)
    assert isinstance(value["f"], float)  # beyond 2**53 a float is kept as it is


def test_an_object_is_required_and_empty_bodies_only_when_allowed() -> None:
    assert parse_json_object(b"  ", allow_empty=True) == {}
    with pytest.raises(BodyRefused, match="must be a JSON object"):
        parse_json_object(b"[1]")
    with pytest.raises(BodyRefused, match="not valid JSON"):
        parse_json_object(b"")


@pytest.mark.parametrize(
    ("value", "problem"),
    [("fine", None), ("a\x00", "NUL"), ("\udcff", "not valid Unicode"), ("\U0001f600", None)],
)
def test_text_problem_names_what_is_wrong(value: str, problem: str | None) -> None:
    found = text_problem(value)

    assert (found is None) if problem is None else (found is not None and problem in found)


def test_printable_escapes_and_shortens() -> None:
    assert printable("plain") == "plain"
    assert printable("a\x00b") == "a\\u0000b"
    assert printable("x" * 100, limit=10) == "xxxxxxx..."
