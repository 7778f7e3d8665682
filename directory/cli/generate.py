"""``smedir generate``: deterministic sample SMEs as JSON Lines, for demos, docs and tests."""

from __future__ import annotations

import click

from directory.sampledata import COUNTRIES, generate_records, iter_jsonl, problem_records


@click.command("generate")
@click.option("--count", default=300, show_default=True, type=click.IntRange(1, 100_000))
@click.option(
    "--country", default="KH", show_default=True, type=click.Choice(COUNTRIES, case_sensitive=False)
)
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same records.")
@click.option(
    "--problems",
    is_flag=True,
    help="Add two records a focal point should catch: a likely duplicate, a bad phone number.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="-")
def generate_command(count: int, country: str, seed: int, problems: bool, output: str) -> None:
    """Write COUNT realistic sample SMEs of COUNTRY as plain records (JSON Lines).

    The output is what ``smedir import`` takes: the same --count, --country and
    --seed always give the same records, so re-importing changes nothing.
    """
    records = generate_records(count, country.upper(), seed)
    if problems:
        records += problem_records(records, seed)
    with click.open_file(output, "w", encoding="utf-8") as out:
        out.writelines(iter_jsonl(records))
    click.echo(f"generated {len(records)} records ({country.upper()}, seed {seed})", err=True)
