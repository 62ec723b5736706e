"""Cleaning organisation and person names typed by people or pasted from documents.

Names end up in a numbered list that goes to the UN, so a name must not carry invisible
characters that reorder or hide text (U+202E RIGHT-TO-LEFT OVERRIDE and friends), control
characters, or stray whitespace. The Unicode normal form is NFC so that the same name typed
on two keyboards compares equal.

An organisation proposed, invited or handed on is known by its two names and an email address:
:func:`clean_organization_names` and :func:`clean_email` make them what every service stores
and compares, so that the ways in (the letter page, a nomination, open sign-on, a handover)
agree on what the same organisation and the same address are.
"""

from __future__ import annotations

import re
import unicodedata

# Bidi embedding/override/isolate controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI).
# They can make a name display as something else; the PDF's layout handles direction itself.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Zero-width marks that carry meaning in Arabic script (ZWNJ, ZWJ) are kept; LRM/RLM are dropped.
DROPPED_MARKS = frozenset("\u200e\u200f\u200b\ufeff")

_whitespace = re.compile(r"\s+")


def has_forbidden_characters(text: str) -> bool:
    """True if ``text`` holds bidi overrides or control characters (other than whitespace)."""
    return any(ch in BIDI_CONTROLS or (unicodedata.category(ch) == "Cc" and not ch.isspace()) for ch in text)


def clean_name(text: str) -> str:
    """Return ``text`` normalised: NFC, no control or bidi-override characters, single spaces."""
    text = unicodedata.normalize("NFC", text or "")
    kept = []
    for ch in text:
        if ch in BIDI_CONTROLS or ch in DROPPED_MARKS:
            continue
        if unicodedata.category(ch) == "Cc":
            kept.append(" " if ch.isspace() else "")
            continue
        kept.append(ch)
    return _whitespace.sub(" ", "".join(kept)).strip()


# What the tables hold: an organisation's name in each language, an email address.
NAME_MAX = 300
EMAIL_MAX = 254


def clean_organization_names(name_en: str, name_ar: str) -> tuple[str, str]:
    """Both names cleaned (:func:`clean_name`, cut to ``NAME_MAX``); ValueError when neither is left.

    The forms refuse a nameless organisation with a message first; this guards every other caller.
    """
    name_en, name_ar = clean_name(name_en)[:NAME_MAX], clean_name(name_ar)[:NAME_MAX]
    if not (name_en or name_ar):
        raise ValueError("an organisation needs a name")
    return name_en, name_ar


def clean_email(email: str) -> str:
    """An address as it is stored and compared (an invitation's address, the key of a directory
    entry's address): no surrounding space, lower case, cut to ``EMAIL_MAX``."""
    return (email or "").strip().lower()[:EMAIL_MAX]
