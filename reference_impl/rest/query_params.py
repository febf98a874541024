"""Parsing a PostgREST table read's query string: `select`, filters, `order`, `limit`, `offset`.

The subset the app and the harness use: `select=*` or a list of columns; filters
`col=[not.]op.value` with `eq`, `neq`, `gt`, `gte`, `lt`, `lte`, `in.(a,"b,c")` and
`is.null|true|false|unknown`; `order=col[.asc|.desc][.nullsfirst|.nullslast],...`.
Names are not checked here (that needs the catalog); syntax errors are `PGRST100`, and so
are names and values PostgreSQL could not hold (NUL, lone surrogates), counts beyond a
bigint and select lists longer than `MAX_SELECT_ITEMS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from reference_impl.request_input import printable, text_problem
from reference_impl.rest.errors import PostgrestError

COMPARISONS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
OPERATORS = (*COMPARISONS, "in", "is")
IS_VALUES = ("null", "true", "false", "unknown")
RESERVED = frozenset({"select", "order", "limit", "offset"})
UNSUPPORTED = frozenset({"or", "and", "not.or", "not.and", "columns", "on_conflict"})
_SELECT_SYNTAX = frozenset("():->!")
MAX_SELECT_ITEMS = 1000  # PostgreSQL allows 1664 entries in a select list
MAX_COUNT = 2**63 - 1  # limit and offset are bigints in PostgreSQL


@dataclass(frozen=True)
class Filter:
    """One horizontal filter: `column operator values`, possibly negated."""

    column: str
    operator: str  # one of OPERATORS
    values: tuple[str, ...]  # one value, except for `in`
    negated: bool = False


@dataclass(frozen=True)
class OrderTerm:
    column: str
    descending: bool = False
    nulls: Literal["first", "last"] | None = None


@dataclass(frozen=True)
class ReadQuery:
    """A parsed table read; `columns` is None for `select=*`."""

    columns: tuple[str, ...] | None = None
    filters: tuple[Filter, ...] = ()
    order: tuple[OrderTerm, ...] = ()
    limit: int | None = None
    offset: int = 0

    def referenced_columns(self) -> list[str]:
        """Every column name the query mentions, in order, for checking against the catalog."""
        named = list(self.columns or ())
        named += [item.column for item in self.filters]
        named += [term.column for term in self.order]
        return named


def _parse_error(message: str, details: str) -> PostgrestError:
    return PostgrestError(400, "PGRST100", message, details=details)


def parse_read_query(params: Iterable[tuple[str, str]]) -> ReadQuery:
    """The read described by a query string's (name, value) pairs, in order."""
    columns: tuple[str, ...] | None = None
    filters: list[Filter] = []
    order: tuple[OrderTerm, ...] = ()
    limit: int | None = None
    offset = 0
    for name, value in params:
        _check_text(name, value)
        if name in UNSUPPORTED:
            raise _parse_error(
                f"the {name!r} parameter is not supported",
                "the reference service supports select, "
                "filters (eq, neq, gt, gte, lt, lte, in, is), order, limit and offset",
            )
        if name == "select":
            columns = parse_select(value)
        elif name == "order":
            order = parse_order(value)
        elif name == "limit":
            limit = _parse_count("limit", value)
        elif name == "offset":
            offset = _parse_count("offset", value)
        else:
            filters.append(parse_filter(name, value))
    return ReadQuery(columns=columns, filters=tuple(filters), order=order, limit=limit, offset=offset)


def _check_text(name: str, value: str) -> None:
    for part, problem in (("name", text_problem(name)), ("value", text_problem(value))):
        if problem is not None:
            raise _parse_error(
                f"failed to parse the query parameter {printable(name)}", f"the parameter's {part} {problem}"
            )


def parse_select(value: str) -> tuple[str, ...] | None:
    items = [item.strip() for item in value.split(",")]
    if not value.strip() or items == ["*"]:
        return None
    if len(items) > MAX_SELECT_ITEMS:
        raise _parse_error(
            f"failed to parse select parameter ({len(items)} items)",
            f"select may name at most {MAX_SELECT_ITEMS} columns",
        )
    for item in items:
        if not item or item == "*" or _SELECT_SYNTAX & set(item):
            raise _parse_error(
                f"failed to parse select parameter ({value})",
                "only * or a comma-separated list of column names is supported "
                "(no aliases, casts, JSON paths or embedded resources)",
            )
    return tuple(items)


def parse_filter(column: str, expression: str) -> Filter:
    negated = expression.startswith("not.")
    body = expression[4:] if negated else expression
    operator, dot, operand = body.partition(".")
    if not dot or operator not in OPERATORS:
        raise _parse_error(
            f"failed to parse filter ({expression})",
            f"the filter of column {column!r} must look like [not.]operator.value "
            f"with an operator of {', '.join(OPERATORS)}",
        )
    if operator == "is":
        if operand.lower() not in IS_VALUES:
            raise _parse_error(
                f"failed to parse filter ({expression})",
                f"is. takes one of {', '.join(IS_VALUES)}, got {operand!r}",
            )
        return Filter(column, operator, (operand.lower(),), negated)
    if operator == "in":
        return Filter(column, operator, _parse_list(expression, operand), negated)
    return Filter(column, operator, (operand,), negated)


def _parse_list(expression: str, operand: str) -> tuple[str, ...]:
    """`(a,b,"c,d","e\\"f")` -> ('a', 'b', 'c,d', 'e"f'): PostgREST's list syntax."""
    if not (operand.startswith("(") and operand.endswith(")")):
        raise _parse_error(
            f"failed to parse filter ({expression})", "in. takes a parenthesised list, e.g. in.(1,2,3)"
        )
    inner = operand[1:-1]
    if not inner.strip():
        return ()
    values: list[str] = []
    current: list[str] = []
    quoted = escaped = was_quoted = False
    for char in inner:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
            was_quoted = True
        elif char == "," and not quoted:
            values.append("".join(current) if was_quoted else "".join(current).strip())
            current, was_quoted = [], False
        else:
            current.append(char)
    if quoted:
        raise _parse_error(
            f"failed to parse filter ({expression})", "a double quote in the list is not closed"
        )
    values.append("".join(current) if was_quoted else "".join(current).strip())
    return tuple(values)


def parse_order(value: str) -> tuple[OrderTerm, ...]:
    terms: list[OrderTerm] = []
    for raw in value.split(","):
        column, *modifiers = raw.strip().split(".")
        descending = False
        nulls: Literal["first", "last"] | None = None
        if modifiers and modifiers[0] in ("asc", "desc"):
            descending = modifiers.pop(0) == "desc"
        if modifiers and modifiers[0] in ("nullsfirst", "nullslast"):
            nulls = "first" if modifiers.pop(0) == "nullsfirst" else "last"
        if not column or modifiers:
            raise _parse_error(
                f"failed to parse order ({value})",
                "each term is column[.asc|.desc][.nullsfirst|.nullslast], separated by commas",
            )
        terms.append(OrderTerm(column, descending, nulls))
    return tuple(terms)


def _parse_count(name: str, value: str) -> int:
    digits = value.strip()
    significant = digits.lstrip("0")
    if not (digits.isascii() and digits.isdigit()) or len(significant) > len(str(MAX_COUNT)):
        raise _parse_error(
            f"failed to parse {name} parameter ({printable(value)})",
            f"{name} must be a whole number from 0 to {MAX_COUNT}",
        )
    count = int(significant or "0")
    if count > MAX_COUNT:
        raise _parse_error(
            f"failed to parse {name} parameter ({printable(value)})",
            f"{name} must be a whole number from 0 to {MAX_COUNT}",
        )
    return count
