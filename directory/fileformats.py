"""Reading and writing record files: JSON, JSON Lines and CSV (for spreadsheets).

CSV columns are dotted paths into the record (``names.km``, ``address.province``).
Lists of codes (``sectors``, ``export_markets``, ``sharing.peers``) are joined
with ``;``, an empty list is written ``[]``; lists of objects (``products``,
``certifications``, ``contact.social``) are JSON text in their cell. Empty cells
are left out. Text cells are read as written (not trimmed), so export -> import
-> export gives the same bytes.

Formula cells (CSV injection, OWASP): a text cell starting with ``= + - @``, tab
or carriage return would run as a formula in a spreadsheet, so export writes it
with a leading apostrophe (``'=SUM(1+1)``), which spreadsheets show as text.
Import removes one leading apostrophe when a formula character or another
apostrophe follows it, so the value read back is the original; a text that
itself starts with an apostrophe is exported with a second one for that reason.
Numbers (``-12.5`` in ``geo.lat``) are written as they are.

Files must be UTF-8 (a byte-order mark is allowed). Reading stops at the first
line that is not, with an item that names the line (``unreadable``).
"""

from __future__ import annotations

import codecs
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
EMPTY_LIST = "[]"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TEXT_GUARD = "'"


@dataclass
class FileItem:
    """One record read from a file, with where it came from; ``error`` if it did not parse."""

    line: int
    document: Any = None
    kind: str = "change"
    error: str | None = None
    unreadable: bool = False  # the file could not be read from this line on

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
    """Every record in a file, streaming; parse failures come back as items with an error.

    A line that is not UTF-8 ends the file with an ``unreadable`` item naming it.
    """
    fmt = detect_format(path)
    try:
        if fmt == "jsonl":
            yield from _read_jsonl(_utf8_lines(path))
        elif fmt == "csv":
            yield from _read_csv(_utf8_lines(path))
        else:
            yield from _read_json(_utf8_lines(path))
    except NotUtf8 as exc:
        yield FileItem(exc.line, error=str(exc), unreadable=True)


class NotUtf8(ValueError):
    """A line of a file that does not decode as UTF-8."""

    def __init__(self, line: int, error: UnicodeDecodeError):
        self.line = line
        byte = error.object[error.start : error.start + 1].hex()
        super().__init__(
            f"not UTF-8 text (byte 0x{byte} at column {error.start + 1});"
            " save the file as UTF-8 and try again"
        )


def _utf8_lines(path: str | Path) -> Iterator[str]:
    """The file's lines as text, line ends kept; NotUtf8 names the first line that is not."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise NotUtf8(number, exc) from None


def _read_jsonl(lines: Iterator[str]) -> Iterator[FileItem]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield FileItem(number, orjson.loads(line))
        except orjson.JSONDecodeError as exc:  # a json.JSONDecodeError: same msg and colno
            yield FileItem(number, error=f"not valid JSON ({exc.msg} at column {exc.colno})")


def _read_json(lines: Iterator[str]) -> Iterator[FileItem]:
    try:
        data = json.loads("".join(lines))
    except json.JSONDecodeError as exc:
        yield FileItem(exc.lineno, error=f"not valid JSON ({exc.msg})")
        return
    if isinstance(data, dict) and "document" in data and "kind" in data:  # schemas/examples
        yield FileItem(1, data["document"], kind=data["kind"])
    elif isinstance(data, list):
        yield from (FileItem(i + 1, doc) for i, doc in enumerate(data))
    else:
        yield FileItem(1, data)


def _read_csv(lines: Iterator[str]) -> Iterator[FileItem]:
    reader = csv.DictReader(lines)
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
        node[leaf] = _cell_value(column, cell)
    return doc


def _cell_value(column: str, cell: str) -> Any:
    typed = cell.strip()
    try:
        if column in INT_COLUMNS:
            return int(typed)
        if column in FLOAT_COLUMNS:
            return int(typed) if typed.lstrip("-").isdigit() else float(typed)
        if column in JSON_COLUMNS:
            return json.loads(typed)
    except ValueError:
        raise ValueError(f"column {column}: cannot read {cell!r}") from None
    if column in BOOL_COLUMNS:
        lowered = typed.casefold()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"column {column}: expected true or false, got {cell!r}")
        return lowered in ("true", "1", "yes")
    if column in LIST_COLUMNS:
        if typed == EMPTY_LIST:
            return []
        return [part.strip() for part in typed.split(";") if part.strip()]
    return unguard(cell)


def guard(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return TEXT_GUARD + text if text.startswith((*FORMULA_START, TEXT_GUARD)) else text


def unguard(cell: str) -> str:
    """The original text of a cell written by ``guard`` (other cells are returned as they are)."""
    if cell.startswith(TEXT_GUARD) and cell[1:].startswith((*FORMULA_START, TEXT_GUARD)):
        return cell[1:]
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
            row[column] = guard(json.dumps(value, ensure_ascii=False))
        elif column in LIST_COLUMNS:
            row[column] = guard(";".join(value)) if value else EMPTY_LIST
        elif isinstance(value, bool):
            row[column] = "true" if value else "false"
        elif isinstance(value, int | float):
            row[column] = str(value)  # a number, never a formula
        else:
            row[column] = guard(str(value))
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
