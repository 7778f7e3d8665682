"""``smedir import`` of a node's own records stores the same rows on SQLite and PostgreSQL.

The two backends take different write paths: revisions and keys go in through ``COPY``
on PostgreSQL and ``executemany`` on SQLite, listings in multi-row statements on SQLite.
The records are checked and their columns, keys and revision text computed in the
import's forked reader, from the file's documents, whose keys are in no set order. The
rows must come out the same either way, and the same as computed afresh from each
stored (key-sorted) document, search words in the same order included.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime

from sqlalchemy import select

from directory.cli.records import run_import
from directory.db import make_engine, new_session
from directory.models import ChangeLogEntry, Listing, ListingMatchKey, Revision
from directory.node import Node
from directory.records import listing_columns, parse_json
from directory.services.bulk import revision_json
from directory.services.changes import isic_sections
from directory.services.match_keys import match_keys
from tests.refusing_database import POISON, database_refuses

TABLES = (Listing, Revision, ChangeLogEntry, ListingMatchKey)


def _file_records(record_doc: dict) -> list[dict]:
    """Own records with and without ids, text COPY must escape, one invalid, one repeated."""
    base = {k: v for k, v in record_doc.items() if k not in ("origin", "version", "updated_at")}
    base.pop("id")
    docs = []
    for i in range(14):
        doc = copy.deepcopy(base)
        doc["registration"] = {**doc["registration"], "number": f"MOC-{i:04d}"}
        doc["names"] = {"km": f"ហាង {i}", "en": f"Shop {i} Co., Ltd."}
        doc["contact"] = {"phone": f"+8552390{i:04d}", "email": f"shop{i}@example{i}.com.kh"}
        if i % 3 == 0:  # with an id: its own, as an export of this node writes it
            doc.update(id=f"kh:rec{i}", origin="kh", version=4, updated_at="2026-01-01T00:00:00Z")
        docs.append(doc)
    docs[2]["descriptions"] = {"en": 'Tabs\tand\nlines, a back\\slash and "quotes" \\N'}
    docs[4]["names"] = {"km": "រោងម៉ាស៊ីនកិនស្រូវ"}
    docs[5]["address"] = {**docs[5]["address"], "province": "KH-99"}  # invalid
    docs[7]["names"] = {"en": POISON}  # the database refuses it (its batch is retried)
    docs.append({**copy.deepcopy(docs[8]), "employees": 7})  # the same registration again
    return docs


def _rows(url: str) -> dict[str, list[dict]]:
    """Every row of the tables an import writes, timestamps checked and left out."""
    engine = make_engine(url)
    out = {}
    with new_session(engine) as session:
        for model in TABLES:
            rows = []
            for row in session.execute(select(model.__table__)).mappings():
                if "created_at" in row:
                    assert isinstance(row["created_at"], datetime)
                kept = {k: v for k, v in row.items() if not isinstance(v, datetime)}
                if model is Revision or model is ChangeLogEntry:  # a serial, a UTC stamp
                    kept.pop("id", None)
                    assert not set(row) - set(kept) - {"id", "created_at", "submitted_at",
                                                        "decided_at"}  # fmt: skip
                rows.append(kept)
            name = model.__table__.name
            out[name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    engine.dispose()
    for row in out["listings"]:
        doc = parse_json(row.pop("document"))
        expected = listing_columns(doc, isic_sections())
        assert {c: row[c] for c in expected} == expected, row["id"]
        assert doc.pop("updated_at")
        row["document"] = doc
    return out


def _import(url: str, path, tmp_path) -> tuple[dict, str]:
    engine = make_engine(url)
    rejects = tmp_path / f"{engine.dialect.name}.rejects.jsonl"
    try:
        with database_refuses(engine):
            counts = run_import(
                engine, Node("kh", "KH"), path, rejects, batch_size=4, progress=False
            )
    finally:
        engine.dispose()
    return dict(counts), rejects.read_text(encoding="utf-8")


def test_own_records_import_writes_the_same_rows_on_sqlite_and_postgresql(
    tmp_path, record_doc, sqlite_databases, pg_databases
):
    path = tmp_path / "own.jsonl"
    lines = [json.dumps(d, ensure_ascii=False) for d in _file_records(record_doc)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    lite, pg = sqlite_databases.new(), pg_databases.new()
    try:
        lite_counts, lite_rejects = _import(lite, path, tmp_path)
        pg_counts, pg_rejects = _import(pg, path, tmp_path)
        assert lite_counts == pg_counts == {"created": 12, "updated": 1, "rejected": 2}
        assert lite_rejects == pg_rejects
        assert [json.loads(r)["line"] for r in lite_rejects.splitlines()] == [6, 8]
        lite_rows, pg_rows = _rows(lite), _rows(pg)
    finally:
        sqlite_databases.drop(lite)
        pg_databases.drop(pg)
    assert lite_rows == pg_rows
    listings = {row["id"]: row for row in lite_rows["listings"]}
    assert len(listings) == 12 and len(lite_rows["change_log"]) == 13
    keys = {(k["listing_id"], k["key"]) for k in lite_rows["listing_match_keys"]}
    assert keys == {(rid, k) for rid, row in listings.items() for k in match_keys(row["document"])}
    firsts = [r for r in lite_rows["revisions"] if r["number"] == 1]
    assert len(firsts) == 12 and all(r["kind"] == "import" for r in firsts)
    for revision in firsts:  # version 1's import revision: the data published then
        listing = listings[revision["listing_id"]]
        if listing["version"] == 1:
            assert revision["document"] == revision_json(listing["document"])
    [escaped] = [r for r in firsts if "back\\\\slash" in r["document"]]  # JSON-escaped
    text = parse_json(escaped["document"])["descriptions"]["en"]
    assert text == 'Tabs\tand\nlines, a back\\slash and "quotes" \\N'  # as COPY was given
