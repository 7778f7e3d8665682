"""Counts of published, public listings for the browse and statistics pages."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel import Session

PUBLIC = "state = 'published' AND share_public = :true"


@dataclass
class DirectoryStats:
    """What the statistics page shows; every count is over published, public listings."""

    total: int = 0
    provinces: dict[str, int] = field(default_factory=dict)
    sections: dict[str, int] = field(default_factory=dict)
    divisions: dict[str, int] = field(default_factory=dict)
    size_classes: dict[str, int] = field(default_factory=dict)
    women_owned: int = 0
    youth_owned: int = 0
    months: list[tuple[str, int]] = field(default_factory=list)  # ("2026-11", n), oldest first
    countries: dict[str, int] = field(default_factory=dict)


def _grouped(session: Session, column: str) -> list[tuple]:
    sql = f"SELECT {column}, count(*) FROM listings WHERE {PUBLIC} GROUP BY {column}"
    return session.execute(text(sql), {"true": True}).all()


def directory_stats(session: Session, *, months: int = 12) -> DirectoryStats:
    """Counts by province, ISIC section and division, size, ownership, month and country."""
    stats = DirectoryStats()
    stats.provinces = {p: n for p, n in _grouped(session, "province") if p}
    stats.total = sum(n for _, n in _grouped(session, "size_class"))
    stats.size_classes = {s: n for s, n in _grouped(session, "size_class") if s}
    sections, divisions = Counter(), Counter()
    for value, n in _grouped(session, "isic_sections"):
        for letter in (value or "").split():
            sections[letter] += n
    for value, n in _grouped(session, "sectors"):
        for division in {code[:2] for code in (value or "").split()}:
            divisions[division] += n
    stats.sections, stats.divisions = dict(sections), dict(divisions)
    flags = session.execute(
        text(
            "SELECT sum(CASE WHEN women_owned THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN youth_owned THEN 1 ELSE 0 END) FROM listings WHERE {PUBLIC}"
        ),
        {"true": True},
    ).one()
    stats.women_owned, stats.youth_owned = int(flags[0] or 0), int(flags[1] or 0)
    stats.countries = {c: n for c, n in _grouped(session, "country") if c}
    stats.months = _per_month(session, months)
    return stats


def _per_month(session: Session, months: int) -> list[tuple[str, int]]:
    """New listings per calendar month (first seen on this node), the last ``months`` months."""
    dialect = session.get_bind().dialect.name
    month = (
        "strftime('%Y-%m', created_at)" if dialect == "sqlite" else "to_char(created_at, 'YYYY-MM')"
    )
    sql = (
        f"SELECT {month} AS m, count(*) FROM listings WHERE {PUBLIC} "
        f"GROUP BY m ORDER BY m DESC LIMIT {int(months)}"
    )
    rows = session.execute(text(sql), {"true": True}).all()
    return [(m, n) for m, n in reversed(rows) if m]
