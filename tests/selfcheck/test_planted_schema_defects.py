"""The schema scenarios catch what a deploy leaves behind: each planted schema defect makes
exactly its named scenario fail, with a line naming the object, and the unmodified copy passes.

A copy of the reference migrations gets one defect (`schema_mutants.py`) and
`pytest plan_conformance/scenarios/schema --migrations <copy>` runs in a child process. Run alone with:
pytest tests/selfcheck/test_planted_schema_defects.py -v
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import HarnessConfig
from harness.db.migrations import reference_migrations_dir
from tests.selfcheck.mutants import Mutant
from tests.selfcheck.schema_mutants import SCHEMA_MUTANTS
from tests.selfcheck.test_planted_bugs import _run_child

SCHEMA_SUITE = "plan_conformance/scenarios/schema"

pytestmark = pytest.mark.slow


def _schema_run(
    mutant: Mutant, tmp_path: Path, harness_config: HarnessConfig, failure_texts: dict[str, str]
) -> dict[str, str]:
    copy = tmp_path / "migrations"
    mutant.write(reference_migrations_dir(), copy)
    return _run_child([SCHEMA_SUITE, "--migrations", str(copy)], tmp_path, harness_config, failure_texts)


def test_unmodified_migrations_pass_the_schema_scenarios(
    tmp_path: Path, harness_config: HarnessConfig
) -> None:
    outcomes = _schema_run(Mutant("control", "no edits", (), ()), tmp_path, harness_config, {})

    assert len(outcomes) >= len({name for mutant in SCHEMA_MUTANTS for name in mutant.caught_by}), outcomes
    assert [name for name, outcome in outcomes.items() if outcome != "passed"] == []


@pytest.mark.parametrize("mutant", SCHEMA_MUTANTS, ids=[mutant.name for mutant in SCHEMA_MUTANTS])
def test_planted_schema_defect_fails_its_scenario_with_its_line(
    tmp_path: Path, harness_config: HarnessConfig, mutant: Mutant
) -> None:
    failure_texts: dict[str, str] = {}

    outcomes = _schema_run(mutant, tmp_path, harness_config, failure_texts)

    failed = sorted(name for name, outcome in outcomes.items() if outcome == "failed")
    assert failed == sorted(mutant.caught_by), f"{mutant.name} ({mutant.description}): failed {failed}"
    unnamed = [
        (name, words)
        for name in mutant.caught_by
        for words in mutant.failure_names
        if words not in failure_texts[name]
    ]
    assert unnamed == [], f"{mutant.name}: the failure lines do not name {unnamed}:\n{failure_texts}"
