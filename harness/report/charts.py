"""Inline SVG charts for the HTML report: a duration histogram, job timelines and a chaos
run's timeline with its nemesis bands."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from harness.report.model import ChaosSummary, JobTimeline, NemesisBand

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


NEMESIS_COLOURS = {
    "kill": "#dc2626",
    "pause": "#d97706",
    "db-restart": "#7c3aed",
    "fake-restart": "#0891b2",
    "faults": "#db2777",
}
_TERMINAL_COLOURS = (("completed", "#16a34a"), ("failed", "#dc2626"), ("cancelled", "#d97706"))


def _tick_step(span: float) -> float:
    """A round step giving 4 to 10 ticks over `span` seconds."""
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600):
        if span / step <= 10:
            return step
    return span / 10


def _lane(band: NemesisBand) -> str:
    """One lane per worker for kills and pauses, one per kind otherwise."""
    if band.kind in ("kill", "pause"):
        return band.label.replace(" worker ", " w")
    return band.kind


def _lane_order(lane: str) -> tuple[int, str]:
    kind = lane.split(" ", 1)[0]
    order = list(NEMESIS_COLOURS)
    return (order.index(kind) if kind in order else len(order), lane)


def chaos_timeline_svg(summary: ChaosSummary, width: int = 900) -> str:
    """The nemesis' faults as bands in one lane per kind (and faintly across the jobs plot),
    over the jobs active (line) and those ending per bucket (stacked bars), on one time axis."""
    end = max([summary.ended_at_s, *(band.end_s for band in summary.bands), 0.0])
    if end <= 0:
        return ""
    lanes = sorted({_lane(band) for band in summary.bands}, key=_lane_order)
    left, right, lane_h, plot_h, top = 110, 20, 16, 170, 8
    plot_w = width - left - right
    plot_top = top + lane_h * len(lanes) + 10
    height = plot_top + plot_h + 56
    scale = plot_w / end

    def x(seconds: float) -> float:
        return left + max(0.0, min(seconds, end)) * scale

    label = f"chaos timeline of {summary.name}: {len(summary.bands)} nemesis bands over {end:.0f} s"
    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="{escape(label)}">']
    for row, lane in enumerate(lanes):
        y = top + row * lane_h
        parts.append(f'<text x="0" y="{y + 11}">{escape(lane)}</text>')
    for band in summary.bands:
        colour = NEMESIS_COLOURS.get(band.kind, _OTHER_COLOUR)
        x0, band_w = x(band.start_s), max(x(band.end_s) - x(band.start_s), 2.0)
        tip = f"{band.label}: {band.start_s:.2f} s to {band.end_s:.2f} s"
        y = top + lanes.index(_lane(band)) * lane_h
        parts.append(
            f'<rect class="band" x="{x0:.1f}" y="{y + 2}" width="{band_w:.1f}" height="{lane_h - 4}" '
            f'fill="{colour}"><title>{escape(tip)}</title></rect>'
        )
        parts.append(
            f'<rect class="stripe" x="{x0:.1f}" y="{plot_top}" width="{band_w:.1f}" height="{plot_h}" '
            f'fill="{colour}" fill-opacity="0.06"/>'
        )
    base = plot_top + plot_h
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#334155"/>')
    points = summary.series
    peak = max([p.active for p in points] + [p.completed + p.failed + p.cancelled for p in points] + [1])
    if points:
        step = points[1].at_s - points[0].at_s if len(points) > 1 else end
        bar_w = max(step * scale - 1, 1.0)
        for point in points:
            y = base
            for status, colour in _TERMINAL_COLOURS:
                count = getattr(point, status)
                if not count:
                    continue
                bar_h = plot_h * count / peak
                y -= bar_h
                parts.append(
                    f'<rect class="ended" x="{x(point.at_s):.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                    f'height="{bar_h:.1f}" fill="{colour}" fill-opacity="0.7">'
                    f"<title>{count} {status} at {point.at_s:.1f} s</title></rect>"
                )
        line = " ".join(f"{x(p.at_s):.1f},{base - plot_h * p.active / peak:.1f}" for p in points)
        parts.append(
            f'<polyline class="active" points="{line}" fill="none" stroke="#1d4ed8" stroke-width="2"/>'
        )
    parts.append(f'<text x="{left - 6}" y="{plot_top + 10}" text-anchor="end">{peak}</text>')
    parts.append(f'<text x="{left - 6}" y="{base}" text-anchor="end">0</text>')
    if summary.nemesis_stopped_at_s is not None:
        stop_x = x(summary.nemesis_stopped_at_s)
        anchor, text_x = ("end", stop_x - 4) if stop_x > left + plot_w * 0.7 else ("start", stop_x + 4)
        parts.append(
            f'<line class="heal" x1="{stop_x:.1f}" y1="{top}" x2="{stop_x:.1f}" y2="{base}" '
            'stroke="#0f172a" stroke-dasharray="4 3"/>'
            f'<text x="{text_x:.1f}" y="{plot_top + 10}" text-anchor="{anchor}">nemesis stops</text>'
        )
    tick = _tick_step(end)
    at = 0.0
    while at <= end + 1e-9:
        parts.append(f'<text x="{x(at):.1f}" y="{base + 14}" text-anchor="middle">{_number(at)}</text>')
        at += tick
    parts.append(
        f'<text x="{left + plot_w}" y="{base + 28}" text-anchor="end">seconds since the run began</text>'
    )
    legend_y = height - 6
    legend = [("jobs active", "#1d4ed8"), *_TERMINAL_COLOURS]
    for index, (name, colour) in enumerate(legend):
        lx = left + index * 120
        parts.append(
            f'<rect x="{lx}" y="{legend_y - 10}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{legend_y}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
