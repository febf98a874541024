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


# -- the whole catalog a role can see, for the root description ------------------------------


@dataclass(frozen=True)
class PgType:
    """A column's, argument's or result's type: its name (`format_type`), the element type
    of an array, the labels of an enum, and the `public` table of a row type."""

    name: str
    element: str | None = None
    enum_labels: tuple[str, ...] = ()
    row_of: str | None = None


@dataclass(frozen=True)
class DescribedColumn:
    name: str
    type: PgType
    nullable: bool
    description: str | None
    primary_key: bool
    references: tuple[str, str] | None  # (table, column) of a single-column foreign key


@dataclass(frozen=True)
class DescribedTable:
    name: str
    description: str | None
    columns: tuple[DescribedColumn, ...]


@dataclass(frozen=True)
class DescribedFunction:
    name: str
    description: str | None
    arguments: tuple[tuple[str, PgType], ...]
    required: int
    returns: PgType
    returns_set: bool
    returns_void: bool


@dataclass(frozen=True)
class Catalog:
    """What the current role may read (tables, views) and call (functions) in `public`."""

    tables: tuple[DescribedTable, ...]
    functions: tuple[DescribedFunction, ...]


_TYPE_COLUMNS = """
    format_type({oid}, null) as {prefix}_name,
    (select format_type(t.typelem, null) from pg_catalog.pg_type t
      where t.oid = {oid} and t.typcategory = 'A') as {prefix}_element,
    array(select e.enumlabel from pg_catalog.pg_enum e
           where e.enumtypid = {oid} order by e.enumsortorder) as {prefix}_labels,
    (select rel.relname from pg_catalog.pg_type t
       join pg_catalog.pg_class rel on rel.oid = t.typrelid
       join pg_catalog.pg_namespace rn on rn.oid = rel.relnamespace
      where t.oid = {oid} and rn.nspname = %(schema)s) as {prefix}_row_of
"""


def _pg_type(row: Mapping[str, Any], prefix: str) -> PgType:
    return PgType(
        name=row[f"{prefix}_name"],
        element=row[f"{prefix}_element"],
        enum_labels=tuple(row[f"{prefix}_labels"]),
        row_of=row[f"{prefix}_row_of"],
    )


async def read_catalog(conn: Connection) -> Catalog:
    """The tables and functions the current role can use, with their columns and arguments."""
    column_cursor = await conn.execute(
        f"""
        select c.relname as table_name,
               obj_description(c.oid, 'pg_class') as table_description,
               a.attname as column_name,
               not a.attnotnull as nullable,
               col_description(c.oid, a.attnum) as column_description,
               exists (select from pg_catalog.pg_index i
                        where i.indrelid = c.oid and i.indisprimary and a.attnum = any(i.indkey))
                 as primary_key,
               (select array[fc.relname::text, fa.attname::text]
                  from pg_catalog.pg_constraint k
                  join pg_catalog.pg_class fc on fc.oid = k.confrelid
                  join pg_catalog.pg_attribute fa on fa.attrelid = k.confrelid and fa.attnum = k.confkey[1]
                 where k.conrelid = c.oid and k.contype = 'f' and k.conkey = array[a.attnum]
                 limit 1) as fk,
               {_TYPE_COLUMNS.format(oid="a.atttypid", prefix="type")}
          from pg_catalog.pg_class c
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
         where n.nspname = %(schema)s and c.relkind in ('r', 'p', 'v', 'm', 'f')
           and has_table_privilege(c.oid, 'SELECT')
           and has_column_privilege(c.oid, a.attnum, 'SELECT')
         order by c.relname, a.attnum
        """,
        {"schema": EXPOSED_SCHEMA},
    )
    tables: dict[str, tuple[str | None, list[DescribedColumn]]] = {}
    for row in await column_cursor.fetchall():
        _, columns = tables.setdefault(row["table_name"], (row["table_description"], []))
        fk = row["fk"]
        columns.append(
            DescribedColumn(
                name=row["column_name"],
                type=_pg_type(row, "type"),
                nullable=row["nullable"],
                description=row["column_description"],
                primary_key=row["primary_key"],
                references=(fk[0], fk[1]) if fk else None,
            )
        )
    function_cursor = await conn.execute(
        f"""
        select p.proname as name,
               obj_description(p.oid, 'pg_proc') as description,
               coalesce(p.proargnames, '{{}}') as arg_names,
               coalesce(p.proargmodes::text[], '{{}}') as arg_modes,
               array(select format_type(t.type_oid, null)
                       from unnest(p.proargtypes::oid[]) with ordinality as t(type_oid, position)
                      order by t.position) as input_types,
               p.pronargdefaults as default_count,
               p.proretset as returns_set,
               p.prorettype = 'pg_catalog.void'::pg_catalog.regtype as returns_void,
               {_TYPE_COLUMNS.format(oid="p.prorettype", prefix="result")}
          from pg_catalog.pg_proc p
          join pg_catalog.pg_namespace n on n.oid = p.pronamespace
         where n.nspname = %(schema)s and p.prokind = 'f'
           and p.prorettype not in ('pg_catalog.trigger'::pg_catalog.regtype,
                                    'pg_catalog.event_trigger'::pg_catalog.regtype)
           and has_function_privilege(p.oid, 'EXECUTE')
         order by p.proname, p.oid
        """,
        {"schema": EXPOSED_SCHEMA},
    )
    functions = []
    for row in await function_cursor.fetchall():
        callable_as = _function(row["name"], row)
        if any(not argument.name for argument in callable_as.arguments):
            continue  # only callable with named arguments here
        functions.append(
            DescribedFunction(
                name=callable_as.name,
                description=row["description"],
                arguments=tuple((argument.name, PgType(argument.type)) for argument in callable_as.arguments),
                required=callable_as.required,
                returns=_pg_type(row, "result"),
                returns_set=callable_as.returns_set,
                returns_void=callable_as.returns_void,
            )
        )
    return Catalog(
        tables=tuple(
            DescribedTable(name, description, tuple(columns))
            for name, (description, columns) in tables.items()
        ),
        functions=tuple(functions),
    )
