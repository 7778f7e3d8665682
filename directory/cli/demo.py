"""``smedir demo``: a small federation on this machine, with sample data and demo accounts."""

from __future__ import annotations

import shutil
import signal
import sys
import threading
from pathlib import Path

import click

from directory.config import load_config
from directory.demo.nodes import DemoState, demo_nodes, peers_of, write_config
from directory.demo.seed import demo_accounts, seed_node
from directory.demo.supervisor import DemoError, Federation, check_ports_free


@click.command("demo")
@click.option(
    "--nodes",
    "node_count",
    envvar="SMEDIR_DEMO_NODES",
    type=click.Choice(["1", "3"]),
    default="3",
    show_default=True,
    help="3: Cambodia, Thailand and a regional hub; 1: Cambodia alone.",
)
@click.option(
    "--port",
    "base_port",
    envvar="SMEDIR_DEMO_PORT",
    default=5000,
    show_default=True,
    type=click.IntRange(1024, 65530),
    help="Port of the first node; the others take the next ones.",
)
@click.option(
    "--interval",
    envvar="SMEDIR_DEMO_INTERVAL",
    default=60,
    show_default=True,
    type=click.IntRange(1, 86_400),
    help="Seconds between sync runs of each peer.",
)
@click.option(
    "--dir",
    "folder",
    envvar="SMEDIR_DEMO_DIR",
    default="instance/demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the demo keeps its data.",
)
@click.option("--reset", is_flag=True, help="Delete the demo's data first and start over.")
def demo_command(node_count: str, base_port: int, interval: int, folder: str, reset: bool) -> None:
    """Start a demo federation on 127.0.0.1 until Ctrl-C; a second run reuses its data.

    Every option can also come from the environment: SMEDIR_DEMO_NODES,
    SMEDIR_DEMO_PORT, SMEDIR_DEMO_INTERVAL, SMEDIR_DEMO_DIR.
    """
    root = Path(folder).resolve()
    nodes = demo_nodes(int(node_count))
    try:
        check_ports_free(nodes, base_port)
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None
    if reset and root.exists():
        shutil.rmtree(root)
    state = DemoState(root)
    for node in nodes:
        path = write_config(
            root,
            node,
            nodes,
            base_port=base_port,
            interval=interval,
            secret_key=state.secret_key(node.id),
        )
        fresh = not state.is_seeded(node.id)
        if fresh:
            click.echo(f"{node.id}: creating the database, demo accounts and sample data", err=True)
        seed_node(load_config(path), node, nodes, state)
        state.save()
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    federation = Federation(root, nodes, base_port, state)
    failed = False
    try:
        federation.start_servers()
        if federation.wait_ready(stop):
            federation.start_schedulers()
            click.echo(describe(nodes, base_port, interval, root))
            sys.stdout.flush()
            federation.watch(stop)
    except DemoError as exc:
        click.echo(f"demo error: {exc}", err=True)
        failed = True
    finally:
        click.echo("stopping the demo ...", err=True)
        federation.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo("demo stopped; its data stays in " + str(root) + " (--reset starts over)", err=True)
    if failed:
        sys.exit(1)


def describe(nodes, base_port: int, interval: int, root: Path) -> str:
    """What is running, where, and how to sign in."""
    lines = [f"SME Directory demo: {len(nodes)} node(s) on 127.0.0.1, data in {root}", ""]
    for node in nodes:
        url = node.url(base_port)
        lines.append(f"{node.name} ({node.id}, {node.role})  {url}/")
        for account in demo_accounts(node):
            lines.append(
                f"    {account.label:<12} {account.email:<24} password: {account.password}"
            )
        pulls = ", ".join(p.id for p in peers_of(node, nodes))
        if pulls:
            lines.append(f"    pulls from {pulls} every {interval} s")
        lines.append("")
    lines += [
        "Sign in at <node URL>/login. Logs: <data folder>/<node>/serve.log and scheduler.log.",
        "demo ready: press Ctrl-C to stop",
    ]
    return "\n".join(lines)
