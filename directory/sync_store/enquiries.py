"""The SQL side of enquiry delivery (``sync.enquiries.EnquiryOutbox``): one transaction a call."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from directory.db import new_session, transaction
from directory.node import Node
from directory.services.enquiry_exchange import pending_messages, record_failure, record_receipts


class SqlEnquiryOutbox:
    """The ``enquiry_messages`` table as the delivery sees it."""

    def __init__(self, engine: Engine, node: Node):
        self.engine, self.node_id = engine, node.id

    def pending_messages(self, peer: str, limit: int) -> list[dict[str, Any]]:
        """The oldest messages waiting for ``peer``."""
        with new_session(self.engine) as session:
            return pending_messages(session, peer, limit)

    def record_receipts(self, peer: str, receipts: list[dict[str, Any]]) -> None:
        """Accepted and duplicate messages are sent; rejected ones failed."""
        with transaction(self.engine) as session:
            record_receipts(session, peer, receipts)

    def record_failure(self, peer: str, ids: list[str], error: str) -> None:
        """The attempt and its error; the messages stay pending."""
        with transaction(self.engine) as session:
            record_failure(session, peer, ids, error)
