"""Blocking keys and normalised names: what two records of one business have in common.

A record's keys are short strings ``kind:value`` stored in ``listing_match_keys``;
finding the candidates for a record is a handful of indexed lookups of its own keys.

- ``reg``: the registration number (country, then letters and digits, case-folded);
- ``tel``: the phone number in E.164 form (``phonenumbers``, Google's libphonenumber);
- ``mail``: the e-mail address, and ``dom``: its domain unless a free-mail one;
- ``nm``: each word of each name in a script-independent form. Khmer is cut into
  words by ICU (as search does) and romanised by ``anyascii`` (maintained, ISC; the
  ICU build PyICU links has no Khmer-Latin transliterator), Latin names are
  case-folded with accents and legal suffixes ("Co., Ltd.") removed; the key is the
  word's consonant skeleton (three letters or more), so "Sovann" and the romanised
  "sovnn" meet;
- ``nf``: the province and the sorted skeletons of a whole name: the same name in the
  same place, in any word order and either script, when its words are too common
  ("Sokha Restaurant") to narrow anything on their own.

The keys are pure functions of a document, so the same code serves the write paths
and the lookup; ``store_match_keys`` writes them with plain driver calls (the bulk
write path of pulls and imports goes through it).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import phonenumbers
from anyascii import anyascii

from directory.db import insert_rows
from directory.records import parse_json, registration_key
from directory.search.tokens import word_spans

FREE_MAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.th",
        "ymail.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "mail.com",
        "yandex.com",
        "qq.com",
        "163.com",
        "126.com",
        "zoho.com",
    ]
)
# legal forms and filler words that say nothing about which business it is
NOISE_WORDS = frozenset(
    [
        "co",
        "ltd",
        "limited",
        "company",
        "plc",
        "inc",
        "corp",
        "corporation",
        "llc",
        "enterprise",
        "enterprises",
        "the",
        "and",
        "of",
        "sons",
        "group",
        "sole",
        "proprietorship",
        "pte",
    ]
)
LEGAL_KM = ("ក្រុមហ៊ុន", "ឯកកម្មសិទ្ធិ", "ឯ.ក", "សហគ្រាស")
VOWELS = re.compile("[aeiouy]+")
REPEATS = re.compile(r"(.)\1+")
MAX_NAME_WORDS = 6
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
ASCII_WORD = re.compile("[a-z0-9]+")


@lru_cache(maxsize=20_000)
def name_words(name: str) -> tuple[str, ...]:
    """The words of a name in lowercase ASCII, without legal suffixes and filler words."""
    if name.isascii():  # most Latin names: nothing to segment or romanise
        text = name.casefold()
    else:
        for word in LEGAL_KM:
            name = name.replace(word, " ")
        name = unicodedata.normalize("NFC", name)
        # Khmer has no spaces between words: ICU cuts them, then one anyascii call
        text = anyascii(" ".join(name[a:b] for a, b in word_spans(name))).casefold()
    return tuple(w for w in ASCII_WORD.findall(text) if w not in NOISE_WORDS)


@lru_cache(maxsize=50_000)
def skeleton(word: str) -> str:
    """A word's consonants, repeats collapsed, its first letter kept: "sovann" -> "svn"."""
    if word.isdigit() or len(word) < 2:
        return word
    return REPEATS.sub(r"\1", word[0] + VOWELS.sub("", word[1:]))


def all_names(doc: dict[str, Any]) -> list[str]:
    """A record's names, then those of the records merged into it (``aliases``)."""
    names = list((doc.get("names") or {}).values())
    for alias in doc.get("aliases") or []:
        names += (alias.get("names") or {}).values()
    return [v for v in names if isinstance(v, str)]


def normalised_names(doc: dict[str, Any]) -> list[str]:
    """Each name of a record (and of its aliases) as its words joined by spaces."""
    out = [" ".join(name_words(v)) for v in all_names(doc)]
    return [n for n in dict.fromkeys(out) if n]


def e164(phone: Any, country: str | None = None) -> str | None:
    """A phone number in E.164 form, or None when it is not one."""
    if not isinstance(phone, str) or not phone.strip():
        return None
    if E164.fullmatch(phone):  # the schema's form: nothing to parse (a hot path of scoring)
        return phone
    try:
        number = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_parts(email: Any) -> tuple[str, str | None] | None:
    """(address, domain unless free-mail) of an e-mail address, case-folded."""
    if not isinstance(email, str) or "@" not in email:
        return None
    address = email.strip().casefold()
    domain = address.rsplit("@", 1)[1]
    return address, (None if domain in FREE_MAIL else domain)


def registration_match_key(doc: dict[str, Any]) -> str | None:
    """The ``reg`` key of a record: its registration country and number, normalised."""
    reg = doc.get("registration") or {}
    number = registration_key(reg.get("number"))
    return f"reg:{str(reg.get('country', '')).upper()}{number}" if number else None


def match_keys(doc: dict[str, Any]) -> set[str]:
    """Every blocking key of a record (none for a tombstone)."""
    if not doc or doc.get("deleted") is True:
        return set()
    keys: set[str] = set()
    reg = registration_match_key(doc)
    if reg:
        keys.add(reg)
    contact = doc.get("contact") or {}
    phone = e164(contact.get("phone"), (doc.get("address") or {}).get("country"))
    if phone:
        keys.add(f"tel:{phone}")
    mail = email_parts(contact.get("email"))
    if mail:
        keys.add(f"mail:{mail[0][:90]}")
        if mail[1]:
            keys.add(f"dom:{mail[1][:90]}")
    for alias in doc.get("aliases") or []:  # the records merged into this one
        reg = registration_match_key({"registration": alias.get("registration")})
        phone = e164(alias.get("phone"), (doc.get("address") or {}).get("country"))
        keys.update(k for k in (reg, phone and f"tel:{phone}") if k)
    province = (doc.get("address") or {}).get("province")
    for name in all_names(doc):
        words = [skeleton(w) for w in name_words(name)[:MAX_NAME_WORDS]]
        words = sorted({w for w in words if len(w) >= 2})
        # a skeleton of two letters ("rc": rice) is shared by too many to narrow anything
        keys.update(f"nm:{w[:60]}" for w in words if len(w) >= 3)
        if words and province:
            keys.add(f"nf:{province}:{' '.join(words)}"[:100])
    return keys


def store_match_keys(conn, keys_by_id: dict[str, set[str]], *, fresh: bool = False) -> None:
    """Make ``keys_by_id`` the stored keys of those listings (``fresh``: none are stored yet)."""
    if not keys_by_id:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    ids = list(keys_by_id)
    if not fresh:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join([mark] * len(chunk))
            sql = f"DELETE FROM listing_match_keys WHERE listing_id IN ({marks})"
            conn.exec_driver_sql(sql, tuple(chunk))
    rows = [(key, rid) for rid, keys in keys_by_id.items() for key in keys]
    # COPY on PostgreSQL: psycopg formats the rows in C (an array of Python strings is
    # dumped element by element in Python, a third of the time of a whole pull's write)
    insert_rows(conn, "listing_match_keys", ("key", "listing_id"), rows)


def index_pending(session, listing, doc: dict[str, Any]) -> None:
    """Add the keys of a revision waiting for review to its listing's (published) keys."""
    keys = match_keys(doc)
    if listing.document:
        keys |= match_keys(parse_json(listing.document))
    session.flush()
    store_match_keys(session.connection(), {listing.id: keys})
