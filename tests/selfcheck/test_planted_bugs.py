"""The suite catches the seed's bugs: each planted bug makes scenarios fail.

Migration bugs: the reference migrations are copied, one bug is planted, and `pytest
plan_conformance/scenarios/db --migrations <copy>` runs in a child process; the named scenarios must fail.
Service bugs: the `reference_impl` package is copied, one bug is planted, and the named
end-to-end scenarios run in a child process whose local service imports the copy
(`--service-pythonpath`); each must fail. Edge Function bugs: the project's TypeScript
functions (`examples/supabase/functions`, without `node_modules`) are copied, one bug is
planted, and the named scenarios run with `--functions <copy>`; each must fail. Control runs
on unmodified copies must pass, so a failure is the bug's doing. Run alone with:
pytest tests/selfcheck -v
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import pytest

from harness.config import HarnessConfig
from harness.db.migrations import reference_migrations_dir
from tests.selfcheck.mutants import FUNCTION_MUTANTS, MIGRATION_MUTANTS, SERVICE_MUTANTS, Mutant

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "examples" / "supabase" / "functions"
CHILD_MAX_WAIT_S = "15"
DB_SCENARIOS = "plan_conformance/scenarios/db"

pytestmark = pytest.mark.slow


def _service_package_dir() -> Path:
    return Path(str(resources.files("reference_impl")))


def _run_child(
    arguments: Sequence[str],
    workdir: Path,
    harness_config: HarnessConfig,
    failure_texts: dict[str, str] | None = None,
) -> dict[str, str]:
    """Run pytest in a child process; the outcome of each test by its name with parameters
    (and, into `failure_texts` when given, the failure message of each failed test)."""
    junit = workdir / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        *arguments,
        "--junitxml",
        str(junit),
        "--report-dir",
        str(workdir / "reports"),
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
    ]
    if harness_config.database is not None:
        command += ["--db", harness_config.database.spec]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    if not junit.exists():
        raise AssertionError(f"the child run wrote no results:\n{completed.stdout}\n{completed.stderr}")
    outcomes: dict[str, str] = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        failure = case.find("failure")
        failed = failure is not None or case.find("error") is not None
        if failure is not None and failure_texts is not None:
            failure_texts[case.get("name", "")] = f"{failure.get('message', '')}\n{failure.text or ''}"
        skipped = case.find("skipped") is not None
        outcomes[case.get("name", "")] = "failed" if failed else ("skipped" if skipped else "passed")
    return outcomes


def _by_function(outcomes: dict[str, str]) -> dict[str, str]:
    """The worst outcome of each test function over its parametrisations."""
    merged: dict[str, str] = {}
    for name, outcome in outcomes.items():
        function = name.split("[", 1)[0]
        if merged.get(function) != "failed":
            merged[function] = outcome
    return merged


def _test_name(node_id: str) -> str:
    return node_id.rsplit("::", 1)[-1]


def test_unmodified_migrations_pass(tmp_path: Path, harness_config: HarnessConfig) -> None:
    copy = tmp_path / "migrations"
    Mutant("control", "no edits", (), ()).write(reference_migrations_dir(), copy)

    outcomes = _run_child([DB_SCENARIOS, "--migrations", str(copy)], tmp_path, harness_config)

    assert outcomes, "the control run collected no scenarios"
    assert [name for name, outcome in outcomes.items() if outcome != "passed"] == []


@pytest.mark.parametrize("mutant", MIGRATION_MUTANTS, ids=[mutant.name for mutant in MIGRATION_MUTANTS])
def test_planted_migration_bug_is_caught(
    tmp_path: Path, harness_config: HarnessConfig, mutant: Mutant
) -> None:
    copy = tmp_path / "migrations"
    mutant.write(reference_migrations_dir(), copy)
    failure_texts: dict[str, str] = {}

    outcomes = _by_function(
        _run_child([DB_SCENARIOS, "--migrations", str(copy)], tmp_path, harness_config, failure_texts)
    )

    missed = [name for name in mutant.caught_by if outcomes.get(name) != "failed"]
    assert missed == [], f"{mutant.name} ({mutant.description}) was not caught by {missed}"
    unnamed = [
        (name, word)
        for name in mutant.caught_by
        for word in mutant.failure_names
        if not any(word in text for test, text in failure_texts.items() if test.split("[", 1)[0] == name)
    ]
    assert unnamed == [], f"{mutant.name}: the failure messages do not name {unnamed}"


def _service_run(mutant: Mutant, tmp_path: Path, harness_config: HarnessConfig) -> dict[str, str]:
    source_root = tmp_path / "src"
    mutant.write(_service_package_dir(), source_root / "reference_impl")
    arguments = [*mutant.caught_by, "--service-pythonpath", str(source_root), "--max-wait", CHILD_MAX_WAIT_S]
    return _run_child(arguments, tmp_path, harness_config)


def test_unmodified_service_passes(tmp_path: Path, harness_config: HarnessConfig) -> None:
    node_ids = sorted({node_id for mutant in SERVICE_MUTANTS for node_id in mutant.caught_by})
    control = Mutant("control", "no edits", (), tuple(node_ids))

    outcomes = _service_run(control, tmp_path, harness_config)

    assert {_test_name(node_id) for node_id in node_ids} <= set(outcomes), outcomes
    assert [name for name, outcome in outcomes.items() if outcome != "passed"] == []


@pytest.mark.parametrize("mutant", SERVICE_MUTANTS, ids=[mutant.name for mutant in SERVICE_MUTANTS])
def test_planted_service_bug_is_caught(tmp_path: Path, harness_config: HarnessConfig, mutant: Mutant) -> None:
    outcomes = _service_run(mutant, tmp_path, harness_config)

    missed = [node_id for node_id in mutant.caught_by if outcomes.get(_test_name(node_id)) != "failed"]
    assert missed == [], f"{mutant.name} ({mutant.description}) was not caught by {missed}"


def _functions_run(mutant: Mutant, tmp_path: Path, harness_config: HarnessConfig) -> dict[str, str]:
    copy = tmp_path / "functions"
    mutant.write(FUNCTIONS_DIR, copy, leave_out=("node_modules",))
    arguments = [*mutant.caught_by, "--functions", str(copy), "--max-wait", CHILD_MAX_WAIT_S]
    return _run_child(arguments, tmp_path, harness_config)


def test_unmodified_functions_pass(tmp_path: Path, harness_config: HarnessConfig) -> None:
    node_ids = sorted({node_id for mutant in FUNCTION_MUTANTS for node_id in mutant.caught_by})
    control = Mutant("control", "no edits", (), tuple(node_ids))

    outcomes = _functions_run(control, tmp_path, harness_config)

    assert {_test_name(node_id) for node_id in node_ids} <= set(outcomes), outcomes
    assert [name for name, outcome in outcomes.items() if outcome != "passed"] == []


@pytest.mark.parametrize("mutant", FUNCTION_MUTANTS, ids=[mutant.name for mutant in FUNCTION_MUTANTS])
def test_planted_function_bug_is_caught(
    tmp_path: Path, harness_config: HarnessConfig, mutant: Mutant
) -> None:
    outcomes = _functions_run(mutant, tmp_path, harness_config)

    missed = [node_id for node_id in mutant.caught_by if outcomes.get(_test_name(node_id)) != "failed"]
    assert missed == [], f"{mutant.name} ({mutant.description}) was not caught by {missed}"
