"""Reference lists shipped in schemas/data/ (ISIC Rev.4, Cambodian provinces, countries)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def load_isic() -> dict[str, dict]:
    """ISIC Rev.4: code -> {level, parent, section, title_en}, sections included."""
    return {
        row["code"]: {
            "level": row["level"],
            "parent": row["parent"] or None,
            "section": row["section"],
            "title_en": row["title_en"],
        }
        for row in _rows("isic-rev4.csv")
    }


@cache
def _provinces() -> tuple[dict[str, str], ...]:
    return tuple(_rows("kh-provinces.csv"))


def load_provinces() -> list[dict]:
    """Cambodia's 25 provinces: dicts with code, name_en, name_iso, name_km, type."""
    return [dict(row) for row in _provinces()]


@cache
def load_countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> English name."""
    return {row["code"]: row["name_en"] for row in _rows("countries.csv")}
