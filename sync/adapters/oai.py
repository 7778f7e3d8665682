"""OAI-PMH 2.0 harvest (ListRecords with resumption tokens) into our record schema.

Two ways in:
- ``metadata_prefix = "sme_json"``: the native format of this software; the record's
  JSON is the text of the ``sme:record`` element and is used as is.
- any other prefix (``oai_dc`` by default): a declarative mapping from the peer's
  ``mapping`` table builds the record::

      [peers.mapping]
      id = "{peer}:{local}"            # template: {peer}, {identifier}, {local}
      [peers.mapping.fields]           # target JSON pointer -> XPath on the metadata
      "/names/en" = "dc:title[1]"
      "/sectors[]" = "dc:subject"      # "[]": every value, as a list
      "/founded_year|int" = "dc:date"  # "|int", "|float", "|bool": convert the text
      [peers.mapping.constants]        # target JSON pointer -> fixed value
      "/address/country" = "KH"

The envelope comes from the OAI header: ``origin`` is the peer, ``version`` the
datestamp in seconds since 1970 (it grows with every change the repository
makes), ``updated_at`` the datestamp. A header with ``status="deleted"`` becomes a
tombstone (in the native format, the tombstone the repository puts in the record's
``about``: a merge keeps its surviving id). A mapped record that does not validate
is quarantined by the engine with the record's XML as its raw payload, so a mapping
fix can retry it.

The cursor is JSON: ``{"from", "token", "max"[, "restarts"]}``. A run starts from the ``from``
datestamp of the previous run's newest record (inclusive: records at that instant
are read again and change nothing, by the version rule), follows resumption
tokens, and at the end moves ``from`` to the newest datestamp seen. An expired
resumption token (``badResumptionToken``) restarts the harvest from ``from``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson
from lxml import etree

from sync.adapters import Page, PageItem
from sync.errors import FeedError, PeerConfigError
from sync.http import PeerHttp
from sync.peers import PeerSpec, SyncSettings

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
NAMESPACES = {
    "oai": OAI_NS,
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "sme": "https://schemas.sme-directory.org/oai/sme_json/1.0/",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
NATIVE_PREFIX = "sme_json"
MAX_RESTARTS = 3
DEFAULT_SHARING = {"public": True, "hub": False, "peers": [], "contact_public": False}
CONVERTERS = {"int": int, "float": float, "bool": lambda t: t.strip().lower() in ("1", "true")}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class FieldMapping:
    """The compiled ``mapping`` table of one peer."""

    def __init__(self, peer: PeerSpec):
        table = peer.mapping or {}
        self.peer = peer.id
        self.id_template = table.get("id", "{peer}:{local}")
        namespaces = {**NAMESPACES, **table.get("namespaces", {})}
        self.fields: list[tuple[str, bool, Any, etree.XPath]] = []
        for target, source in table.get("fields", {}).items():
            pointer, _, convert = target.partition("|")
            if convert and convert not in CONVERTERS:
                raise PeerConfigError(f"peer {peer.id}: mapping {target!r}: unknown conversion")
            many = pointer.endswith("[]")
            try:
                xpath = etree.XPath(source, namespaces=namespaces, smart_strings=False)
            except etree.XPathSyntaxError as exc:
                raise PeerConfigError(f"peer {peer.id}: mapping {target!r}: {exc}") from None
            self.fields.append((pointer.removesuffix("[]"), many, CONVERTERS.get(convert), xpath))
        self.constants: dict[str, Any] = dict(table.get("constants", {}))

    def record_id(self, identifier: str) -> str:
        """The record id for an OAI identifier, from the id template."""
        local = re.sub(r"[^A-Za-z0-9._-]", "-", re.split(r"[:/]", identifier)[-1])[:64]
        return self.id_template.format(peer=self.peer, identifier=identifier, local=local)

    def build(self, metadata: etree._Element | None) -> tuple[dict, list[tuple[str, str]]]:
        """The business fields of a record, and problems met while mapping."""
        doc: dict[str, Any] = {"sharing": dict(DEFAULT_SHARING)}
        issues: list[tuple[str, str]] = []
        for pointer, value in self.constants.items():
            _set(doc, pointer, value)
        if metadata is None:
            return doc, [("", "record has no metadata")]
        for pointer, many, convert, xpath in self.fields:
            values = [v for v in (_text(r) for r in _as_list(xpath(metadata))) if v]
            if not values:
                continue
            try:
                values = [convert(v) for v in values] if convert else values
            except ValueError as exc:
                issues.append((pointer, f"cannot convert {values[0]!r}: {exc}"))
                continue
            _set(doc, pointer, list(dict.fromkeys(values)) if many else values[0])
        return doc, issues


class OaiAdapter:
    """Pull-only adapter for any OAI-PMH repository."""

    def __init__(self, peer: PeerSpec, settings: SyncSettings, token: str | None = None):
        self.peer = peer
        self.http = PeerHttp(peer.base_url, settings, token)
        self.native = peer.metadata_prefix == NATIVE_PREFIX
        self.mapping = None if self.native else FieldMapping(peer)

    def fetch_page(self, cursor: str | None, limit: int) -> Page:
        """One ListRecords response (the repository chooses its size; ``limit`` is unused)."""
        state = _decode(cursor)
        try:
            root = self._request(state)
        except _BadToken:
            if int(state["restarts"] or 0) >= MAX_RESTARTS:
                raise FeedError("cursor", "resumption tokens keep expiring") from None
            state["token"], state["restarts"] = "", str(int(state["restarts"] or 0) + 1)
            root = self._request(state)
        error = root.find(f"{{{OAI_NS}}}error")
        if error is not None and error.get("code") == "noRecordsMatch":
            return Page([], _encode(state["max"] or state["from"]), False)
        if error is not None:
            raise FeedError(
                "schema", f"OAI error {error.get('code')}: {(error.text or '').strip()}"
            )
        listing = root.find(f"{{{OAI_NS}}}ListRecords")
        if listing is None:
            raise FeedError("schema", "OAI response has neither ListRecords nor error")
        items, newest = [], state["max"]
        for record in listing.findall(f"{{{OAI_NS}}}record"):
            item, stamp = self.item(record)
            items.append(item)
            newest = max(newest, stamp)
        token_el = listing.find(f"{{{OAI_NS}}}resumptionToken")
        token = (token_el.text or "").strip() if token_el is not None else ""
        if token:
            return Page(items, _encode(state["from"], token, newest, state["restarts"]), True)
        return Page(items, _encode(newest or state["from"]), False)

    def _request(self, state: dict) -> etree._Element:
        if state["token"]:
            params = {"verb": "ListRecords", "resumptionToken": state["token"]}
        else:
            params = {"verb": "ListRecords", "metadataPrefix": self.peer.metadata_prefix}
            if state["from"]:
                params["from"] = state["from"]
            if self.peer.oai_set:
                params["set"] = self.peer.oai_set
        body = self.http.get_bytes("", params)
        try:
            root = etree.fromstring(body, _parser())
        except etree.XMLSyntaxError as exc:
            raise FeedError("not_json", f"not XML: {exc}", self.http.base_url) from None
        if root.tag != f"{{{OAI_NS}}}OAI-PMH":
            raise FeedError("schema", f"not an OAI-PMH response (root {root.tag})")
        error = root.find(f"{{{OAI_NS}}}error")
        if state["token"] and error is not None and error.get("code") == "badResumptionToken":
            raise _BadToken()
        return root

    def item(self, record: etree._Element) -> tuple[PageItem, str]:
        """One OAI record as an item (raw payload: the record's XML), and its datestamp."""
        raw = etree.tostring(record, encoding="unicode")
        header = record.find(f"{{{OAI_NS}}}header")
        identifier = _child_text(header, "identifier")
        stamp = _child_text(header, "datestamp")
        try:
            version, updated_at = _stamp(stamp)
        except ValueError:
            return PageItem(
                {"id": identifier}, raw, [("/updated_at", f"bad datestamp {stamp!r}")]
            ), ""
        deleted = header is not None and header.get("status") == "deleted"
        metadata = record.find(f"{{{OAI_NS}}}metadata")
        if self.native:
            if deleted:
                return _native_tombstone(record, identifier, version, updated_at, raw), stamp
            return self._native(identifier, metadata, raw), stamp
        rid = self.mapping.record_id(identifier)
        envelope = {"id": rid, "origin": self.peer.id, "version": version, "updated_at": updated_at}
        if deleted:
            return PageItem({**envelope, "deleted": True, "reason": "deleted"}, raw), stamp
        first = metadata[0] if metadata is not None and len(metadata) else None
        doc, issues = self.mapping.build(first)
        return PageItem({**doc, **envelope}, raw, issues), stamp

    def _native(self, identifier, metadata, raw) -> PageItem:
        element = metadata.find("sme:record", NAMESPACES) if metadata is not None else None
        if element is None or not (element.text or "").strip():
            return PageItem({"id": identifier}, raw, [("", "no sme:record JSON in metadata")])
        try:
            return PageItem(orjson.loads(element.text), raw)
        except orjson.JSONDecodeError as exc:
            return PageItem({"id": identifier}, raw, [("", f"sme:record is not JSON ({exc})")])

    def cursor_order(self, before: str | None, after: str) -> int | None:
        """OAI cursors carry resumption tokens: only equality can be checked."""
        return 0 if before == after else None

    def reparse(self, raw: str) -> PageItem:
        """Map a quarantined record's XML again (with the current mapping)."""
        try:
            record = etree.fromstring(raw.encode(), _parser())
        except etree.XMLSyntaxError as exc:
            return PageItem(None, raw, [("", f"not XML: {exc}")])
        return self.item(record)[0]

    def close(self) -> None:
        """Release connections."""
        self.http.close()


class _BadToken(Exception):
    pass


def _decode(cursor: str | None) -> dict[str, str]:
    state = {"from": "", "token": "", "max": "", "restarts": ""}
    if cursor:
        try:
            state.update({k: str(v) for k, v in orjson.loads(cursor).items() if k in state})
        except (orjson.JSONDecodeError, AttributeError):
            raise FeedError("cursor", f"not an OAI harvest cursor: {cursor!r}") from None
    return state


def _encode(start: str, token: str = "", newest: str = "", restarts: str = "") -> str:
    state = {"from": start, "token": token, "max": newest}
    if restarts:
        state["restarts"] = restarts
    return orjson.dumps(state).decode()


def _stamp(stamp: str) -> tuple[int, str]:
    """(version, updated_at) from an OAI datestamp (day or second granularity)."""
    if len(stamp) == 10:
        moment = datetime.strptime(stamp, "%Y-%m-%d").replace(tzinfo=UTC)
    else:
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return int(moment.timestamp()), moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _child_text(parent, name: str) -> str:
    if parent is None:
        return ""
    child = parent.find(f"{{{OAI_NS}}}{name}")
    return (child.text or "").strip() if child is not None else ""


def _as_list(result) -> list:
    return result if isinstance(result, list) else [result]


def _text(node) -> str:
    if isinstance(node, etree._Element):
        return " ".join("".join(node.itertext()).split())
    if isinstance(node, bool | float):
        return "" if node is False else str(node)
    return " ".join(str(node).split())


def _set(doc: dict, pointer: str, value: Any) -> None:
    """Set ``value`` at a JSON pointer, creating objects on the way."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/")]
    node = doc
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _native_tombstone(record, identifier: str, version: int, updated_at: str, raw: str) -> PageItem:
    """A deleted native record: the tombstone this software puts in ``about`` (with the
    reason, and for a merge the surviving id), else one made from the header."""
    # the native identifier is oai:<repo>:<record id>
    rid = identifier.split(":", 2)[-1] if identifier.count(":") >= 2 else identifier
    element = record.find(f"{{{OAI_NS}}}about/sme:tombstone", NAMESPACES)
    if element is not None and (element.text or "").strip():
        try:
            stone = orjson.loads(element.text)
        except orjson.JSONDecodeError:
            stone = None
        if isinstance(stone, dict) and stone.get("id") == rid and stone.get("deleted") is True:
            return PageItem(stone, raw)
    doc = {"id": rid, "origin": rid.split(":", 1)[0], "version": version, "updated_at": updated_at}
    return PageItem({**doc, "deleted": True, "reason": "deleted"}, raw)
