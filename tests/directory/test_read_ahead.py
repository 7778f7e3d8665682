"""The import's forked reader: batches in order, prepared as in-process, failures raised here,
and no process left behind when the import stops early."""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

from directory.cli.read_ahead import PART, ReadAheadFailed, cores, prepared_batches
from directory.node import Node
from directory.services.bulk import prepare_batch

NODE = Node("kh", "KH")
pytestmark = pytest.mark.skipif(cores() < 2, reason="the reader forks only with a second core")


def _write(tmp_path, record_doc, n: int):
    path = tmp_path / "own.jsonl"
    base = {k: v for k, v in record_doc.items() if k not in ("id", "origin", "version")}
    lines = []
    for i in range(n):
        doc = copy.deepcopy(base)
        doc["registration"] = {**doc["registration"], "number": f"MOC-{i:04d}"}
        lines.append(json.dumps(doc, ensure_ascii=False))
    lines.insert(3, "{not json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_batches_come_in_file_order_prepared_as_in_this_process(tmp_path, record_doc):
    path = _write(tmp_path, record_doc, 10)
    batches = list(prepared_batches(path, 4, NODE, prepare=True))
    assert [len(batch) for batch, _ in batches] == [4, 4, 3]
    assert [item.line for batch, _ in batches for item in batch] == list(range(1, 12))
    [bad] = [item for batch, _ in batches for item in batch if item.error]
    assert bad.line == 4
    for batch, prepared in batches:
        docs = [item.document for item in batch if not item.error]
        here = prepare_batch(docs, NODE)
        assert [prepared.own[id(doc)] for doc in docs] == [here.own[id(doc)] for doc in docs]
        assert not prepared.remote and not here.remote  # all are this node's records
    assert not multiprocessing.active_children()


def test_other_origins_records_are_checked_and_computed_in_the_reader(tmp_path, record_doc):
    """Another origin's valid record comes with its columns and keys, as ``prepare_remote``
    computes them here; an invalid one comes with nothing, to be checked where it is written."""
    path = _write(tmp_path, record_doc, 6)  # this node's records, and a line that is not JSON
    with path.open("a", encoding="utf-8") as out:
        for i in range(6):
            doc = {**record_doc, "id": f"th:rec{i}", "origin": "th", "version": 1}
            if i == 2:
                doc["address"] = {**doc["address"], "province": "KH-99"}
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    batches = list(prepared_batches(path, 5, NODE, prepare=True))
    assert [len(batch) for batch, _ in batches] == [5, 5, 3]
    seen = 0
    for batch, prepared in batches:
        docs = [item.document for item in batch if not item.error]
        here = prepare_batch(docs, NODE)
        assert prepared.remote == {k: r for k, r in here.remote.items() if r.check is None}
        assert [prepared.own[id(doc)] for doc in docs] == [here.own[id(doc)] for doc in docs]
        seen += len(prepared.remote)
    assert seen == 5  # six other-origin records, one invalid


def test_batches_larger_than_a_part_are_whole(tmp_path, record_doc):
    path = _write(tmp_path, record_doc, 3 * PART)  # and one line that is not JSON
    batches = list(prepared_batches(path, PART + 30, NODE, prepare=True))
    assert [len(batch) for batch, _ in batches] == [PART + 30, PART + 30, PART - 59]
    assert [item.line for batch, _ in batches for item in batch] == list(range(1, 3 * PART + 2))
    assert sum(len(prepared.own) for _, prepared in batches) == 3 * PART


def test_a_review_import_reads_without_preparing(tmp_path, record_doc):
    path = _write(tmp_path, record_doc, 5)
    batches = list(prepared_batches(path, 100, NODE, prepare=False))
    assert [prepared for _, prepared in batches] == [None]
    assert len(batches[0][0]) == 6


def test_a_failure_in_the_reader_is_raised_in_the_importing_process(tmp_path):
    with pytest.raises(ReadAheadFailed, match="FileNotFoundError"):
        list(prepared_batches(tmp_path / "gone.jsonl", 10, NODE, prepare=True))
    assert not multiprocessing.active_children()


def test_stopping_after_the_first_batch_ends_the_reader(tmp_path, record_doc):
    path = _write(tmp_path, record_doc, 40)
    batches = prepared_batches(path, 2, NODE, prepare=True)  # 21 batches, 2 may wait
    first, _ = next(batches)
    assert len(first) == 2
    [reader] = multiprocessing.active_children()
    batches.close()
    assert not reader.is_alive() and not multiprocessing.active_children()


def test_a_killed_import_leaves_no_reader_behind(tmp_path, db_url, record_doc):
    from tests.directory.test_cli import write_config
    from tests.processes import ROOT, alive, descendants

    path = _write(tmp_path, record_doc, 20_000)
    config = write_config(tmp_path, db_url)
    command = [sys.executable, "-c", "from directory.cli import main; main()", "import",
               str(path), "--config", str(config), "--batch-size", "50", "--progress-every",
               "0.05"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    importer = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    readers: set[int] = set()
    try:
        for line in importer.stderr:  # a progress line: batches are being written
            if "records/s" in line:
                break
        readers = descendants(importer.pid)
        assert readers, "the import runs its reader in a second process"
        importer.kill()
        importer.wait(10)
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in readers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in readers)
    finally:
        importer.kill()
        importer.wait()
        for pid in readers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
