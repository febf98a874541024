"""Reflect a database's queue schema: SQLAlchemy's inspector, and catalog queries where it
does not reach.

The inspector (`sqlalchemy.inspect`) gives tables, columns (type, nullability, default),
primary keys, check and unique constraints, foreign keys and indexes with their predicates;
`pg_catalog` gives row-level security and its policies, each function's signature, result,
`security definer`, settings (`search_path`) and who may execute it, and table privileges
per role. Everything runs in one read-only transaction with `search_path = pg_catalog`, so
every name outside `pg_catalog` prints with its schema, and nothing is written: it runs on
staging as it does on a scratch database.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.engine.interfaces import ReflectedIndex
from sqlalchemy.exc import SAWarning, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.types import NullType, TypeEngine

from harness.schema.model import POLICY_COMMANDS, TABLE_PRIVILEGES, SchemaContract
from harness.schema.snapshot import (
    FoundColumn,
    FoundForeignKey,
    FoundFunction,
    FoundIndex,
    FoundPolicy,
    FoundTable,
    SchemaSnapshot,
)

SCHEMA = "public"
DRIVER = "postgresql+psycopg"
STATEMENT_TIMEOUT_MS = 30_000
# has_any_column_privilege knows only these; the others are table-wide privileges
COLUMN_PRIVILEGES = frozenset({"SELECT", "INSERT", "UPDATE"})


class SchemaReflectionError(RuntimeError):
    """The database could not be reflected (unreachable, or a catalog query failed)."""


def engine_url(dsn: str) -> URL:
    """The SQLAlchemy URL for psycopg 3 of a libpq DSN (`key=value` pairs or a `postgresql://` URL)."""
    params: dict[str, Any] = {key: value for key, value in conninfo_to_dict(dsn).items() if value is not None}
    host = params.pop("host", None)
    port = params.pop("port", None)
    # a socket directory or several hosts: libpq reads them from the query, not the URL's host
    if host is not None and ("/" in str(host) or "," in str(host)):
        params["host"] = host
        host = None
    if port is not None and "," in str(port):
        params["port"] = port
        port = None
    return URL.create(
        DRIVER,
        username=params.pop("user", None),
        password=params.pop("password", None),
        host=host,
        port=int(port) if port is not None else None,
        database=params.pop("dbname", None),
        query={key: str(value) for key, value in params.items()},
    )


def reflect(dsn: str, contract: SchemaContract) -> SchemaSnapshot:
    """The contract's tables and functions as the database at `dsn` has them."""
    engine = create_engine(engine_url(dsn), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("set transaction read only"))
            connection.execute(text("set local search_path = pg_catalog"))
            connection.execute(text("set local intervalstyle = postgres"))
            connection.execute(text(f"set local statement_timeout = {STATEMENT_TIMEOUT_MS}"))
            snapshot = _reflect(connection, contract)
            connection.rollback()
            return snapshot
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        raise SchemaReflectionError(
            f"cannot reflect the schema of {engine.url.render_as_string(hide_password=True)}: {cause}"
        ) from None
    finally:
        engine.dispose()


def _reflect(connection: Connection, contract: SchemaContract) -> SchemaSnapshot:
    wanted_roles = contract.roles()
    roles = frozenset(
        connection.execute(
            text("select rolname from pg_roles where rolname = any(:roles)"), {"roles": list(wanted_roles)}
        ).scalars()
    )
    checked_roles = [role for role in wanted_roles if role in roles]
    present = set(inspect(connection).get_table_names(schema=SCHEMA))
    tables = {
        table.name: _table(connection, table.name, checked_roles)
        for table in contract.tables
        if table.name in present
    }
    functions = _functions(connection, [function.name for function in contract.functions], checked_roles)
    return SchemaSnapshot(tables=tables, functions=functions, roles=roles)


def _table(connection: Connection, name: str, roles: Sequence[str]) -> FoundTable:
    inspector = inspect(connection)
    with warnings.catch_warnings():
        # a column of a type SQLAlchemy does not know is reflected as NullType, with a warning
        warnings.simplefilter("ignore", SAWarning)
        columns = inspector.get_columns(name, schema=SCHEMA)
    oid = connection.execute(
        text(
            "select c.oid from pg_class c where c.relnamespace = 'public'::regnamespace and c.relname = :name"
        ),
        {"name": name},
    ).scalar_one()
    return FoundTable(
        name=name,
        columns={
            column["name"]: FoundColumn(
                column["name"], _type_name(column["type"], connection), column["nullable"], column["default"]
            )
            for column in columns
        },
        primary_key=tuple(inspector.get_pk_constraint(name, schema=SCHEMA)["constrained_columns"]),
        checks={
            str(check["name"]): check["sqltext"]
            for check in inspector.get_check_constraints(name, schema=SCHEMA)
        },
        unique_constraints={
            str(unique["name"]): tuple(unique["column_names"])
            for unique in inspector.get_unique_constraints(name, schema=SCHEMA)
        },
        indexes=tuple(_index(index) for index in inspector.get_indexes(name, schema=SCHEMA)),
        foreign_keys=tuple(
            FoundForeignKey(
                name=str(key["name"]),
                columns=tuple(key["constrained_columns"]),
                referred_table=f"{key['referred_schema'] or SCHEMA}.{key['referred_table']}",
                referred_columns=tuple(key["referred_columns"]),
                on_delete=str(key.get("options", {}).get("ondelete") or "NO ACTION").upper(),
            )
            for key in inspector.get_foreign_keys(name, schema=SCHEMA)
        ),
        row_level_security=bool(
            connection.execute(
                text("select relrowsecurity from pg_class where oid = :oid"), {"oid": oid}
            ).scalar()
        ),
        policies=_policies(connection, oid),
        **_privileges(connection, oid, roles),
    )


def _type_name(column_type: TypeEngine[Any], connection: Connection) -> str | None:
    if isinstance(column_type, NullType):
        return None
    return column_type.compile(dialect=connection.dialect).lower()


def _index(index: ReflectedIndex) -> FoundIndex:
    names = index.get("column_names") or []
    expressions = index.get("expressions") or []
    sorting = index.get("column_sorting") or {}
    columns = []
    for position, name in enumerate(names):
        key = name if name is not None else expressions[position]
        flags = sorting.get(key, ())
        rendered = key
        if "desc" in flags:
            rendered += " DESC"
        if "nulls_first" in flags:
            rendered += " NULLS FIRST"
        if "nulls_last" in flags:
            rendered += " NULLS LAST"
        columns.append(rendered)
    options = index.get("dialect_options") or {}
    predicate = options.get("postgresql_where")
    return FoundIndex(
        name=str(index["name"]),
        columns=tuple(columns),
        unique=bool(index["unique"]),
        predicate=str(predicate) if predicate else None,
        include=tuple(options.get("postgresql_include") or ()),
    )


def _policies(connection: Connection, oid: int) -> tuple[FoundPolicy, ...]:
    rows = connection.execute(
        text(
            """
            select p.polname, p.polcmd::text,
                   array(select case when r = 0 then 'public' else r::regrole::text end
                           from unnest(p.polroles) r order by 1) as roles,
                   pg_get_expr(p.polqual, p.polrelid) as using_expression,
                   pg_get_expr(p.polwithcheck, p.polrelid) as with_check,
                   p.polpermissive
              from pg_policy p
             where p.polrelid = :oid
             order by p.polname
            """
        ),
        {"oid": oid},
    )
    return tuple(
        FoundPolicy(
            name=row.polname,
            command=POLICY_COMMANDS.get(row.polcmd, row.polcmd),
            roles=tuple(row.roles),
            using=row.using_expression,
            with_check=row.with_check,
            permissive=bool(row.polpermissive),
        )
        for row in rows
    )


def _privileges(
    connection: Connection, oid: int, roles: Sequence[str]
) -> dict[str, Mapping[str, frozenset[str]]]:
    rows = connection.execute(
        text(
            """
            select r.rolname, p.privilege,
                   has_table_privilege(r.rolname, :oid, p.privilege) as on_table,
                   case when p.privilege = any(:column_privileges)
                        then has_any_column_privilege(r.rolname, :oid, p.privilege)
                        else has_table_privilege(r.rolname, :oid, p.privilege) end as on_any_column
              from pg_roles r, unnest(cast(:privileges as text[])) p(privilege)
             where r.rolname = any(:roles)
            """
        ),
        {
            "oid": oid,
            "roles": list(roles),
            "privileges": list(TABLE_PRIVILEGES),
            "column_privileges": sorted(COLUMN_PRIVILEGES),
        },
    ).all()
    on_table: dict[str, set[str]] = {role: set() for role in roles}
    on_any_column: dict[str, set[str]] = {role: set() for role in roles}
    for row in rows:
        if row.on_table:
            on_table[row.rolname].add(row.privilege)
        if row.on_any_column:
            on_any_column[row.rolname].add(row.privilege)
    return {
        "table_privileges": {role: frozenset(found) for role, found in on_table.items()},
        "any_column_privileges": {role: frozenset(found) for role, found in on_any_column.items()},
    }


def _functions(
    connection: Connection, names: Sequence[str], roles: Sequence[str]
) -> dict[str, tuple[FoundFunction, ...]]:
    rows = connection.execute(
        text(
            """
            select p.proname,
                   pg_get_function_arguments(p.oid) as arguments,
                   array(select format_type(t.type, null)
                           from unnest(p.proargtypes::oid[]) with ordinality t(type, position)
                          order by t.position) as argument_types,
                   pg_get_function_result(p.oid) as returns,
                   p.prosecdef,
                   coalesce(p.proconfig, '{}') as settings,
                   array(select r.rolname from pg_roles r
                          where r.rolname = any(:roles)
                            and has_function_privilege(r.rolname, p.oid, 'EXECUTE')
                          order by 1) as execute
              from pg_proc p
             where p.pronamespace = 'public'::regnamespace
               and p.proname = any(:names)
               and p.prokind = 'f'
             order by p.proname, p.oid
            """
        ),
        {"names": list(names), "roles": list(roles)},
    )
    found: dict[str, list[FoundFunction]] = {}
    for row in rows:
        settings = dict(setting.split("=", 1) for setting in row.settings if "=" in setting)
        found.setdefault(row.proname, []).append(
            FoundFunction(
                name=row.proname,
                arguments=row.arguments,
                argument_types=tuple(row.argument_types),
                returns=row.returns,
                security_definer=bool(row.prosecdef),
                settings=settings,
                execute=frozenset(row.execute),
            )
        )
    return {name: tuple(overloads) for name, overloads in found.items()}
