"""Run reports: the results model, `results.json` and a self-contained `report.html` in
`reports/<run>/` with `reports/latest`, and the conformance matrix as terminal text."""

from __future__ import annotations

from harness.report.html import render_html
from harness.report.model import (
    OUTCOMES,
    ChaosFigures,
    ChaosPoint,
    ChaosSummary,
    CheckSummary,
    JobTimeline,
    JobTransition,
    Outcome,
    RunResults,
    ScenarioResult,
    area_of,
    is_scenario,
)
from harness.report.summary import (
    ConformanceMatrix,
    ErrorCodeRow,
    SkipSummary,
    conformance_matrix,
    error_code_rows,
    render_matrix_text,
    skip_summary,
)
from harness.report.writer import point_latest, read_results, redact_file, write_report

__all__ = [
    "OUTCOMES",
    "ChaosFigures",
    "ChaosPoint",
    "ChaosSummary",
    "CheckSummary",
    "ConformanceMatrix",
    "ErrorCodeRow",
    "JobTimeline",
    "JobTransition",
    "Outcome",
    "RunResults",
    "ScenarioResult",
    "SkipSummary",
    "area_of",
    "conformance_matrix",
    "error_code_rows",
    "is_scenario",
    "point_latest",
    "read_results",
    "redact_file",
    "render_html",
    "render_matrix_text",
    "skip_summary",
    "write_report",
]
