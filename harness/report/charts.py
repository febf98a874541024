"""Inline SVG charts for the HTML report: a duration histogram and job timelines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from harness.report.model import JobTimeline

STATUS_COLOURS = {
    "pending": "#94a3b8",
    "processing": "#3b82f6",
    "completed": "#16a34a",
    "failed": "#dc2626",
    "cancelled": "#d97706",
}
_OTHER_COLOUR = "#6b7280"
MAX_TIMELINE_JOBS = 100


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def histogram_svg(values: Sequence[float], unit: str = "s", width: int = 560) -> str:
    """A histogram of `values` in up to 12 equal-width bins (one when all are equal); empty
    input draws nothing."""
    if not values:
        return ""
    low, high = min(values), max(values)
    bins = max(1, min(12, math.ceil(math.sqrt(len(values))))) if high > low else 1
    step = (high - low) / bins or 1.0
    counts = [0] * bins
    for value in values:
        counts[min(int((value - low) / step), bins - 1)] += 1
    height, left, bottom, top = 200, 40, 30, 16
    plot_w, plot_h = width - left - 10, height - bottom - top
    bar_w = plot_w / bins
    parts = [
        f'<svg width="{width}" height="{height}" '
        f'role="img" aria-label="histogram of {len(values)} durations">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#334155"/>',
    ]
    for index, count in enumerate(counts):
        start = low + index * step
        bar_h = plot_h * count / max(counts)
        x, y = left + index * bar_w, top + plot_h - bar_h
        label = f"{_number(start)}-{_number(start + step)} {unit}: {count}"
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{bar_h:.1f}" fill="#3b82f6"><title>{escape(label)}</title></rect>'
        )
        if count:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle">{_number(start)}</text>')
    parts.append(
        f'<text x="{left + plot_w:.1f}" y="{height - 12}" text-anchor="end">'
        f"{_number(high)} {escape(unit)}</text></svg>"
    )
    return "".join(parts)


def timeline_svg(jobs: Sequence[JobTimeline], width: int = 760) -> str:
    """One row per job (first 100): a bar per status, from each transition to the next."""
    shown = list(jobs)[:MAX_TIMELINE_JOBS]
    if not shown:
        return ""
    label_w, end_label_w, row_h, top = 110, 120, 18, 8
    plot_w = width - label_w - end_label_w
    end = max(max([t.at_seconds for t in job.transitions] + [job.duration_seconds or 0.0]) for job in shown)
    scale = plot_w / (end or 1.0)
    height = top + row_h * len(shown) + 24
    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="timelines of {len(shown)} jobs">'
    ]
    for row, job in enumerate(shown):
        y = top + row * row_h
        parts.append(f'<text x="0" y="{y + 12}">{escape(job.job_id[:12])}</text>')
        stops = [t.at_seconds for t in job.transitions[1:]]
        job_end = max([job.duration_seconds or 0.0] + [t.at_seconds for t in job.transitions])
        for transition, stop in zip(job.transitions, [*stops, job_end], strict=True):
            x = label_w + transition.at_seconds * scale
            bar_w = max((stop - transition.at_seconds) * scale, 3.0)
            colour = STATUS_COLOURS.get(transition.status, _OTHER_COLOUR)
            tip = f"{transition.status} at {_number(transition.at_seconds)} s"
            if transition.error_code:
                tip += f" ({transition.error_code})"
            parts.append(
                f'<rect class="segment" x="{x:.1f}" y="{y + 2}" width="{bar_w:.1f}" height="12" '
                f'fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
        final = job.ui_state or job.final_status
        parts.append(f'<text x="{width - end_label_w + 6}" y="{y + 12}">{escape(final)}</text>')
    legend_y = height - 6
    for index, (status, colour) in enumerate(STATUS_COLOURS.items()):
        x = label_w + index * 110
        parts.append(
            f'<rect x="{x}" y="{legend_y - 10}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{legend_y}">{status}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
