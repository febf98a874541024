"""Fixtures of the harness: the run's configuration, the worker's database, the queue."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from psycopg.conninfo import conninfo_to_dict

from harness.config import HarnessConfig
from harness.db.run import DatabaseRun
from harness.keys import DATABASE_RUN_KEY, HARNESS_CONFIG_KEY
from harness.queue_db import QueueDatabase


@pytest.fixture(scope="session")
def harness_config(pytestconfig: pytest.Config) -> HarnessConfig:
    return pytestconfig.stash[HARNESS_CONFIG_KEY]


@pytest.fixture(scope="session")
def database_run(pytestconfig: pytest.Config) -> DatabaseRun:
    run = pytestconfig.stash.get(DATABASE_RUN_KEY, None)
    if run is None:
        pytest.skip(
            "database-level scenarios run on scratch databases the harness creates (--target local, "
            "with any --db, a DSN included); a deployed target's database is never emptied for them"
        )
    return run


@pytest.fixture(scope="session")
def worker_database_dsn(database_run: DatabaseRun) -> Iterator[str]:
    """This worker's own database, cloned from the run's migrated template."""
    name = database_run.scratch.clone(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    yield database_run.server.dsn(name)
    database_run.scratch.drop(name)


@pytest.fixture(scope="session")
def worker_service_dsn(database_run: DatabaseRun, worker_database_dsn: str) -> str:
    """This worker's database as a service under test reaches it (as `authenticator` on a
    server the run owns)."""
    return database_run.service_dsn(str(conninfo_to_dict(worker_database_dsn)["dbname"]))


@pytest.fixture
def queue_db(worker_database_dsn: str) -> Iterator[QueueDatabase]:
    """The worker's database, emptied before each test."""
    db = QueueDatabase(worker_database_dsn)
    try:
        db.reset()
        yield db
    finally:
        db.close()
