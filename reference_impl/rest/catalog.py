"""What `/rest/v1` exposes, read from the PostgreSQL catalog: the tables and functions of `public`.

PostgREST keeps a schema cache; this stand-in reads the catalog inside each request's own
transaction instead, so it is never stale (tests may create functions on the fly) and sees
exactly what the request's snapshot sees. Type names come from `format_type`, which quotes
them, so they can be used in SQL as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import DictRow

EXPOSED_SCHEMA = "public"
_INPUT_MODES = frozenset({"i", "b", "v"})  # in, inout, variadic

Connection = psycopg.AsyncConnection[DictRow]


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class Table:
    """A table, view or materialized view of the exposed schema."""

    name: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)


@dataclass(frozen=True)
class Argument:
    name: str
    type: str


@dataclass(frozen=True)
class Function:
    """A function of the exposed schema and how PostgREST would call it."""

    name: str
    arguments: tuple[Argument, ...]  # the input arguments, in order
    required: int  # the leading arguments that have no default
    returns_set: bool
    returns_void: bool

    def accepts(self, names: frozenset[str]) -> bool:
        """Whether a call with exactly these named arguments resolves to this function."""
        declared = [argument.name for argument in self.arguments]
        return names <= set(declared) and set(declared[: self.required]) <= names

    def signature(self) -> str:
        names = ", ".join(argument.name for argument in self.arguments)
        return f"{EXPOSED_SCHEMA}.{self.name}({names})"


async def find_table(conn: Connection, name: str) -> Table | None:
    cursor = await conn.execute(
        """
        select a.attname as column_name, format_type(a.atttypid, a.atttypmod) as column_type
          from pg_catalog.pg_class c
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          left join pg_catalog.pg_attribute a
                 on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
         where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p', 'v', 'm', 'f')
         order by a.attnum
        """,
        (EXPOSED_SCHEMA, name),
    )
    rows = await cursor.fetchall()
    if not rows:
        return None
    columns = tuple(
        Column(row["column_name"], row["column_type"]) for row in rows if row["column_name"] is not None
    )
    return Table(name, columns)


async def find_functions(conn: Connection, name: str) -> list[Function]:
    """Every overload of the function `name` in the exposed schema."""
    cursor = await conn.execute(
        """
        select coalesce(p.proargnames, '{}') as arg_names,
               coalesce(p.proargmodes::text[], '{}') as arg_modes,
               array(select format_type(t.type_oid, null)
                       from unnest(p.proargtypes::oid[]) with ordinality as t(type_oid, position)
                      order by t.position) as input_types,
               p.pronargdefaults as default_count,
               p.proretset as returns_set,
               p.prorettype = 'pg_catalog.void'::pg_catalog.regtype as returns_void
          from pg_catalog.pg_proc p
          join pg_catalog.pg_namespace n on n.oid = p.pronamespace
         where n.nspname = %s and p.proname = %s and p.prokind = 'f'
         order by p.oid
        """,
        (EXPOSED_SCHEMA, name),
    )
    return [_function(name, row) for row in await cursor.fetchall()]


def _function(name: str, row: Mapping[str, Any]) -> Function:
    types: list[str] = row["input_types"]
    all_names: list[str] = row["arg_names"]
    modes: list[str] = row["arg_modes"]
    if modes:
        input_names = [arg for arg, mode in zip(all_names, modes, strict=True) if mode in _INPUT_MODES]
    else:
        input_names = all_names[: len(types)] or [""] * len(types)
    arguments = tuple(Argument(arg, arg_type) for arg, arg_type in zip(input_names, types, strict=True))
    return Function(
        name=name,
        arguments=arguments,
        required=len(arguments) - row["default_count"],
        returns_set=row["returns_set"],
        returns_void=row["returns_void"],
    )
