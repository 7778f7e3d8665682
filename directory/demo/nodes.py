"""The demo federation's shape: which nodes, their ports, peers, config files and saved state.

Everything lives under one folder (``instance/demo`` by default): a sub-folder per
node with its ``config.toml``, SQLite file, mail outbox and logs, and ``state.json``
with what must survive a restart (secret keys, the peer tokens' plaintext).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


@dataclass(frozen=True)
class DemoNode:
    """One node of the demo: identity, sample size, and its port's offset from the base port."""

    id: str
    name: str
    country: str
    role: str
    records: int
    offset: int

    def url(self, base_port: int) -> str:
        """The node's address on this machine."""
        return f"http://{HOST}:{base_port + self.offset}"


KH = DemoNode("kh", "Cambodia SME Directory", "KH", "national", 300, 0)
TH = DemoNode("th", "Thailand SME Directory", "TH", "national", 120, 1)
# The ASEAN Secretariat sits in Jakarta; a hub's own country only scopes its focal points.
HUB = DemoNode("asean", "ASEAN SME Hub", "ID", "hub", 0, 2)


def demo_nodes(count: int) -> tuple[DemoNode, ...]:
    """The nodes of a demo of ``count`` nodes: Cambodia alone, or Cambodia, Thailand, the hub."""
    return (KH,) if count == 1 else (KH, TH, HUB)


def peers_of(node: DemoNode, nodes: tuple[DemoNode, ...]) -> list[DemoNode]:
    """Who ``node`` pulls from: national nodes pull from the hub, the hub from every nation."""
    if len(nodes) == 1:
        return []
    if node.role == "hub":
        return [n for n in nodes if n.role == "national"]
    return [n for n in nodes if n.role == "hub"]


def token_env(peer_id: str) -> str:
    """The environment variable holding the token a node presents to ``peer_id``."""
    return f"SMEDIR_PEER_{peer_id.upper()}_TOKEN"


def write_config(
    root: Path,
    node: DemoNode,
    nodes: tuple[DemoNode, ...],
    *,
    base_port: int,
    interval: int,
    secret_key: str,
) -> Path:
    """Write ``<root>/<node>/config.toml`` for this run's ports and sync interval."""
    folder = root / node.id
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Written by `smedir demo` on every start; edits are overwritten.",
        "[node]",
        f'id = "{node.id}"',
        f'name = "{node.name}"',
        f'country = "{node.country}"',
        f'role = "{node.role}"',
        f'base_url = "{node.url(base_port)}"',
        'instance_path = "."',
        "[security]",
        f'secret_key = "{secret_key}"',
        "[sync]",
        "connect_timeout = 2.0",
        "read_timeout = 10.0",
        "retries = 1",
    ]
    for peer in peers_of(node, nodes):
        is_hub = peer.role == "hub"
        lines += [
            "[[peers]]",
            f'id = "{peer.id}"',
            f'base_url = "{peer.url(base_port)}"',
            'protocol = "feed"',
            "pull = true",
            f"schedule_seconds = {interval}",
            'trust = "publish"',
            f'token_env = "{token_env(peer.id)}"',
            f"relay = {str(is_hub).lower()}",
            f"hub = {str(is_hub).lower()}",
        ]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class DemoState:
    """``state.json``: per-node secret keys, seeded flags and issued tokens (plaintext)."""

    def __init__(self, root: Path):
        self.path = root / "state.json"
        self.data: dict[str, Any] = {"secret_keys": {}, "seeded": [], "tokens": {}}
        if self.path.exists():
            self.data.update(json.loads(self.path.read_text(encoding="utf-8")))

    def secret_key(self, node_id: str) -> str:
        """This node's session secret, made once."""
        return self.data["secret_keys"].setdefault(node_id, secrets.token_urlsafe(32))

    def is_seeded(self, node_id: str) -> bool:
        """True once a node has its accounts and sample data."""
        return node_id in self.data["seeded"]

    def mark_seeded(self, node_id: str) -> None:
        """Remember that ``node_id`` has its accounts and sample data."""
        if node_id not in self.data["seeded"]:
            self.data["seeded"].append(node_id)

    def token(self, issuer: str, holder: str) -> str | None:
        """The token ``issuer`` gave ``holder``, if one was made."""
        return self.data["tokens"].get(issuer, {}).get(holder)

    def set_token(self, issuer: str, holder: str, plaintext: str) -> None:
        """Keep a token ``issuer`` gave ``holder``."""
        self.data["tokens"].setdefault(issuer, {})[holder] = plaintext

    def save(self) -> None:
        """Write the state, readable by this user only (it holds tokens)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.data, fh, indent=2)


def node_environment(node: DemoNode, nodes: tuple[DemoNode, ...], state: DemoState) -> dict:
    """The process environment of a node: the tokens its peers gave it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMEDIR_")}
    for peer in peers_of(node, nodes):
        token = state.token(peer.id, node.id)
        if token:
            env[token_env(peer.id)] = token
    return env
