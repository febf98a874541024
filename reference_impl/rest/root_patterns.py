"""Regular expressions of the query values `/rest/v1` accepts for a table, by column type.

They let the root document say which filter, `select` and `order` values a read takes,
so a client (or a fuzzer) that follows the document sends values the database accepts:
`retry_count=gte.2`, not `retry_count=gte.two`. Written in the common subset of
ECMAScript and Python regular expressions.
"""

from __future__ import annotations

import re

from reference_impl.rest.catalog import DescribedTable, PgType
from reference_impl.rest.query_params import COMPARISONS, MAX_SELECT_ITEMS

_DIGITS = {"smallint": 4, "integer": 9, "bigint": 18}  # always within the type's range
_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_DATE = "(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
_TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_ZONE = "(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])"
_INTERVAL_UNITS = "microseconds|milliseconds|seconds|minutes|hours|days|weeks|months|years"
INTERVAL = f"-?[0-9]{{1,6}} ({_INTERVAL_UNITS})"
TIMESTAMP_WITH_ZONE = f"{_DATE}([T ]{_TIME}{_ZONE}?)?"
TIMESTAMP = f"{_DATE}([T ]{_TIME})?"


def value_pattern(pg_type: PgType) -> str | None:
    """An expression of literals of `pg_type` PostgreSQL reads from text, or None for any
    text without NUL (the type is text-like, or too varied to describe)."""
    name = pg_type.name
    if pg_type.enum_labels:
        return "(" + "|".join(re.escape(label) for label in pg_type.enum_labels) + ")"
    if name in _DIGITS:
        return f"-?[0-9]{{1,{_DIGITS[name]}}}"
    if name in ("numeric", "real", "double precision"):
        return "-?[0-9]{1,9}(\\.[0-9]{1,6})?"
    if name == "boolean":
        return "(true|false)"
    if name == "uuid":
        return _UUID
    if name == "timestamp with time zone":
        return TIMESTAMP_WITH_ZONE
    if name == "timestamp without time zone":
        return TIMESTAMP
    if name == "date":
        return _DATE
    if name == "interval":
        return INTERVAL
    if name in ("json", "jsonb"):
        return "(true|false|null|-?(0|[1-9][0-9]{0,8}))"
    if name.endswith("[]"):
        element = value_pattern(PgType(pg_type.element or name[:-2])) or "[a-z0-9]{1,8}"
        return f"\\{{({element}(,{element})*)?\\}}"
    return None


def filter_pattern(pg_type: PgType) -> str:
    """`[not.]op.value`, `[not.]in.(values)` or `[not.]is.<literal>` for a column of `pg_type`."""
    literal = value_pattern(pg_type)
    single = literal or "[^\\u0000]*"
    listed = literal or '[^,()"\\\\\\u0000]*'
    if pg_type.name.endswith("[]"):
        listed = f'"{single}"'  # an array literal has commas: quoted in a list
    is_literals = "null|true|false|unknown" if pg_type.name == "boolean" else "null"
    comparisons = "|".join(COMPARISONS)
    return f"^(not\\.)?(({comparisons})\\.{single}|in\\.\\(({listed}(,{listed})*)?\\)|is\\.({is_literals}))$"


def _names(table: DescribedTable) -> str:
    return "(" + "|".join(re.escape(column.name) for column in table.columns) + ")"


def select_pattern(table: DescribedTable) -> str:
    """Empty or `*` (every column), or up to `MAX_SELECT_ITEMS` of the table's column names."""
    names = _names(table)
    return f"^(\\*?|{names}(,{names}){{0,{MAX_SELECT_ITEMS - 1}}})$"


def order_pattern(table: DescribedTable) -> str:
    """Terms `column[.asc|.desc][.nullsfirst|.nullslast]` of the table's columns."""
    term = f"{_names(table)}(\\.(asc|desc))?(\\.(nullsfirst|nullslast))?"
    return f"^{term}(,{term})*$"
