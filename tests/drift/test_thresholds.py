"""The queue's thresholds and defaults agree with docs/contract.md ("Configuration") in the
Python reference, the TypeScript functions, the SQL functions' signatures and the harness."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from harness.poller import JobSnapshot
from harness.target.settings import TargetSettings
from reference_impl.env_settings import env_defaults
from reference_impl.pipeline.settings import PipelineSettings
from reference_impl.settings import ServiceSettings
from tests.drift.homes import CONTRACT, markdown_table

ROOT = Path(__file__).resolve().parents[2]
CONFIG_TS = ROOT / "examples/supabase/functions/_shared/config.ts"


def _contract_defaults() -> dict[str, tuple[int, list[str]]]:
    """environment name (or the setting's name when it has none) -> (default, SQL arguments)."""
    rows = markdown_table((ROOT / CONTRACT).read_text(), "## Configuration", "setting")
    table: dict[str, tuple[int, list[str]]] = {}
    for setting, env_name, default, arguments in rows:
        key = env_name.strip("`") if env_name != "-" else setting
        table[key] = (int(default), re.findall(r"`([a-z_]+\.p_[a-z_]+)`", arguments))
    return table


DEFAULTS = _contract_defaults()


def test_the_reference_service_defaults_are_the_contracts() -> None:
    read = env_defaults(ServiceSettings)
    contract = {name: default for name, (default, _) in DEFAULTS.items() if name.isupper()}

    assert {name: read.get(name) for name in contract} == contract


def test_the_settings_the_harness_reads_from_a_target_are_settings_the_service_reads() -> None:
    service_reads = {**env_defaults(ServiceSettings), **env_defaults(PipelineSettings)}

    assert set(TargetSettings.env_names()) - set(service_reads) == set()


def test_the_typescript_functions_defaults_are_the_contracts() -> None:
    text = CONFIG_TS.read_text()
    day_ms = 86_400_000
    found = {}
    for name, expression in re.findall(r'wholeNumber\(env, "([A-Z_]+)", ([0-9_ *A-Z]+),', text):
        if name in DEFAULTS:
            assert re.fullmatch(r"[0-9_ *]+|[0-9_ *]*DAY_MS", expression), expression
            found[name] = eval(expression.replace("DAY_MS", str(day_ms)), {"__builtins__": {}})
    assert found == {name: default for name, (default, _) in DEFAULTS.items() if name.isupper()}


def test_the_harness_assumes_the_contracts_attempts_per_job() -> None:
    assert JobSnapshot(id="x", status="pending").max_retries == DEFAULTS["PLAN_JOB_MAX_RETRIES"][0]
    assert (
        JobSnapshot.from_row({"id": "x", "status": "pending"}).max_retries
        == DEFAULTS["PLAN_JOB_MAX_RETRIES"][0]
    )


@pytest.mark.parametrize(
    "argument", sorted(argument for _, arguments in DEFAULTS.values() for argument in arguments)
)
def test_the_sql_functions_default_arguments_are_the_contracts(
    argument: str, worker_database_dsn: str
) -> None:
    function, name = argument.split(".")
    expected = next(default for default, arguments in DEFAULTS.values() if argument in arguments)
    with psycopg.connect(worker_database_dsn) as connection:
        rows = connection.execute(
            "select pg_get_function_arguments(p.oid) from pg_proc p"
            " join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and p.proname = %s",
            (function,),
        ).fetchall()
        assert len(rows) == 1, f"public.{function}: {len(rows)} signatures"
        match = re.search(rf"\b{name} (\w+) DEFAULT (.+?)(?:, \w+ \w+|$)", rows[0][0])
        assert match is not None, f"public.{function} has no default for {name}: {rows[0][0]}"
        kind, expression = match.groups()
        query = (
            f"select extract(epoch from ({expression})) * 1000"
            if kind == "interval"
            else f"select {expression}"
        )
        value = connection.execute(query.encode()).fetchone()
    assert value is not None and int(value[0]) == expected


def test_the_sql_default_stuck_threshold_is_the_contracts(worker_database_dsn: str) -> None:
    with psycopg.connect(worker_database_dsn) as connection:
        row = connection.execute(
            "select extract(epoch from plan_jobs_internal.default_stuck_after()) * 1000"
        ).fetchone()
    assert row is not None and int(row[0]) == DEFAULTS["STUCK_AFTER_MS"][0]
