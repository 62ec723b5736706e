"""Are the English and the Arabic text still the same letter? (pure: no Flask, no database)

A bilingual letter is two full texts, not a translation sentence by sentence, so nothing here
expects words to match. What it checks is what drifts when one language is edited and the
other is not:

- **Structure.** Each body is cut into blocks: paragraphs (separated by a blank line) and
  list items (a line starting with a number or a bullet: ``1.``, ``- 1-``, ``٢-``, ``-``), one
  block per item. The two sequences are aligned by length, as Gale and Church aligned
  sentences of parallel texts: a block of one language matches one block of the other, or two
  paragraphs match one (a translator split or joined them: seeds 000 and 001 do), or a block
  matches nothing, at a fixed cost. Lengths are compared after scaling by the ratio of the
  two texts' total lengths, so the usual difference between Arabic and English costs nothing.
  A list item only matches a list item. A block that matches nothing is a warning: a
  paragraph, or a numbered demand, that exists in one language only.
- **Numbers, dates, acronyms**, in each aligned pair of blocks and in the other fields (title,
  date and place). Numbers are compared as numbers whatever their digits (Western,
  Arabic-Indic ``٠-٩``, Persian ``۰-۹``) and thousands separators (``1,000`` = ``١٬٠٠٠`` =
  ``1000``), so "13 مليون" matches "13 million"; list numbering is not a number of the text.
  Dates are compared as day, month and year (month names in English and in Arabic, both the
  Levantine ``كانون الثاني`` and the ``يناير`` forms). Acronyms are the bracketed Latin ones,
  ``(SNHR)``, which a bilingual letter keeps in both languages.
- **Revisions** (:func:`check_history`): the current revision changed one language since the
  other was last changed ("Arabic changed since revision 3, English did not").

Each :class:`ParityWarning` is a code with JSON-able parameters (no wording: the views word it
in the reader's language) and a ``key`` that names it stably, so an acknowledgement of it
outlives revisions that do not touch what it is about.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property

__all__ = [
    "Block",
    "ParityWarning",
    "align",
    "blocks",
    "check_history",
    "check_texts",
    "dates_in",
    "numbers_in",
]

LANGUAGES = ("en", "ar")
# Fields compared for numbers and dates besides the body; headings are the list's, not the text's.
SHORT_FIELDS = ("title", "date_place")
# Fields whose change counts as a change of that language's text (check_history).
TEXT_FIELDS = ("title", "addressees", "date_place", "body")


@dataclass(frozen=True)
class ParityWarning:
    """One difference between the languages. ``code`` is one of:

    - ``missing_paragraph``: params ``language`` (where it is), ``other``, ``position`` (its
      number among that language's paragraphs), ``excerpt`` (its first words)
    - ``missing_item``: the same, ``number`` the demand's own number (or its position)
    - ``numbers``/``dates``/``acronyms``: ``field``, ``en`` and ``ar`` (what only that language
      has, as text), ``position`` (the English paragraph, 0 outside the body)
    - ``one_language_changed``: ``language`` (changed), ``other`` (did not), ``since`` (the
      revision the other language was last changed in), ``revision`` (the current one)
    """

    code: str
    params: Mapping[str, object] = field(default_factory=dict)
    key: str = ""


# --- blocks and alignment ------------------------------------------------------------------

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]\s*)?(?:[(]?(?P<number>[0-9٠-٩۰-۹]{1,3})\s*[.)\-–]|[-*+•](?=\s))\s*")


@dataclass(frozen=True)  # not slotted: cached_property needs the instance's __dict__
class Block:
    """A paragraph or a list item of a body. ``number`` is a list item's own number, if any."""

    kind: str  # "paragraph" | "item"
    text: str
    position: int  # 1-based among the blocks of its kind
    number: int | None = None

    @cached_property
    def length(self) -> int:
        return len(re.sub(r"[\s*_#>`]", "", self.text)) or 1

    @cached_property
    def sentences(self) -> int:
        return len(re.findall(r"[.!?؟]+(?=\s|$)", self.text.strip())) or 1

    @cached_property
    def anchors(self) -> tuple[Counter[str], frozenset[str]]:
        """Its numbers and bracketed acronyms: what a translation keeps (a hint for alignment)."""
        return Counter(numbers_in(self.text)), frozenset(acronyms_in(self.text))

    def excerpt(self, words: int = 8) -> str:
        plain = re.sub(r"[*_#>`]", "", _LIST_MARKER.sub("", self.text)).split()
        return " ".join(plain[:words]) + (" …" if len(plain) > words else "")


def blocks(body: str) -> list[Block]:
    """A body's paragraphs and list items, in order."""
    result: list[Block] = []
    counts = Counter[str]()

    def add(kind: str, text: str, number: int | None = None) -> None:
        counts[kind] += 1
        result.append(Block(kind, text.strip(), counts[kind], number))

    for paragraph in re.split(r"\n\s*\n", body.replace("\r\n", "\n").strip()):
        lines = [line for line in paragraph.split("\n") if line.strip()]
        current: list[str] = []
        current_number: int | None = None
        in_item = False
        for line in lines:
            marker = _LIST_MARKER.match(line)
            if marker:
                if current:
                    add("item" if in_item else "paragraph", "\n".join(current), current_number)
                number = marker.group("number")
                current, current_number, in_item = (
                    [line],
                    int(number.translate(_DIGITS)) if number else None,
                    True,
                )
            else:
                current.append(line)
        if current:
            add("item" if in_item else "paragraph", "\n".join(current), current_number)
    return result


# Costs, in Gale and Church's units (-100 log probability). A block with no counterpart costs
# the same whatever its length; a merge must fit clearly better than a missing block.
SKIP_COST = 350.0
MERGE_COST = 230.0
# Per sentence more on one side of a merge: a paragraph split in two keeps its sentences.
SENTENCE_COST = 100.0
# Variance of the length difference per character: Arabic and English letters written apart
# differ more than the European parliamentary texts Gale and Church measured (6.8).
VARIANCE = 25.0
# How far from the diagonal the alignment may stray, beyond the difference in block counts.
BAND_SLACK = 12


def _match_cost(length_en: float, length_ar: float, ratio: float) -> float:
    scaled = length_en * ratio
    mean = (scaled + length_ar) / 2
    z = abs(scaled - length_ar) / math.sqrt(VARIANCE * mean)
    probability = math.erfc(z / math.sqrt(2))
    return -100 * math.log(max(probability, 1e-300))


Pair = tuple[tuple[Block, ...], tuple[Block, ...]]


def align(english: Sequence[Block], arabic: Sequence[Block]) -> list[Pair]:
    """Pairs of (English blocks, Arabic blocks) in order; an empty side is a missing block.

    Aligned twice: first with the ratio of the whole texts' lengths, then with the ratio of
    the blocks that found a partner one to one (a missing paragraph skews the first).
    """
    total_en = sum(b.length for b in english) or 1
    total_ar = sum(b.length for b in arabic) or 1
    pairs = _align(english, arabic, total_ar / total_en)
    matched = [(e[0].length, a[0].length) for e, a in pairs if len(e) == len(a) == 1]
    if matched:
        ratio = sum(a for _, a in matched) / sum(e for e, _ in matched)
        pairs = _align(english, arabic, ratio)
    return pairs


def _align(english: Sequence[Block], arabic: Sequence[Block], ratio: float) -> list[Pair]:
    n, m = len(english), len(arabic)
    infinity = float("inf")
    cost = [[infinity] * (m + 1) for _ in range(n + 1)]
    step: list[list[tuple[int, int]]] = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    # Only cells near the diagonal: an alignment strays from it by the blocks one side has
    # more, plus some slack for merges and missing blocks (long letters stay fast).
    band = abs(n - m) + BAND_SLACK
    for i in range(n + 1):
        centre = i * m // n if n else 0
        for j in range(max(0, centre - band), min(m, centre + band) + 1):
            if i == j == 0:
                continue
            options = []
            if i and j:
                options.append((_pair_cost(english[i - 1 : i], arabic[j - 1 : j], ratio), (1, 1)))
            if i:
                options.append((SKIP_COST, (1, 0)))
            if j:
                options.append((SKIP_COST, (0, 1)))
            if i >= 2 and j:
                options.append((_pair_cost(english[i - 2 : i], arabic[j - 1 : j], ratio), (2, 1)))
            if i and j >= 2:
                options.append((_pair_cost(english[i - 1 : i], arabic[j - 2 : j], ratio), (1, 2)))
            for extra, (di, dj) in options:
                total = cost[i - di][j - dj] + extra
                if total < cost[i][j]:
                    cost[i][j], step[i][j] = total, (di, dj)
    pairs: list[Pair] = []
    i, j = n, m
    while i or j:
        di, dj = step[i][j]
        pairs.append((tuple(english[i - di : i]), tuple(arabic[j - dj : j])))
        i, j = i - di, j - dj
    return pairs[::-1]


def _pair_cost(english: Sequence[Block], arabic: Sequence[Block], ratio: float) -> float:
    kinds = {b.kind for b in (*english, *arabic)}
    if len(kinds) > 1:
        return float("inf")  # a list item matches only a list item
    if len(english) + len(arabic) > 2:
        if kinds == {"item"}:
            return float("inf")  # items are never merged: each demand stands alone
        sentences = abs(sum(b.sentences for b in english) - sum(b.sentences for b in arabic))
        extra = MERGE_COST + SENTENCE_COST * min(sentences, 3)
    else:
        extra = 0.0
        if kinds == {"item"} and english[0].number is not None and english[0].number == arabic[0].number:
            extra = -20.0  # the same demand number: a small pull towards each other
    length_en = sum(b.length for b in english)
    length_ar = sum(b.length for b in arabic)
    anchors = _anchor_mismatch(english, arabic)
    return _match_cost(length_en, length_ar, ratio) + extra + 40.0 * anchors


def _anchor_mismatch(english: Sequence[Block], arabic: Sequence[Block]) -> int:
    """How many numbers and acronyms one side has and the other does not (a hint for alignment)."""
    numbers_en, numbers_ar = Counter[str](), Counter[str]()
    acronyms_en: set[str] = set()
    acronyms_ar: set[str] = set()
    for block in english:
        numbers_en.update(block.anchors[0])
        acronyms_en |= block.anchors[1]
    for block in arabic:
        numbers_ar.update(block.anchors[0])
        acronyms_ar |= block.anchors[1]
    differing = sum(((numbers_en - numbers_ar) + (numbers_ar - numbers_en)).values())
    return min(differing + len(acronyms_en ^ acronyms_ar), 5)


# --- numbers, dates and acronyms -------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.,٫٬])[0-9٠-٩۰-۹]+(?:[,٬.٫'’ ][0-9٠-٩۰-۹]+)*(?![\w])")
_THOUSANDS = re.compile(r"^\d{1,3}(?:([,٬'’ ])\d{3})(?:\1\d{3})*(?:[.٫]\d+)?$")


def _as_number(raw: str) -> str:
    digits = raw.translate(_DIGITS).strip()
    if _THOUSANDS.match(digits):
        digits = re.sub(r"[,٬'’ ]", "", digits)
    digits = digits.replace("٫", ".")
    if re.fullmatch(r"\d+\.\d{3}(?:\.\d{3})+", digits):  # 1.000.000
        digits = digits.replace(".", "")
    try:
        return str(Decimal(digits).normalize()) if "." in digits else str(int(digits))
    except (InvalidOperation, ValueError):
        return digits


def _without_list_markers(text: str) -> str:
    return "\n".join(_LIST_MARKER.sub(" ", line, count=1) for line in text.split("\n"))


def numbers_in(text: str) -> list[str]:
    """The numbers of a text, as canonical Western-digit strings ("١٣" → "13", "1,000" → "1000")."""
    found: list[str] = []
    for match in _NUMBER.finditer(_without_list_markers(text)):
        raw = match.group()
        # "1 000" is one number; "3 7" in running text are two: spaces only as thousands.
        parts = [raw] if _THOUSANDS.match(raw.translate(_DIGITS)) or " " not in raw else raw.split(" ")
        found.extend(_as_number(part) for part in parts)
    return found


MONTHS_EN = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
MONTHS_AR: list[tuple[str, ...]] = [
    ("كانون الثاني", "يناير"),
    ("شباط", "فبراير"),
    ("آذار", "مارس"),
    ("نيسان", "أبريل", "ابريل"),
    ("أيار", "مايو"),
    ("حزيران", "يونيو"),
    ("تموز", "يوليو"),
    ("آب", "أغسطس", "اغسطس"),
    ("أيلول", "سبتمبر"),
    ("تشرين الأول", "أكتوبر", "اكتوبر"),
    ("تشرين الثاني", "نوفمبر"),
    ("كانون الأول", "ديسمبر"),
]
_MONTH_OF: dict[str, int] = {}
for _number, _name in enumerate(MONTHS_EN, 1):
    _MONTH_OF[_name] = _number
    _MONTH_OF[_name[:3]] = _number
for _number, _names in enumerate(MONTHS_AR, 1):
    for _name in _names:
        _MONTH_OF[_name] = _number
_MONTH_NAMES = "|".join(sorted(map(re.escape, _MONTH_OF), key=len, reverse=True))
_D = r"[0-9٠-٩۰-۹]"
_DATE_PATTERNS = (
    re.compile(rf"(?P<day>{_D}{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH_NAMES})\.?,?\s+(?P<year>{_D}{{4}})", re.I),
    re.compile(rf"(?P<month>{_MONTH_NAMES})\.?\s+(?P<day>{_D}{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>{_D}{{4}})", re.I),
    re.compile(rf"(?P<day>{_D}{{1,2}})\s*[/.\-]\s*(?P<month>{_D}{{1,2}})\s*[/.\-]\s*(?P<year>{_D}{{4}})"),
)  # fmt: skip


def dates_in(text: str) -> list[str]:
    """Dates of a text as ``YYYY-MM-DD`` (day month year, month day, year, or 1/12/2026)."""
    found: list[str] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            month_text = match.group("month").translate(_DIGITS)
            month = int(month_text) if month_text.isdigit() else _MONTH_OF.get(month_text.lower(), 0)
            day = int(match.group("day").translate(_DIGITS))
            year = int(match.group("year").translate(_DIGITS))
            if 1 <= month <= 12 and 1 <= day <= 31:
                found.append(f"{year:04d}-{month:02d}-{day:02d}")
    return found


_ACRONYM = re.compile(r"\(\s*([A-Z][A-Za-z0-9&.\-]*[A-Z0-9])\s*\)")


def acronyms_in(text: str) -> list[str]:
    """Bracketed Latin acronyms, ``(SNHR)`` → ``SNHR`` (at least two capitals)."""
    return [a for a in _ACRONYM.findall(text) if sum(c.isupper() for c in a) >= 2]


def _only_in(english: list[str], arabic: list[str]) -> tuple[list[str], list[str]]:
    en, ar = Counter(english), Counter(arabic)
    return sorted((en - ar).elements()), sorted((ar - en).elements())


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:16]


def _compare_values(field_name: str, position: int, english: str, arabic: str) -> list[ParityWarning]:
    warnings = []
    for code, extract in (("numbers", numbers_in), ("dates", dates_in), ("acronyms", acronyms_in)):
        only_en, only_ar = _only_in(extract(english), extract(arabic))
        if only_en or only_ar:
            params = {
                "field": field_name,
                "position": position,
                "en": ", ".join(only_en),
                "ar": ", ".join(only_ar),
            }
            warnings.append(
                ParityWarning(code, params, f"{code}:{field_name}:{_fingerprint(only_en, only_ar)}")
            )
    if {w.code for w in warnings} >= {"numbers", "dates"}:
        # a date that differs shows as different numbers too: say it once, as a date
        warnings = [w for w in warnings if w.code != "numbers" or _numbers_beyond_dates(english, arabic)]
    return warnings


def _numbers_beyond_dates(english: str, arabic: str) -> bool:
    def without_dates(text: str) -> str:
        for pattern in _DATE_PATTERNS:
            text = pattern.sub(" ", text)
        return text

    only_en, only_ar = _only_in(numbers_in(without_dates(english)), numbers_in(without_dates(arabic)))
    return bool(only_en or only_ar)


# --- the checks ---------------------------------------------------------------------------------


def check_texts(text: Mapping[str, str]) -> list[ParityWarning]:
    """Warnings for one revision's text (keys ``body_en``, ``body_ar``, ``title_en`` ...)."""
    warnings: list[ParityWarning] = []
    for name in SHORT_FIELDS:
        english, arabic = text.get(f"{name}_en", ""), text.get(f"{name}_ar", "")
        if english.strip() and arabic.strip():
            warnings.extend(_compare_values(name, 0, english, arabic))
    english_blocks = blocks(text.get("body_en", ""))
    arabic_blocks = blocks(text.get("body_ar", ""))
    if not english_blocks or not arabic_blocks:
        return warnings
    for pair_en, pair_ar in align(english_blocks, arabic_blocks):
        if not pair_en or not pair_ar:
            (block,) = pair_en or pair_ar
            language, other = ("en", "ar") if pair_en else ("ar", "en")
            code = "missing_item" if block.kind == "item" else "missing_paragraph"
            params = {
                "language": language,
                "other": other,
                "position": block.position,
                "number": block.number if block.number is not None else block.position,
                "excerpt": block.excerpt(),
            }
            warnings.append(ParityWarning(code, params, f"{code}:{language}:{_fingerprint(block.text)}"))
            continue
        warnings.extend(
            _compare_values(
                "body",
                pair_en[0].position,
                "\n".join(b.text for b in pair_en),
                "\n".join(b.text for b in pair_ar),
            )
        )
    return warnings


def _language_text(revision: Mapping[str, str], language: str) -> tuple[str, ...]:
    return tuple(revision.get(f"{name}_{language}", "") for name in TEXT_FIELDS)


def check_history(revisions: Sequence[tuple[int, Mapping[str, str]]]) -> list[ParityWarning]:
    """Whether the newest of ``revisions`` ((number, text) oldest first) changed one language only.

    For each language, the revision in which the other language last changed (``since``; the
    first revision if never): if this language's text differs from that revision's, it changed
    after the other did, and the other did not follow.
    """
    if len(revisions) < 2:
        return []
    number, current = revisions[-1]
    warnings = []
    for language, other in (("ar", "en"), ("en", "ar")):
        since_index = 0
        for index in range(1, len(revisions)):
            if _language_text(revisions[index][1], other) != _language_text(revisions[index - 1][1], other):
                since_index = index
        since_number, since_text = revisions[since_index]
        if since_index < len(revisions) - 1 and _language_text(since_text, language) != _language_text(
            current, language
        ):
            params = {"language": language, "other": other, "since": since_number, "revision": number}
            key = f"one_language_changed:{language}:{since_number}:{_fingerprint(_language_text(current, language))}"
            warnings.append(ParityWarning("one_language_changed", params, key))
    return warnings
