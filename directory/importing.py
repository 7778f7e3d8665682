"""Drive a bulk import from a file: batches, progress bar, rejects file."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click
from sqlalchemy import Engine

from directory.db import transaction
from directory.fileformats import FileItem, read_items
from directory.models import Role, User
from directory.node import Node
from directory.services.bulk import import_records
from sync.outcomes import Outcome


def system_admin() -> User:
    """The actor for command-line bulk loads: an admin with no account row."""
    return User(id=None, email="cli@localhost", role=Role.ADMIN, display_name="smedir CLI")


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def run_import(
    engine: Engine,
    node: Node,
    path: Path,
    rejects_path: Path,
    *,
    review: bool = False,
    batch_size: int = 500,
    progress: bool = True,
) -> Counter:
    """Import every record of a file; commit every ``batch_size``; return counts by outcome.

    Invalid records are written to ``rejects_path`` (JSON Lines: line, errors,
    the raw record), never dropped. A rejects file is only created when needed.
    """
    actor = system_admin()
    counts: Counter = Counter({o.value: 0 for o in Outcome})
    rejects = None
    items = read_items(path)
    total = _count_lines(path)
    with click.progressbar(
        length=total,
        label=f"importing {path.name}",
        file=None if progress else open("/dev/null", "w"),
    ) as bar:
        batch: list[FileItem] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                rejects = _import_batch(
                    engine, node, actor, batch, review, counts, rejects, rejects_path
                )
                bar.update(len(batch))
                batch = []
        if batch:
            rejects = _import_batch(
                engine, node, actor, batch, review, counts, rejects, rejects_path
            )
            bar.update(len(batch))
    if rejects is not None:
        rejects.close()
    return +counts


def _import_batch(engine, node, actor, batch, review, counts, rejects, rejects_path):
    failed: list[tuple[FileItem, list[dict]]] = []
    parsed = [item for item in batch if not item.error]
    for item in batch:
        if item.error:
            failed.append((item, [{"path": "", "message": item.error}]))
            counts[Outcome.REJECTED.value] += 1
    with transaction(engine) as session:
        docs = [item.document for item in parsed]
        for item, result in zip(
            parsed, import_records(session, actor, docs, node=node, review=review), strict=True
        ):
            counts[result.outcome.value] += 1
            if result.outcome in (Outcome.REJECTED, Outcome.CONFLICT):
                errors = [{"path": i.path, "message": i.message} for i in result.issues]
                failed.append((item, errors or [{"path": "/id", "message": result.message}]))
    for item, errors in failed:
        if rejects is None:
            rejects = rejects_path.open("w", encoding="utf-8")
        for error in errors:
            click.echo(f"{item.line}: {error['path'] or '/'} {error['message']}", err=True)
        record = {"line": item.line, "errors": errors, "record": item.document}
        rejects.write(json.dumps(record, ensure_ascii=False) + "\n")
    return rejects
