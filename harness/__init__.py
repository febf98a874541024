"""Conformance harness: pytest plugin and library.

Scenarios import only what is listed here (`from harness import ...`); the test
`tests/harness/test_scenario_imports.py` and ruff's banned imports hold them to it.

The names are resolved when first used (PEP 562), so a process that needs one part of the
harness (the edge runtime, `plan-stack`, `plan-chaos`) does not import all of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.chaos import NEMESES, ChaosOutcome
    from harness.checkers import DbSnapshot, all_invariants
    from harness.client import PlanJobs, QueueAdmin, SupabaseHttp
    from harness.faults import ScenarioFake
    from harness.fuzz.documents import PUBLISHED_DOCUMENTS, PublishedDocument
    from harness.fuzz.outcome import FuzzOutcome
    from harness.history import History
    from harness.jobs_ahead import JobsAhead, JobsAheadFactory, JobStart, StartedJob
    from harness.oracle import check_plan, compute_targets
    from harness.poller import TERMINAL_STATUSES, JobSnapshot, PollOutcome, UiState
    from harness.profiles import ProfileFactory, invalid_profiles
    from harness.queue_db import DEFAULT_JOB_INPUT, Backoff, QueueDatabase, QueueUser, Row, refused
    from harness.redact import Redactor
    from harness.report.reporter import record_check
    from harness.schema import SchemaSnapshot, schema_mismatches
    from harness.stack.isolated import IsolatedStack
    from harness.target.live import LogFile
    from pgcaller import Caller, as_caller

_HOMES = {
    "harness.chaos": ("NEMESES", "ChaosOutcome"),
    "harness.checkers": ("DbSnapshot", "all_invariants"),
    "harness.client": ("PlanJobs", "QueueAdmin", "SupabaseHttp"),
    "harness.faults": ("ScenarioFake",),
    "harness.fuzz.documents": ("PUBLISHED_DOCUMENTS", "PublishedDocument"),
    "harness.fuzz.outcome": ("FuzzOutcome",),
    "harness.history": ("History",),
    "harness.jobs_ahead": ("JobsAhead", "JobsAheadFactory", "JobStart", "StartedJob"),
    "harness.oracle": ("check_plan", "compute_targets"),
    "harness.poller": ("TERMINAL_STATUSES", "JobSnapshot", "PollOutcome", "UiState"),
    "harness.profiles": ("ProfileFactory", "invalid_profiles"),
    "harness.queue_db": ("DEFAULT_JOB_INPUT", "Backoff", "QueueDatabase", "QueueUser", "Row", "refused"),
    "harness.redact": ("Redactor",),
    "harness.report.reporter": ("record_check",),
    "harness.schema": ("SchemaSnapshot", "schema_mismatches"),
    "harness.stack.isolated": ("IsolatedStack",),
    "harness.target.live": ("LogFile",),
    "pgcaller": ("Caller", "as_caller"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

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
    "JobStart",
    "JobsAhead",
    "JobsAheadFactory",
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
    "StartedJob",
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


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
