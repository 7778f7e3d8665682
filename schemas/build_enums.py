"""Generate the enum schema files from the CSV lists in schemas/data/.

Run from the repository root after changing a CSV, and commit the output:

    python -m schemas.build_enums                      # rewrite the *.schema.json enums
    python -m schemas.build_enums --countries-csv      # also regenerate data/countries.csv

Regenerating countries.csv needs `pycountry`; nothing else in the package imports it.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent
DATA_DIR = SCHEMA_DIR / "data"
BASE = "https://schemas.sme-directory.org"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _read(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_countries_csv() -> None:
    """Write data/countries.csv (ISO 3166-1 alpha-2 code, English name) from pycountry."""
    import pycountry  # extra: dev (build-time only: the package never imports it at runtime)

    rows = sorted((c.alpha_2, c.name) for c in pycountry.countries)
    with (DATA_DIR / "countries.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name_en"])
        writer.writerows(rows)


def _enum_schema(name: str, title: str, description: str, values: list[str]) -> dict:
    return {
        "$schema": DRAFT,
        "$id": f"{BASE}/{name}/1.0.0/{name}.schema.json",
        "title": title,
        "description": description,
        "type": "string",
        "enum": values,
    }


def build() -> dict[str, dict]:
    """Return the generated schemas keyed by file name."""
    isic = [r["code"] for r in _read("isic-rev4.csv") if r["level"] != "section"]
    countries = [r["code"] for r in _read("countries.csv")]
    provinces = [r["code"] for r in _read("kh-provinces.csv")]
    return {
        "isic-rev4.schema.json": _enum_schema(
            "isic-rev4",
            "ISIC Rev.4 code",
            "A division (2 digits), group (3) or class (4) code of ISIC Rev.4 (UN Statistics "
            "Division). Generated from data/isic-rev4.csv by build_enums.py.",
            isic,
        ),
        "country.schema.json": _enum_schema(
            "country",
            "ISO 3166-1 alpha-2 country code",
            "Generated from data/countries.csv by build_enums.py.",
            countries,
        ),
        "kh-province.schema.json": _enum_schema(
            "kh-province",
            "ISO 3166-2:KH province code",
            "One of Cambodia's 25 first-level subdivisions (KH-1 .. KH-25). "
            "Generated from data/kh-provinces.csv by build_enums.py.",
            provinces,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries-csv", action="store_true", help="regenerate countries.csv")
    args = parser.parse_args()
    if args.countries_csv:
        write_countries_csv()
    for name, schema in build().items():
        text = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
        (SCHEMA_DIR / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
