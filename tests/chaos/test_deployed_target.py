"""`plan-chaos` against a target started elsewhere (here a `plan-stack`-like stack): only the
`faults` nemesis runs, the others are left out with the reason; the late-write check reads
the service's log; the run's users are deleted afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from harness.chaos.cli import main
from harness.db.migrations import MigrationSet
from harness.db.providers import DatabaseRequest, dsn_as_url
from harness.db.run import DatabaseRun
from harness.stack.local import LocalStack

pytestmark = pytest.mark.slow


@pytest.fixture
def started_elsewhere(tmp_path: Path) -> Iterator[tuple[LocalStack, Path]]:
    """A stack as `plan-stack serve` runs it, and the env file it would write."""
    run = DatabaseRun.start(DatabaseRequest(spec="embedded"), MigrationSet.reference())
    name = run.scratch.clone("elsewhere")
    stack = LocalStack(run.server.dsn(name), 1, tmp_path / "stack", service_dsn=run.service_dsn(name))
    try:
        stack.start()
        assert stack.keys is not None and stack.keys.service_role is not None and stack.service is not None
        env = {
            "SUPABASE_URL": stack.service_url,
            "SUPABASE_ANON_KEY": stack.keys.anon,
            "SUPABASE_SERVICE_ROLE_KEY": stack.keys.service_role,
            "DATABASE_URL": dsn_as_url(stack.database_dsn),
            "FAKE_DEEPSEEK_URL": stack.fake_url,
            "FAKE_DEEPSEEK_ADMIN_TOKEN": stack.secrets.fake_admin_token,
            "SERVICE_LOG_FILE": str(stack.service.log_path),
        }
        env_file = tmp_path / "stack.env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
        yield stack, env_file
    finally:
        stack.stop()
        run.close()


def test_a_deployed_target_gets_the_faults_nemesis_and_is_checked(
    started_elsewhere: tuple[LocalStack, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack, env_file = started_elsewhere
    out = tmp_path / "chaos"

    status = main(
        ["--env-file", str(env_file), "--seed", "3", "--duration", "8s", "--jobs", "20", "--out", str(out)]
    )

    printed = capsys.readouterr()
    assert status == 0, printed.out + printed.err
    assert "nemesis kill left out: the target's workers are not processes this run started" in printed.err
    figures = json.loads((out / "figures.json").read_text())
    summary = figures["summary"]
    assert summary["target"] == "url" and summary["nemeses"] == ["faults"]
    assert set(summary["refused_nemeses"]) == {"kill", "pause", "db-restart", "fake-restart"}
    assert summary["figures"]["nemesis_events"].get("faults-on", 0) >= 1
    assert figures["checks"]["late_writes_refused"]["writes_accepted"] > 0  # read from SERVICE_LOG_FILE
    assert (out / "report.html").is_file() and (out / "logs" / "plan-reference.log").is_file()
    for secret in stack.secrets.all():
        assert secret not in (out / "history.jsonl").read_text() + (out / "figures.json").read_text()
    with psycopg.connect(stack.database_dsn) as conn:  # the run's users (and jobs) are gone
        assert conn.execute("select count(*) from public.plan_generation_jobs").fetchone() == (0,)
