"""What a database holds, as reflected: the found side of the comparison.

Plain frozen data, so the comparison can be tested on snapshots built by hand; expressions
are as PostgreSQL prints them back (see `harness.schema.model`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FoundColumn:
    name: str
    type: str | None  # None: a type SQLAlchemy does not know (a domain, an extension's type)
    nullable: bool
    default: str | None


@dataclass(frozen=True)
class FoundIndex:
    name: str
    columns: tuple[str, ...]  # "created_at", "created_at DESC", or an expression
    unique: bool
    predicate: str | None
    include: tuple[str, ...] = ()

    def describe(self) -> str:
        text = f"{'unique ' if self.unique else ''}({', '.join(self.columns)})"
        if self.include:
            text += f" INCLUDE ({', '.join(self.include)})"
        return f"{text} WHERE {self.predicate}" if self.predicate else text


@dataclass(frozen=True)
class FoundForeignKey:
    name: str
    columns: tuple[str, ...]
    referred_table: str  # schema.table
    referred_columns: tuple[str, ...]
    on_delete: str  # "NO ACTION" when none was given


@dataclass(frozen=True)
class FoundPolicy:
    name: str
    command: str
    roles: tuple[str, ...]
    using: str | None
    with_check: str | None
    permissive: bool


@dataclass(frozen=True)
class FoundTable:
    name: str
    columns: Mapping[str, FoundColumn]
    primary_key: tuple[str, ...]
    checks: Mapping[str, str]  # name -> definition
    unique_constraints: Mapping[str, tuple[str, ...]]  # name -> columns
    indexes: tuple[FoundIndex, ...]
    foreign_keys: tuple[FoundForeignKey, ...]
    row_level_security: bool
    policies: tuple[FoundPolicy, ...]
    # per role: the privileges it has on the whole table, and those it has on any column
    table_privileges: Mapping[str, frozenset[str]]
    any_column_privileges: Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class FoundFunction:
    name: str
    arguments: str  # pg_get_function_arguments: names, types and defaults
    argument_types: tuple[str, ...]
    returns: str
    security_definer: bool
    settings: Mapping[str, str]  # proconfig: "search_path" -> '""'
    execute: frozenset[str]  # the roles (of those checked) that may execute it

    def signature_for_grants(self) -> str:
        return f"public.{self.name}({', '.join(self.argument_types)})"


@dataclass(frozen=True)
class SchemaSnapshot:
    """The contract's tables and functions as found (absent ones are missing from the maps)."""

    tables: Mapping[str, FoundTable]
    functions: Mapping[str, tuple[FoundFunction, ...]]  # every overload in public, by name
    roles: frozenset[str]  # the checked roles that exist
