"""Proposing which English and Arabic list entries are the same organisation, only when it can be justified.

Pure (no Flask, no database): the directory's known pairs are handed in. Storage links a
proposed pair to one directory entry; the coordinator confirms or corrects it on the review page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .folding import acronyms, name_key
from .transliteration import match_by_transliteration

__all__ = ["ProposedPair", "propose_pairs"]


@dataclass(frozen=True)
class ProposedPair:
    name_en: str
    name_ar: str
    reason: str


def propose_pairs(
    en_names: Iterable[str],
    ar_names: Iterable[str],
    directory: Iterable[tuple[str, str]] = (),
) -> list[ProposedPair]:
    """Propose English/Arabic pairs of the same organisation that can be justified.

    Reasons, in order of trust; each name is used in at most one proposal:

    * ``"directory"``: the directory (pairs already confirmed) holds both names; names are
      compared folded (case, spacing, punctuation, Arabic letter variants, a parenthesised
      acronym).
    * ``"acronym XYZ"``: the same Latin acronym appears in both names (``(SNHR)`` in the
      English name and ``SNHR`` or ``(SNHR)`` in the Arabic one), and in no other name of
      either list, so the match is unambiguous.
    * ``"transliteration"``: among the names still unpaired, the English name writes a
      distinctive word of the Arabic one in Latin letters (``Dawlaty`` / ``دولتي``), and each
      is the other's unique best match; see :mod:`.transliteration`.

    Nothing else is guessed: translated names (``Syrian Network for Human Rights`` /
    ``الشبكة السورية لحقوق الإنسان``) are left for the coordinator, or for the directory once
    confirmed.
    """
    en = list(dict.fromkeys(en_names))
    ar = list(dict.fromkeys(ar_names))
    used_en: set[str] = set()
    used_ar: set[str] = set()
    proposals: list[ProposedPair] = []

    def propose(name_en: str, name_ar: str, reason: str) -> None:
        if name_en in used_en or name_ar in used_ar:
            return
        used_en.add(name_en)
        used_ar.add(name_ar)
        proposals.append(ProposedPair(name_en, name_ar, reason))

    known: dict[str, set[str]] = {}
    for d_en, d_ar in directory:
        known.setdefault(name_key(d_en), set()).add(name_key(d_ar))
    if known:
        ar_by_key: dict[str, list[str]] = {}
        for name in ar:
            ar_by_key.setdefault(name_key(name), []).append(name)
        for name_en in en:
            for key_ar in sorted(known.get(name_key(name_en), ())):
                for name_ar in ar_by_key.get(key_ar, []):
                    propose(name_en, name_ar, "directory")

    def uniqueacronyms(names: list[str]) -> dict[str, str]:
        owners: dict[str, list[str]] = {}
        for name in names:
            for acronym in acronyms(name):
                owners.setdefault(acronym, []).append(name)
        return {acronym: names_[0] for acronym, names_ in owners.items() if len(names_) == 1}

    en_acronyms = uniqueacronyms(en)
    ar_acronyms = uniqueacronyms(ar)
    for name_en in en:
        for acronym in sorted(a for a, owner in en_acronyms.items() if owner == name_en):
            if acronym in ar_acronyms:
                propose(name_en, ar_acronyms[acronym], f"acronym {acronym}")

    unpaired_en = [name for name in en if name not in used_en]
    unpaired_ar = [name for name in ar if name not in used_ar]
    for name_en, name_ar in match_by_transliteration(unpaired_en, unpaired_ar):
        propose(name_en, name_ar, "transliteration")
    order = {name: i for i, name in enumerate(en)}
    proposals.sort(key=lambda p: order[p.name_en])
    return proposals
