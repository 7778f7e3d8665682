"""Validate OAI-PMH responses against the official XML schemas shipped in tests/directory/data.

A wrapper schema imports every namespace from the local copies first (DC and
the XML namespace before oai_dc, which imports them by their official URLs),
so libxml2 skips those remote imports and nothing is fetched.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

DATA = Path(__file__).resolve().parent / "data"
SME_XSD = Path(__file__).resolve().parents[2] / "directory" / "oai" / "sme_json.xsd"

IMPORTS = [
    ("http://www.w3.org/XML/1998/namespace", DATA / "xml.xsd"),
    ("http://purl.org/dc/elements/1.1/", DATA / "simpledc20021212.xsd"),
    ("http://www.openarchives.org/OAI/2.0/oai_dc/", DATA / "oai_dc.xsd"),
    ("https://schemas.sme-directory.org/oai/sme_json/1.0/", SME_XSD),
    ("http://www.openarchives.org/OAI/2.0/", DATA / "OAI-PMH.xsd"),
]


@cache
def oai_schema() -> etree.XMLSchema:
    """The compiled wrapper schema."""
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{path.as_uri()}"/>' for ns, path in IMPORTS
    )
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'targetNamespace="urn:smedir:test:wrapper">' + imports + "</xs:schema>"
    )
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser, base_url=str(DATA) + "/"))


def assert_valid_oai(body: bytes) -> etree._Element:
    """Parse a response and assert it is valid OAI-PMH; returns the root."""
    root = etree.fromstring(body)
    schema = oai_schema()
    if not schema.validate(root):
        raise AssertionError(f"invalid OAI-PMH response: {schema.error_log}\n{body[:2000]!r}")
    return root
