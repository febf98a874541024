"""Conformance harness: pytest plugin and library.

Scenarios import only what is listed here (`from harness import ...`); the test
`tests/harness/test_scenario_imports.py` and ruff's banned imports hold them to it.
"""

from __future__ import annotations

from harness.chaos import NEMESES, ChaosOutcome
from harness.checkers import DbSnapshot, all_invariants
from harness.client import PlanJobs, QueueAdmin, SupabaseHttp
from harness.faults import ScenarioFake
from harness.fuzz.documents import PUBLISHED_DOCUMENTS, PublishedDocument
from harness.fuzz.outcome import FuzzOutcome
from harness.history import History
from harness.oracle import check_plan, compute_targets
from harness.poller import TERMINAL_STATUSES, JobSnapshot, PollOutcome, UiState
from harness.profiles import ProfileFactory, invalid_profiles
from harness.queue_db import DEFAULT_JOB_INPUT, Backoff, QueueDatabase, QueueUser, Row, refused
from harness.redact import Redactor
from harness.reporting import record_check
from harness.schema import SchemaSnapshot, schema_mismatches
from harness.stack.isolated import IsolatedStack
from harness.target.live import LogFile
from pgcaller import Caller, as_caller

__all__ = [
    "DEFAULT_JOB_INPUT",
    "NEMESES",
    "PUBLISHED_DOCUMENTS",
    "TERMINAL_STATUSES",
    "Backoff",
    "Caller",
    "ChaosOutcome",
    "DbSnapshot",
    "FuzzOutcome",
    "History",
    "IsolatedStack",
    "JobSnapshot",
    "LogFile",
    "PlanJobs",
    "PollOutcome",
    "ProfileFactory",
    "PublishedDocument",
    "QueueAdmin",
    "QueueDatabase",
    "QueueUser",
    "Redactor",
    "Row",
    "ScenarioFake",
    "SchemaSnapshot",
    "SupabaseHttp",
    "UiState",
    "all_invariants",
    "as_caller",
    "check_plan",
    "compute_targets",
    "invalid_profiles",
    "record_check",
    "refused",
    "schema_mismatches",
]
