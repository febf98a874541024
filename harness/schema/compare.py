"""Compare a reflected schema with the contract: one `Mismatch` per difference.

Each mismatch says what was expected, what was found, why the contract needs it and the
migration that usually fixes it. Lenient where the contract lets implementations differ
(extra columns, indexes, functions and restrictive policies; other names for indexes and
constraints, which are matched by definition; `plan_notifications` and `enqueue_plan_job`
absent), strict where it depends on the difference (types, nullability, defaults, the rules'
definitions, predicates, signatures, `security definer`, `search_path`, grants).

The areas, one scenario each: tables, constraints, indexes, row_level_security,
table_grants, function_signatures, function_security, function_grants.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from harness.schema.model import (
    API_ROLES,
    TABLE_PRIVILEGES,
    Function,
    Index,
    SchemaContract,
    Table,
)
from harness.schema.snapshot import FoundFunction, FoundIndex, FoundTable, SchemaSnapshot

AREAS = (
    "tables",
    "constraints",
    "indexes",
    "row_level_security",
    "table_grants",
    "function_signatures",
    "function_security",
    "function_grants",
)
# roles through which app users reach the database; a policy for them is a way in
USER_ROLES = frozenset({"public", "anon", "authenticated"})


@dataclass(frozen=True)
class Mismatch:
    subject: str  # "index plan_generation_jobs_pending_claim_idx on public.plan_generation_jobs"
    expected: str
    found: str
    fix: str  # why the contract needs it, and what usually fixes it

    def line(self) -> str:
        return f"{self.subject}: expected {self.expected}, found {self.found}; {self.fix}"


def compare(contract: SchemaContract, snapshot: SchemaSnapshot, area: str) -> list[Mismatch]:
    """The mismatches of one area (see AREAS)."""
    if area not in CHECKS:
        raise ValueError(f"unknown schema area {area!r}; known: {', '.join(AREAS)}")
    return list(CHECKS[area](contract, snapshot))


def _normalize(expression: str | None) -> str:
    """Whitespace collapsed and outer parentheses that wrap the whole expression removed."""
    if expression is None:
        return ""
    text = re.sub(r"\s+", " ", expression.strip())
    while text.startswith("(") and text.endswith(")") and _wraps_whole(text):
        text = text[1:-1].strip()
    return text


def _wraps_whole(text: str) -> bool:
    depth = 0
    for position, character in enumerate(text):
        depth += character == "("
        depth -= character == ")"
        if depth == 0 and position < len(text) - 1:
            return False
    return True


def _see(migration: str, contract: SchemaContract) -> str:
    return f"(reference: {migration}; {contract.reference})"


def _present_tables(contract: SchemaContract, snapshot: SchemaSnapshot) -> Iterator[tuple[Table, FoundTable]]:
    for table in contract.tables:
        found = snapshot.tables.get(table.name)
        if found is not None:
            yield table, found


# -- tables and columns -------------------------------------------------------------------


def _tables(contract: SchemaContract, snapshot: SchemaSnapshot) -> Iterator[Mismatch]:
    for table in contract.tables:
        found = snapshot.tables.get(table.name)
        qualified = f"public.{table.name}"
        if found is None:
            if not table.optional:
                yield Mismatch(
                    f"table {qualified}",
                    f"the table ({table.why})",
                    "no such table",
                    f"its migration was not applied: apply it before the functions and the app "
                    f"{_see(table.migration, contract)}",
                )
            continue
        yield from _columns(contract, table, found)
        if found.primary_key != table.primary_key:
            yield Mismatch(
                f"primary key of {qualified}",
                f"({', '.join(table.primary_key)})",
                f"({', '.join(found.primary_key)})" if found.primary_key else "none",
                f"rows are found by it: alter table {qualified} add primary key "
                f"({', '.join(table.primary_key)}) in a migration {_see(table.migration, contract)}",
            )


def _columns(contract: SchemaContract, table: Table, found: FoundTable) -> Iterator[Mismatch]:
    qualified = f"public.{table.name}"
    for column in table.columns:
        subject = f"column {qualified}.{column.name}"
        see = _see(column.migration or table.migration, contract)
        have = found.columns.get(column.name)
        if have is None:
            yield Mismatch(
                subject,
                f"{column.type}{'' if column.nullable else ' not null'}",
                "no such column",
                f"the contract's functions and the app read it: add it in a migration, applied "
                f"before the functions {see}",
            )
            continue
        if have.type != column.type:
            yield Mismatch(
                f"type of {subject}",
                column.type,
                have.type or "a type SQLAlchemy does not know",
                f"clients and functions read it as {column.type}: alter table {qualified} alter column "
                f"{column.name} type {column.type} in a migration {see}",
            )
        if have.nullable != column.nullable:
            change = "drop not null" if column.nullable else "set not null"
            yield Mismatch(
                f"nullability of {subject}",
                "nullable" if column.nullable else "not null",
                "nullable" if have.nullable else "not null",
                f"the contract's functions write {'null' if column.nullable else 'a value'} there: "
                f"alter table {qualified} alter column {column.name} {change} in a migration {see}",
            )
        if column.defaults and _normalize(have.default) not in {_normalize(d) for d in column.defaults}:
            yield Mismatch(
                f"default of {subject}",
                " or ".join(column.defaults),
                have.default or "no default",
                f"the contract's inserts leave it to the default: alter table {qualified} alter column "
                f"{column.name} set default {column.defaults[0]} in a migration {see}",
            )
    see = _see(table.migration, contract)
    expected_names = {column.name for column in table.columns}
    for name, have in found.columns.items():
        if name not in expected_names and not have.nullable and have.default is None:
            yield Mismatch(
                f"extra column {qualified}.{name}",
                "extra columns nullable or with a default",
                "not null without a default",
                f"the contract's inserts do not set it, so they fail: give it a default or drop not "
                f"null in a migration {see}",
            )


# -- constraints ------------------------------------------------------------------------------


def _constraints(contract: SchemaContract, snapshot: SchemaSnapshot) -> Iterator[Mismatch]:
    for table, found in _present_tables(contract, snapshot):
        qualified = f"public.{table.name}"
        see = _see(table.migration, contract)
        definitions = {_normalize(text) for text in found.checks.values()}
        for check in table.checks:
            if any(_normalize(text) in definitions for text in check.definitions):
                continue
            same_name = found.checks.get(check.name)
            yield Mismatch(
                f"check {check.name} on {qualified}",
                f"CHECK ({check.definition})",
                f"CHECK ({same_name})" if same_name is not None else "no check with this definition",
                f"{check.why}: alter table {qualified} add constraint {check.name} check "
                f"({check.definition}) in a migration (drop the old one first) {see}",
            )
        unique_sets = {columns for columns in found.unique_constraints.values()} | {
            index.columns for index in found.indexes if index.unique and index.predicate is None
        }
        for unique in table.uniques:
            if unique.columns in unique_sets:
                continue
            yield Mismatch(
                f"unique {unique.name} on {qualified}",
                f"unique ({', '.join(unique.columns)})",
                "no unique constraint or index on these columns",
                f"{unique.why}: alter table {qualified} add constraint {unique.name} unique "
                f"({', '.join(unique.columns)}) in a migration {see}",
            )
        for key in table.foreign_keys:
            matches = [have for have in found.foreign_keys if have.columns == key.columns]
            wanted = (
                f"({', '.join(key.columns)}) references {key.referred_table} "
                f"({', '.join(key.referred_columns)})"
            )
            if any(
                have.referred_table == key.referred_table
                and have.referred_columns == key.referred_columns
                and have.on_delete == key.on_delete
                for have in matches
            ):
                continue
            yield Mismatch(
                f"foreign key ({', '.join(key.columns)}) of {qualified}",
                f"{wanted} on delete {key.on_delete.lower()}",
                "; ".join(
                    f"{have.name} references {have.referred_table} ({', '.join(have.referred_columns)}) "
                    f"on delete {have.on_delete.lower()}"
                    for have in matches
                )
                or "no foreign key on these columns",
                f"removing a user or a plan must {key.on_delete.lower()} these rows: recreate it in a "
                f"migration {see}",
            )


# -- indexes ------------------------------------------------------------------------------------


def index_matches(expected: Index, found: FoundIndex) -> bool:
    """Same uniqueness and predicate, and these columns (a non-unique index may have more after)."""
    if found.unique != expected.unique or _normalize(found.predicate) != _normalize(expected.predicate):
        return False
    columns = tuple(_normalize(column) for column in found.columns)
    wanted = tuple(_normalize(column) for column in expected.columns)
    return columns == wanted if expected.unique else columns[: len(wanted)] == wanted


def _create_index(table: Table, index: Index) -> str:
    text = (
        f"create {'unique ' if index.unique else ''}index {index.name} on public.{table.name} "
        f"({', '.join(index.columns)})"
    )
    return f"{text} where {index.predicate}" if index.predicate else text


def _indexes(contract: SchemaContract, snapshot: SchemaSnapshot) -> Iterator[Mismatch]:
    for table, found in _present_tables(contract, snapshot):
        for index in table.indexes:
            if any(index_matches(index, have) for have in found.indexes):
                continue
            expected = FoundIndex(index.name, index.columns, index.unique, index.predicate).describe()
            yield Mismatch(
                f"index {index.name} on public.{table.name}",
                expected,
                _closest_indexes(index, found.indexes),
                f"{index.why}: {_create_index(table, index)} in a migration (drop a wrong one of the "
                f"same name first) {_see(index.migration or table.migration, contract)}",
            )


def _closest_indexes(index: Index, found: Iterable[FoundIndex]) -> str:
    """The found indexes a reader would take for this one: its name, its predicate or its first column."""
    first = _normalize(index.columns[0])
    near = [
        have
        for have in found
        if have.name == index.name
        or (index.predicate and _normalize(have.predicate) == _normalize(index.predicate))
        or (have.columns and _normalize(have.columns[0]) == first)
    ]
    if not near:
        return "no such index"
    return "; ".join(f"{have.name} {have.describe()}" for have in near)


# -- row-level security ---------------------------------------------------------------------------


def _row_level_security(contract: SchemaContract, snapshot: SchemaSnapshot) -> Iterator[Mismatch]:
    for table, found in _present_tables(contract, snapshot):
        qualified = f"public.{table.name}"
        see = _see(table.migration, contract)
        if table.row_level_security and not found.row_level_security:
            yield Mismatch(
                f"row level security on {qualified}",
                "enabled",
                "disabled",
                f"without it every granted role reads every user's rows: alter table {qualified} "
                f"enable row level security in a migration {see}",
            )
        matched: set[str] = set()
        for policy in table.policies:
            accepted = {_normalize(using) for using in policy.using}
            hit = next(
                (
                    have
                    for have in found.policies
                    if have.permissive
                    and have.command == policy.command
                    and set(have.roles) == set(policy.roles)
                    and _normalize(have.using) in accepted
                ),
                None,
            )
            if hit is not None:
                matched.add(hit.name)
                continue
            same_name = next((have for have in found.policies if have.name == policy.name), None)
            if same_name is not None:
                matched.add(same_name.name)  # reported here, not again as an extra policy
            yield Mismatch(
                f"policy {policy.name!r} on {qualified}",
                f"{policy.command} to {', '.join(policy.roles)} using {policy.using[0]}",
                f"{same_name.command} to {', '.join(same_name.roles)} using {same_name.using}"
                if same_name is not None
                else "no policy with this definition",
                f"users read only their own rows: create policy ... for {policy.command.lower()} to "
                f"{', '.join(policy.roles)} using {policy.using[0]} in a migration {see}",
            )
        for have in found.policies:
            if have.name in matched or not have.permissive or not USER_ROLES & set(have.roles):
                continue
            yield Mismatch(
                f"extra policy {have.name!r} on {qualified}",
                "no other permissive policy for app users",
                f"{have.command} to {', '.join(have.roles)} using {have.using} with check {have.with_check}",
                f"users only read their own rows and never write: drop policy {have.name!r} on "
                f"{qualified} in a migration {see}",
            )


# -- table grants -----------------------------------------------------------------------------------


def _missing_roles(
    contract: SchemaContract, snapshot: SchemaSnapshot, roles: Iterable[str]
) -> Iterator[Mismatch]:
    for role in dict.fromkeys(roles):
        if role not in snapshot.roles:
            yield Mismatch(
                f"role {role}",
                "the role (a Supabase project has it)",
                "no such role",
                f"the contract's grants name it: is this a Supabase project's database? "
                f"({contract.reference})",
            )


def _table_grants(contract: SchemaContract, snapshot: SchemaSnapshot) -> Iterator[Mismatch]:
    yield from _missing_roles(contract, snapshot, (r for t in contract.tables for r in t.grants.roles()))
    for table, found in _present_tables(contract, snapshot):
        qualified = f"public.{table.name}"
        see = _see(table.migration, contract)
        for role, wanted in table.grants.exactly.items():
            if role not in snapshot.roles:
                continue
            extra = sorted(
                found.any_column_privileges.get(role, frozenset()) - wanted, key=TABLE_PRIVILEGES.index
            )
            if extra:
                yield Mismatch(
                    f"{role}'s privileges on {qualified}",
                    _privileges(wanted),
                    _privileges(found.any_column_privileges.get(role, frozenset())),
                    f"app users must not {'/'.join(extra)} there (Supabase's default privileges grant "
                    f"everything): revoke all on table {qualified} from public, anon, authenticated, then "
                    f"grant back what the contract gives, in a migration {see}",
                )
            yield from _grants_missing(qualified, role, wanted, found, see)
        for role, wanted in table.grants.at_least.items():
            if role in snapshot.roles:
                yield from _grants_missing(qualified, role, wanted, found, see)


def _grants_missing(
    qualified: str, role: str, wanted: frozenset[str], found: FoundTable, see: str
) -> Iterator[Mismatch]:
    have = found.table_privileges.get(role, frozenset())
    missing = sorted(wanted - have, key=TABLE_PRIVILEGES.index)
    if missing:
        yield Mismatch(
            f"{role}'s privileges on {qualified}",
            f"at least {_privileges(wanted)}",
            _privileges(have),
            f"the contract needs them: grant {', '.join(missing).lower()} on table {qualified} to {role} "
            f"in a migration {see}",
        )


def _privileges(privileges: Iterable[str]) -> str:
    ordered = sorted(privileges, key=TABLE_PRIVILEGES.index)
    return ", ".join(ordered) if ordered else "none"


# -- functions ----------------------------------------------------------------------------------------


def _matching_overload(function: Function, snapshot: SchemaSnapshot) -> FoundFunction | None:
    wanted = tuple(argument.type for argument in function.arguments)
    return next(
        (have for have in snapshot.functions.get(function.name, ()) if have.argument_types == wanted), None
    )


def _function_signatures(contract: SchemaContract, snapshot: SchemaSnapshot) -> Iterator[Mismatch]:
    for function in contract.functions:
        overloads = snapshot.functions.get(function.name, ())
        subject = f"function public.{function.name}"
        see = _see(function.migration, contract)
        if not overloads:
            if not function.optional:
                yield Mismatch(
                    subject,
                    f"({function.signature()}) returns {function.returns}",
                    "no such function",
                    f"its migration was not applied: apply it before deploying the functions that call "
                    f"it {see}",
                )
            continue
        have = _matching_overload(function, snapshot)
        if have is None:
            yield Mismatch(
                subject,
                f"({function.signature()})",
                " and ".join(f"({other.arguments})" for other in overloads),
                f"the migration that changed it was not applied (deploy order: migrations, then functions, "
                f"then app), or its `create or replace` with new arguments left the old one: apply it "
                f"and drop the old signature "
                f"({', '.join(other.signature_for_grants() for other in overloads)}) {see}",
            )
            continue
        if _normalize(have.arguments) != _normalize(function.signature()):
            yield Mismatch(
                f"arguments of {subject}",
                f"({function.signature()})",
                f"({have.arguments})",
                f"callers pass them by name and omit the defaulted ones: recreate it with the contract's "
                f"names and defaults in a migration {see}",
            )
        if _normalize(have.returns) != _normalize(function.returns):
            yield Mismatch(
                f"result of {subject}",
                function.returns,
                have.returns,
                f"callers read this shape: drop and recreate it in a migration {see}",
            )
        for other in overloads:
            if other is not have:
                yield Mismatch(
                    f"second signature of {subject}",
                    f"only ({function.signature()})",
                    f"also ({other.arguments})",
                    f"a call that omits defaulted arguments is ambiguous between them: drop function "
                    f"{other.signature_for_grants()} in a migration {see}",
                )


def _present_functions(
    contract: SchemaContract, snapshot: SchemaSnapshot
) -> Iterator[tuple[Function, FoundFunction]]:
    """Functions found with the contract's argument types; the others are the signature area's."""
    for function in contract.functions:
        have = _matching_overload(function, snapshot)
        if have is not None:
            yield function, have


def _function_security(contract: SchemaContract, snapshot: SchemaSnapshot) -> Iterator[Mismatch]:
    for function, have in _present_functions(contract, snapshot):
        subject = f"function {function.identity()}"
        see = _see(function.migration, contract)
        if have.security_definer != function.security_definer:
            wanted = "security definer" if function.security_definer else "security invoker"
            reason = (
                "it acts on rows the caller may not touch itself (grants, not RLS, decide who calls it)"
                if function.security_definer
                else "it runs as the caller, under RLS"
            )
            yield Mismatch(
                f"security of {subject}",
                wanted,
                "security definer" if have.security_definer else "security invoker",
                f"{reason}: alter function {function.identity()} {wanted} in a migration {see}",
            )
        if function.search_path is None:
            continue
        found_path = have.settings.get("search_path")
        if found_path is None or _search_path(found_path) != _search_path(function.search_path):
            wanted_text = f"search_path = '{function.search_path}'"
            yield Mismatch(
                f"search_path of {subject}",
                wanted_text,
                f"search_path = {found_path}" if found_path is not None else "none set (the caller's)",
                f"a security definer function must not resolve names through the caller's search_path: "
                f"alter function {function.identity()} set {wanted_text} in a migration {see}",
            )


def _search_path(value: str) -> str:
    return re.sub(r"[\s\"']", "", value)


def _function_grants(contract: SchemaContract, snapshot: SchemaSnapshot) -> Iterator[Mismatch]:
    yield from _missing_roles(
        contract, snapshot, [*API_ROLES, *(role for f in contract.functions for role in sorted(f.callers))]
    )
    for function, have in _present_functions(contract, snapshot):
        see = _see(function.migration, contract)
        for role in sorted(function.callers):
            if role in snapshot.roles and role not in have.execute:
                yield Mismatch(
                    f"execute on {function.identity()} for {role}",
                    "granted",
                    "not granted",
                    f"{role} calls it (docs/contract.md, callers): grant execute on function "
                    f"{function.identity()} to {role} in a migration {see}",
                )
        for role in ("anon", "authenticated"):
            if role in snapshot.roles and role not in function.callers and role in have.execute:
                yield Mismatch(
                    f"execute on {function.identity()} for {role}",
                    "not granted",
                    "granted",
                    f"only {', '.join(sorted(function.callers))} may call it (Supabase grants execute on new "
                    f"functions to anon and authenticated): revoke all on function {function.identity()} "
                    f"from public, anon, authenticated, then grant it to its callers, in a migration {see}",
                )


CHECKS: dict[str, Callable[[SchemaContract, SchemaSnapshot], Iterator[Mismatch]]] = {
    "tables": _tables,
    "constraints": _constraints,
    "indexes": _indexes,
    "row_level_security": _row_level_security,
    "table_grants": _table_grants,
    "function_signatures": _function_signatures,
    "function_security": _function_security,
    "function_grants": _function_grants,
}
