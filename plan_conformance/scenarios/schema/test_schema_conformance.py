"""The target's database has the schema the contract needs (docs/contract.md).

What breaks between staging and production is most often the schema: a migration applied
after the functions that need it, a missing index, a grant, a function left with its old
signature. Each scenario compares one area of the reflected schema with the contract and
fails with one line per difference: expected, found, and the migration that usually fixes
it. Read-only, so it runs on staging too (`DATABASE_URL`) and belongs to the smoke suite.
"""

from __future__ import annotations

import pytest

from harness import SchemaSnapshot, schema_mismatches

pytestmark = [pytest.mark.needs("db"), pytest.mark.smoke]


def _conforms(schema: SchemaSnapshot, area: str) -> None:
    lines = schema_mismatches(schema, area)
    if lines:
        pytest.fail(f"{len(lines)} difference(s) from the contract:\n" + "\n".join(lines), pytrace=False)


def test_tables_and_columns_are_the_contracts(target_schema: SchemaSnapshot) -> None:
    _conforms(target_schema, "tables")


def test_constraints_hold_the_queue_rules(target_schema: SchemaSnapshot) -> None:
    _conforms(target_schema, "constraints")


def test_indexes_for_the_claim_and_one_active_rules_exist(target_schema: SchemaSnapshot) -> None:
    _conforms(target_schema, "indexes")


def test_row_level_security_lets_users_read_only_their_rows(target_schema: SchemaSnapshot) -> None:
    _conforms(target_schema, "row_level_security")


def test_table_grants_keep_app_users_read_only(target_schema: SchemaSnapshot) -> None:
    _conforms(target_schema, "table_grants")


def test_functions_have_the_contracts_signatures(target_schema: SchemaSnapshot) -> None:
    _conforms(target_schema, "function_signatures")


def test_functions_run_as_definer_with_a_fixed_search_path(target_schema: SchemaSnapshot) -> None:
    _conforms(target_schema, "function_security")


def test_function_grants_match_their_callers(target_schema: SchemaSnapshot) -> None:
    _conforms(target_schema, "function_grants")
