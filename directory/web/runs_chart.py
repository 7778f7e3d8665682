"""The run-history chart: an SVG bar chart of records per run, with its axes and scale."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

from directory.models.sync import SyncRun
from directory.web import labels
from directory.web.i18n import format_when

COLORS = {"changed": "#2e7d32", "deleted": "#616161", "rejected": "#c62828"}
LEFT, BOTTOM, TOP = 44, 34, 8  # room for the scale on the left and the dates underneath


def nice_top(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return factor * step
        step *= 10


def runs_chart(history: list[SyncRun], width: int = 640, height: int = 140) -> Markup:
    """An SVG bar chart, oldest run left: records changed, deleted, rejected per run.

    The left axis carries a scale (0, half, top); the bottom axis the dates of the
    oldest and newest run shown. Each bar and marker has a title with its numbers.
    """
    history = list(reversed(history))
    if not history:
        return Markup("")
    totals = [r.created + r.updated + r.deleted + r.rejected for r in history]
    top = nice_top(max(totals))
    plot_w, base = width - LEFT, TOP + height
    step = min(plot_w / len(history), 24.0)
    title = _("Records per run")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="runs-chart" role="img"'
        f' viewBox="0 0 {width} {base + BOTTOM}" width="100%">'
        f"<title>{escape(title)}</title>"
    ]
    for value in (0, top // 2, top) if top > 1 else (0, top):
        y = base - value / top * height
        parts.append(
            f'<line x1="{LEFT}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12"'
            f' fill="#57606a">{escape(format_decimal(value))}</text>'
        )
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{base}" stroke="#57606a"/>')
    for i, run in enumerate(history):
        parts += _bar(run, LEFT + i * step, step, base, height / top)
    for anchor, x, run in (("start", LEFT, history[0]), ("end", width, history[-1])):
        parts.append(
            f'<text x="{x}" y="{base + 28}" text-anchor="{anchor}" font-size="12" fill="#57606a">'
            f"{escape(format_when(run.started_at))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _bar(run: SyncRun, x: float, step: float, base: float, scale: float) -> list[str]:
    parts, y = [], base
    names = {"changed": _("changed"), "deleted": _("deleted"), "rejected": _("rejected")}
    for key, value in (
        ("changed", run.created + run.updated),
        ("deleted", run.deleted),
        ("rejected", run.rejected),
    ):
        h = value * scale
        if h:
            y -= h
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}"'
                f' height="{h:.1f}" fill="{COLORS[key]}"><title>#{run.id} {escape(run.peer)}'
                f" {escape(labels.direction_label(run.direction))}: {escape(names[key])}"
                f" {escape(format_decimal(value))}</title></rect>"
            )
    if run.outcome != "success":
        parts.append(
            f'<circle cx="{x + step / 2:.1f}" cy="{base + 9}" r="4" fill="#c62828">'
            f"<title>#{run.id} {escape(labels.run_outcome_label(run.outcome))}</title></circle>"
        )
    return parts
