"""The interface exists completely in English and Arabic.

English is the source language: the msgids are the English text, and the English
catalogue's msgstr may stay empty (Flask-Babel then shows the msgid) or hold a corrected
English wording. So "complete" is checked against the Arabic catalogue: every string the
current sources mark for translation (extracted in-process with the same mapping as
``babel.cfg``) must be there, translated, not fuzzy, with the same placeholders; and the
compiled ``.mo`` files must say what the ``.po`` files say.

When one of these fails after you changed strings: run ``scripts/translations.sh``,
translate the new or fuzzy Arabic entries, run the script again.
"""

from __future__ import annotations

import re
from gettext import c2py
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

from letterhub.extensions import db
from letterhub.models import OutboxMessage
from tests.conftest import csrf_token

REPO_ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = REPO_ROOT / "babel.cfg"
TRANSLATIONS_DIR = REPO_ROOT / "letterhub" / "translations"
LOCALES = ("ar", "en")
REFRESH = "run scripts/translations.sh, translate the Arabic entries it lists as new or fuzzy, run it again"

# A %-format placeholder as Python's ``%`` operator reads it (``%(name)s``, ``%(count)d``,
# ``%s``, ``%.2f``), or a literal ``%%``.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)
# Arabic plural forms (zero, one, two) that may spell the number out instead of printing it.
SPELLED_OUT_FORMS = {0, 1, 2}


def po_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"


def mo_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.mo"


def load_catalog(locale: str) -> Catalog:
    with po_path(locale).open("rb") as po_file:
        return read_po(po_file, locale=locale)


@pytest.fixture(scope="module")
def extracted() -> dict[tuple[str, str | None], dict]:
    """Every message the sources mark now: (msgid, context) -> {"plural": ..., "where": [...]}."""
    with BABEL_CFG.open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(BABEL_CFG))
    messages: dict[tuple[str, str | None], dict] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(REPO_ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        msgid, plural = (message[0], message[1]) if isinstance(message, (tuple, list)) else (message, None)
        if not msgid:
            continue
        entry = messages.setdefault((msgid, context), {"plural": plural, "where": []})
        entry["where"].append(f"{filename}:{lineno}")
    return messages


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    return {locale: load_catalog(locale) for locale in LOCALES}


def describe(msgid, context=None) -> str:
    return repr(msgid) + (f" (context {context!r})" if context else "")


def strings_of(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


def ids_of(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (tuple, list)) else [message.id]


def placeholders(text: str) -> tuple[set[str], list[str], str]:
    """(named placeholders, positional placeholders in order, the text with all of them removed)."""
    named, positional = set(), []
    for match in PLACEHOLDER.finditer(text):
        if match.group("type") == "%":
            continue
        (named.add(match.group(0)) if match.group("key") is not None else positional.append(match.group(0)))
    return named, positional, PLACEHOLDER.sub("", text)


# --- babel.cfg ------------------------------------------------------------------------------


def test_mapping_reaches_python_pages_and_emails(extracted):
    """babel.cfg finds strings in the package, the page templates and the plain-text emails."""
    places = {where.split(":")[0] for entry in extracted.values() for where in entry["where"]}
    assert any(p.startswith("letterhub/forms/") for p in places), (
        "no string extracted from the forms (_l keyword)"
    )
    assert any(p.startswith("letterhub/views/") for p in places), "no string extracted from the views"
    assert any(p.startswith("templates/") and p.endswith(".html") for p in places), (
        "no string from templates/**.html"
    )
    assert any(p.startswith("templates/emails/") and p.endswith(".txt") for p in places), (
        "no string from the .txt emails"
    )
    # _("... %(name)s ...", name=...) calls with keyword arguments are found in templates too.
    assert any(
        "%(" in msgid and any(w.startswith("templates/") for w in entry["where"])
        for (msgid, _context), entry in extracted.items()
    ), "no template string with a %(placeholder)s extracted"


# --- completeness -----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_lists_every_message_of_the_sources(extracted, catalogs, locale):
    catalog = catalogs[locale]
    missing = [
        f"{describe(msgid, context)} from {', '.join(entry['where'])}"
        for (msgid, context), entry in extracted.items()
        if catalog.get(msgid, context) is None
    ]
    assert not missing, (
        f"{len(missing)} message(s) missing from the {locale} catalogue ({REFRESH}):\n" + "\n".join(missing)
    )


def test_every_arabic_message_is_translated_and_reviewed(extracted, catalogs):
    catalog = catalogs["ar"]
    assert not catalog.fuzzy, "the Arabic catalogue's header is marked fuzzy: pybabel would not compile it"
    assert catalog.num_plurals == 6, "Arabic has six plural forms (zero, one, two, few, many, other)"
    problems = []
    for (msgid, context), entry in extracted.items():
        message = catalog.get(msgid, context)
        if message is None:
            continue  # reported by test_catalogue_lists_every_message_of_the_sources
        if message.fuzzy:
            problems.append(
                f"fuzzy (check the translation, then remove the flag): {describe(msgid, context)}"
            )
        if entry["plural"] is not None and not message.pluralizable:
            problems.append(f"plural in the sources but not in the catalogue: {describe(msgid, context)}")
        strings = strings_of(message)
        if message.pluralizable and len(strings) != catalog.num_plurals:
            problems.append(
                f"{len(strings)} plural forms instead of {catalog.num_plurals}: {describe(msgid, context)}"
            )
        if not all(s.strip() for s in strings):
            problems.append(f"not translated: {describe(msgid, context)}")
    assert not problems, f"{len(problems)} Arabic entr(y/ies) to fix ({REFRESH}):\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_fuzzy_entries(catalogs, locale):
    """A fuzzy entry is left out of the .mo: the change it stands for would silently not show."""
    fuzzy = [describe(m.id, m.context) for m in catalogs[locale] if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries in the {locale} catalogue:\n" + "\n".join(fuzzy)


# --- placeholders -----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(catalogs, locale):
    """Every %(name)s of the msgid is in the msgstr, nothing else is, and no stray % is left.

    Templates use Flask-Babel's new-style gettext, which applies ``%`` to every translated
    string even without arguments: a lone ``%`` in a translation breaks the page.
    """
    catalog = catalogs[locale]
    problems = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue  # a fuzzy entry is not compiled (reported by test_no_fuzzy_entries)
        ids, strings = ids_of(message), strings_of(message)
        expected_named, expected_positional, _ = placeholders(ids[-1])
        if len(ids) > 1:
            expected_named |= placeholders(ids[0])[0]
        for index, string in enumerate(strings):
            if not string:
                continue  # untranslated: falls back to the msgid (reported above for Arabic)
            named, positional, rest = placeholders(string)
            if "%" in rest:
                problems.append(
                    f"stray '%' in the translation of {describe(message.id, message.context)}: {string!r}"
                )
            if any(string.count(brace) != ids[-1].count(brace) for brace in "{}"):
                # Some messages are filled in with str.format() later (Flask-WTF's FileSize).
                problems.append(
                    f"braces differ from the msgid in the translation of {describe(message.id)}: {string!r}"
                )
            if positional != expected_positional:
                problems.append(
                    f"positional placeholders {positional} instead of {expected_positional}: {describe(message.id)}"
                )
            extra = named - expected_named
            missing = expected_named - named
            if message.pluralizable and index in SPELLED_OUT_FORMS and locale == "ar":
                missing = set()
            if extra or missing:
                problems.append(
                    f"{describe(message.id, message.context)}: form {index} {string!r} "
                    f"lacks {sorted(missing)} / has unknown {sorted(extra)}"
                )
    assert not problems, "\n".join(problems)
    assert not [error for _message, errors in catalog.check() for error in errors]


# --- compiled catalogues ----------------------------------------------------------------------


def expected_mo_entries(catalog: Catalog) -> dict:
    """What ``pybabel compile`` puts in the .mo: translated, non-fuzzy messages, keyed as gettext reads them."""
    entries = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids, strings = ids_of(message), strings_of(message)
        if not all(strings):
            continue
        key = ids[0] if message.context is None else f"{message.context}\x04{ids[0]}"
        if message.pluralizable:
            for index, string in enumerate(strings):
                entries[(key, index)] = string
        else:
            entries[key] = strings[0]
    return entries


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_matches_the_po(catalogs, locale):
    catalog = catalogs[locale]
    with mo_path(locale).open("rb") as mo_file:
        compiled = Translations(mo_file)
    entries = dict(compiled._catalog)  # the gettext module's parsed .mo: msgid (or (msgid, n)) -> msgstr
    entries.pop("", None)  # the header
    expected = expected_mo_entries(catalog)
    stale = sorted(str(key) for key in expected.keys() ^ entries.keys())
    changed = sorted(str(key) for key in expected.keys() & entries.keys() if expected[key] != entries[key])
    assert not stale and not changed, (
        f"{mo_path(locale).name} of {locale} is not compiled from the current .po "
        f"(run scripts/translations.sh): {len(stale)} message(s) added/removed, {len(changed)} changed: "
        + ", ".join((stale + changed)[:10])
    )
    assert len(entries) == len(expected)
    # Same plural rule: the form gettext picks for n is the one the translator filled for n.
    assert [compiled.plural(n) for n in range(0, 250)] == [
        c2py(catalog.plural_expr)(n) for n in range(0, 250)
    ]
    for key in list(expected)[:20]:
        if isinstance(key, str) and "\x04" not in key:
            assert compiled.gettext(key) == expected[key]


def test_arabic_plural_rule_is_the_usual_one(catalogs):
    """Forms 0..5 = zero, one, two, few (3-10), many (11-99), other (100, 101, 102...), as in GNU gettext."""
    rule = c2py(catalogs["ar"].plural_expr)
    assert [rule(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 101, 102, 103, 111, 1000)] == [
        0,
        1,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
        5,
        3,
        4,
        5,
    ]


# --- the application in each language ---------------------------------------------------------


def test_login_page_in_arabic(client):
    page = client.get("/login?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "تسجيل الدخول" in page  # "Sign in" (template)
    assert "كلمة المرور" in page  # "Password" (lazily translated form label)
    assert "Sign in" not in page and "Password" not in page


def test_login_page_in_english(client):
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page
    assert "Sign in" in page and "Password" in page
    assert "تسجيل الدخول" not in page


def test_form_errors_come_back_in_arabic(client):
    client.get("/login?lang=ar")  # the choice is kept in the session
    response = client.post(
        "/login", data={"email": "", "password": "", "csrf_token": csrf_token(client, "/login")}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "أدخل عنوان بريدك الإلكتروني." in page
    assert "أدخل كلمة المرور." in page


def test_invitation_email_in_the_invitations_language(app, invite):
    invite(language="ar")
    invite(name_en="Syrian Network", name_ar="الشبكة السورية", email="focal@network.example", language="en")
    by_language = {m.language: m for m in db.session.scalars(db.select(OutboxMessage))}
    arabic, english = by_language["ar"], by_language["en"]
    assert arabic.subject == "دعوة للتوقيع: رسالة مشتركة بشأن المعتقلين"
    assert "تحية طيبة وبعد،" in arabic.body_text and "تحية طيبة وبعد،" in arabic.body_html
    assert "«رسالة مشتركة بشأن المعتقلين»" in arabic.body_text
    assert english.subject == "Invitation to sign: Joint letter on detainees"
    assert english.body_text.startswith("Hello,")
