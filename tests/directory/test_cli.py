"""The smedir command line: validate, init, import, export, config errors."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from directory.db import make_engine, new_session
from directory.models import ChangeLogEntry, Listing, Revision

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "schemas" / "examples"


def smedir(*args: str, cwd: Path | None = None, env: dict | None = None, stdin: str | None = None):
    """Run the real console entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-c", "from directory.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        input=stdin,
        timeout=300,
    )


def write_config(tmp_path: Path, db_url: str, node_id: str = "kh") -> Path:
    path = tmp_path / f"{node_id}.toml"
    path.write_text(
        f'[node]\nid = "{node_id}"\ninstance_path = "inst-{node_id}"\n'
        f'[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )
    return path


def test_validate_valid_examples_exit_0():
    files = sorted(str(p) for p in (EXAMPLES / "valid").glob("*.json"))
    result = smedir("validate", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(files)} valid, 0 invalid" in result.stderr


def test_validate_invalid_examples_exit_1_naming_each_path():
    files = sorted((EXAMPLES / "invalid").glob("*.json"))
    result = smedir("validate", *map(str, files))
    assert result.returncode == 1
    for path in files:
        expected = json.loads(path.read_text(encoding="utf-8"))["expect_errors"]
        lines = [ln for ln in result.stdout.splitlines() if ln.startswith(f"{path}:1 ")]
        named = {ln.split(" ", 2)[1] for ln in lines}
        assert set(expected) <= named, (path.name, expected, lines)


def test_validate_jsonl_and_csv_report_file_line_path(tmp_path, record_doc):
    good = json.dumps(record_doc, ensure_ascii=False)
    bad = copy.deepcopy(record_doc)
    bad["contact"] = {"phone": "012 345 678"}
    jsonl = tmp_path / "records.jsonl"
    jsonl.write_text(f"{good}\n{json.dumps(bad)}\n{{not json\n", encoding="utf-8")
    result = smedir("validate", str(jsonl))
    assert result.returncode == 1
    assert f"{jsonl}:2 /contact/phone " in result.stdout
    assert f"{jsonl}:3 / not valid JSON" in result.stdout
    from directory.fileformats import write_csv

    csv_path = tmp_path / "records.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        write_csv([record_doc, bad], fh)
    result = smedir("validate", str(csv_path))
    assert result.returncode == 1 and f"{csv_path}:3 /contact/phone " in result.stdout


def test_missing_config_file_is_one_clear_line(tmp_path):
    result = smedir("init", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"config error: {tmp_path / 'nope.toml'}: file not found"


def test_malformed_config_names_the_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[node]\nid = "KH!"\n', encoding="utf-8")
    result = smedir("init", "--config", str(path))
    assert (
        result.returncode == 2 and "node.id" in result.stderr and "Traceback" not in result.stderr
    )


def test_default_config_uses_sqlite_under_instance(tmp_path):
    result = smedir("init", cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "instance" / "smedir.sqlite3").exists()


def _records(record_doc: dict, count: int, invalid_share: float, seed: int = 7):
    """Realistic variations of a record without envelope; every 1/share-th one is broken."""
    rng = random.Random(seed)
    provinces = [f"KH-{i}" for i in range(1, 26)]
    base = {
        k: v for k, v in record_doc.items() if k not in ("id", "origin", "version", "updated_at")
    }
    step = round(1 / invalid_share)
    for i in range(count):
        doc = copy.deepcopy(base)
        doc["registration"] = {**doc["registration"], "number": f"MOC-{i:06d}"}
        doc["names"] = {"km": f"សហគ្រាស {i}", "en": f"Enterprise {i}"}
        doc["address"] = {**doc["address"], "country": "KH", "province": rng.choice(provinces)}
        doc["employees"] = rng.randint(1, 100)
        if i % step == 0:
            broken = rng.choice(["email", "province", "sector", "year"])
            if broken == "email":
                doc["contact"] = {"email": f"broken-{i}"}
            elif broken == "province":
                doc["address"]["province"] = "KH-99"
            elif broken == "sector":
                doc["sectors"] = ["9999"]
            else:
                doc["founded_year"] = 1500
        yield doc


def _counts(db_url: str) -> tuple[int, int, int]:
    engine = make_engine(db_url)
    with new_session(engine) as s:
        counts = tuple(
            s.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Listing, Revision, ChangeLogEntry)
        )
    engine.dispose()
    return counts


@pytest.mark.slow
def test_import_10000_with_5_percent_invalid_then_reimport_changes_nothing(
    tmp_path, db_url, record_doc
):
    config = write_config(tmp_path, db_url)
    data = tmp_path / "sme.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        for doc in _records(record_doc, 10_000, 0.05):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    rejects = tmp_path / "rejects.jsonl"
    first = smedir("import", str(data), "--config", str(config), "--rejects", str(rejects))
    assert first.returncode == 1, first.stderr[-2000:]  # some were invalid
    assert f"{data}: created 9500, rejected 500" in first.stdout
    rejected = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert len(rejected) == 500
    assert all(r["line"] % 20 == 1 and r["errors"][0]["path"] for r in rejected)
    assert {r["errors"][0]["path"] for r in rejected} <= {
        "/contact/email",
        "/address/province",
        "/sectors/0",
        "/founded_year",
    }
    assert "\n21: " in "\n" + first.stderr  # every rejected line is reported with its number
    before = _counts(db_url)
    assert before[0] == 9500 and before[2] == 9500
    second = smedir("import", str(data), "--config", str(config), "--rejects", str(rejects))
    assert f"{data}: unchanged 9500, rejected 500" in second.stdout
    assert _counts(db_url) == before


def test_import_csv_review_mode_and_export_round_trip(tmp_path, db_url, record_doc):
    from directory.fileformats import write_csv

    config = write_config(tmp_path, db_url)
    docs = list(_records(record_doc, 30, 0.1, seed=3))
    csv_path = tmp_path / "sme.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        write_csv(docs, fh)
    held = smedir("import", str(csv_path), "--review", "--config", str(config))
    assert "rejected 3, held 27" in held.stdout, held.stdout + held.stderr
    assert _counts(db_url)[2] == 0  # nothing published while waiting for review
    published = smedir("import", str(csv_path), "--config", str(config))
    assert "created 27, rejected 3" in published.stdout, published.stdout
    out = tmp_path / "export.jsonl"
    exported = smedir("export", "--config", str(config), "-o", str(out))
    assert exported.returncode == 0 and "exported 27 records" in exported.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 27 and all(json.loads(ln)["origin"] == "kh" for ln in lines)
    again = smedir("import", str(out), "--config", str(config))
    assert "unchanged 27" in again.stdout
    csv_out = tmp_path / "export.csv"
    smedir("export", "--format", "csv", "--config", str(config), "-o", str(csv_out))
    roundtrip = smedir("import", str(csv_out), "--config", str(config))
    assert "unchanged 27" in roundtrip.stdout, roundtrip.stdout + roundtrip.stderr


def test_a_command_on_an_uninitialised_database_says_to_run_init(tmp_path):
    result = smedir("users", "create", "--email", "a@example.org", "--password-stdin",
                    cwd=tmp_path, stdin="correct horse battery 42\n")  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "run `smedir init`" in result.stderr and "no such table: users" in result.stderr


def _replicas(record_doc: dict, count: int) -> list[dict]:
    """Records of origin th (another node), each with its own id; record 5 is invalid."""
    docs = []
    for i in range(count):
        doc = copy.deepcopy(record_doc)
        doc.update(id=f"th:rec{i}", origin="th", version=1)
        doc["registration"] = {**doc["registration"], "number": f"TH-{i:06d}"}
        if i == 5:
            doc["address"] = {**doc["address"], "province": "KH-99"}
        docs.append(doc)
    return docs


def test_import_replicas_of_another_origin_by_the_version_rule(tmp_path, db_url, record_doc):
    config = write_config(tmp_path, db_url)
    docs = _replicas(record_doc, 20)
    docs.append({**docs[3], "version": 2, "names": {"km": "ថ្មី", "en": "Newer"}})
    data = tmp_path / "th.jsonl"
    data.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), "utf-8")
    first = smedir("import", str(data), "--config", str(config), "--batch-size", "8")
    assert f"{data}: created 19, updated 1, rejected 1" in first.stdout, first.stderr[-2000:]
    assert "6: /address/province" in first.stderr
    engine = make_engine(db_url)
    with new_session(engine) as s:
        rows = dict(s.execute(select(Listing.id, Listing.version)).all())
        revisions = s.execute(select(func.count()).select_from(Revision)).scalar_one()
    engine.dispose()
    assert len(rows) == 19 and rows["th:rec3"] == 2 and "th:rec5" not in rows
    assert revisions == 0  # a replica is the origin's published version, not an edit here
    again = smedir("import", str(data), "--config", str(config))
    assert f"{data}: unchanged 20, rejected 1" in again.stdout, again.stderr[-2000:]
    assert _counts(db_url) == (19, 0, 20)  # two versions of th:rec3 were published


def test_import_to_a_log_prints_progress_lines_with_count_and_rate(tmp_path, db_url, record_doc):
    config = write_config(tmp_path, db_url)
    data = tmp_path / "sme.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        for doc in _records(record_doc, 30, 0.01):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    result = smedir("import", str(data), "--config", str(config), "--batch-size", "10",
                    "--progress-every", "0")  # fmt: skip
    assert f"{data}: created 29, rejected 1" in result.stdout
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("importing sme.jsonl")]
    assert lines[0] == "importing sme.jsonl: 30 records"
    counts = [ln.split(": ", 1)[1].split(" records")[0] for ln in lines[1:]]
    assert counts == ["10 of 30", "20 of 30", "30 of 30", "30 of 30"]  # one per batch, then done
    assert all(" records/s, " in ln for ln in lines[1:]) and "(100%)" in lines[-1]
    quiet = smedir("import", str(data), "--config", str(config))  # default: every 10 s
    progress = [ln for ln in quiet.stderr.splitlines() if ln.startswith("importing")]
    assert len(progress) == 2 and "30 of 30 records (100%)" in progress[-1]
