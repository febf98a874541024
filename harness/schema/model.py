"""The shapes of an expected schema: what `harness.schema.contract` is written in.

Every expression (a default, a check, an index predicate, a policy's `using`) is written as
PostgreSQL prints it back (`pg_get_expr`, `pg_get_constraintdef`, `pg_get_function_arguments`
under `search_path = pg_catalog`), so two implementations that wrote the same rule differently
(`status in (...)` or `status = any (array[...])`) compare equal. Where the contract allows
several spellings, an entry lists each accepted one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# the API roles of a Supabase project, whose grants the contract names
API_ROLES = ("anon", "authenticated", "service_role")
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
POLICY_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as PostgreSQL names it: "uuid", "timestamp with time zone"
    nullable: bool
    # the accepted defaults; empty: the contract needs none (any is accepted)
    defaults: tuple[str, ...] = ()
    # the migration that adds it, when not the table's own
    migration: str | None = None


@dataclass(frozen=True)
class Check:
    name: str  # the reference's name, for messages; matched by definition
    definition: str  # pg_get_constraintdef without "CHECK ((...))"
    why: str
    # other definitions that mean the same (the reference's own form, over an internal function)
    equivalents: tuple[str, ...] = ()

    @property
    def definitions(self) -> tuple[str, ...]:
        return (self.definition, *self.equivalents)


@dataclass(frozen=True)
class Unique:
    """Columns whose values are unique: a unique constraint or a unique index without predicate."""

    name: str
    columns: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    referred_table: str  # schema.table
    referred_columns: tuple[str, ...]
    on_delete: str  # "CASCADE", "SET NULL"


@dataclass(frozen=True)
class Index:
    """An index the contract needs. A found index matches when its uniqueness and predicate
    are the same and its columns are these (a non-unique one may have more after them)."""

    name: str  # the reference's name, for messages; matched by definition
    columns: tuple[str, ...]  # "created_at", "created_at DESC"
    why: str
    predicate: str | None = None
    unique: bool = False
    # the migration that (re)creates it, when not the table's own
    migration: str | None = None


@dataclass(frozen=True)
class Policy:
    """A permissive policy the contract needs; matched by command, roles and `using`."""

    name: str
    command: str  # SELECT, INSERT, UPDATE, DELETE, ALL
    roles: tuple[str, ...]
    using: tuple[str, ...]  # accepted spellings


@dataclass(frozen=True)
class TableGrants:
    """Table privileges per role: `exactly` for roles that must have these and none of the
    others (TABLE_PRIVILEGES, column grants included), `at_least` for roles that must have these."""

    exactly: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    at_least: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))

    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.exactly, *self.at_least]))


@dataclass(frozen=True)
class Table:
    name: str  # in public
    migration: str  # the reference migration that creates it
    why: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    grants: TableGrants
    checks: tuple[Check, ...] = ()
    uniques: tuple[Unique, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    row_level_security: bool = True
    policies: tuple[Policy, ...] = ()
    # the contract allows an implementation without it; when present, it is checked
    optional: bool = False


@dataclass(frozen=True)
class Argument:
    name: str
    type: str
    default: str | None = None  # as pg_get_function_arguments prints it: "'00:10:00'::interval"

    def render(self) -> str:
        text = f"{self.name} {self.type}"
        return f"{text} DEFAULT {self.default}" if self.default is not None else text


@dataclass(frozen=True)
class Function:
    name: str  # in public
    migration: str  # the reference migration that creates it
    arguments: tuple[Argument, ...]
    returns: str  # pg_get_function_result: "SETOF public.plan_generation_jobs", "integer"
    security_definer: bool
    # EXECUTE must be granted to these; anon and authenticated must not have it unless listed
    callers: frozenset[str]
    # the function's `search_path` setting ("" for `set search_path = ''`); None: not checked
    search_path: str | None = ""
    optional: bool = False

    def signature(self) -> str:
        """The full argument list, defaults included."""
        return ", ".join(argument.render() for argument in self.arguments)

    def identity(self) -> str:
        """`public.fail_plan_job(uuid, uuid, text, text, boolean)`: how grants name it."""
        return f"public.{self.name}({', '.join(argument.type for argument in self.arguments)})"


@dataclass(frozen=True)
class SchemaContract:
    tables: tuple[Table, ...]
    functions: tuple[Function, ...]
    # where an app team reads what each entry is for
    reference: str = "docs/contract.md"

    def roles(self) -> tuple[str, ...]:
        """Every role a grant of the contract names."""
        names: dict[str, None] = dict.fromkeys(API_ROLES)
        for table in self.tables:
            names.update(dict.fromkeys(table.grants.roles()))
            for policy in table.policies:
                names.update(dict.fromkeys(policy.roles))
        for function in self.functions:
            names.update(dict.fromkeys(sorted(function.callers)))
        return tuple(names)
