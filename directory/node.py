"""Who this node is, as the services need it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Node:
    """This node's identity and the review rules services apply."""

    id: str
    country: str
    role: str = "national"
    verified_fields: tuple[str, ...] = ("names", "registration", "legal_form", "address", "sectors")
    duplicate_bands: tuple[float, float] = (0.85, 0.65)  # (probable, possible) score thresholds

    @property
    def is_hub(self) -> bool:
        """True when this node aggregates national nodes."""
        return self.role == "hub"

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> Node:
        """Build from the checked configuration."""
        return cls(
            id=cfg["node"]["id"],
            country=cfg["node"]["country"],
            role=cfg["node"]["role"],
            verified_fields=tuple(cfg["review"]["verified_fields"]),
            duplicate_bands=(
                cfg["review"]["duplicate_probable"],
                cfg["review"]["duplicate_possible"],
            ),
        )
