"""The Khmer catalogue is complete and really Khmer, and pages come out in the chosen language."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from directory.models import Role
from directory.web.labels import ISIC_KM
from schemas import load_isic
from tests.conftest import load_example
from tests.directory.pages_helpers import add_account, published_listing

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "directory" / "translations"
KHMER = re.compile("[\u1780-\u17ff]")
PAGE_SOURCES = (
    "web/listings.py",
    "web/review.py",
    "web/public.py",
    "web/forms.py",
    "web/labels.py",
    "templates/listings/",
    "templates/review/",
    "templates/public/",
)


def _catalogue():
    with (TRANSLATIONS / "km" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale="km")


EXTRACTED_DIRS = ("directory", "schemas/data")  # as in babel.cfg's refresh command


def _extracted() -> dict[str, set[str]]:
    """msgid -> source files of every string marked for translation (code, templates, the
    ISIC titles of schemas/data)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = {}
    for folder in EXTRACTED_DIRS:
        for filename, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / folder), method_map, options_map, keywords=keywords
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            found.setdefault(msgid, set()).add(filename)
    return found


@pytest.fixture(scope="module")
def extracted():
    return _extracted()


def _forms(string) -> list[str]:
    """A message's translation as a list (plural messages have one entry per form)."""
    return list(string) if isinstance(string, list | tuple) else [string]


def _text(message) -> str:
    return message.string[0] if isinstance(message.string, tuple) else message.string


def test_every_message_is_translated_into_khmer():
    catalogue = _catalogue()
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        text = _text(message)
        if not text or text == msgid or not KHMER.search(text) or message.fuzzy:
            problems.append(msgid)
    assert problems == []
    assert len(catalogue) > 300


def test_khmer_pages_use_one_kind_of_digits():
    """Western digits, as Babel formats numbers for km (CLDR's default numbering system)."""
    khmer_digits = re.compile("[\u17e0-\u17e9]")
    assert [m.id for m in _catalogue() if m.id and khmer_digits.search(str(m.string))] == []


def test_placeholders_survive_translation():
    errors = [(m.id, errs) for m, errs in _catalogue().check()]
    assert errors == []


def test_every_string_in_the_code_is_in_the_catalogue(extracted):
    catalogue = _catalogue()
    missing = {msgid: where for msgid, where in extracted.items() if msgid not in catalogue}
    assert missing == {}, "run the refresh in babel.cfg's header and translate the new strings"


def test_the_pages_main_strings_are_extracted_and_translated(extracted):
    ours = {m for m, files in extracted.items() if any(f.startswith(PAGE_SOURCES) for f in files)}
    assert {"Save draft", "Submit for review", "Review queue", "Search businesses"} <= ours
    catalogue = _catalogue()
    for msgid in ours:
        assert KHMER.search(_text(catalogue[msgid])), msgid


def test_the_compiled_catalogue_matches_the_po_file():
    with (TRANSLATIONS / "km" / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        compiled = read_mo(fh)
    for message in _catalogue():
        if message.id:
            assert _forms(compiled[message.id].string) == _forms(message.string), message.id


def test_isic_section_and_division_titles_are_extracted_from_the_csv_and_translated(extracted):
    titles = {
        row["title_en"] for row in load_isic().values() if row["level"] in ("section", "division")
    }
    assert len(titles) > 90
    from_csv = {msgid for msgid, files in extracted.items() if "isic-rev4.csv" in files}
    assert from_csv == titles
    catalogue = _catalogue()
    assert all(KHMER.search(_text(catalogue[title])) for title in titles)


def test_every_isic_title_has_a_khmer_translation_marked_unofficial():
    with ISIC_KM.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    reference = load_isic()
    assert [r["code"] for r in rows] == list(reference)  # every level, same order
    for row in rows:
        assert row["title_en"] == reference[row["code"]]["title_en"], row["code"]
        assert KHMER.search(row["title_km"]) and not re.search("[A-Za-z]{3}", row["title_km"])
        assert row["status"] == "unofficial translation"


def test_pages_render_in_khmer_and_in_english(app):
    owner, reviewer = add_account(app), add_account(app, Role.FOCAL_POINT, "KH")
    doc = load_example("battambang-rice-mill")
    listing_id = published_listing(app, owner, doc, reviewer)
    client = app.test_client()
    km = client.get(f"/listings/{listing_id}?lang=km").text
    assert "ទម្រង់គតិយុត្ត" in km and "ស្វែងរក" in km  # "Legal form", "Search"
    assert "បាត់ដំបង" in km  # the province in Khmer
    assert "Legal form" not in km
    en = client.get(f"/listings/{listing_id}?lang=en").text
    assert "Legal form" in en and "Battambang" in en and "ទម្រង់គតិយុត្ត" not in en
    search = client.get("/search?lang=km").text
    assert "ស្វែងរកអាជីវកម្ម" in search and "រកឃើញអាជីវកម្ម 1" in search


def test_language_switch_keeps_the_search_filters(app):
    page = app.test_client().get("/?q=rice&province=KH-2&lang=en").text
    assert 'href="/?q=rice&amp;province=KH-2&amp;lang=km"' in page
    assert 'href="/?q=rice&amp;province=KH-2&amp;lang=en"' in page


def test_language_switch_keeps_a_local_next_only(app):
    client = app.test_client()
    page = client.get("/login?next=/my/listings&lang=en").text
    assert 'href="/login?next=%2Fmy%2Flistings&amp;lang=km"' in page
    assert "evil" not in client.get("/login?next=//evil.example&lang=en").text
