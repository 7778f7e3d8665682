"""``smedir validate``, ``smedir import`` and ``smedir export``: records in files.

The import driver reads batches ahead in a thread, shows progress (a bar on a
terminal, lines with the rate in a log) and keeps every invalid record in a
rejects file.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import Engine

from directory.cli.base import app_engine, app_node
from directory.cli.progress import make_progress
from directory.db import is_sqlite, new_session, transaction
from directory.fileformats import FileItem, detect_format, read_items, write_csv, write_jsonl
from directory.node import Node
from directory.services.bulk import (
    Prepared,
    import_records,
    iter_published,
    prepare_records,
    system_admin,
)
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
    # Records are checked and their rows computed ahead only on PostgreSQL, where the
    # writes are long waits on the server. SQLite writes in this process and lets the
    # GIL go around every row, so a second Python thread mostly takes turns with it
    # (measured: more CPU, no faster). A review import publishes nothing to compute.
    ahead = not review and not is_sqlite(engine)
    prepare = (lambda docs: prepare_records(docs, node)) if ahead else None
    for batch, prepared in read_batches(path, batch_size, prepare):
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


def read_batches(
    path: Path, size: int, prepare: Callable[[list], Prepared] | None = None
) -> Iterator[tuple[list[FileItem], Prepared | None]]:
    """The file's items in batches, the next one read, parsed and prepared in a thread.

    ``prepare`` gets the batch's parsed documents (``prepare_records``: validation,
    extracted columns, match keys). That work holds the GIL, but the database
    driver releases it while it writes, so preparing batch n + 1 overlaps storing
    batch n (as a pull fetches its next page).
    """
    items = read_items(path)

    def next_batch() -> tuple[list[FileItem], Prepared | None]:
        batch = list(islice(items, size))
        docs = [item.document for item in batch if not item.error]
        return batch, prepare(docs) if prepare and docs else None

    with ThreadPoolExecutor(1, thread_name_prefix="import-read") as pool:
        ahead = pool.submit(next_batch)
        while (got := ahead.result())[0]:
            ahead = pool.submit(next_batch)
            yield got


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
