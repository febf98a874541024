"""Tables derived from run results: the conformance matrix (also as terminal text) and the
error-code table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.poller import ERROR_CODE_UI_STATES, ui_state_for
from harness.report.model import OUTCOMES, JobTimeline, Outcome, ScenarioResult

CORE_OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "skipped", "xfailed")


@dataclass(frozen=True)
class ConformanceMatrix:
    """Scenario counts by area (rows) and outcome (columns: the four core outcomes, plus
    `error` and `xpassed` when any occurred)."""

    areas: tuple[str, ...]
    columns: tuple[Outcome, ...]
    counts: Mapping[str, Mapping[Outcome, int]]

    def cell(self, area: str, outcome: Outcome) -> int:
        return self.counts.get(area, {}).get(outcome, 0)

    def total(self, outcome: Outcome) -> int:
        return sum(self.cell(area, outcome) for area in self.areas)


def conformance_matrix(scenarios: Sequence[ScenarioResult]) -> ConformanceMatrix:
    counts: dict[str, Counter[Outcome]] = {}
    for scenario in scenarios:
        counts.setdefault(scenario.area, Counter())[scenario.outcome] += 1
    seen = {outcome for row in counts.values() for outcome in row}
    columns = tuple(o for o in OUTCOMES if o in CORE_OUTCOMES or o in seen)
    return ConformanceMatrix(tuple(sorted(counts)), columns, {a: dict(c) for a, c in counts.items()})


def render_matrix_text(matrix: ConformanceMatrix) -> str:
    """The matrix as aligned plain text, with a total row, for the terminal summary."""
    header = ["area", *matrix.columns, "total"]
    rows = [
        [
            area,
            *(str(matrix.cell(area, o)) for o in matrix.columns),
            str(sum(matrix.cell(area, o) for o in matrix.columns)),
        ]
        for area in matrix.areas
    ]
    totals = [str(matrix.total(o)) for o in matrix.columns]
    rows.append(["total", *totals, str(sum(int(t) for t in totals))])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    return "\n".join([line(header), *(line(row) for row in rows)]) + "\n"


@dataclass(frozen=True)
class ErrorCodeRow:
    code: str
    final: int
    seen: int
    ui_state: str
    documented: bool


def error_code_rows(jobs: Sequence[JobTimeline]) -> list[ErrorCodeRow]:
    """Every documented error code (docs/contract.md "Error codes") and every other code observed,
    with how many jobs ended with it (`final`) and how many showed it at some point (`seen`)."""
    final = Counter(job.error_code for job in jobs if job.error_code)
    seen = Counter(
        code for job in jobs for code in {t.error_code for t in job.transitions} | {job.error_code} if code
    )
    undocumented = sorted(set(seen) - set(ERROR_CODE_UI_STATES))
    return [
        ErrorCodeRow(
            code,
            final[code],
            seen[code],
            ui_state_for("failed", code).value,
            code in ERROR_CODE_UI_STATES,
        )
        for code in [*ERROR_CODE_UI_STATES, *undocumented]
    ]


@dataclass(frozen=True)
class SkipSummary:
    """How much of the run was skipped, and why (the reasons, most frequent first)."""

    skipped: int
    total: int
    reasons: tuple[tuple[str, int], ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.skipped / self.total if self.total else 0.0

    def render(self) -> str:
        lines = [f"skipped {self.skipped} of {self.total} ({self.percent:.1f}%)"]
        lines += [f"  {count:4d}  {reason}" for reason, count in self.reasons]
        return "\n".join(lines) + "\n"


def skip_summary(scenarios: Sequence[ScenarioResult]) -> SkipSummary:
    reasons = Counter(s.reason or "(no reason given)" for s in scenarios if s.outcome == "skipped")
    return SkipSummary(sum(reasons.values()), len(scenarios), tuple(reasons.most_common()))
