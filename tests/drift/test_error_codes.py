"""The error codes agree with docs/contract.md everywhere they are written, and the drift
check itself fails when one place loses a code (a copy of the tree with one edit)."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from tests.drift.homes import (
    CONTRACT,
    MIGRATIONS,
    PLAYBOOK,
    PYTHON_CODES,
    TS_CODES,
    UI_STATES,
    contract_codes,
    error_code_drift,
)

ROOT = Path(__file__).resolve().parents[2]
SINGLE = MIGRATIONS / "20251220000000_plan_job_single_definitions.sql"


def test_every_copy_of_the_error_codes_agrees_with_the_contract() -> None:
    assert error_code_drift(ROOT) == []


# (file, text, replacement, words the drift report must contain)
ONE_PLACE_LOSES_A_CODE = {
    "sql_constraint": (
        SINGLE,
        "array['STALE_PENDING', 'CANCELLED', 'SUPERSEDED']",
        "array['STALE_PENDING', 'CANCELLED']",
        "check constraint plan_generation_jobs_error_code_known: missing ['SUPERSEDED']",
    ),
    "sql_attempt_codes": (
        SINGLE,
        "'VALIDATION_FAILED', 'WORKER_TIMEOUT', 'UNEXPECTED_ERROR']",
        "'VALIDATION_FAILED', 'WORKER_TIMEOUT']",
        "attempt_error_codes(): missing ['UNEXPECTED_ERROR']",
    ),
    "sql_never_retried": (
        SINGLE,
        "array['AI_QUOTA_EXCEEDED', 'CONFIG_ERROR']",
        "array['AI_QUOTA_EXCEEDED']",
        "never_retried_error_codes(): missing ['CONFIG_ERROR']",
    ),
    "sql_fail_plan_job_list": (
        SINGLE,
        "and not p_error_code = any (plan_jobs_internal.never_retried_error_codes())",
        "and p_error_code not in ('AI_QUOTA_EXCEEDED')",
        "fail_plan_job writes codes out ['AI_QUOTA_EXCEEDED']",
    ),
    "python_enum": (PYTHON_CODES, '    SUPERSEDED = "SUPERSEDED"\n', "", "ErrorCode: missing ['SUPERSEDED']"),
    "python_retryable": (
        PYTHON_CODES,
        "        ErrorCode.CONFIG_ERROR,\n",
        "",
        "_NOT_RETRYABLE: missing ['CONFIG_ERROR']",
    ),
    "ui_state_map": (
        UI_STATES,
        '        "STALE_PENDING": UiState.STUCK,\n',
        "",
        "ERROR_CODE_UI_STATES: missing ['STALE_PENDING']",
    ),
    "ui_state_wrong": (
        UI_STATES,
        '"AI_RATE_LIMIT": UiState.ERROR_BUSY,',
        '"AI_RATE_LIMIT": UiState.ERROR_GENERIC,',
        "maps AI_RATE_LIMIT to error_generic, the contract says error_busy",
    ),
    "typescript": (
        TS_CODES,
        '  "UNEXPECTED_ERROR",\n',
        "",
        "ATTEMPT_ERROR_CODES: missing ['UNEXPECTED_ERROR']",
    ),
    "playbook": (
        PLAYBOOK,
        "| `SUPERSEDED` | cancelled by a regeneration | - | `cancelled` | nothing (their action) | none |\n",
        "",
        "section 4.1: missing ['SUPERSEDED']",
    ),
    "contract": (
        CONTRACT,
        "| `SUPERSEDED` | a regeneration replaced the job | - | no | `cancelled` |\n",
        "",
        "not in the contract ['SUPERSEDED']",
    ),
}


def _copy(tree: Path) -> Path:
    for relative in (CONTRACT, PLAYBOOK, PYTHON_CODES, UI_STATES, TS_CODES):
        (tree / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, tree / relative)
    shutil.copytree(ROOT / MIGRATIONS, tree / MIGRATIONS)
    return tree


@pytest.mark.parametrize("place", sorted(ONE_PLACE_LOSES_A_CODE))
def test_the_drift_check_names_the_one_place_that_lost_a_code(place: str, tmp_path: Path) -> None:
    relative, old, new, expected = ONE_PLACE_LOSES_A_CODE[place]
    tree = _copy(tmp_path)
    assert error_code_drift(tree) == []  # the copy agrees before the edit
    path = tree / relative
    text = path.read_text()
    assert text.count(old) == 1, f"the edit of {place} no longer applies to {relative}"
    path.write_text(text.replace(old, new))

    problems = error_code_drift(tree)

    assert any(expected in problem for problem in problems), problems


def test_the_migrated_database_returns_the_contracts_codes(worker_database_dsn: str) -> None:
    rows = contract_codes(ROOT)
    with psycopg.connect(worker_database_dsn) as connection:
        every, attempts, never = connection.execute(
            "select plan_jobs_internal.job_error_codes(), plan_jobs_internal.attempt_error_codes(),"
            " plan_jobs_internal.never_retried_error_codes()"
        ).fetchone() or (None, None, None)
    assert sorted(every or []) == sorted(row.code for row in rows)
    assert sorted(attempts or []) == sorted(row.code for row in rows if row.attempt != "-")
    assert sorted(never or []) == sorted(row.code for row in rows if row.attempt != "-" and not row.retryable)
