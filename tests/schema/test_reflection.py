"""Reflection: the DSN as SQLAlchemy's psycopg 3 URL, read-only access, clear errors."""

from __future__ import annotations

import socket
from collections.abc import Callable

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from harness.schema import QUEUE_SCHEMA, SchemaReflectionError, reflect
from harness.schema.reflect import engine_url


def test_a_key_value_dsn_becomes_a_psycopg_url() -> None:
    url = engine_url("host=127.0.0.1 port=5433 dbname=ptc_x user=postgres password=p@ss:w/rd sslmode=disable")

    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database, url.username, url.password) == (
        "127.0.0.1",
        5433,
        "ptc_x",
        "postgres",
        "p@ss:w/rd",
    )
    assert dict(url.query) == {"sslmode": "disable"}
    assert "p@ss" not in url.render_as_string(hide_password=True)


def test_a_url_dsn_and_a_socket_directory_keep_their_parts() -> None:
    url = engine_url("postgresql://app:secret@db.internal:6543/postgres?application_name=check")
    socket_url = engine_url("host=/run/postgresql dbname=app")

    assert (url.host, url.port, url.database, dict(url.query)) == (
        "db.internal",
        6543,
        "postgres",
        {"application_name": "check"},
    )
    assert socket_url.host is None
    assert dict(socket_url.query) == {"host": "/run/postgresql"}


def test_reflection_runs_where_every_transaction_is_read_only(altered_database: Callable[[str], str]) -> None:
    dsn = altered_database("")
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            sql.SQL("alter database {} set default_transaction_read_only = on").format(
                sql.Identifier(str(conninfo_to_dict(dsn)["dbname"]))
            )
        )

    snapshot = reflect(dsn, QUEUE_SCHEMA)

    assert "plan_generation_jobs" in snapshot.tables
    assert snapshot.functions["claim_next_plan_job"][0].execute >= {"service_role"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_database_is_a_clear_error_without_its_password() -> None:
    port = _closed_port()

    with pytest.raises(SchemaReflectionError) as raised:
        reflect(
            f"host=127.0.0.1 port={port} dbname=app user=app password=hunter2-secret connect_timeout=2",
            QUEUE_SCHEMA,
        )

    message = str(raised.value)
    assert message.startswith(
        f"cannot reflect the schema of postgresql+psycopg://app:***@127.0.0.1:{port}/app"
    )
    assert "hunter2-secret" not in message
