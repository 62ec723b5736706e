"""Reading an existing letter (one language, plain text or Markdown) into its parts.

This is the pure half of ``flask letters import`` and of the import page: text in, a
:class:`ParsedLetter` out, no Flask and no database. The caller decides what to store
(:mod:`.storage`). Names are compared folded (:mod:`.folding`); possible duplicates within a
list come from :mod:`.duplicates`.

What must be exact is the signatory list: each entry keeps the number it was published
with (``None`` for a bullet) and its name as published, cleaned by
:func:`letterhub.services.names.clean_name`. Title, addressees and body are a best effort
that the coordinator reviews before saving.

How the list is found (the text is first made plain by :func:`.decoding.plain_text`: HTML
copied from a web page becomes lines, bidi marks such as LRM, RLM and ALM are dropped):

1. A *signatory heading* is a short line (at most :data:`HEADING_MAX_WORDS` words once
   Markdown ``#``/emphasis and a trailing colon are removed) that names the signatories
   (``Signatories``, ``The undersigned organizations``, ``Signed by``, ``الموقعون``,
   ``المنظمات الموقعة`` ...). The list is the run of numbered or bulleted lines that
   follows it (numbers in any script's digits: ``1.`` ``١-`` ``(۱)`` ``1 -``), or else one
   name per line; blank lines inside the run are allowed. When several headings are
   followed by a list, the longest list wins (the last one on a tie).
2. Without one, the last line ending in a colon that introduces a list (a short heading
   such as ``Supporting organisations:``, or a sentence of at most
   :data:`INTRODUCTION_MAX_WORDS` words), when that list, of at least
   :data:`MIN_LIST_WITHOUT_HEADING` entries, is the last one of the text. A short line is
   kept as the heading; a sentence stays in the body.
3. Otherwise the list is the final run of numbered lines of the text, provided it has at
   least :data:`MIN_LIST_WITHOUT_HEADING` entries that look like names; a warning says so.
4. Anything after the list (a web page's comment form, footer) is ignored, with a warning.

Trailing full stop: a single ``.`` (or ``,`` ``;`` ``،`` ``؛``) at the end of an entry is
list punctuation and is removed (``- 1 - اتحاد ... ريفها.``), unless the last word is an
abbreviation that owns its dot: a word with another dot inside it (``e.V.``, ``U.K.``) or
one of :data:`ABBREVIATIONS` (``Inc.``, ``Ltd.`` ...).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..names import clean_name
from .decoding import plain_text
from .duplicates import find_possible_duplicates
from .folding import fold
from .notes import ImportNote, LetterImportError, NoSignatoryList

__all__ = [
    "ImportedSignatory",
    "ParsedLetter",
    "detect_language",
    "numbering_gaps",
    "parse_letter_text",
]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ImportedSignatory:
    published_number: int | None
    name: str


@dataclass(frozen=True)
class ParsedLetter:
    language: str  # "ar" or "en"
    title: str
    addressees: str  # one addressee per line
    body: str  # Markdown-ish text between the title/addressees and the signatory heading
    signatories_heading: str  # as published, without Markdown '#' ("" when there was none)
    signatories: tuple[ImportedSignatory, ...]
    numbering_gaps: tuple[int, ...]
    possible_duplicates: tuple[tuple[str, str], ...]
    warnings: tuple[ImportNote, ...]


# --------------------------------------------------------------------------- language


def _is_arabic_letter(ch: str) -> bool:
    return ch.isalpha() and (
        "\u0600" <= ch <= "\u06ff"
        or "\u0750" <= ch <= "\u077f"
        or "\u08a0" <= ch <= "\u08ff"
        or "\ufb50" <= ch <= "\ufdff"
        or "\ufe70" <= ch <= "\ufeff"
    )


def detect_language(text: str) -> str:
    """``"ar"`` if at least half of the letters in ``text`` are Arabic script, else ``"en"``.

    Raises :class:`LetterImportError` when the text has no letters at all.
    """
    letters = arabic = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            arabic += _is_arabic_letter(ch)
    if not letters:
        raise LetterImportError("no_text")
    return "ar" if arabic * 2 >= letters else "en"


# --------------------------------------------------------------------------- lines

HEADING_MAX_WORDS = 6
MIN_LIST_WITHOUT_HEADING = 3
# A line ending in a colon that introduces the list may be a sentence, not a paragraph.
INTRODUCTION_MAX_WORDS = 40
# A name on a line of its own, without number or bullet, is at most this long.
PLAIN_NAME_MAX_WORDS = 12
# A list entry longer than this is a sentence (a demand in the body), not an organisation.
NAME_MAX_WORDS = 20

ABBREVIATIONS = frozenset(
    [
        "inc",
        "ltd",
        "co",
        "corp",
        "llc",
        "plc",
        "assn",
        "assoc",
        "org",
        "est",
        "bros",
        "dept",
        "intl",
        "int'l",
        "jr",
        "sr",
        "st",
        "no",
        "nr",
    ]
)

_BULLETS = "-*•+·▪●◦–○■□►▸➢✓✔◆"
_NUMBERED = re.compile(
    rf"^\s*(?:[{re.escape(_BULLETS)}]\s*)?"  # optional bullet before the number: "- 1- name"
    r"\(?(?P<number>\d{1,4})\s*\\?[.\-)–—:،]"  # 1.  1-  1)  (1)  1:  1\. (escaped Markdown); any script's digits
    r"(?!\d)\s*(?P<name>\S.*?)\s*$"
)
_BULLETED = re.compile(rf"^\s*[{re.escape(_BULLETS)}]\s+(?P<name>\S.*?)\s*$")
_EMPHASIS = re.compile(r"^(\*\*|__|\*|_)(?P<inner>.+)\1$")
_HEADING_MARKS = re.compile(r"^\s*#{1,6}\s*")

# Phrases that make a short line a signatory heading. Matched against the folded line
# (lower case, Arabic letter variants unified, diacritics removed).
_HEADING_PATTERNS = re.compile(
    r"signator(?:y|ies)|undersigned|signed\s+by|^signed$|signing\s+(?:organi[sz]ations?|groups|parties)"
    r"|endorsed\s+by|endorsing\s+organi[sz]ations|^signatures$|^endorsements$|list\s+of\s+signat"
    r"|موقع|تواقيع|توقيع|الموقعين",
)


def _strip_emphasis(text: str) -> str:
    text = text.strip()
    while (m := _EMPHASIS.match(text)) is not None:
        text = m["inner"].strip()
    return text


def _heading_text(line: str) -> str | None:
    """The heading as published (no ``#``, no emphasis; its colon kept) if ``line`` is one.

    The colon is part of how the seeds print the heading ("Signatories:", "الموقعون:"), so a
    re-issued letter keeps it; a full-width colon or an Arabic semicolon is printed as ":".
    """
    text = _strip_emphasis(_HEADING_MARKS.sub("", line))
    colon = ":" if text.rstrip().endswith((":", "：", "؛")) else ""
    text = text.rstrip(":：؛ ").strip()
    text = _strip_emphasis(text)
    colon = colon or (":" if text.endswith((":", "：", "؛")) else "")
    text = text.rstrip(":：؛ ").strip()
    if not text or len(text.split()) > HEADING_MAX_WORDS:
        return None
    if text.endswith((".", "!", "?", "؟", ",", "،")):
        return None
    return text + colon if _HEADING_PATTERNS.search(fold(text)) else None


def _strip_list_punctuation(name: str) -> str:
    if name.endswith((",", ";", "،", "؛")):
        return name[:-1].rstrip()
    if name.endswith(".") and not name.endswith(".."):
        last_word = name[:-1].split()[-1] if name[:-1].split() else ""
        if "." in last_word or last_word.casefold() in ABBREVIATIONS:
            return name
        return name[:-1].rstrip()
    return name


@dataclass(frozen=True)
class _Item:
    number: int | None
    name: str


def _list_item(line: str) -> _Item | None:
    if (m := _NUMBERED.match(line)) is not None:
        number, raw = int(m["number"]), m["name"]
    elif (m := _BULLETED.match(line)) is not None:
        number, raw = None, m["name"]
    else:
        return None
    name = clean_name(_strip_list_punctuation(_strip_emphasis(raw)))
    return _Item(number, name) if name else None


def _looks_like_name(item: _Item) -> bool:
    return len(item.name.split()) <= NAME_MAX_WORDS


# --------------------------------------------------------------------------- the list


@dataclass(frozen=True)
class _FoundList:
    heading: str  # as published, "" when there was none (or the list follows a sentence)
    front_end: int  # title, addressees and body are the lines before this one
    start: int  # first line of the list
    end: int  # one past the last list line
    items: tuple[_Item, ...]
    introduced: bool = True  # False: found only as the final numbered run of the text


def _run_after(
    lines: Sequence[str], start: int, *, stop_at_restart: bool = False
) -> tuple[int, int, list[_Item]]:
    """The run of list lines from ``start`` (blank lines inside allowed).

    ``stop_at_restart``: a number 1 after higher numbers starts another list (demands, then
    signatories, both introduced by a sentence ending in a colon).
    """
    items: list[_Item] = []
    first = last = None
    i = start
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        item = _list_item(line)
        if item is None or not _looks_like_name(item):
            break
        if stop_at_restart and item.number == 1 and any(it.number for it in items):
            break
        items.append(item)
        first = i if first is None else first
        last = i
        i += 1
    if first is None or last is None:
        return start, start, []
    return first, last + 1, items


def _plain_name(line: str) -> _Item | None:
    """A line holding only an organisation's name: short, no list marker, not a sentence."""
    text = _strip_emphasis(line.strip())
    if not text or _list_item(text) is not None or _NAVIGATION.match(text) or "://" in text or "@" in text:
        return None
    name = clean_name(_strip_list_punctuation(text))
    if not name or len(name.split()) > PLAIN_NAME_MAX_WORDS or name.endswith(_SENTENCE_END):
        return None
    return _Item(None, name) if any(ch.isalpha() for ch in name) else None


def _plain_run_after(lines: Sequence[str], start: int) -> tuple[int, int, list[_Item]]:
    """One name per line, from ``start``: single blank lines between names allowed, two end the run."""
    items: list[_Item] = []
    first = last = None
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines):
        if not lines[i].strip():
            if i + 1 < len(lines) and not lines[i + 1].strip():
                break
            i += 1
            continue
        item = _plain_name(lines[i])
        if item is None:
            break
        items.append(item)
        first = i if first is None else first
        last = i
        i += 1
    if first is None or last is None:
        return start, start, []
    return first, last + 1, items


def _introduction(line: str) -> str | None:
    """``line`` without Markdown marks if it introduces a list: it ends with a colon."""
    text = _strip_emphasis(_HEADING_MARKS.sub("", line)).strip()
    text = _strip_emphasis(text.rstrip()).strip() if text.endswith(("**", "__")) else text
    if not text.endswith((":", "：", "؛")) or _list_item(text) is not None:
        return None
    return text if len(text.split()) <= INTRODUCTION_MAX_WORDS else None


def _find_list(lines: Sequence[str]) -> _FoundList:
    """The signatory list: after a signatory heading, after a line ending in a colon, or at the end."""
    best: _FoundList | None = None
    for index, line in enumerate(lines):
        if (heading := _heading_text(line)) is None:
            continue
        start, end, items = _run_after(lines, index + 1)
        if not items:
            start, end, items = _plain_run_after(lines, index + 1)
        if items and (best is None or len(items) >= len(best.items)):
            best = _FoundList(heading, index, start, end, tuple(items))
    if best is not None:
        return best

    # A line ending in a colon ("Supporting organisations:", "... the following groups:"),
    # followed by the last list of the text.
    for index in range(len(lines) - 1, -1, -1):
        if (introduction := _introduction(lines[index])) is None:
            continue
        start, end, items = _run_after(lines, index + 1, stop_at_restart=True)
        if not items:
            start, end, items = _plain_run_after(lines, index + 1)
        later_list = any(_list_item(line) is not None for line in lines[end:])
        if len(items) >= MIN_LIST_WITHOUT_HEADING and not later_list:
            short = len(introduction.split()) <= HEADING_MAX_WORDS
            heading = introduction.rstrip(":：؛ ") + ":" if short else ""
            return _FoundList(heading, index if short else index + 1, start, end, tuple(items))

    # No heading: the final run of numbered lines.
    numbered = {i: it for i, line in enumerate(lines) if (it := _list_item(line)) and it.number is not None}
    if numbered:
        last = first = max(numbered)
        for i in range(last - 1, -1, -1):
            if numbered[first].number == 1:
                break  # numbering restarted: the lines above are another list (the demands)
            if not lines[i].strip():
                continue
            if i not in numbered:
                break
            first = i
        start, end, items = _run_after(lines, first)
        if (
            end > last
            and len(items) >= MIN_LIST_WITHOUT_HEADING
            and all(it.number is not None for it in items)
        ):
            return _FoundList("", start, start, end, tuple(items), introduced=False)
    raise NoSignatoryList()


def numbering_gaps(numbers: Iterable[int | None]) -> tuple[int, ...]:
    """Published numbers missing between 1 and the highest one (bullets are ignored)."""
    present = {n for n in numbers if n is not None}
    if not present:
        return ()
    return tuple(n for n in range(1, max(present) + 1) if n not in present)


def _numbering_warnings(items: Sequence[_Item]) -> list[ImportNote]:
    warnings = []
    numbers = [it.number for it in items if it.number is not None]
    if numbers and len(numbers) != len(items):
        warnings.append(ImportNote("mixed_numbering"))
    repeated = sorted(n for n, times in Counter(numbers).items() if times > 1)
    if repeated:
        warnings.append(ImportNote("repeated_numbers", {"numbers": repeated}))
    if any(b < a for a, b in pairwise(numbers)):
        warnings.append(ImportNote("numbers_not_ascending"))
    return warnings


# --------------------------------------------------------------------------- title, addressees, body

_NAVIGATION = re.compile(
    r"^(show all|read more|home|menu|search|skip to (main )?content|previous( post)?|next( post)?"
    r"|share( this)?|print|posted (on|in|by)\b.*|tags?:.*|categor(y|ies):.*"
    r"|الرئيسية|اقرأ المزيد|عرض الكل|بحث|القائمة|شارك|مشاركة)$",
    re.IGNORECASE,
)
_DATE_LINE = re.compile(
    r"^(\d{1,2}\s+)?(january|february|march|april|may|june|july|august|september|october"
    r"|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?\s+(\d{1,2},?\s+)?\d{4}$"
    r"|^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$",
    re.IGNORECASE,
)
_ADDRESSEE_START = re.compile(
    r"^(mr|mrs|ms|mme|dr|h\.\s?e\.?|his excellency|her excellency|excellenc(y|ies)|dear|to|the honou?rable"
    r"|representatives?|permanent representatives?|members of|ambassador)\b"
    r"|^(السيد|السيدة|السادة|سعادة|معالي|فخامة|حضرة|أصحاب|اصحاب|إلى|الى|ممثلي|أعضاء|اعضاء)(\s|$)",
    re.IGNORECASE,
)
_ADDRESSEE_SPLIT = re.compile(
    r"\s+(?=(?:Mr|Mrs|Ms|Mme|Dr|H\.\s?E\.|His Excellency|Her Excellency|Representatives|"
    r"Permanent Representatives?|Ambassador)\b)"
    r"|\s+(?=(?:السيد|السيدة|السادة|سعادة|معالي|فخامة)\s)"
)
_SENTENCE_END = (".", "!", "?", "؟", ":", "؛", "…", "”", '"', "»")


def _is_noise_block(block: Sequence[str]) -> bool:
    return any(_NAVIGATION.match(line) or _DATE_LINE.match(line) for line in block)


def _is_addressee_block(block: Sequence[str]) -> bool:
    return bool(_ADDRESSEE_START.match(block[0])) and all(len(line.split()) <= 40 for line in block)


def _split_addressees(block: Sequence[str]) -> list[str]:
    out: list[str] = []
    for line in block:
        out.extend(part.strip().rstrip(",،") for part in _ADDRESSEE_SPLIT.split(line) if part.strip())
    return out


def _is_title_line(line: str) -> bool:
    return len(line.split()) <= 25 and not line.endswith(_SENTENCE_END) and _list_item(line) is None


def _markdown_body(lines: Sequence[str]) -> str:
    """Body text: one paragraph per published line, list items kept together.

    Web pages and word processors put each paragraph on one line with no blank line
    between; in Markdown that would merge them, so a blank line is inserted after a line
    that ends a sentence. Hard-wrapped lines (no sentence end) are left joined.
    """
    out: list[str] = []
    previous = ""
    for raw in lines:
        line = raw.rstrip()
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            previous = ""
            continue
        if previous:
            both_items = _list_item(previous) is not None and _list_item(line) is not None
            if not both_items and (previous.endswith(_SENTENCE_END) or _list_item(previous) is not None):
                out.append("")
        out.append(line)
        previous = line
    return "\n".join(out).strip()


def _front_matter(lines: Sequence[str], warnings: list[ImportNote]) -> tuple[str, str, str]:
    """Title, addressees and body from the lines before the signatory heading."""
    index = 0
    n = len(lines)

    def skip_blank(i: int) -> int:
        while i < n and not lines[i].strip():
            i += 1
        return i

    def block_at(i: int) -> tuple[list[str], int]:
        j = i
        while j < n and lines[j].strip():
            j += 1
        return [line.strip() for line in lines[i:j]], j

    # Web-page navigation before the letter: leading blocks holding menu words or dates.
    index = skip_blank(index)
    dropped = 0
    while index < n:
        block, after = block_at(index)
        if not _is_noise_block(block):
            break
        dropped += len(block)
        index = skip_blank(after)
    if dropped:
        warnings.append(ImportNote("navigation_ignored", {"count": dropped}))

    title = ""
    addressees: list[str] = []
    for _ in range(2):  # title then addressees, or addressees then title
        if index >= n:
            break
        block, after = block_at(index)
        heading = re.match(r"^#{1,6}\s+(?P<text>.+?)\s*#*\s*$", block[0])
        if not addressees and _is_addressee_block(block):
            addressees = _split_addressees(block)
            index = skip_blank(after)
        elif not title and heading is not None:
            title = _strip_emphasis(heading["text"])
            index = skip_blank(index + 1)
        elif not title and len(block) == 1 and _is_title_line(block[0]) and after < n:
            title = _strip_emphasis(block[0])
            index = skip_blank(after)
        else:
            break
    return title, "\n".join(addressees), _markdown_body(lines[index:])


# --------------------------------------------------------------------------- parsing


def parse_letter_text(text: str) -> ParsedLetter:
    """Split the text of one language of a letter into its parts.

    Raises :class:`NoSignatoryList` when the text has no signatory list (e.g. a news article).
    """
    text = plain_text(text)
    language = detect_language(text)
    lines = text.split("\n")
    found = _find_list(lines)
    warnings: list[ImportNote] = []

    if not found.introduced:
        warnings.append(ImportNote("no_heading"))
    heading = found.heading
    title, addressees, body = _front_matter(lines[: found.front_end], warnings)

    trailing = [line for line in lines[found.end :] if line.strip()]
    if trailing:
        warnings.append(ImportNote("trailing_lines_ignored", {"count": len(trailing)}))

    items = found.items
    warnings.extend(_numbering_warnings(items))
    names = [it.name for it in items]
    return ParsedLetter(
        language=language,
        title=title,
        addressees=addressees,
        body=body,
        signatories_heading=heading,
        signatories=tuple(ImportedSignatory(it.number, it.name) for it in items),
        numbering_gaps=numbering_gaps(it.number for it in items),
        possible_duplicates=find_possible_duplicates(names),
        warnings=tuple(warnings),
    )
