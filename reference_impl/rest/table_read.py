"""Running a table read as PostgREST does: one statement that builds the JSON in the database.

Every name is checked against the catalog and quoted; every value is a bound parameter
cast to its column's type, so neither names nor values can change the statement.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import DictRow

from reference_impl.rest.catalog import EXPOSED_SCHEMA, Column, Table
from reference_impl.rest.errors import PostgrestError
from reference_impl.rest.query_params import COMPARISONS, Filter, ReadQuery

Connection = psycopg.AsyncConnection[DictRow]


@dataclass(frozen=True)
class ReadResult:
    """The JSON body of a read, how many rows it holds, and the total when it was counted."""

    body: str
    page_rows: int
    total_rows: int | None


def _column(table: Table, name: str) -> Column:
    column = table.column(name)
    if column is None:
        raise PostgrestError(400, "42703", f"column {table.name}.{name} does not exist")
    return column


def _condition(table: Table, item: Filter, params: list[str]) -> sql.Composable:
    column = _column(table, item.column)
    target = sql.Identifier(column.name)
    condition: sql.Composable
    if item.operator == "is":
        condition = sql.SQL("{} is {}").format(target, sql.SQL(item.values[0]))
    elif item.operator == "in":
        if not item.values:
            condition = sql.SQL("false")
        else:
            cast = sql.SQL("{}::{}").format(sql.Placeholder(), sql.SQL(column.type))
            condition = sql.SQL("{} in ({})").format(target, sql.SQL(", ").join([cast] * len(item.values)))
            params.extend(item.values)
    else:
        condition = sql.SQL("{} {} {}::{}").format(
            target, sql.SQL(COMPARISONS[item.operator]), sql.Placeholder(), sql.SQL(column.type)
        )
        params.append(item.values[0])
    return sql.SQL("not ({})").format(condition) if item.negated else condition


def _where(table: Table, query: ReadQuery, params: list[str]) -> sql.Composable:
    conditions = [_condition(table, item, params) for item in query.filters]
    return sql.SQL(" where {}").format(sql.SQL(" and ").join(conditions)) if conditions else sql.SQL("")


def _order_by(table: Table, query: ReadQuery) -> sql.Composable:
    terms = []
    for term in query.order:
        nulls = {"first": " nulls first", "last": " nulls last", None: ""}[term.nulls]
        direction = " desc" if term.descending else " asc"
        terms.append(
            sql.SQL("{}" + direction + nulls).format(sql.Identifier(_column(table, term.column).name))
        )
    return sql.SQL(" order by {}").format(sql.SQL(", ").join(terms)) if terms else sql.SQL("")


async def read_table(
    conn: Connection, table: Table, query: ReadQuery, *, single: bool, count_total: bool
) -> ReadResult:
    """Run the read; a `single` read's body is the first row's object (or `null`)."""
    for name in query.referenced_columns():
        _column(table, name)
    relation = sql.Identifier(EXPOSED_SCHEMA, table.name)
    selected = (
        sql.SQL(", ").join(sql.Identifier(name) for name in query.columns) if query.columns else sql.SQL("*")
    )
    filter_params: list[str] = []
    where = _where(table, query, filter_params)
    page = sql.SQL("select {} from {}{}{}{}{}").format(
        selected,
        relation,
        where,
        _order_by(table, query),
        sql.SQL(" limit {}").format(sql.Literal(query.limit)) if query.limit is not None else sql.SQL(""),
        sql.SQL(" offset {}").format(sql.Literal(query.offset)) if query.offset else sql.SQL(""),
    )
    body = (
        sql.SQL("coalesce((json_agg(_page) -> 0)::text, 'null')")
        if single
        else sql.SQL("coalesce(json_agg(_page), '[]')::text")
    )
    total = (
        sql.SQL("(select count(*) from {}{})").format(relation, where)
        if count_total
        else sql.SQL("null::bigint")
    )
    statement = sql.SQL(
        "select count(*) as page_rows, {} as total_rows, {} as body from ({}) as _page"
    ).format(total, body, page)
    # With a total, the filters appear twice in the statement (total, then page).
    params = filter_params * 2 if count_total else filter_params
    cursor = await conn.execute(statement, params)
    row = await cursor.fetchone()
    assert row is not None, "an aggregate always returns one row"
    return ReadResult(body=row["body"], page_rows=row["page_rows"], total_rows=row["total_rows"])
