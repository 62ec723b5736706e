"""Possible duplicates within one published list: two names that are probably one organisation.

Pure (no Flask, no database). Names are compared word by word in their folded form
(:func:`.folding.name_tokens`), with rapidfuzz for misspellings; the rules and what they
deliberately do not catch are in :func:`find_possible_duplicates`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from .folding import acronyms, fold, name_tokens

__all__ = ["find_possible_duplicates"]

# Words that say what kind of body an organisation is, or where it works. Two names that
# share only such words are not thereby the same organisation.
_GENERIC_WORDS = frozenset(
    fold(word)
    for word in [
        "the",
        "of",
        "for",
        "and",
        "in",
        "on",
        "a",
        "an",
        "to",
        "syria",
        "syrian",
        "syrians",
        "organization",
        "organisation",
        "organizations",
        "organisations",
        "org",
        "association",
        "center",
        "centre",
        "foundation",
        "network",
        "group",
        "society",
        "institute",
        "union",
        "committee",
        "council",
        "team",
        "human",
        "rights",
        "development",
        "relief",
        "humanitarian",
        "civil",
        "في",
        "من",
        "و",
        "ال",
        "على",
        "منظمه",
        "جمعيه",
        "مركز",
        "مؤسسه",
        "رابطه",
        "هيئه",
        "شبكه",
        "مجموعه",
        "اتحاد",
        "تجمع",
        "مجلس",
        "فريق",
        "سوريا",
        "السوري",
        "السوريه",
        "السوريين",
        "لحقوق",
        "الانسان",
        "للتنميه",
    ]
)
TOKEN_MATCH = 85  # rapidfuzz ratio for a word of a shorter name to be found in a longer one
MISSPELT_WORD_MATCH = 80  # per word, for two names with the same number of words ...
MISSPELT_NAME_MATCH = 88  # ... and for the two names as a whole
COMMON_IN_LIST = 3  # a word found in this many names of one list is not distinctive


def _same_word(a: str, b: str, threshold: float = TOKEN_MATCH) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < 4:
        return False
    return fuzz.ratio(a, b) >= threshold


def _contained(short: Sequence[str], long: Sequence[str], threshold: float = TOKEN_MATCH) -> bool:
    remaining = list(long)
    for word in short:
        match = next((w for w in remaining if _same_word(word, w, threshold)), None)
        if match is None:
            return False
        remaining.remove(match)
    return True


class _DuplicateFinder:
    """The duplicate rules of :func:`find_possible_duplicates`, for one list of names."""

    def __init__(self, names: Sequence[str]):
        self._token_sets = {" ".join(name_tokens(n)): set(name_tokens(n)) for n in names}
        self._common: dict[str, bool] = {}

    def is_common(self, word: str) -> bool:
        """A generic word, or one (nearly) found in :data:`COMMON_IN_LIST` names of this list."""
        if word in _GENERIC_WORDS:
            return True
        if word not in self._common:
            holders = sum(any(_same_word(word, t) for t in tokens) for tokens in self._token_sets.values())
            self._common[word] = holders >= COMMON_IN_LIST
        return self._common[word]

    def reason(self, a: str, b: str) -> str | None:
        if fold(a) == fold(b):
            return "same name"
        ta, tb = name_tokens(a), name_tokens(b)
        if ta and ta == tb:
            return "same name apart from an acronym"
        acronyms_a, acronyms_b = acronyms(a), acronyms(b)
        if acronyms_a & acronyms_b:
            return "same acronym"
        if "".join(tb).upper() in acronyms_a or "".join(ta).upper() in acronyms_b:
            return "one is the other's acronym"
        if (
            ta
            and len(ta) == len(tb)
            and _contained(ta, tb, MISSPELT_WORD_MATCH)
            and fuzz.ratio(" ".join(ta), " ".join(tb)) >= MISSPELT_NAME_MATCH
        ):
            return "same words, misspelt"
        short, long = (ta, tb) if len(ta) < len(tb) else (tb, ta)
        if (
            short
            and len(short) < len(long)
            and _contained(short, long)
            and any(not self.is_common(w) for w in short)
        ):
            return "every word of one is in the other"
        return None


def find_possible_duplicates(names: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Pairs of names (in list order) that are probably the same organisation.

    Names are compared folded: case, spacing, punctuation, Arabic letter variants
    (أ/إ/آ→ا, ة→ه, ى→ي, diacritics and tatweel dropped), and the words "the", "of", "for",
    "and", "و" are ignored. A pair is reported when

    1. the names are equal, or equal once a parenthesised Latin acronym is dropped
       (``Syrian Network for Human Rights`` / ``Syrian Network for Human Rights (SNHR)``);
    2. both carry the same Latin acronym, or one name *is* the other's acronym;
    3. they have the same number of words, each word matching one of the other's with a
       rapidfuzz ratio of at least :data:`MISSPELT_WORD_MATCH`, and the whole names at least
       :data:`MISSPELT_NAME_MATCH` (``The Day Aftee`` / ``The Day After``);
    4. every word of the shorter name is found in the longer one (ratio at least
       :data:`TOKEN_MATCH`: ``jasmin`` / ``Jasmine Dream Organization``), and one of those
       words is distinctive: not generic ("organisation", "Syrian", "منظمة" ...) and not
       found in :data:`COMMON_IN_LIST` or more names of the list (a town is not an identity:
       ``Daraia`` is not a duplicate of ``Daraa Lawyers Bar Association`` in a list that also
       holds two other "Daraa ..." names).

    Whole-name similarity alone is deliberately not a rule: lists hold families of names
    that differ in one word and are different organisations (``مجلس محافظة درعا`` /
    ``مجلس محافظة القنيطرة``; ``Syria Women Organisation`` / ``Syrian Women association for
    development``; ``Syrian Women Association(Salam)`` keeps "Salam", which is not an acronym).
    Rule 4 does flag "X" / "X in region Y" (``مركز توثيق الانتهاكات`` / ``... في المنطقة
    الشرقية``): a possible duplicate for the coordinator to look at, not a verdict.
    """
    finder = _DuplicateFinder(names)
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if finder.reason(a, b) is not None:
                pairs.append((a, b))
    return tuple(pairs)
