"""Fixtures of the schema comparison tests: a fresh copy of the run's migrated template,
altered by a test, reflected, and dropped."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import psycopg
import pytest

from harness.db.run import DatabaseRun
from harness.schema import QUEUE_SCHEMA, SchemaSnapshot, reflect

AlteredSchema = Callable[[str], SchemaSnapshot]
_COUNTER = itertools.count()


@pytest.fixture
def altered_database(database_run: DatabaseRun | None) -> Iterator[Callable[[str], str]]:
    """A factory: a copy of the template with this SQL applied (as its owner); its DSN.
    Every copy is dropped when the test ends."""
    run = database_run
    if run is None:
        pytest.skip("the schema tests need the local target's database server")
    made: list[str] = []
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")

    def make(statements: str) -> str:
        name = run.scratch.clone(f"{worker}_schema_{next(_COUNTER)}")
        made.append(name)
        dsn = run.server.dsn(name)
        if statements.strip():
            with psycopg.connect(dsn, autocommit=True) as connection:
                connection.execute(statements.encode())
        return dsn

    yield make
    for name in made:
        run.scratch.drop(name)


@pytest.fixture
def schema_after(altered_database: Callable[[str], str]) -> AlteredSchema:
    """A factory: the contract's schema as a copy of the template has it after this SQL."""

    def reflect_after(statements: str) -> SchemaSnapshot:
        return reflect(altered_database(statements), QUEUE_SCHEMA)

    return reflect_after
