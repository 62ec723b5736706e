"""Word-by-word differences between two texts of one language (pure: no Flask, no database).

What it gives, and what it promises:

- :func:`tokenize` cuts a text into words, numbers, punctuation marks and breaks. A word keeps
  its Arabic marks (shadda, harakat, tatweel) and inner hyphens or apostrophes ("أنّ",
  "de-escalation", "Nation's"); a number keeps its separators in any digits ("1,000",
  "١٣٫٥"); a line break and a paragraph break (a blank line) are tokens of their own. Spaces are
  not tokens: each token carries the spaces before it, so joining ``space + text`` gives the
  text back exactly (after line endings are unified).
- :func:`diff_text` compares an old and a new text: paragraph by paragraph first (unchanged
  paragraphs cost nothing, so a long letter stays fast), then word by word inside the
  paragraphs that changed. The result is a :class:`TextDiff`: paragraphs, each a tuple of
  :class:`Segment` (``equal``, ``insert`` or ``delete`` and its text, spaces included), and
  counts of inserted and deleted words. Line breaks stay inside a segment's text as ``"\\n"``;
  a paragraph break that was added or removed (a paragraph split or joined) ends its
  paragraph's last segment as ``"\\n\\n"``, so the change is visible and counted as a change.
- :func:`three_way` gives what each of two people changed from the text both started from.
- :func:`changed_paragraphs` keeps the paragraphs of a difference that hold a change, and
  :func:`marked_plain` writes one for plain text (an email): ``[-removed-] {+added+}``.
- :func:`direction_runs` splits a segment's text into runs to isolate: Latin words inside
  Arabic text ("(SNHR)", "Human Rights Watch") or Arabic inside English, so a template can wrap
  them in ``<bdi>`` and a mixed name keeps its order and brackets.

Rendering is the templates' business (``<ins>``/``<del>``, ``dir="rtl"`` on Arabic); the data
here is plain and comparable, so it can also be counted (how much changed: a correction or a
substantive change).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

__all__ = [
    "PARAGRAPH_BREAK",
    "Run",
    "Segment",
    "TextDiff",
    "ThreeWay",
    "Token",
    "changed_paragraphs",
    "diff_fields",
    "diff_text",
    "direction_runs",
    "marked_plain",
    "three_way",
    "tokenize",
]

Op = Literal["equal", "insert", "delete"]

PARAGRAPH_BREAK = "\n\n"
# Above this many (old words × new words) in one changed block of paragraphs that do not pair
# up one to one, the block is shown deleted and inserted whole rather than word by word.
MAX_WORD_PAIRS = 25_000_000
LINE_BREAK = "\n"

# Arabic combining marks and tatweel belong to the word they sit on; Python's \w leaves them out.
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640\u200c\u200d"
_LETTERS = rf"[^\W\d_](?:[^\W\d_]|[{_MARKS}])*"
_WORD = rf"{_LETTERS}(?:['’\-](?:{_LETTERS}|\d+))*"
_NUMBER = r"\d+(?:[.,٫٬]\d+)*"
_TOKEN = re.compile(rf"(?P<space>[^\S\n]*)(?P<text>\n\s*\n|\n|{_NUMBER}(?![\w{_MARKS}])|{_WORD}|\S)")


@dataclass(frozen=True, slots=True)
class Token:
    """One word, number, punctuation mark or break, with the spaces written before it."""

    text: str
    space: str = ""

    @property
    def is_break(self) -> bool:
        return self.text in (PARAGRAPH_BREAK, LINE_BREAK)

    @property
    def is_word(self) -> bool:
        return self.text[:1].isalnum()


@dataclass(frozen=True)
class Segment:
    """A run of text that is ``equal`` in both texts, or only in the new (``insert``) or old (``delete``)."""

    op: Op
    text: str


@dataclass(frozen=True)
class TextDiff:
    """The differences between two texts, paragraph by paragraph.

    ``paragraphs`` follows the new text's paragraphs, with deleted paragraphs where they stood.
    ``inserted_words``/``deleted_words`` count words and numbers (not punctuation or breaks).
    """

    paragraphs: tuple[tuple[Segment, ...], ...]
    inserted_words: int
    deleted_words: int

    @property
    def changed(self) -> bool:
        return any(segment.op != "equal" for paragraph in self.paragraphs for segment in paragraph)


@dataclass(frozen=True)
class ThreeWay:
    """A save collision: the text both started from, and what each side changed from it."""

    base: str
    theirs: TextDiff  # base → the colleague's saved text
    yours: TextDiff  # base → the text this person tried to save

    @property
    def both_changed(self) -> bool:
        return self.theirs.changed and self.yours.changed


@dataclass(frozen=True)
class Run:
    """A piece of a segment's text; ``isolate`` when it is written in the other direction."""

    text: str
    isolate: bool


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` (line endings unified, trailing spaces of the text dropped)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    tokens = []
    for match in _TOKEN.finditer(text):
        piece = match.group("text")
        if piece.startswith("\n"):
            piece = PARAGRAPH_BREAK if piece.count("\n") > 1 else LINE_BREAK
        tokens.append(Token(piece, match.group("space")))
    return tokens


def _paragraphs(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return [p for p in _BLANK_LINES.split(text) if p.strip()]


_BLANK_LINES = re.compile(r"\n[^\S\n]*\n\s*")


def _key(tokens: Sequence[Token]) -> tuple[str, ...]:
    return tuple(t.text for t in tokens)


class _Builder:
    """Collects segments into paragraphs, merging neighbours with the same operation."""

    def __init__(self) -> None:
        self.paragraphs: list[list[Segment]] = []
        self.inserted = 0
        self.deleted = 0

    def new_paragraph(self) -> None:
        self.paragraphs.append([])

    def add(self, op: Op, tokens: Iterable[Token]) -> None:
        tokens = list(tokens)
        if not tokens:
            return
        paragraph = self.paragraphs[-1]
        text = "".join(t.space + t.text for t in tokens)
        words = sum(t.is_word for t in tokens)
        if op == "insert":
            self.inserted += words
        elif op == "delete":
            self.deleted += words
        if paragraph and paragraph[-1].op == op:
            paragraph[-1] = Segment(op, paragraph[-1].text + text)
        else:
            paragraph.append(Segment(op, text))

    def result(self) -> TextDiff:
        paragraphs = tuple(tuple(p) for p in self.paragraphs if p)
        return TextDiff(paragraphs, self.inserted, self.deleted)


def _word_diff(builder: _Builder, old: Sequence[Token], new: Sequence[Token]) -> None:
    """Word-level segments of one changed block (paragraph breaks inside it start new paragraphs)."""
    matcher = SequenceMatcher(None, _key(old), _key(new), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts = [("equal", new[j1:j2])]
        elif op == "delete":
            parts = [("delete", old[i1:i2])]
        elif op == "insert":
            parts = [("insert", new[j1:j2])]
        else:
            parts = [("delete", old[i1:i2]), ("insert", new[j1:j2])]
        for kind, tokens in parts:
            run: list[Token] = []
            for token in tokens:
                if token.text == PARAGRAPH_BREAK:
                    if kind != "equal":  # a paragraph split or joined: the break itself is marked
                        run.append(token)
                    builder.add(kind, run)  # type: ignore[arg-type]
                    run = []
                    builder.new_paragraph()
                else:
                    run.append(token)
            builder.add(kind, run)  # type: ignore[arg-type]


def diff_text(old: str, new: str) -> TextDiff:
    """Word-by-word differences from ``old`` to ``new``, keeping the paragraphs."""
    old_paragraphs, new_paragraphs = _paragraphs(old), _paragraphs(new)
    builder = _Builder()
    # Whole paragraphs first: only the ones that changed are cut into words.
    matcher = SequenceMatcher(None, old_paragraphs, new_paragraphs, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for paragraph in new_paragraphs[j1:j2]:
                builder.new_paragraph()
                builder.paragraphs[-1].append(Segment("equal", paragraph))
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            # As many paragraphs on each side: each compared with its counterpart (fast even
            # when every paragraph of a long letter changed).
            for old_paragraph, new_paragraph in zip(
                old_paragraphs[i1:i2], new_paragraphs[j1:j2], strict=True
            ):
                builder.new_paragraph()
                _word_diff(builder, tokenize(old_paragraph), tokenize(new_paragraph))
            continue
        # Otherwise the block's paragraphs are compared as one run of words, so a paragraph
        # split in two or two joined shows as the break that moved, not as everything rewritten.
        old_tokens = tokenize(PARAGRAPH_BREAK.join(old_paragraphs[i1:i2]))
        new_tokens = tokenize(PARAGRAPH_BREAK.join(new_paragraphs[j1:j2]))
        builder.new_paragraph()
        if len(old_tokens) * len(new_tokens) > MAX_WORD_PAIRS:
            # Too large to compare word by word in reasonable time: shown as replaced whole.
            _word_diff(builder, old_tokens, [])
            builder.new_paragraph()
            _word_diff(builder, [], new_tokens)
        else:
            _word_diff(builder, old_tokens, new_tokens)
    return builder.result()


def diff_fields(old: Mapping[str, str], new: Mapping[str, str], keys: Iterable[str]) -> dict[str, TextDiff]:
    """:func:`diff_text` for each of ``keys`` (``body_en``, ``title_ar`` ...) of two revisions' texts."""
    return {key: diff_text(old.get(key, ""), new.get(key, "")) for key in keys}


def three_way(base: str, theirs: str, yours: str) -> ThreeWay:
    """What the colleague changed and what this person changed, each from the common ``base``."""
    return ThreeWay(base=base, theirs=diff_text(base, theirs), yours=diff_text(base, yours))


def changed_paragraphs(diff: TextDiff) -> list[tuple[Segment, ...]]:
    """The paragraphs of ``diff`` that hold an insertion or a deletion, in order."""
    return [paragraph for paragraph in diff.paragraphs if any(s.op != "equal" for s in paragraph)]


_PLAIN_MARKS = {"delete": ("[-", "-]"), "insert": ("{+", "+}")}


def marked_plain(paragraph: Sequence[Segment]) -> str:
    """One paragraph of a difference as plain text: ``[-removed-]`` and ``{+added+}`` (the marks
    of ``git diff --word-diff``), spaces outside the marks, a paragraph break added or removed
    written ``¶``."""
    pieces = []
    for segment in paragraph:
        if segment.op == "equal":
            pieces.append(segment.text)
            continue
        text = segment.text
        if text.endswith(PARAGRAPH_BREAK):
            text = text[: -len(PARAGRAPH_BREAK)] + " ¶"
        core = text.lstrip()
        opening, closing = _PLAIN_MARKS[segment.op]
        pieces.append(text[: len(text) - len(core)] + opening + core.strip() + closing)
    return "".join(pieces).strip()


# A run written in the other direction: Latin letters (with the digits, spaces and punctuation
# between them, and brackets around them) in Arabic text, or Arabic letters in Latin text.
_LATIN = "A-Za-z\u00c0-\u024f"
_ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_RUN = {
    "rtl": re.compile(rf"\(?[{_LATIN}][{_LATIN}0-9 '’.,&/\-]*[{_LATIN}0-9.]\)?|\(?[{_LATIN}]\)?"),
    "ltr": re.compile(rf"[{_ARABIC}][{_ARABIC}0-9٠-٩ ،]*[{_ARABIC}]|[{_ARABIC}]"),
}


def direction_runs(text: str, direction: Literal["rtl", "ltr"]) -> list[Run]:
    """``text`` cut into runs, those in the other direction than ``direction`` marked to isolate."""
    runs = []
    position = 0
    for match in _RUN[direction].finditer(text):
        start, end = match.span()
        piece = match.group()
        if piece.startswith("(") != piece.endswith(")"):  # a bracket belongs to the run only in pairs
            if piece.startswith("("):
                start += 1
            else:
                end -= 1
        if start > position:
            runs.append(Run(text[position:start], False))
        runs.append(Run(text[start:end], True))
        position = end
    if position < len(text):
        runs.append(Run(text[position:], False))
    return runs
