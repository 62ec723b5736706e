"""The one folding of names for comparison: the importer, its duplicate checks and the directory use it.

Two spellings of one organisation's name should compare equal once folded:

* Arabic: diacritics (harakat, shadda, sukun, superscript alef, Quranic marks) and tatweel
  are dropped; the hamza forms are written without the hamza (أ إ آ ٱ → ا, ؤ → و, ئ → ي);
  taa marbuta is written as haa (ة → ه) and alef maqsura as yaa (ى → ي).
* English: case (``casefold``), punctuation (every non-word character becomes a space) and,
  in :func:`name_tokens`, the words "the", "of", "for", "and" (and Arabic "و").
* Both: Unicode compatibility forms (NFKC: presentation forms, full-width letters), spacing.

A folded text is for comparing only: never shown, never stored as a name. Pure Python, no
Flask and no database.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "ARABIC_DIACRITICS",
    "acronyms",
    "fold",
    "name_key",
    "name_tokens",
    "unify_alefs",
    "without_acronyms",
]

# Harakat, shadda, sukun, superscript alef, Quranic annotation marks, and tatweel (U+0640).
ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ALEFS = str.maketrans("أإآٱ", "اااا")
_ARABIC_VARIANTS = str.maketrans("أإآٱؤئىة", "ااااوييه")
_NOT_WORD = re.compile(r"[^\w\s]")
# Words a name may carry or leave out without being another name.
IGNORED_WORDS = frozenset(["the", "of", "for", "and", "و"])

_LATIN_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9&]{1,9}\b")
_PARENTHESISED = re.compile(r"\(\s*([^()]*?)\s*\)")


def unify_alefs(text: str) -> str:
    """Arabic without diacritics or tatweel, أ/إ/آ/ٱ written ا; every other letter kept.

    The lighter folding of transliteration, which reads ة and ى itself (على is not علي).
    """
    return ARABIC_DIACRITICS.sub("", unicodedata.normalize("NFKC", text)).translate(_ALEFS)


def fold(text: str) -> str:
    """Case-, space-, punctuation- and spelling-variant-insensitive form of ``text``."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = ARABIC_DIACRITICS.sub("", text)
    text = text.translate(_ARABIC_VARIANTS)
    text = _NOT_WORD.sub(" ", text)
    return " ".join(text.split())


def acronyms(name: str) -> set[str]:
    """Latin acronyms written in parentheses, or standing alone in capitals (``SCM – ...``)."""
    found = set()
    for inner in _PARENTHESISED.findall(name):
        found.update(_LATIN_ACRONYM.findall(inner))
    found.update(a for a in _LATIN_ACRONYM.findall(_PARENTHESISED.sub(" ", name)) if len(a) >= 3)
    return found


def without_acronyms(name: str) -> str:
    """``name`` without parenthesised parts that hold only an acronym (``(SNHR)``)."""

    def drop(m: re.Match[str]) -> str:
        inner = m[1]
        return " " if inner and _LATIN_ACRONYM.fullmatch(inner) else m[0]

    return _PARENTHESISED.sub(drop, name)


def name_tokens(name: str) -> list[str]:
    """The folded words of a name, without a parenthesised acronym and without :data:`IGNORED_WORDS`."""
    return [t for t in fold(without_acronyms(name)).split() if t not in IGNORED_WORDS]


def name_key(name: str) -> str:
    """One string per name up to folding: ``The Day After (TDA)`` and ``day after`` share it."""
    return " ".join(name_tokens(name))
