"""The suite catches the seed's bugs: each planted bug makes the database scenarios fail.

Each case copies the reference migrations, plants one bug, and runs `pytest
scenarios/db --migrations <copy>` in a child process; the named scenarios must fail.
A control run on an unmodified copy must pass, so a failure is the bug's doing.
Run alone with: pytest tests/selfcheck -v
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from harness.config import HarnessConfig
from harness.db.migrations import reference_migrations_dir
from tests.selfcheck.mutants import MIGRATION_MUTANTS, Mutant

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _run_db_scenarios(migrations: Path, junit: Path, harness_config: HarnessConfig) -> dict[str, str]:
    """Outcome per test name (parameters stripped: the worst outcome of any parametrisation)."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "scenarios/db",
        "--migrations",
        str(migrations),
        "--junitxml",
        str(junit),
        "--report-dir",
        str(junit.parent / "reports"),
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
    ]
    if harness_config.database is not None:
        command += ["--db", harness_config.database.spec]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    if not junit.exists():
        raise AssertionError(f"the child run wrote no results:\n{completed.stdout}\n{completed.stderr}")
    outcomes: dict[str, str] = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "").split("[", 1)[0]
        outcome = "failed" if case.find("failure") is not None or case.find("error") is not None else "passed"
        if outcomes.get(name) != "failed":
            outcomes[name] = outcome
    return outcomes


def test_unmodified_copy_passes(tmp_path: Path, harness_config: HarnessConfig) -> None:
    copy = tmp_path / "migrations"
    Mutant("control", "no edits", (), ()).write(reference_migrations_dir(), copy)

    outcomes = _run_db_scenarios(copy, tmp_path / "junit.xml", harness_config)

    assert outcomes, "the control run collected no scenarios"
    assert [name for name, outcome in outcomes.items() if outcome == "failed"] == []


@pytest.mark.parametrize("mutant", MIGRATION_MUTANTS, ids=[mutant.name for mutant in MIGRATION_MUTANTS])
def test_planted_bug_is_caught(tmp_path: Path, harness_config: HarnessConfig, mutant: Mutant) -> None:
    copy = tmp_path / "migrations"
    mutant.write(reference_migrations_dir(), copy)

    outcomes = _run_db_scenarios(copy, tmp_path / "junit.xml", harness_config)

    missed = [name for name in mutant.caught_by if outcomes.get(name) != "failed"]
    assert missed == [], f"{mutant.name} ({mutant.description}) was not caught by {missed}"
