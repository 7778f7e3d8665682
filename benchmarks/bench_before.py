"""The full pull of this checkout against the same benchmark at an earlier commit, in one run.

python benchmarks/bench_before.py [--commit dec0cbb] [--db sqlite|postgresql]
                                  [--size 10000] [--rounds 3]

``bench_import.py --search-index compare`` weighs the index objects against this same
code with them dropped. It cannot weigh what the code computes for the index in
Python (the words of every record, Khmer segmented by ICU), nor anything else that
changed since. This one answers "how fast is a full pull now, against before that
change": it checks the earlier commit out into a temporary git worktree, and runs
that commit's own ``bench_sync.py`` and this checkout's, alternating, each round in a
fresh subprocess. Both pull the same generated records (``bench_validation.make_record``
is unchanged since issue 12 began) from node "th" into a fresh node "kh" over HTTP on
127.0.0.1.

The default commit, dec0cbb, is the parent of f2e0203, the commit that brought the
full-text search of issue 12, so its pull has neither the search index nor the words
computed for it (nor anything that landed later: duplicate keys, COPY writes, ...).

Prints each round's records/s and the min / median / max of now over before.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATE = re.compile(r"full pull n=\s*(\d+):\s*([\d.]+) s\s+(\d+) rec/s")


def pull_rate(tree: Path, db: str, size: int) -> int:
    """records/s of one full pull, by ``bench_sync.py`` of the checkout at ``tree``."""
    out = subprocess.run(
        [sys.executable, "benchmarks/bench_sync.py", "--db", db, "--sizes", str(size),
         "--memory-sizes", str(size)],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    found = RATE.search(out.stdout)
    if not found:
        raise SystemExit(f"no full pull line from {tree}: {out.stdout[-1000:]}{out.stderr[-1000:]}")
    return int(found.group(3))


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commit", default="dec0cbb", help="the earlier commit (default: dec0cbb)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"# {os.cpu_count()} CPUs, {args.db}, {args.size} records, {args.commit} against "
          f"this checkout, load average {load()}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="smedir-before-") as tmp:
        before = Path(tmp) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(before), args.commit],
            cwd=ROOT,
            check=True,
        )
        ratios = []
        try:
            for number in range(args.rounds):
                # alternate which goes first, as the load of a shared machine drifts
                order = [before, ROOT] if number % 2 == 0 else [ROOT, before]
                rates = {tree: pull_rate(tree, args.db, args.size) for tree in order}
                ratios.append(rates[ROOT] / rates[before])
                print(f"round {number + 1}: before {rates[before]:5d}/s, now {rates[ROOT]:5d}/s"
                      f" = {ratios[-1]:.2f}x", flush=True)  # fmt: skip
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT)
    print(
        f"now / before: min {min(ratios):.2f}, median {statistics.median(ratios):.2f},"
        f" max {max(ratios):.2f} (goal >= 0.9); load average at the end {load()}"
    )


if __name__ == "__main__":
    main()
