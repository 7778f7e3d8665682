"""Chart geometry for the statistics page; templates draw it as SVG (no script needed)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_decimal, format_percent

BAR_SPAN = 75.0  # the longest bar takes 75% of the width, leaving room for its value
LABEL_CHARS = 40  # SVG text does not wrap: longer labels are cut (the bar's title has it all)


@dataclass
class Bar:
    """One bar: its label, the value as text, its length in % of the chart, and a link."""

    label: str
    value: str
    pct: float
    url: str | None = None
    note: str = ""  # a second line under a column (the year, where it changes)

    @property
    def short_label(self) -> str:
        """The label cut to fit a phone's width."""
        if len(self.label) <= LABEL_CHARS:
            return self.label
        return self.label[: LABEL_CHARS - 1].rstrip() + "…"


def bars(rows: list[tuple[str, int, str | None]], *, total: int | None = None) -> list[Bar]:
    """Horizontal bars for (label, count, url) rows; with ``total``, values show a share too."""
    top = max((n for _, n, _ in rows), default=0) or 1
    out = []
    for label, n, url in rows:
        value = format_decimal(n)
        if total:
            value = f"{format_percent(n / total)} ({value})"
        out.append(Bar(label, value, round(BAR_SPAN * n / top, 2), url))
    return out


def months_back(last: str, count: int) -> list[str]:
    """``count`` months ending with ``last`` ("2026-11"), oldest first."""
    year, month = (int(part) for part in last.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def columns(months: list[tuple[str, int]], last: str, count: int = 12) -> list[Bar]:
    """Vertical columns of new listings per month, months without any included."""
    found = dict(months)
    top = max(found.values(), default=0) or 1
    out = []
    for i, m in enumerate(months_back(last, count)):
        n = found.get(m, 0)
        note = m[:4] if i == 0 or m.endswith("-01") else ""
        out.append(Bar(m[5:], format_decimal(n), 100 * n / top, note=note))
    return out
