"""An import file's batches, read, parsed and prepared ahead in a second process.

``smedir import`` writes batch n while batch n + 1 is parsed, validated and has its
rows computed (``prepare_batch``: the extracted columns with ICU's Khmer word break
and the duplicate keys; for this node's records also the revision text, for other
origins' the version rule's check). That work holds the GIL, so in a
thread of the importing process it only took turns with the writes (measured on
SQLite: more CPU, no faster); in a forked process it runs on the other core while
this one writes, as a pull's feed server formats the next page on another core.
Memory stays flat: at most ``AHEAD`` batches wait in the queue. A batch comes over in
parts of ``PART`` records, so the first write starts once a quarter of a batch is
ready rather than a whole one (the pipeline fills in a quarter of the time).

A batch crosses the pipe as one orjson text, not pickled: unpickling 10,000 records'
dicts (each document and its enveloped copy) cost this process 0.72 s of CPU, about a
third of what writing them costs, where parsing JSON costs a tenth of that. Each
prepared record of this node travels as its id, columns, keys and revision text; its
enveloped document is rebuilt here from the item's (``new_record``'s shallow copy).
Another origin's valid record travels as its columns and keys; an unsound one travels
as nothing and is checked again here, where its issues are reported.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import traceback
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import orjson

from directory.fileformats import FileItem, read_items
from directory.node import Node
from directory.services.bulk import NewRecord, PreparedBatch, enveloped, prepare_batch
from directory.services.changes import RemoteRecord

AHEAD = 2  # batches the reader may have waiting
PART = 250  # records the reader sends at a time: the first write waits for these only
POLL = 1.0  # seconds between checks that the reader is still alive


class ReadAheadFailed(RuntimeError):
    """The reading process failed; the message carries its traceback."""


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def prepared_batches(
    path: Path, size: int, node: Node, *, prepare: bool
) -> Iterator[tuple[list[FileItem], PreparedBatch | None]]:
    """The file's items in batches of ``size``, each with ``prepare_batch`` of its
    documents (keyed by their ``id()`` in this process), read in a forked process.

    Without ``prepare`` (a review import, which publishes nothing) the reader only
    parses. On one core, or where the platform cannot fork, the batches are read here,
    one by one.
    """
    if cores() < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield from _read_here(path, size, node, prepare)
        return
    context = multiprocessing.get_context("fork")
    parts = context.Queue(AHEAD * -(-size // PART))
    reader = context.Process(
        target=_reader, args=(path, size, node, prepare, parts), name="import-read", daemon=True
    )
    reader.start()
    batch: list[FileItem] = []
    own: dict[int, NewRecord | None] = {}
    remote: dict[int, RemoteRecord] = {}
    try:
        while (got := _next(parts, reader)) is not None:
            items, part_own, part_remote = _unpack(got, node)
            batch += items
            own |= part_own
            remote |= part_remote
            if len(batch) == size:  # parts never cross the end of a batch
                yield batch, PreparedBatch(own, remote) if prepare else None
                batch, own, remote = [], {}, {}
        if batch:
            yield batch, PreparedBatch(own, remote) if prepare else None
    finally:
        if reader.is_alive():
            reader.terminate()
        reader.join()
        parts.close()


def _next(parts, reader) -> bytes | None:
    """The next part from the reader; ReadAheadFailed if it failed or died without one."""
    while True:
        try:
            got = parts.get(timeout=POLL)
        except queue.Empty:
            if not reader.is_alive() and parts.empty():
                raise ReadAheadFailed(
                    f"the import's reader exited with {reader.exitcode}"
                ) from None
            continue
        if isinstance(got, ReadAheadFailed):
            raise got
        return got


def _reader(path: Path, size: int, node: Node, prepare: bool, parts) -> None:
    """The forked reader: put each part of a batch with its prepared records, then None."""
    importer = os.getppid()
    try:
        items = read_items(path)
        left = size  # of the current batch
        while part := list(islice(items, min(PART, left))):
            docs = _documents(part)
            prepared = prepare_batch(docs, node) if prepare and docs else None
            _put(parts, _pack(part, docs, prepared), importer)
            left = left - len(part) or size
        _put(parts, None, importer)
    except ImporterGone:
        parts.cancel_join_thread()  # nobody will read what is still in the pipe
    except BaseException:  # noqa: BLE001 - every failure reaches the importing process
        parts.put(ReadAheadFailed(traceback.format_exc()))
    finally:
        parts.close()
        parts.join_thread()


class ImporterGone(Exception):
    """The importing process ended without stopping its reader (killed, say)."""


def _put(parts, item, importer: int) -> None:
    """Put ``item`` once there is room; ImporterGone if the importing process has died
    (its reader is then another process's child, and would wait on a full queue forever)."""
    while True:
        try:
            parts.put(item, timeout=POLL)
            return
        except queue.Full:
            if os.getppid() != importer:
                raise ImporterGone from None


def _read_here(path, size, node, prepare):
    items = read_items(path)
    while batch := list(islice(items, size)):
        docs = _documents(batch)
        yield batch, prepare_batch(docs, node) if prepare and docs else None


def _documents(batch: list[FileItem]) -> list:
    return [item.document for item in batch if not item.error]


def _pack(batch: list[FileItem], docs: list, prepared: PreparedBatch | None) -> bytes:
    """A batch and its prepared records as one text (pickled if orjson cannot write it).

    ``id()`` does not cross a pipe, so this node's records go as a list in the documents'
    order, and other origins' valid records as (index in ``docs``, columns, keys)."""
    items = [(i.line, i.document, i.kind, i.error, i.unreadable) for i in batch]
    records, replicas = [], []
    if prepared:
        own, remote = prepared
        for i, doc in enumerate(docs):
            r = own[id(doc)]
            records.append((r.doc["id"], r.values, sorted(r.keys), r.revision) if r else None)
            if (ahead := remote.get(id(doc))) and not ahead.check:
                replicas.append((i, ahead.values, sorted(ahead.keys)))
    try:
        return orjson.dumps((items, records, replicas))
    except TypeError:  # an integer past 64 bits, say: the standard library read it
        return b"P" + pickle.dumps((items, records, replicas), pickle.HIGHEST_PROTOCOL)


def _unpack(
    blob: bytes, node: Node
) -> tuple[list[FileItem], dict[int, NewRecord | None], dict[int, RemoteRecord]]:
    """A part's items, and its prepared records keyed by ``id()`` of these documents."""
    items, records, replicas = pickle.loads(blob[1:]) if blob[:1] == b"P" else orjson.loads(blob)
    batch = [FileItem(*item) for item in items]
    if not records:  # nothing prepared: a review import, or no readable record
        return batch, {}, {}
    docs = _documents(batch)
    own = {
        id(doc): NewRecord(enveloped(doc, r[0], node), tuple(r[1]), set(r[2]), r[3]) if r else None
        for doc, r in zip(docs, records, strict=True)
    }
    remote = {id(docs[i]): RemoteRecord(None, tuple(v), set(k)) for i, v, k in replicas}
    return batch, own, remote
