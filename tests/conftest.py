"""Fixtures of the project's own tests: the local target's scratch database of this worker,
as the harness reaches it (`worker_database_dsn`) and as a service under test does
(`worker_service_dsn`, as `authenticator` on a server the run owns). `queue_db` (from the
harness) works on the same database."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from harness.db.run import DatabaseRun
from harness.target.live import Target


@pytest.fixture(scope="session")
def worker_database_dsn(target: Target) -> str:
    where = target.scenario_database()
    if where is None or not where.exclusive:
        pytest.skip("the project's own tests run on the local target's scratch databases")
    return where.dsn


@pytest.fixture(scope="session")
def worker_service_dsn(database_run: DatabaseRun | None, worker_database_dsn: str) -> str:
    assert database_run is not None
    return database_run.service_dsn(str(conninfo_to_dict(worker_database_dsn)["dbname"]))
