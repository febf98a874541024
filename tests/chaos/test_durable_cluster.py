"""The chaos run's PostgreSQL: durable, and restarted as a crash would (SIGQUIT, then recovery),
at the same address, with every acknowledged commit still there."""

from __future__ import annotations

import time

import psycopg
import pytest

from harness.db.binaries import embedded_binaries
from harness.db.errors import ProvisioningError
from harness.db.local_cluster import LocalCluster
from harness.db.providers import DatabaseRequest, attach_dsn, provision

pytestmark = pytest.mark.slow


def _connect(cluster: LocalCluster, timeout_s: float = 30) -> psycopg.Connection[tuple[object, ...]]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return psycopg.connect(
                host="127.0.0.1",
                port=cluster.port,
                user="postgres",
                password=cluster.password,
                dbname="postgres",
                autocommit=True,
                connect_timeout=2,
            )
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_a_durable_cluster_keeps_acknowledged_commits_across_an_immediate_restart() -> None:
    cluster = LocalCluster(embedded_binaries(), durable=True)
    cluster.start()
    try:
        with _connect(cluster) as conn:
            settings = {name: conn.execute(f"show {name}").fetchone() for name in cluster.settings}
            assert settings["fsync"] == ("on",) and settings["synchronous_commit"] == ("on",)
            assert settings["full_page_writes"] == ("on",)
            started = conn.execute("select pg_postmaster_start_time()").fetchone()
            conn.execute("create table acknowledged (n int)")
            for n in range(200):  # each its own acknowledged commit
                conn.execute("insert into acknowledged values (%s)", (n,))
        port = cluster.port

        cluster.restart(ready_timeout=None)  # returns before the server accepts connections

        with _connect(cluster) as conn:
            assert conn.execute("select count(*), sum(n) from acknowledged").fetchone() == (200, 19900)
            assert conn.execute("select pg_postmaster_start_time()").fetchone() != started
        assert cluster.port == port
        assert cluster.directory is not None
        assert "automatic recovery in progress" in (cluster.directory / "server.log").read_text()
    finally:
        cluster.stop()


def test_clusters_are_fast_rather_than_durable_unless_asked() -> None:
    settings = LocalCluster(embedded_binaries()).settings
    assert (settings["fsync"], settings["synchronous_commit"], settings["full_page_writes"]) == ("off",) * 3


def test_only_a_started_cluster_restarts() -> None:
    with pytest.raises(ProvisioningError, match="start"):
        LocalCluster(embedded_binaries()).restart()


def test_a_server_restarts_only_where_the_run_owns_it() -> None:
    server = provision(DatabaseRequest(spec="embedded", durable=True))
    try:
        assert server.restart is not None
        assert attach_dsn(server.dsn("postgres")).restart is None
    finally:
        server.stop()
