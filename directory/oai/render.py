"""OAI-PMH response XML, built with lxml: envelope, headers, oai_dc and sme_json metadata."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from directory.api.public import public_document
from directory.oai.repository import Item
from directory.records import canonical_json
from schemas import load_isic
from schemas.loader import schema_id

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_XSD = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_XSD = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
SME_NS = "https://schemas.sme-directory.org/oai/sme_json/1.0/"

# characters XML 1.0 cannot carry, even escaped
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text(value: Any) -> str:
    """A string safe to put in XML 1.0."""
    return _NOT_XML.sub("\ufffd", str(value))


def datestamp(moment: datetime) -> str:
    """A UTC datestamp at seconds granularity."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sub(parent: etree._Element, tag: str, value: Any = None, **attrs) -> etree._Element:
    """Append a child element (OAI namespace unless ``tag`` is qualified)."""
    qname = tag if tag.startswith("{") else f"{{{OAI_NS}}}{tag}"
    element = etree.SubElement(parent, qname, {k: text(v) for k, v in attrs.items()})
    if value is not None:
        element.text = text(value)
    return element


def envelope(base_url: str, request_args: dict[str, str], now: datetime) -> etree._Element:
    """The OAI-PMH root with responseDate and the request element."""
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_XSD}")
    sub(root, "responseDate", datestamp(now))
    sub(root, "request", base_url, **request_args)
    return root


def serialize(root: etree._Element) -> bytes:
    """The document as UTF-8 bytes with an XML declaration."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def header(parent: etree._Element, item: Item, identifier: str) -> None:
    """An item's header; deleted items get status="deleted"."""
    element = sub(parent, "header", status="deleted") if item.deleted else sub(parent, "header")
    sub(element, "identifier", identifier)
    sub(element, "datestamp", datestamp(item.datestamp))
    for spec in item.sets:
        sub(element, "setSpec", spec)


def metadata(parent: etree._Element, item: Item, prefix: str, ctx: dict[str, str]) -> None:
    """The metadata container for a live item in the requested format."""
    doc = public_document(item.document)
    container = sub(parent, "metadata")
    if prefix == "oai_dc":
        oai_dc(container, doc, ctx)
    else:
        sme_json(container, doc, ctx)


def sme_json(parent: etree._Element, doc: dict[str, Any], ctx: dict[str, str]) -> None:
    """The native record: its canonical JSON as the text of one element."""
    element = etree.SubElement(
        parent, f"{{{SME_NS}}}record", nsmap={"sme": SME_NS}, schema=schema_id("record")
    )
    element.set("mediaType", "application/json")
    element.set(f"{{{XSI_NS}}}schemaLocation", f"{SME_NS} {ctx['sme_xsd']}")
    element.text = text(canonical_json(doc))


def about_tombstone(parent: etree._Element, item: Item) -> None:
    """A deleted item's tombstone (reason, and for a merge the surviving id) in ``about``.

    OAI-PMH gives a deleted record no metadata; ``about`` may still describe it, so a
    harvester of this software learns that the record was merged, and into which one.
    """
    if not item.tombstone:
        return
    element = etree.SubElement(
        sub(parent, "about"), f"{{{SME_NS}}}tombstone", nsmap={"sme": SME_NS}
    )
    element.set("schema", schema_id("tombstone"))
    element.set("mediaType", "application/json")
    element.text = text(item.tombstone)


def oai_dc(parent: etree._Element, doc: dict[str, Any], ctx: dict[str, str]) -> None:
    """Simple Dublin Core: names, descriptions, ISIC subjects, place, dates, identifiers."""
    dc = etree.SubElement(parent, f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS})
    dc.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_XSD}")

    def add(tag: str, value: Any, lang: str | None = None) -> None:
        element = etree.SubElement(dc, f"{{{DC_NS}}}{tag}")
        element.text = text(value)
        if lang:
            element.set(f"{{{XML_NS}}}lang", lang)

    for lang, name in sorted(doc.get("names", {}).items()):
        add("title", name, lang)
    for lang, description in sorted(doc.get("descriptions", {}).items()):
        add("description", description, lang)
    isic = load_isic()
    for code in doc.get("sectors", []):
        title = isic.get(code, {}).get("title_en", "")
        add("subject", f"ISIC Rev.4 {code}: {title}" if title else f"ISIC Rev.4 {code}")
    for product in doc.get("products", []):
        if product.get("name"):
            add("subject", product["name"])
    address = doc.get("address", {})
    for key in ("country", "province"):
        if address.get(key):
            add("coverage", address[key])
    add("type", "Organization: small or medium enterprise")
    add("publisher", ctx["publisher"])
    add("date", doc["updated_at"])
    add("identifier", doc["id"])
    add("identifier", f"{ctx['api_base']}/api/v1/listings/{doc['id']}")
    for lang in sorted(doc.get("names", {})):
        add("language", lang)
