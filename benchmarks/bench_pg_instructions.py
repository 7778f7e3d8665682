"""PostgreSQL: what the search index objects cost a write, counted in instructions.

python benchmarks/bench_pg_instructions.py [--rows 10000] [--configs none,0017,0018]
                                           [--unique-words]
python benchmarks/bench_pg_instructions.py --imports [--rows 5000]
                                           [--designs nowords,none+lz4,0017,0018]

``bench_pg_index.py`` times the writes, and on a shared machine its seconds move by a
third between runs. This one runs the same ``COPY`` of the same rows for each of its
configurations (``bench_pg_index.CONFIGS``) on a PostgreSQL server of its own, started
under ``valgrind --tool=callgrind``, and reads the instructions the writing backend
executed: the same count whatever else the machine does (to a few tenths of a percent).
Each configuration's ``COPY`` runs in a connection of its own (so a backend of its
own), after the objects were made and a checkpoint taken in another.

The rows are generated (``bench_sync.records``, through ``apply_remote_changes``) in a
database of the server at ``SMEDIR_TEST_PG_URL`` (127.0.0.1:5432), then the private
server (initdb in a temporary directory, the same binaries, ``C.UTF-8``, autovacuum
off, a free port on 127.0.0.1) is migrated and takes them. Needs valgrind and
PostgreSQL's server binaries (``pg_config --bindir``); run as root, the server runs as
the ``postgres`` user. Instructions are not seconds: a cache miss costs no more than an
add. They say which design does less work, not how much sooner a pull ends.

``--imports`` counts a whole write path instead: ``smedir import`` of N generated
records (the export file of ``bench_import.py``) as replicas (node kh) and as the
node's own records (node th), the command itself under callgrind too (and its forked
reader), into databases of that server migrated to the head and then made into these
designs: ``0018`` (as shipped), ``0017`` (migration 0018 taken back), ``none+lz4`` (the
index objects dropped, lz4 kept, as ``bench_import.py --search-index compare`` does),
``nowords`` (as ``none+lz4``, and the import computes no search words either,
``bench_sync.NO_WORDS_ENV``: the whole of indexing left out), and, with ``--designs``,
``0016`` (migration 0017 taken back too) and ``none`` (0016's index objects dropped:
the table before the index). Each line gives the instructions of the import's
processes and of the backends that served it, a record, less those of importing an
empty file (Python's start, the app, the connections), and the ratio of the whole to
its bare design's. The server's background processes (WAL writer, checkpointer) are
not in it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_db import create_pg, drop_pg  # noqa: E402
from bench_pg_index import (  # noqa: E402
    CONFIGS,
    copy_columns,
    copy_pages,
    prepare,
    rows_parser,
    with_unique_words,
)
from bench_sync import NO_WORDS_ENV, seed_source  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from directory.db import make_engine  # noqa: E402
from directory.migrations import upgrade_database  # noqa: E402
from directory.search import index  # noqa: E402


def seeded(name: str, n: int) -> str:
    """A migrated database of the usual server holding N generated listings."""
    url = create_pg(name)
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    seed_source(url, n)
    return url


def generated_rows(n: int) -> tuple[list[str], list[tuple]]:
    """The columns ``COPY`` writes and N generated listings' rows, made on the usual server."""
    import psycopg

    url = seeded("bench_pg_instructions", n)
    try:
        u = make_url(url)
        with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database) as c:
            columns = copy_columns(c.cursor())
            return columns, c.execute(f"SELECT {', '.join(columns)} FROM listings").fetchall()
    finally:
        drop_pg(url)


class CallgrindServer:
    """A PostgreSQL server of its own under callgrind: one output file per process."""

    def __init__(self, workdir: Path):
        self.workdir, self.data = workdir, workdir / "data"
        self.bindir = Path(subprocess.check_output(["pg_config", "--bindir"], text=True).strip())
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if self.as_postgres:
            shutil.chown(self.workdir, "postgres")
        subprocess.run(
            [*self.as_postgres, str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust",
             "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.process = subprocess.Popen(
            [*self.as_postgres, "valgrind", "--tool=callgrind",
             f"--callgrind-out-file={self.workdir}/callgrind.%p",
             str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.workdir}",
             "-c", "autovacuum=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(240):  # under valgrind the server takes seconds to start
            try:
                self.connect("postgres").close()
                return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.5)
        raise SystemExit("the server under callgrind did not start")

    def connect(self, dbname: str):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True
        )

    def instructions(self, pid: int) -> int:
        """The instructions a backend executed, once it has exited and written its file."""
        path = self.workdir / f"callgrind.{pid}"
        for _ in range(600):
            if path.exists() and "\nsummary:" in path.read_text(errors="replace"):
                return _total(path)
            time.sleep(0.5)
        raise SystemExit(f"no callgrind total for backend {pid}")

    def stop(self) -> None:
        if self.process is not None:
            subprocess.run(
                [*self.as_postgres, str(self.bindir / "pg_ctl"), "-D", str(self.data), "stop",
                 "-m", "fast"],
                capture_output=True,
            )  # fmt: skip
            self.process.wait(timeout=120)


def main() -> None:
    parser = rows_parser(__doc__)
    parser.add_argument("--configs", default="none,none+lz4,0016,0017,0018,arrays,trigger,lz4")
    parser.add_argument("--imports", action="store_true", help="count whole imports instead")
    parser.add_argument("--designs", default="nowords,none+lz4,0017,0018", help="with --imports")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    if args.imports:
        count_imports(args.rows, args.designs.split(","))
        return
    configs = args.configs.split(",")
    columns, rows = generated_rows(args.rows)
    if args.unique_words:
        rows = with_unique_words(rows, columns)
    names = ", ".join(columns)
    with tempfile.TemporaryDirectory(prefix="smedir-callgrind-") as tmp:
        os.chmod(tmp, 0o755)
        server = CallgrindServer(Path(tmp))
        try:
            server.start()
            with server.connect("postgres") as admin:
                admin.execute("CREATE DATABASE bench")
            engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/bench")
            upgrade_database(engine)
            engine.dispose()
            counts = {config: copy_instructions(server, config, names, rows) for config in configs}
        finally:
            server.stop()
    print(f"# {len(rows)} rows by COPY in pages of 1,000, instructions of the writing backend")
    for config, count in counts.items():
        line = f"{config:>12}: {count / len(rows):9,.0f} a row"
        # lz4 stays on the table when the index is dropped (bench_import's bare baseline)
        bare = "none+lz4" if index._LZ4 in CONFIGS[config] else "none"
        if bare in counts and config != bare:
            line += f", index +{(count - counts[bare]) / len(rows):8,.0f} over {bare}"
        print(line, flush=True)


# (design, its bare design): the index's objects over the table without them; the whole of
# indexing (objects and words) over the write path before it
IMPORT_RATIOS = (("0016", "none"), ("0017", "none+lz4"), ("0018", "none+lz4"), ("0018", "nowords"))


def count_imports(n: int, designs: list[str]) -> None:
    """Instructions of ``smedir import`` (client and server) with and without the index."""
    import bench_import

    with tempfile.TemporaryDirectory(prefix="smedir-callgrind-") as tmp:
        os.chmod(tmp, 0o755)
        work = Path(tmp)
        source = seeded("bench_pg_instructions_src", n)
        try:
            data = work / "records.jsonl"
            assert bench_import.export_file(source, data) == n
            empty = work / "empty.jsonl"
            empty.write_text("")
        finally:
            drop_pg(source)
        server = CallgrindServer(work)
        totals: dict[tuple[str, str], tuple[int, int]] = {}
        try:
            server.start()
            for node in ("kh", "th"):
                for design in designs:
                    url = _design_database(server, f"{node}_{design.replace('+', '_')}", design)
                    config = bench_import.write_config(work, node, url)
                    words = {NO_WORDS_ENV: "1"} if design == "nowords" else {}
                    # less an empty file's import: Python's start, the app, the connections;
                    # counted after one unmeasured, so a module compiled afresh (a source
                    # file edited since the last run) is in neither
                    _import_instructions(server, config, empty, words)
                    start = _import_instructions(server, config, empty, words)
                    whole = _import_instructions(server, config, data, words)
                    totals[(node, design)] = (whole[0] - start[0], whole[1] - start[1])
                    client, backend = totals[(node, design)]
                    print(f"# {node} {design}: {client / n:,.0f} + {backend / n:,.0f}", flush=True)
        finally:
            server.stop()
    print(f"# smedir import of {n} records: instructions a record, the importing processes"
          " + the backends serving them")  # fmt: skip
    for node, path in (("kh", "replicas"), ("th", "own records")):
        for design, bare in IMPORT_RATIOS:
            if (node, design) not in totals or (node, bare) not in totals:
                continue
            c, b = totals[(node, design)]
            bc, bb = totals[(node, bare)]
            print(f"{path:>11} {design}: {c / n:9,.0f} + {b / n:9,.0f} = {(c + b) / n:9,.0f};"
                  f" {bare}: {bc / n:9,.0f} + {bb / n:9,.0f} = {(bc + bb) / n:9,.0f};"
                  f" bare / indexed = {(bc + bb) / (c + b):.3f}")  # fmt: skip


def _design_database(server: CallgrindServer, name: str, design: str) -> str:
    with server.connect("postgres") as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/{name}"
    engine = make_engine(url)
    upgrade_database(engine)
    with engine.begin() as conn:
        if design == "0017":
            index.unweight_search_vector(conn, back=True)
        if design in ("none", "0016"):
            index.cheapen_vectors(conn, back=True)
        if design.startswith("none") or design == "nowords":
            index.drop_search_index(conn)
    engine.dispose()
    return url


def _import_instructions(
    server: CallgrindServer, config: Path, data: Path, env: dict[str, str]
) -> tuple[int, int]:
    """(instructions of the import command and its reader, of the backends that served it)."""
    import bench_import

    with server.connect("postgres") as c:
        c.execute("CHECKPOINT")
    time.sleep(2)  # the setup's backends write their files as they exit
    before = set(server.workdir.glob("callgrind.*"))
    out = server.workdir / "client"
    out.mkdir(exist_ok=True)
    for old in out.glob("*"):
        old.unlink()
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/client.%p",
         sys.executable, "-c", bench_import.IMPORTER, str(config), str(data)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env}, check=True,
        capture_output=True,
    )  # fmt: skip
    client = sum(_total(path) for path in out.glob("client.*"))
    time.sleep(5)
    served = set(server.workdir.glob("callgrind.*")) - before
    return client, sum(_total(path) for path in served)


def _total(path: Path) -> int:
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no callgrind total in {path}")


def copy_instructions(server: CallgrindServer, config: str, names: str, rows: list) -> int:
    with server.connect("bench") as setup:
        prepare(setup.cursor(), config)
        setup.execute("CHECKPOINT")
    writer = server.connect("bench")
    pid = writer.execute("SELECT pg_backend_pid()").fetchone()[0]
    with writer.transaction():
        copy_pages(writer.cursor(), names, rows)
    writer.close()
    return server.instructions(pid)


if __name__ == "__main__":
    main()
