"""Reading and writing record files: JSON, JSON Lines and CSV (for spreadsheets).

CSV columns are dotted paths into the record (``names.km``, ``address.province``).
Lists of codes (``sectors``, ``export_markets``, ``sharing.peers``) are joined
with ``;``; lists of objects (``products``, ``certifications``,
``contact.social``) are JSON text in their cell. Empty cells are left out.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson

CSV_COLUMNS = [
    "id",
    "origin",
    "version",
    "updated_at",
    "sharing.public",
    "sharing.hub",
    "sharing.peers",
    "sharing.contact_public",
    "names.km",
    "names.en",
    "registration.country",
    "registration.authority",
    "registration.number",
    "legal_form",
    "sectors",
    "size_class",
    "employees",
    "address.country",
    "address.province",
    "address.district",
    "address.commune",
    "address.street",
    "address.postal_code",
    "geo.lat",
    "geo.lon",
    "contact.email",
    "contact.phone",
    "contact.website",
    "contact.social",
    "products",
    "export_markets",
    "certifications",
    "founded_year",
    "women_owned",
    "youth_owned",
    "descriptions.km",
    "descriptions.en",
    "deleted",
    "reason",
    "merged_into",
]
INT_COLUMNS = {"version", "employees", "founded_year"}
FLOAT_COLUMNS = {"geo.lat", "geo.lon"}
BOOL_COLUMNS = {
    "sharing.public",
    "sharing.hub",
    "sharing.contact_public",
    "women_owned",
    "youth_owned",
    "deleted",
}
LIST_COLUMNS = {"sectors", "export_markets", "sharing.peers"}
JSON_COLUMNS = {"contact.social", "products", "certifications"}


@dataclass
class FileItem:
    """One record read from a file, with where it came from; ``error`` if it did not parse."""

    line: int
    document: Any = None
    kind: str = "change"
    error: str | None = None

    @property
    def schema_kind(self) -> str:
        """The schema this item is checked against: a plain record (no id) is a draft.

        ``smedir import`` gives a record without an envelope its id and version,
        so it only has to be a valid listing (draft.schema.json).
        """
        plain = isinstance(self.document, dict) and "id" not in self.document
        return "draft" if self.kind == "change" and plain else self.kind


def detect_format(path: str | Path) -> str:
    """'jsonl', 'csv' or 'json' from the file name."""
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return "json"


def read_items(path: str | Path) -> Iterator[FileItem]:
    """Every record in a file, streaming; parse failures come back as items with an error."""
    fmt = detect_format(path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        if fmt == "jsonl":
            yield from _read_jsonl(fh)
        elif fmt == "csv":
            yield from _read_csv(fh)
        else:
            yield from _read_json(fh)


def _read_jsonl(fh: TextIO) -> Iterator[FileItem]:
    for number, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            yield FileItem(number, orjson.loads(line))
        except orjson.JSONDecodeError as exc:  # a json.JSONDecodeError: same msg and colno
            yield FileItem(number, error=f"not valid JSON ({exc.msg} at column {exc.colno})")


def _read_json(fh: TextIO) -> Iterator[FileItem]:
    try:
        data = json.load(fh)
    except json.JSONDecodeError as exc:
        yield FileItem(exc.lineno, error=f"not valid JSON ({exc.msg})")
        return
    if isinstance(data, dict) and "document" in data and "kind" in data:  # schemas/examples
        yield FileItem(1, data["document"], kind=data["kind"])
    elif isinstance(data, list):
        yield from (FileItem(i + 1, doc) for i, doc in enumerate(data))
    else:
        yield FileItem(1, data)


def _read_csv(fh: TextIO) -> Iterator[FileItem]:
    reader = csv.DictReader(fh)
    unknown = set(reader.fieldnames or ()) - set(CSV_COLUMNS)
    if unknown:
        yield FileItem(1, error=f"unknown columns: {', '.join(sorted(unknown))}")
        return
    for row in reader:
        try:
            yield FileItem(reader.line_num, unflatten(row))
        except ValueError as exc:
            yield FileItem(reader.line_num, error=str(exc))


def unflatten(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row (dotted columns, text cells) as a record document."""
    doc: dict[str, Any] = {}
    for column, cell in row.items():
        if cell is None or cell.strip() == "":
            continue
        node = doc
        *parents, leaf = column.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _cell_value(column, cell.strip())
    return doc


def _cell_value(column: str, cell: str) -> Any:
    try:
        if column in INT_COLUMNS:
            return int(cell)
        if column in FLOAT_COLUMNS:
            return float(cell)
        if column in JSON_COLUMNS:
            return json.loads(cell)
    except ValueError:
        raise ValueError(f"column {column}: cannot read {cell!r}") from None
    if column in BOOL_COLUMNS:
        lowered = cell.casefold()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"column {column}: expected true or false, got {cell!r}")
        return lowered in ("true", "1", "yes")
    if column in LIST_COLUMNS:
        return [part.strip() for part in cell.split(";") if part.strip()]
    return cell


def flatten(doc: dict[str, Any]) -> dict[str, str]:
    """A record document as one CSV row (the inverse of ``unflatten``)."""
    row: dict[str, str] = {}
    for column in CSV_COLUMNS:
        value: Any = doc
        for part in column.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            continue
        if column in JSON_COLUMNS:
            row[column] = json.dumps(value, ensure_ascii=False)
        elif column in LIST_COLUMNS:
            row[column] = ";".join(value)
        elif isinstance(value, bool):
            row[column] = "true" if value else "false"
        else:
            row[column] = str(value)
    return row


def write_jsonl(lines: Iterable[str], out: TextIO) -> int:
    """Write canonical JSON texts one per line; returns the count."""
    count = 0
    for text in lines:
        out.write(text)
        out.write("\n")
        count += 1
    return count


def write_csv(docs: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write documents as CSV with the standard columns; returns the count."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    count = 0
    for doc in docs:
        writer.writerow(flatten(doc))
        count += 1
    return count


def csv_text(docs: Iterable[dict[str, Any]]) -> str:
    """CSV of documents as a string (for downloads)."""
    buffer = io.StringIO()
    write_csv(docs, buffer)
    return buffer.getvalue()
