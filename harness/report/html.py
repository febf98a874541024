"""The self-contained HTML report of a run: inline CSS and SVG, no external assets."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from html import escape

from harness.report.charts import MAX_TIMELINE_JOBS, chaos_timeline_svg, histogram_svg, timeline_svg
from harness.report.model import ChaosSummary, RunResults
from harness.report.summary import conformance_matrix, error_code_rows

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#0f172a;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #cbd5e1}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #cbd5e1;padding:3px 8px}
th{background:#f1f5f9;text-align:left}td.n{text-align:right}
.passed{background:#dcfce7}.failed,.error,.false{background:#fee2e2}
.skipped,.unknown{background:#fef9c3}.true{background:#dcfce7}h3{font-size:15px;margin-top:18px}.xfailed,.xpassed{background:#e0e7ff}
.muted{color:#64748b}svg text{font:11px system-ui,sans-serif}pre{white-space:pre-wrap;margin:0}
"""


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], raw: bool = False) -> str:
    """A table; cells are escaped unless `raw` (then the caller has escaped them)."""
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell if raw else escape(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _section(title: str, body: str, empty: str) -> str:
    return f"<h2>{escape(title)}</h2>" + (body or f'<p class="muted">{escape(empty)}</p>')


def _matrix(results: RunResults) -> str:
    matrix = conformance_matrix(results.scenarios)
    if not matrix.areas:
        return ""
    head = "".join(f"<th>{o}</th>" for o in ("area", *matrix.columns))
    rows = []
    for area in [*matrix.areas, None]:
        cells = [f"<th>{escape(area or 'total')}</th>"]
        for outcome in matrix.columns:
            count = matrix.cell(area, outcome) if area else matrix.total(outcome)
            css = f' class="n {outcome}"' if count else ' class="n"'
            cells.append(f"<td{css}>{count}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _scenarios_with(results: RunResults, outcomes: set[str]) -> str:
    chosen = [s for s in results.scenarios if s.outcome in outcomes]
    if not chosen:
        return ""
    rows = [[escape(s.nodeid), escape(s.outcome), f"<pre>{escape(s.reason or '')}</pre>"] for s in chosen]
    return _table(["scenario", "outcome", "why"], rows, raw=True)


def _error_codes(results: RunResults) -> str:
    rows = [
        [
            row.code,
            str(row.final),
            str(row.seen),
            row.ui_state,
            "yes" if row.documented else "NO (not in docs/contract.md)",
        ]
        for row in error_code_rows(results.jobs)
    ]
    return _table(["error_code", "jobs ending with it", "jobs showing it", "UI state", "documented"], rows)


def _checks(results: RunResults) -> str:
    if not results.checks:
        return ""
    rows = [
        [
            escape(c.name),
            f'<span class="{str(c.valid).lower()}">{escape(str(c.valid))}</span>',
            f"<pre>{escape(json.dumps(c.details, indent=1, default=str))}</pre>",
        ]
        for c in results.checks
    ]
    return _table(["invariant", "valid", "details"], rows, raw=True)


def _timelines(results: RunResults) -> str:
    svg = timeline_svg(results.jobs)
    if svg and len(results.jobs) > MAX_TIMELINE_JOBS:
        svg += f'<p class="muted">first {MAX_TIMELINE_JOBS} of {len(results.jobs)} jobs</p>'
    return svg


def _estimator(results: RunResults) -> str:
    if results.estimator is None:
        return ""
    rows = [[key, json.dumps(value)] for key, value in results.estimator.items()]
    return _table(["setting", "suggested"], rows)


_VIOLATIONS = (
    ("lost_jobs", "lost jobs (acknowledged but missing, or never terminal)"),
    ("double_claims", "double claims (one attempt claimed twice)"),
    ("claims_over_limit", "claims over max_retries"),
    ("late_writes_accepted", "late writes accepted"),
    ("invalid_plans_saved", "invalid plans saved"),
    ("undocumented_error_codes", "undocumented error codes"),
    ("other_violations", "other invariants broken"),
)
_MEASURED = (
    ("late_writes_refused", "late writes refused (job.result_dropped)"),
    ("job_requests", "create-plan-job requests"),
    ("jobs_created", "jobs"),
    ("jobs_completed", "completed"),
    ("jobs_failed", "failed"),
    ("jobs_cancelled", "cancelled"),
    ("claims_seen", "claims"),
    ("active_when_nemesis_stopped", "jobs active when the nemesis stopped"),
    ("time_to_terminal_p50_s", "time to terminal after the nemesis stopped, p50 (s)"),
    ("time_to_terminal_p99_s", "p99 (s)"),
    ("time_to_terminal_max_s", "max (s)"),
)


def _chaos_run(summary: ChaosSummary) -> str:
    figures = summary.figures
    verdict = str(summary.valid).lower()
    facts = [
        ["target", escape(summary.target)],
        ["seed", str(summary.seed)],
        ["duration", f"{summary.duration_s:g} s (nemesis stopped at {summary.nemesis_stopped_at_s} s)"],
        ["nemeses", escape(", ".join(summary.nemeses) or "none")],
        *(
            [f"left out: {escape(name)}", escape(reason)]
            for name, reason in sorted(summary.refused_nemeses.items())
        ),
        [
            "nemesis events",
            escape(", ".join(f"{n} {kind}" for kind, n in figures.nemesis_events.items()) or "none"),
        ],
        ["replay", f"<code>{escape(summary.replay)}</code>"],
    ]
    if summary.history_file:
        facts.append(
            ["history (JSON lines, beside this report)", f"<code>{escape(summary.history_file)}</code>"]
        )
    violations = [
        [
            escape(label),
            f'<span class="{"false" if getattr(figures, key) else "true"}">{getattr(figures, key)}</span>',
        ]
        for key, label in _VIOLATIONS
    ]
    measured = [
        [escape(label), "-" if getattr(figures, key) is None else escape(str(getattr(figures, key)))]
        for key, label in _MEASURED
    ]
    return "".join(
        [
            f'<h3>{escape(summary.name)}: <span class="{verdict}">valid={escape(str(summary.valid))}</span>, '
            f"{figures.violations} violations</h3>",
            _table(["", ""], facts, raw=True),
            chaos_timeline_svg(summary),
            _table(["violation", "count"], violations, raw=True),
            _table(["measured", "value"], measured, raw=True),
        ]
    )


def _chaos(results: RunResults) -> str:
    return "".join(_chaos_run(summary) for summary in results.chaos)


def render_html(results: RunResults) -> str:
    """The whole report as one HTML document."""
    durations = [job.duration_seconds for job in results.jobs if job.duration_seconds is not None]
    facts = [
        ["run", results.run_id],
        ["target", results.target],
        ["seed", "-" if results.seed is None else str(results.seed)],
        ["started", results.started_at.isoformat()],
        ["finished", results.finished_at.isoformat() if results.finished_at else "-"],
        *([key, value] for key, value in sorted(results.environment.items())),
    ]
    body = "".join(
        [
            f"<h1>Conformance report: {escape(results.run_id)}</h1>",
            _table(["", ""], facts),
            _section("Conformance matrix", _matrix(results), "no scenarios ran"),
            _section("Failures", _scenarios_with(results, {"failed", "error", "xpassed"}), "no failures"),
            _section(
                "Skipped and why",
                _scenarios_with(results, {"skipped", "xfailed"}),
                "nothing skipped",
            ),
            _section("Chaos", _chaos(results), "") if results.chaos else "",
            _section("Invariants", _checks(results), "no invariant checks ran"),
            _section("Error codes", _error_codes(results), ""),
            _section("Job timelines", _timelines(results), "no jobs were polled"),
            _section("Job durations", histogram_svg(durations), "no durations recorded"),
            _section("Estimator suggestion", _estimator(results), "no estimator data"),
        ]
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Conformance report {escape(results.run_id)}</title>"
        f"<style>{_CSS}</style></head><body>{body}</body></html>\n"
    )
