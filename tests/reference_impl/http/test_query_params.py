"""Parsing PostgREST query strings (no database): filters, lists, order, select, paging."""

from __future__ import annotations

import pytest

from reference_impl.rest.errors import PostgrestError
from reference_impl.rest.query_params import Filter, OrderTerm, parse_read_query


def test_a_full_query_is_parsed_in_order() -> None:
    query = parse_read_query(
        [
            ("select", "id,status"),
            ("status", "not.in.(failed,cancelled)"),
            ("retry_count", "gte.1"),
            ("order", "created_at.desc.nullslast,id"),
            ("limit", "5"),
            ("offset", "10"),
        ]
    )

    assert query.columns == ("id", "status")
    assert query.filters == (
        Filter("status", "in", ("failed", "cancelled"), negated=True),
        Filter("retry_count", "gte", ("1",)),
    )
    assert query.order == (OrderTerm("created_at", descending=True, nulls="last"), OrderTerm("id"))
    assert (query.limit, query.offset) == (5, 10)
    assert query.referenced_columns() == ["id", "status", "status", "retry_count", "created_at", "id"]


@pytest.mark.parametrize(
    ("operand", "values"),
    [
        ("(a,b)", ("a", "b")),
        ("( a , b )", ("a", "b")),
        ('("a,b",c)', ("a,b", "c")),
        ('("say \\"hi\\"",x)', ('say "hi"', "x")),
        ('(" padded ")', (" padded ",)),
        ("()", ()),
    ],
)
def test_in_lists_follow_postgrests_quoting(operand: str, values: tuple[str, ...]) -> None:
    [parsed] = parse_read_query([("name", f"in.{operand}")]).filters

    assert parsed.values == values


def test_values_keep_their_dots() -> None:
    [parsed] = parse_read_query([("created_at", "gt.2025-11-30T10:00:00.5+00:00")]).filters

    assert parsed.values == ("2025-11-30T10:00:00.5+00:00",)


@pytest.mark.parametrize("value", ["NULL", "True", "false", "unknown"])
def test_is_takes_its_keywords_in_any_case(value: str) -> None:
    [parsed] = parse_read_query([("flag", f"is.{value}")]).filters

    assert parsed.values == (value.lower(),)


def test_select_star_and_an_empty_select_mean_every_column() -> None:
    assert parse_read_query([("select", "*")]).columns is None
    assert parse_read_query([("select", "")]).columns is None


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("status", "eq", "eq"),
        ("status", "regex.a", "regex.a"),
        ("status", "in.(a", "in.(a"),
        ("status", 'in.("a)', 'in.("a)'),
        ("order", "a.up", "a.up"),
        ("order", ",a", ",a"),
        ("limit", "1.5", "1.5"),
        ("offset", "²", "²"),
        ("select", "id,*", "id,*"),
        ("select", "plans(*)", "plans(*)"),
        ("select", "input->profile", "input->profile"),
        ("and", "(a.eq.1)", "and"),
    ],
)
def test_malformed_parameters_are_pgrst100_naming_the_value(name: str, value: str, named: str) -> None:
    with pytest.raises(PostgrestError) as caught:
        parse_read_query([(name, value)])

    assert (caught.value.status, caught.value.code) == (400, "PGRST100")
    assert named in caught.value.message
    assert caught.value.details
