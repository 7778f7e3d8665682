"""Service errors carry a stable code; one catalogue gives each code its message in English and
Khmer, and no page or API answer matches an error by its English text."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest
from babel.support import Translations
from flask_babel import force_locale

from directory.services.accounts import (
    EmailNotConfirmed,
    InvalidCredentials,
    PasswordRejected,
    TooManyAttempts,
)
from directory.services.errors import InvalidRecord, NotFound, ServiceError
from directory.services.messages import MESSAGES
from directory.services.passwords import MAX_LENGTH, password_problems
from directory.services.signups import TooManySignups

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "directory"
TRANSLATIONS = PACKAGE / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[a-z]")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _service_error_class(module, func: ast.expr):
    """The ServiceError subclass a call's function names in ``module``, if it is one."""
    if isinstance(func, ast.Name):
        obj = getattr(module, func.id, None)
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        base = getattr(module, func.value.id, None)
        obj = getattr(base, func.attr, None) if type(base) is ModuleType else None
    else:
        return None
    is_class = issubclass(type(obj), type)  # without touching a LocalProxy such as current_app
    return obj if is_class and issubclass(obj, ServiceError) else None


def raised_codes() -> set[str]:
    """Every code the package's source passes to a ServiceError, and the fixed ones."""
    codes: set[str] = set()
    fixed = (
        InvalidRecord,
        PasswordRejected,
        InvalidCredentials,
        EmailNotConfirmed,
        TooManyAttempts,
    )
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        module = importlib.import_module(_module_name(path))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            cls = _service_error_class(module, node.func)
            if cls is None or issubclass(cls, fixed):
                continue
            first = node.args[0] if node.args else None
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"{where}: a service error's code must be a literal"
            )
            codes.add(first.value)
    fixed_codes = (
        InvalidRecord([]),
        InvalidCredentials(),
        EmailNotConfirmed(),
        TooManyAttempts(60),
        TooManySignups(60),
    )
    codes |= {exc.code for exc in fixed_codes}
    for password in ("x", "a" * (MAX_LENGTH + 1)):
        codes |= {code for code, _ in password_problems(password, 12, "aaaa@example.org")}
    return codes


def test_every_code_raised_is_in_the_catalogue_and_every_entry_is_raised():
    codes = raised_codes()
    assert {"listing-not-found", "no-draft", "reason-required", "email-taken"} <= codes
    assert {"email-not-confirmed", "confirm-link-invalid", "too-many-signups"} <= codes
    assert sorted(codes - MESSAGES.keys()) == []
    assert sorted(MESSAGES.keys() - codes) == []


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_code_has_an_english_and_a_khmer_message(code):
    english = MESSAGES[code]
    khmer = Translations.load(str(TRANSLATIONS), ["km"]).gettext(english)
    assert english.strip()
    assert khmer.strip() and khmer != english, f"{code}: no Khmer translation"
    assert sorted(PLACEHOLDER.findall(khmer)) == sorted(PLACEHOLDER.findall(english))


def test_an_unknown_code_is_refused_where_it_is_raised():
    with pytest.raises(KeyError, match="not-a-code"):
        NotFound("not-a-code")


def test_the_message_follows_the_language_and_the_text_stays_english(app):
    exc = NotFound("listing-not-found", id="kh:1")
    assert str(exc) == "no listing kh:1"
    with app.test_request_context(), force_locale("km"):
        assert str(exc.message) == "គ្មានការចុះបញ្ជី kh:1 ទេ"
    with app.test_request_context(), force_locale("en"):
        assert str(exc.message) == "no listing kh:1"


def test_no_page_matches_an_error_by_its_text():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "SERVICE_MESSAGES" not in text, path
        assert "get(str(exc)" not in text, path
