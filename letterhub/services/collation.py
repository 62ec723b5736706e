"""Alphabetical order of signatory names, per language, by the Unicode Collation Algorithm.

Python's ``sorted()`` orders by code point, which is wrong for both of our languages:
English puts every capital before every lower-case letter, and Arabic letters with hamza
or the tāʾ marbūṭa land far from where a reader expects them. ICU (PyICU) implements the
CLDR collation that Arabic and English readers know.

Arabic: the article «ال» counts as part of the name (الأرشيف السوري sorts under ا), which is
plain ICU ``ar`` collation and what the coalitions do by hand (seed 000, items 1–42).
English: case-insensitive (``Al-omarya`` between ``Al-Marsad`` and ``Alkawakibi``, as in
seed 001); accents still break ties so that the order is total and stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache

import icu

SUPPORTED_LANGUAGES = ("ar", "en")


@cache
def _collator(language: str) -> icu.Collator:
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"no collation for language {language!r}; expected one of {SUPPORTED_LANGUAGES}")
    collator = icu.Collator.createInstance(icu.Locale(language))
    # SECONDARY: letters and accents count, case does not ("Al-omarya" == "Al-Omarya").
    collator.setStrength(icu.Collator.SECONDARY)
    return collator


def sort_key_function(language: str) -> Callable[[str], tuple[bytes, str]]:
    """Return a key function for ``sorted(..., key=...)`` ordering names in ``language``.

    The key is the ICU sort key, then the name itself, so that names equal for the
    collator (differing only in case) still come out in one reproducible order.
    """
    get_sort_key = _collator(language).getSortKey
    return lambda name: (get_sort_key(name), name)


def sort_key(name: str, language: str) -> tuple[bytes, str]:
    """Sort key of one ``name`` in ``language`` (e.g. for a database-independent ORDER BY)."""
    return sort_key_function(language)(name)


def sort_names(names: Iterable[str], language: str) -> list[str]:
    """Return ``names`` in the alphabetical order of ``language`` ("ar" or "en")."""
    return sorted(names, key=sort_key_function(language))
