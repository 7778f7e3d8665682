"""``smedir import`` vs a full pull of the same records, and both vs the raw ceiling, in one run.

python benchmarks/bench_import.py [--db sqlite|postgresql] [--sizes 10000,100000]
                                  [--page 1000] [--db-prefix NAME]

For each size N, with the machinery of ``bench_sync.py``:

1. the raw ceiling: parse + validate + insert of the N records into ``listings`` and
   ``change_log`` of a fresh migrated database (DB-API ``executemany``, no ORM);
2. a full pull of the N records from node "th" into a fresh node "kh" over HTTP;
3. ``smedir import`` of th's export file (JSON Lines, the same N records) into a
   fresh database of node kh: replicas of another origin, applied by the version rule;
4. ``smedir import`` of the same file into a fresh database of node th: the node's own
   records, published as version 1 with their import revisions.

Each import runs the real command (``directory.cli``) in a subprocess with its output
on a pipe, timed from the call to its exit (modules imported and validators compiled
beforehand, as for the pull). Goal: each import's records/s >= the full pull's.

``--search-index`` emulates the write paths before the full-text index (issue 12): with
``compare`` each size is pulled and imported three times per round, into databases as
migrated, into databases whose search index objects (SQLite's FTS5 tables and their
triggers, PostgreSQL's vectors, vocabulary and GIN indexes) were dropped after migrating,
and into such databases by processes that compute no search words either
(``bench_sync.NO_WORDS_ENV``: ``search_names`` and ``search_text`` give None). The rates
with the index are printed as ratios of each of the two without it (goal >= 0.9x against
the second, which is the whole of indexing). The documents' lz4 compression (migration
0017) stays in all three; ``bench_before.py`` compares with an earlier commit's code.

Each line also gives CPU seconds (user + system) of each side's own processes: the
raw loop, the puller plus the feed server, the import command. On a machine shared
with other jobs these move less than wall-clock times; the database server's CPU
(PostgreSQL) is in neither. With ``compare``, each timed path starts after a checkpoint
(PostgreSQL) and ``sync``, so none pays for the writes of the one before, and also gives
the CPU seconds of the whole machine during it (``machine``: client, database server and
source node; only meaningful on a machine with nothing else running).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_db import checkpoint, drop_pg  # noqa: E402
from bench_sync import (  # noqa: E402
    NO_WORDS_ENV,
    WITHOUT_WORDS,
    Databases,
    pull,
    raw_ceiling,
    seed_source,
    start_source,
)

from directory.db import make_engine, new_session  # noqa: E402
from directory.fileformats import write_jsonl  # noqa: E402
from directory.search.index import drop_search_index  # noqa: E402
from directory.services.bulk import iter_published  # noqa: E402

IMPORTER = (
    WITHOUT_WORDS
    + """
import json, sys, time
from directory.cli import cli
import directory.cli.records, directory.services.bulk
from schemas import validate
validate({}, "change")
config, path = sys.argv[1], sys.argv[2]
start, cpu = time.perf_counter(), time.process_time()
try:
    cli.main(["import", path, "--config", config], prog_name="smedir")
    code = 0
except SystemExit as exc:
    code = exc.code
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "code": code}))
"""
)


def export_file(url: str, path: Path) -> int:
    """Node th's published records as ``smedir export`` writes them."""
    engine = make_engine(url)
    with new_session(engine) as s, path.open("w", encoding="utf-8") as out:
        count = write_jsonl(iter_published(s), out)
    engine.dispose()
    return count


def write_config(workdir: Path, node: str, url: str) -> Path:
    """A node config for ``smedir --config``."""
    path = workdir / f"{node}-{abs(hash(url))}.toml"
    instance = workdir / f"instance-{node}"
    path.write_text(
        f'[node]\nid = "{node}"\ncountry = "{node.upper()}"\ninstance_path = "{instance}"\n'
        f'[database]\nurl = "{url}"\n[security]\nsecret_key = "bench"\n',
        encoding="utf-8",
    )
    return path


def run_import(config: Path, path: Path, n: int) -> dict:
    """``smedir import`` in a subprocess: seconds, the summary line, progress lines seen."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", IMPORTER, str(config), str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["code"] not in (0, None) or f"created {n}" not in out.stdout:
        raise SystemExit(f"import failed: {out.stdout[-500:]} {out.stderr[-2000:]}")
    result["progress_lines"] = sum(1 for ln in out.stderr.splitlines() if "records/s" in ln)
    return result


def without_search_index(url: str) -> str:
    """Drop the full-text index objects of a migrated database (the write path before them)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        drop_search_index(conn)
    engine.dispose()
    return url


def machine_cpu() -> float:
    """CPU seconds every process of the machine has used (user and system, from /proc/stat):
    the pulling or importing process, the database server and the source node together."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = f.readline().split()[1:]
    return (int(fields[0]) + int(fields[1]) + int(fields[2])) / os.sysconf("SC_CLK_TCK")


def settle(dbs: Databases) -> None:
    """Before a timed write: dirty pages on disk, and on PostgreSQL a checkpoint, so that no
    run pays for the writes of the one before (as a fresh database's first write would not)."""
    if dbs.backend == "postgresql":
        checkpoint()
    os.sync()


def timed(dbs: Databases, write) -> dict:
    settle(dbs)
    before = machine_cpu()
    result = write()
    result["machine_cpu"] = machine_cpu() - before
    return result


def writes(dbs: Databases, tmp: Path, n: int, page: int, source: str, data: Path, tag: str,
           prepare=lambda url: url) -> dict:  # fmt: skip
    """Full pull, import of replicas and import of own records into fresh databases."""
    pulled, replicas, own = (prepare(dbs.new(f"{name}{tag}{n}")) for name in ("kh", "imkh", "imth"))
    proc, base, token = start_source(source, tmp)
    try:
        full = timed(dbs, lambda: pull(pulled, base, token, page, proc.pid))
    finally:
        proc.terminate()
        proc.wait()
    replica = timed(dbs, lambda: run_import(write_config(tmp, "kh", replicas), data, n))
    mine = timed(dbs, lambda: run_import(write_config(tmp, "th", own), data, n))
    return {"pull": full, "replicas": replica, "own": mine}


def without_words(url: str) -> str:
    """No index objects, and (through ``NO_WORDS_ENV``) no search words: before issue 12."""
    os.environ[NO_WORDS_ENV] = "1"
    return without_search_index(url)


def compare_index(dbs: Databases, tmp: Path, sizes: list[int], page: int, rounds: int) -> None:
    """Each write path with the search index, without its objects, and without its objects
    or its words, in one run; rounds rotate which goes first, as a shared machine's load
    drifts."""
    sides = {"objects": without_search_index, "words": without_words, "indexed": lambda u: u}
    for n in sizes:
        source = dbs.new(f"th{n}")
        seed_source(source, n)
        data = tmp / f"th{n}.jsonl"
        assert export_file(source, data) == n
        for number in range(rounds):
            order = list(sides)[number % 3 :] + list(sides)[: number % 3]
            timed_sides = {}
            for side in order:
                try:
                    timed_sides[side] = writes(
                        dbs, tmp, n, page, source, data, f"{number}_{side[0]}", sides[side]
                    )
                finally:
                    os.environ.pop(NO_WORDS_ENV, None)
            _print_comparison(n, "objects", timed_sides["objects"], timed_sides["indexed"])
            _print_comparison(n, "words", timed_sides["words"], timed_sides["indexed"])
            for url in dbs.made[-9:]:  # this round's databases: keep the server's disk light
                drop_pg(url)
            del dbs.made[-9:]


def _print_comparison(n: int, side: str, bare: dict, indexed: dict) -> None:
    parts = []
    for path in ("pull", "replicas", "own"):
        b, i = bare[path], indexed[path]
        parts.append(
            f"{path} {n / b['seconds']:5.0f}/s -> {n / i['seconds']:5.0f}/s"
            f" = {b['seconds'] / i['seconds']:.2f}x"
            f" [CPU {b['cpu']:.2f} -> {i['cpu']:.2f} s = {b['cpu'] / i['cpu']:.2f}x;"
            f" machine {b['machine_cpu']:.2f} -> {i['machine_cpu']:.2f} s"
            f" = {b['machine_cpu'] / i['machine_cpu']:.2f}x]"
        )
    label = "its objects" if side == "objects" else "its objects or words"
    print(f"n={n:>7} without {label} -> with the search index: " + " | ".join(parts), flush=True)


def run(dbs: Databases, tmp: Path, sizes: list[int], page: int) -> None:
    for n in sizes:
        source = dbs.new(f"th{n}")
        seed_source(source, n)
        data = tmp / f"th{n}.jsonl"
        assert export_file(source, data) == n
        raw = raw_ceiling(dbs.new(f"raw{n}"), n)
        proc, base, token = start_source(source, tmp)
        try:
            full = pull(dbs.new(f"kh{n}"), base, token, page, proc.pid)
        finally:
            proc.terminate()
            proc.wait()
        replica = run_import(write_config(tmp, "kh", dbs.new(f"imkh{n}")), data, n)
        own = run_import(write_config(tmp, "th", dbs.new(f"imth{n}")), data, n)
        wall = {"raw": raw.seconds, "pull": full["seconds"]}
        wall.update(replicas=replica["seconds"], own=own["seconds"])
        cpu = {"raw": raw.cpu, "pull": full["cpu"], "replicas": replica["cpu"], "own": own["cpu"]}
        print(
            f"n={n:>7}: raw {wall['raw']:6.2f} s ({n / wall['raw']:7.0f}/s)"
            f" | pull {wall['pull']:6.2f} s ({n / wall['pull']:6.0f}/s)"
            f" = {wall['raw'] / wall['pull']:.2f}x raw"
            f" | import replicas {wall['replicas']:6.2f} s ({n / wall['replicas']:6.0f}/s)"
            f" = {wall['pull'] / wall['replicas']:.2f}x pull"
            f" | import own {wall['own']:6.2f} s ({n / wall['own']:6.0f}/s)"
            f" = {wall['pull'] / wall['own']:.2f}x pull"
            f"  [CPU s: raw {cpu['raw']:.2f}, pull {cpu['pull']:.2f}"
            f" ({cpu['raw'] / cpu['pull']:.2f}x raw), import replicas {cpu['replicas']:.2f}"
            f" ({cpu['pull'] / cpu['replicas']:.2f}x pull), import own {cpu['own']:.2f}"
            f" ({cpu['pull'] / cpu['own']:.2f}x pull)]",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--db-prefix", default="smedir_bench_import", help="PostgreSQL names")
    parser.add_argument(
        "--search-index",
        choices=["on", "compare"],
        default="on",
        help="compare: each write path also without the full-text index objects",
    )
    parser.add_argument("--rounds", type=int, default=2, help="with --search-index compare")
    args = parser.parse_args()
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()},"
          f" {os.cpu_count()} CPUs, backend {args.db}, page {args.page},"
          f" load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        dbs = Databases(args.db, Path(tmp), args.db_prefix)
        try:
            sizes = [int(s) for s in args.sizes.split(",")]
            if args.search_index == "compare":
                compare_index(dbs, Path(tmp), sizes, args.page, args.rounds)
            else:
                run(dbs, Path(tmp), sizes, args.page)
        finally:
            dbs.close()
        print(f"# load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
