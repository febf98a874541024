"""`plan-conformance run` from a team's repository: the suites shipped in the package, the
package's own pytest settings, the team's paths read from where it runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.db.migrations import reference_migrations_dir
from plan_conformance.cli import PACKAGE, pytest_arguments

pytestmark = pytest.mark.slow


def test_the_command_line_names_the_shipped_suites_and_the_packaged_settings(tmp_path: Path) -> None:
    arguments = pytest_arguments(["schema", "http"], ["-m", "smoke"], tmp_path)

    settings = Path(arguments[1])
    assert arguments[0] == "-c" and settings.name == "run_settings.ini" and settings.is_file()
    assert arguments[2:] == [
        "--rootdir", str(tmp_path), "--pyargs", f"{PACKAGE}.schema", f"{PACKAGE}.http", "-m", "smoke",
    ]  # fmt: skip


def test_a_teams_repository_runs_the_suites_with_its_own_migrations(tmp_path: Path) -> None:
    # a repository with its own, incompatible pytest settings and its Supabase migrations
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --an-option-of-the-teams-own-plugin\n")
    shutil.copytree(reference_migrations_dir(), tmp_path / "supabase" / "migrations")
    command = Path(sys.executable).with_name("plan-conformance")

    completed = subprocess.run(
        [str(command), "run", "--suite", "schema", "--migrations", "supabase/migrations", "-p", "no:xdist"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    assert "migrations: supabase/migrations (" in completed.stdout
    assert "8 passed" in completed.stdout
    latest = (tmp_path / "reports" / "latest").resolve()
    assert (latest / "report.html").is_file(), "the reports go to the repository the command ran in"
