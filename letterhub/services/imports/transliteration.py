"""Pairing an English and an Arabic list entry whose names are transliterations of each other.

Why: many organisations keep their Arabic name in the English list, written in Latin letters
(``دولتي`` / ``Dawlaty``, ``بسمة وزيتونة`` / ``Basmeh & Zeitooneh``). Such a name is not
translated, so neither the directory nor an acronym links it; but the two spellings share
their consonants. Arabic is put into Latin letters by ICU (``Arabic-Latin; Latin-ASCII``), then
both sides go through the same reduction (:func:`_reduce`):

* the *skeleton*: digraphs merged (``sh`` ``ch`` ``kh`` ``gh`` ``th`` ``dh``), letters that
  English spellings of Arabic do not keep apart merged (q/k/c, z/s, p/b, v/f, j/g), doubled
  letters written once (Arabic writes a shadda), every vowel dropped, and ``w`` and ``y``
  too: Arabic writes long vowels with و and ي where English writes ``oo``/``ou``/``u`` and
  ``ee``/``i``/``ei``, and writes no short vowel at all;
* the *vowel-class form*: the skeleton keeping ``w`` for o/u/و and ``y`` for i/ee/y/ي, which
  tells short names apart when the skeleton cannot (``Sawa`` has the skeleton ``s``).

Word shapes are handled before reducing: the Arabic article and clitics (``ال`` ``لل`` ``وال``
…; a leading و/ب/ل/ف/ك is tried both as a clitic and as a letter), the English article
attached or assimilated (``Al-Marsad``, ``El Hayat``, ``Alseeraj``, ``Asharq``), the tāʾ
marbūṭa (``ة`` read as nothing or as ``t``; ``-eh``/``-ah`` read as nothing).

What the thresholds guard against (a wrong proposal is worse than none: it can be accepted
without being read):

* Generic words never count (:data:`EN_GENERIC`, :data:`AR_GENERIC`): ``Syria``/``سوريا`` and
  loanwords such as ``Democratic``/``ديمقراطية`` transliterate too, and would link any two
  names of a list. So would words used for their meaning in many names (``سلام`` peace,
  ``الوطني`` national: not the ``Salam`` or ``Watan`` of one name) and governorates and
  regions (``Houran``/``حوران``: two organisations of one town, when either list lacks the
  other's partner).
* Two words match only if their skeletons are equal (a consonant apart is often another word:
  ``العمري`` / ``العمرية``), every ``w``/``y`` written in the English word is a و/ي in the
  Arabic one (``Dawlaty`` / ``دولتي``, not ``العدالة``), and both or neither start with a
  vowel (a/e/i/o/u; ا/أ/إ/آ/ع: ``Ehsan`` is not ``حصن``). A skeleton of fewer than
  :data:`MIN_SKELETON` consonants must also agree in vowel-class form (rapidfuzz ratio at
  least :data:`SHORT_FORM_MATCH`) and in having the article or not. An Arabic word of fewer
  than :data:`MIN_ARABIC_LETTERS` letters (من، في، لا) never matches.
* Evidence weaker than one full skeleton counts only when it explains all of one name
  (``مؤسسة سوا`` / ``Sawa Foundation``).
* A pair is proposed only when each name is the other's unique best match: a word found in
  several names proposes nothing. Names that say they are different kinds of body
  (:data:`BODY_KINDS`: ``Center`` / ``منظمة``) are never paired, which tells apart two
  organisations carrying one family name (``مركز الكواكبي``, ``منظمة الكواكبي``).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import icu
from rapidfuzz import fuzz

from .folding import unify_alefs

__all__ = ["match_by_transliteration"]

MIN_SKELETON = 3  # consonants a skeleton needs to identify a word on its own
SHORT_FORM_MATCH = 90  # rapidfuzz ratio of the vowel-class forms when the skeleton is shorter
MIN_ARABIC_LETTERS = 3  # an Arabic word shorter than this never matches

# Kinds of body, topics, places and function words. English in lower case; Arabic without
# article or diacritics, أ/إ/آ written ا and ة written ه.
EN_GENERIC = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "for",
        "and",
        "in",
        "on",
        "at",
        "to",
        "by",
        "with",
        "from",
        "into",
        "against",
        "or",
        "is",
        "are",
        "our",
        "we",
        "us",
        "its",
        "al",
        "el",
        "ad",
        "ar",
        "as",
        "ash",
        "az",
        "syria",
        "syrian",
        "syrians",
        "syrie",
        "organization",
        "organisation",
        "organizations",
        "organisations",
        "org",
        "association",
        "associations",
        "center",
        "centre",
        "centers",
        "centres",
        "foundation",
        "network",
        "group",
        "groups",
        "society",
        "institute",
        "institution",
        "union",
        "committee",
        "committees",
        "council",
        "councils",
        "team",
        "league",
        "coalition",
        "forum",
        "assembly",
        "alliance",
        "federation",
        "movement",
        "platform",
        "office",
        "unit",
        "bureau",
        "agency",
        "initiative",
        "campaign",
        "project",
        "programme",
        "program",
        "house",
        "club",
        "party",
        "human",
        "rights",
        "development",
        "relief",
        "humanitarian",
        "civil",
        "charity",
        "charitable",
        "aid",
        "support",
        "democratic",
        "democracy",
        "media",
        "news",
    ]
)
AR_GENERIC = frozenset(
    [
        "من",
        "في",
        "على",
        "عن",
        "الى",
        "او",
        "مع",
        "اجل",
        "لدى",
        "سوريا",
        "سوريه",
        "سوري",
        "سوريون",
        "سوريين",
        "سوريات",
        "منظمه",
        "منظمات",
        "مركز",
        "مراكز",
        "مؤسسه",
        "موسسه",
        "جمعيه",
        "جمعيات",
        "رابطه",
        "هيئه",
        "شبكه",
        "مجموعه",
        "اتحاد",
        "تجمع",
        "مجلس",
        "فريق",
        "تحالف",
        "منتدى",
        "منتدي",
        "معهد",
        "لجنه",
        "لجان",
        "حركه",
        "منصه",
        "مكتب",
        "وحده",
        "مبادره",
        "حمله",
        "مشروع",
        "برنامج",
        "بيت",
        "دار",
        "نادي",
        "حزب",
        "نقابه",
        "ائتلاف",
        "مدينه",
        "محافظه",
        "منطقه",
        "ريف",
        "قريه",
        "بلده",
        "حقوق",
        "انسان",
        "تنميه",
        "اغاثه",
        "انساني",
        "انسانيه",
        "مدني",
        "مدنيه",
        "مجتمع",
        "خيريه",
        "دعم",
        "ديمقراطي",
        "ديمقراطيه",
        "ديموقراطيه",
        "ميديا",
        "نيوز",
        "سلام",
        "عداله",
        "حريه",
        "كرامه",
        "ثوره",
        "ثوري",
        "ثوريه",
        "وطن",
        "وطني",
        "وطنيه",
        "مستقبل",
        "امل",
        "حياه",
    ]
) | frozenset(  # governorates and regions: a place shared by two names is not an identity
    [
        "دمشق",
        "غوطه",
        "حلب",
        "حمص",
        "حماه",
        "ادلب",
        "لاذقيه",
        "طرطوس",
        "درعا",
        "حوران",
        "سويداء",
        "قنيطره",
        "جولان",
        "رقه",
        "دير",
        "زور",
        "حسكه",
        "جزيره",
        "قامشلي",
        "عفرين",
        "منبج",
        "قلمون",
    ]
)

# What kind of body a name says it is: English word -> the Arabic words (folded) it may
# translate, generously. Used only to rule out a pair ("X Center" is not "منظمة X"), never
# to make one.
BODY_KINDS = {
    "organization": "منظمه هيئه",
    "organisation": "منظمه هيئه",
    "center": "مركز",
    "centre": "مركز",
    "foundation": "مؤسسه موسسه",
    "institution": "مؤسسه موسسه",
    "institute": "معهد",
    "association": "جمعيه رابطه هيئه تجمع نقابه اتحاد",
    "league": "رابطه",
    "network": "شبكه",
    "group": "مجموعه فريق تجمع",
    "union": "اتحاد نقابه",
    "syndicate": "نقابه",
    "council": "مجلس مجالس",
    "coalition": "تحالف ائتلاف",
    "alliance": "تحالف ائتلاف",
    "forum": "منتدى منتدي",
    "team": "فريق",
    "committee": "لجنه لجان هيئه",
    "commission": "هيئه لجنه",
    "movement": "حركه",
    "office": "مكتب",
    "assembly": "تجمع هيئه جمعيه",
    "gathering": "تجمع",
    "unit": "وحده",
    "party": "حزب",
}
_ARABIC_KINDS = frozenset(" ".join(BODY_KINDS.values()).split())

_ARABIC_WORD = re.compile("[\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff]+")
_ARTICLE_AR = re.compile("^(?:وال|فال|بال|كال|لل|ال)(?=..)")
_CLITIC_AR = re.compile("^[وبلفك](?=...)")
_LATIN_WORD = re.compile("[a-z]+")
_ARTICLE_EN = re.compile("^(?:al|el)(?=...)|^a(?=[tdrzsln].)")  # Alseeraj, Elkhair, Asharq
_ARTICLE_BEFORE = re.compile(
    r"\b(?:al|el|a[dnrstz]h?)\s*-\s*$|\b(?:al|el)\s+$"
)  # Al-Marsad, El Hayat, Ash-Sham
_DIGRAPHS = (
    ("sh", "$"),
    ("ch", "$"),
    ("kh", "x"),
    ("gh", "g"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("ck", "k"),
)
_MERGED = str.maketrans("qczvpj", "kksfbg")
_VOWEL_CLASSES = str.maketrans("oui", "wwy", "ae")


@dataclass(frozen=True)
class _Reading:
    """One way of reading a word: ``form`` (consonants, ``w`` for o/u/و, ``y`` for i/ee/y/ي),
    ``skeleton`` (consonants only), ``written`` (consonants and the w/y letters actually
    written; for Arabic the same as ``form``), ``article`` (the word carries the article),
    ``vowel_first`` (it starts with a vowel: a/e/i/o/u, or ا/أ/إ/آ/ع)."""

    form: str
    skeleton: str
    written: str
    article: bool
    vowel_first: bool


def _collapse(text: str) -> str:
    return re.sub(r"(.)\1+", r"\1", text)


def _reduce(latin: str, article: bool, vowel_first: bool | None = None) -> _Reading | None:
    s = re.sub("[^a-z]", "", latin.lower()).replace("ee", "i")
    if vowel_first is None:
        vowel_first = s[:1] in ("a", "e", "i", "o", "u")
    s = _collapse(s)
    for digraph, single in _DIGRAPHS:
        s = s.replace(digraph, single)
    s = _collapse(s.translate(_MERGED))
    form = _collapse(s.translate(_VOWEL_CLASSES))
    skeleton = form.replace("w", "").replace("y", "")
    return _Reading(form, skeleton, re.sub("[aeiou]", "", s), article, vowel_first) if skeleton else None


# --------------------------------------------------------------------------- words


_icu_lock = threading.Lock()


@cache
def _arabic_to_latin() -> icu.Transliterator:
    return icu.Transliterator.createInstance("Arabic-Latin; Latin-ASCII")


@lru_cache(maxsize=65536)
def _icu_latin(word: str) -> str:
    with _icu_lock:  # one shared ICU object: keep calls from several threads apart
        return _arabic_to_latin().transliterate(word)


@lru_cache(maxsize=65536)
def _arabic_readings(word: str) -> frozenset[_Reading]:
    """Readings of one folded Arabic word; none if it is generic or too short."""
    stems = {(_ARTICLE_AR.sub("", word), bool(_ARTICLE_AR.match(word)))}
    if (m := _CLITIC_AR.match(word)) and not _ARTICLE_AR.match(word):  # وزيتونة, بدرعا; or ليليت
        rest = word[m.end() :]
        stems.add((_ARTICLE_AR.sub("", rest), bool(_ARTICLE_AR.match(rest))))
    if any(stem.replace("ة", "ه") in AR_GENERIC for stem, _ in stems):
        return frozenset()  # لمدينة is a generic word with a clitic, not a name in l-m-d-n
    readings = set()
    for stem, article in stems:
        if len(stem) < MIN_ARABIC_LETTERS:
            continue
        spellings = {stem}
        if stem.endswith("ة"):  # tāʾ marbūṭa: silent, or "t" (Hayat)
            spellings = {stem[:-1], stem[:-1] + "ت"}
        elif stem.endswith("ه"):  # a real h, or a tāʾ marbūṭa written ه (سنبله)
            spellings = {stem, stem[:-1]}
        for spelling in spellings:
            if (r := _reduce(_icu_latin(spelling), article, stem[0] in "اع")) is not None:
                readings.add(_Reading(r.form, r.skeleton, r.form, article, r.vowel_first))
    return frozenset(readings)


@lru_cache(maxsize=65536)
def _english_readings(word: str, article_before: bool) -> frozenset[_Reading]:
    """Readings of one lower-case English word; none if it is generic."""
    if word in EN_GENERIC or len(word) < 2:
        return frozenset()
    spellings = {(word, article_before)}
    if (stripped := _ARTICLE_EN.sub("", word)) != word:
        spellings.add((stripped, True))
    spellings |= {(re.sub("(?<=[aeiouy])h$", "", s), a) for s, a in spellings}  # -eh, -ah: tāʾ marbūṭa
    readings = (_reduce(s, a) for s, a in spellings if s not in EN_GENERIC)
    return frozenset(r for r in readings if r is not None)


_Word = frozenset[_Reading]


def _english_words(name: str) -> list[_Word]:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    words = []
    for m in _LATIN_WORD.finditer(text):
        if readings := _english_readings(m.group(), bool(_ARTICLE_BEFORE.search(text, 0, m.start()))):
            words.append(readings)
    return words


def _arabic_words(name: str) -> list[_Word]:
    return [readings for w in _ARABIC_WORD.findall(unify_alefs(name)) if (readings := _arabic_readings(w))]


def _english_kinds(name: str) -> frozenset[str]:
    words = _LATIN_WORD.findall(name.lower())
    return frozenset(
        k for w in words for k in BODY_KINDS.get(w, BODY_KINDS.get(w.removesuffix("s"), "")).split()
    )


def _arabic_kinds(name: str) -> frozenset[str]:
    words = _ARABIC_WORD.findall(unify_alefs(name))
    return frozenset(s for w in words if (s := _ARTICLE_AR.sub("", w).replace("ة", "ه")) in _ARABIC_KINDS)


# --------------------------------------------------------------------------- scores


def _is_subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(ch in letters for ch in short)


def _reading_score(en: _Reading, ar: _Reading) -> int:
    """0 if the readings do not match, else the length of their common skeleton."""
    if en.skeleton != ar.skeleton or en.vowel_first != ar.vowel_first:
        return 0
    if not _is_subsequence(en.written, ar.written):
        return 0
    if len(en.skeleton) >= MIN_SKELETON:
        return len(en.skeleton)
    if en.article == ar.article and len(ar.form) >= 2 and fuzz.ratio(en.form, ar.form) >= SHORT_FORM_MATCH:
        return len(en.skeleton)
    return 0


def _word_score(en: _Word, ar: _Word) -> int:
    return max((_reading_score(e, a) for e in en for a in ar), default=0)


def _name_score(en_words: Sequence[_Word], ar_words: Sequence[_Word]) -> int:
    """Sum of the matching words' scores, each word used once (strongest first); 0 when the
    evidence is weaker than :data:`MIN_SKELETON` and leaves words of both names unexplained."""
    scored = sorted(
        (
            (s, i, j)
            for i, e in enumerate(en_words)
            for j, a in enumerate(ar_words)
            if (s := _word_score(e, a))
        ),
        reverse=True,
    )
    used_en: set[int] = set()
    used_ar: set[int] = set()
    total = 0
    for s, i, j in scored:
        if i not in used_en and j not in used_ar:
            used_en.add(i)
            used_ar.add(j)
            total += s
    if total < MIN_SKELETON and len(used_en) < len(en_words) and len(used_ar) < len(ar_words):
        return 0
    return total


def match_by_transliteration(en_names: Iterable[str], ar_names: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs ``(English name, Arabic name)``, in English list order, that are each other's
    unique best transliteration match. A tie for the best score on either side proposes
    nothing for that name.

    Only names sharing a skeleton are scored (an index of the Arabic skeletons finds them),
    so long lists stay fast.
    """
    en = list(dict.fromkeys(en_names))
    ar = list(dict.fromkeys(ar_names))
    en_words = [_english_words(n) for n in en]
    ar_words = [_arabic_words(n) for n in ar]
    en_kinds = [_english_kinds(n) for n in en]
    ar_kinds = [_arabic_kinds(n) for n in ar]

    by_skeleton: dict[str, set[int]] = {}
    for j, words in enumerate(ar_words):
        for word in words:
            for reading in word:
                by_skeleton.setdefault(reading.skeleton, set()).add(j)

    options_en: dict[int, list[tuple[int, int]]] = {}  # English index -> [(score, Arabic index)]
    options_ar: dict[int, list[tuple[int, int]]] = {}
    for i, words in enumerate(en_words):
        candidates = {j for word in words for reading in word for j in by_skeleton.get(reading.skeleton, ())}
        for j in candidates:
            if en_kinds[i] and ar_kinds[j] and not en_kinds[i] & ar_kinds[j]:
                continue  # they say they are different kinds of body
            if score := _name_score(words, ar_words[j]):
                options_en.setdefault(i, []).append((score, j))
                options_ar.setdefault(j, []).append((score, i))

    def unique_best(options: list[tuple[int, int]]) -> int | None:
        ranked = sorted(options, reverse=True)
        if len(ranked) > 1 and ranked[1][0] == ranked[0][0]:
            return None
        return ranked[0][1]

    pairs = []
    for i in sorted(options_en):
        best = unique_best(options_en[i])
        if best is not None and unique_best(options_ar[best]) == i:
            pairs.append((en[i], ar[best]))
    return pairs
