"""``smedir validate``, ``smedir import`` and ``smedir export``: records in files.

The import driver reads and prepares batches ahead in a second process
(``read_ahead``), shows progress (a bar on a terminal, lines with the rate in a log)
and keeps every invalid record in a rejects file.
"""

from __future__ import annotations

import gc
import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import Engine

from directory.cli.base import app_engine, app_node
from directory.cli.progress import make_progress
from directory.cli.read_ahead import prepared_batches
from directory.db import new_session, transaction
from directory.fileformats import FileItem, detect_format, read_items, write_csv, write_jsonl
from directory.node import Node
from directory.services.bulk import import_records, iter_published, system_admin
from directory.services.isolation import apply_isolated
from schemas import validate
from sync.outcomes import Outcome


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def validate_command(files: tuple[str, ...]) -> None:
    """Validate record files (JSON, JSON Lines, CSV); print file:line path message per error."""
    bad = total = 0
    for path in files:
        for item in read_items(path):
            total += 1
            if item.error:
                issues = [("", item.error)]
            else:
                issues = [(i.path, i.message) for i in validate(item.document, item.schema_kind)]
            for pointer, message in issues:
                click.echo(f"{path}:{item.line} {pointer or '/'} {message}")
            bad += bool(issues)
    click.echo(f"{total - bad} valid, {bad} invalid", err=True)
    sys.exit(1 if bad else 0)


@click.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--review", is_flag=True, help="Send records to the review queue, not publish.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Where to write invalid records.")
@click.option("--batch-size", default=1000, show_default=True, help="Records per transaction.")
@click.option(
    "--progress-every",
    default=10.0,
    show_default=True,
    help="Seconds between progress lines when stderr is not a terminal.",
)
def import_command(
    file: str, review: bool, rejects: str | None, batch_size: int, progress_every: float
) -> None:
    """Bulk-load records from JSON Lines or CSV; invalid ones go to a rejects file."""
    rejects_path = Path(rejects or f"{file}.rejects.jsonl")
    counts = run_import(
        app_engine(),
        app_node(),
        Path(file),
        rejects_path,
        review=review,
        batch_size=batch_size,
        progress_every=progress_every,
    )
    summary = ", ".join(f"{o.value} {counts[o.value]}" for o in Outcome if counts[o.value])
    click.echo(f"{file}: {summary or 'nothing to import'}")
    if counts.get("rejected"):
        click.echo(f"rejected records written to {rejects_path}", err=True)
        sys.exit(1)


@click.command("export")
@with_appcontext
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="-")
@click.option("--include-deleted", is_flag=True, help="Also export tombstones.")
def export_command(fmt: str, output: str, include_deleted: bool) -> None:
    """Write published records as JSON Lines (canonical JSON) or CSV."""
    with (
        click.open_file(output, "w", encoding="utf-8") as out,
        new_session(app_engine()) as session,
    ):
        texts = iter_published(session, include_deleted=include_deleted)
        if fmt == "jsonl":
            count = write_jsonl(texts, out)
        else:
            count = write_csv((json.loads(t) for t in texts), out)
    click.echo(f"exported {count} records", err=True)


def _count_records(path: Path) -> int:
    """Records in a JSON Lines or CSV file, for progress (0: not known without parsing)."""
    fmt = detect_format(path)
    if fmt == "json":
        return 0
    with path.open("rb") as fh:
        lines = sum(1 for line in fh if line.strip())
    return max(lines - 1, 0) if fmt == "csv" else lines


def run_import(
    engine: Engine,
    node: Node,
    path: Path,
    rejects_path: Path,
    *,
    review: bool = False,
    batch_size: int = 1000,
    progress: bool = True,
    progress_every: float = 10.0,
) -> Counter:
    """Import every record of a file; commit every ``batch_size``; return counts by outcome.

    Invalid records are written to ``rejects_path`` (JSON Lines: line, errors,
    the raw record), never dropped. A rejects file is only created when needed.
    Progress goes to stderr: a bar on a terminal, else a line every
    ``progress_every`` seconds with the count and the rate.
    """
    actor = system_admin()
    counts: Counter = Counter({o.value: 0 for o in Outcome})
    rejects = None
    bar = make_progress(f"importing {path.name}", _count_records(path), progress, progress_every)
    # a review import publishes nothing, so there are no rows to compute ahead
    batches = prepared_batches(path, batch_size, node, prepare=not review)
    with fewer_collections(), closing(batches):
        for batch, prepared in batches:
            for item in batch:
                if item.unreadable:  # one line naming the file and line; what came before imports
                    click.echo(f"{path}:{item.line}: {item.error}", err=True)
            rejects = _import_batch(
                engine, node, actor, batch, prepared, review, counts, rejects, rejects_path
            )
            bar.update(len(batch))
    bar.finish()
    if rejects is not None:
        rejects.close()
    return +counts


GC_YOUNG = 20_000  # new container objects between two collections of the youngest generation


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Fewer, cheaper garbage collections while a long import runs (here and in its reader).

    A batch is a thousand documents of about fifty dicts and lists each, all alive
    until the batch is written, so with the default threshold (700) Python's cycle
    collector ran dozens of times per batch and now and then walked every object of
    the process: parsing a batch took 29 ms instead of 9. The objects alive before the
    import (modules, the app) are frozen out of those walks, and the youngest
    generation is collected every ``GC_YOUNG`` new objects. Batches hold no cycles of
    their own; they are freed by reference counting as before, so memory stays flat.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _import_batch(engine, node, actor, batch, prepared, review, counts, rejects, rejects_path):
    failed: list[tuple[FileItem, list[dict]]] = []
    parsed = [item for item in batch if not item.error]
    for item in batch:
        if item.error:
            failed.append((item, [{"path": "", "message": item.error}]))
            counts[Outcome.REJECTED.value] += 1
    with transaction(engine) as session:
        docs = [item.document for item in parsed]
        results = apply_isolated(
            session,
            lambda part: import_records(
                session, actor, part, node=node, review=review, prepared=prepared
            ),
            docs,
        )
        for item, result in zip(parsed, results, strict=True):
            counts[result.outcome.value] += 1
            if result.outcome in (Outcome.REJECTED, Outcome.CONFLICT):
                errors = [{"path": i.path, "message": i.message} for i in result.issues]
                failed.append((item, errors or [{"path": "/id", "message": result.message}]))
    for item, errors in failed:
        if rejects is None:
            rejects = rejects_path.open("w", encoding="utf-8")
        for error in errors if not item.unreadable else ():  # already said with the file name
            click.echo(f"{item.line}: {error['path'] or '/'} {error['message']}", err=True)
        record = {"line": item.line, "errors": errors, "record": item.document}
        rejects.write(json.dumps(record, ensure_ascii=False) + "\n")
    return rejects
