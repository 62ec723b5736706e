"""The text of a letter: an uploaded file's bytes (UTF-8, or UTF-16 with a BOM; nothing guessed), and
pasted text as the parser reads it (HTML copied from a web page as lines, direction marks dropped).

Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .notes import UnreadableLetterFile

__all__ = ["decode_letter_file", "plain_text", "text_of_html"]

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_letter_file(data: bytes) -> str:
    """Return the text of an uploaded letter file.

    Accepted: UTF-8 with or without a BOM, UTF-16 with a BOM (what Windows "Unicode" saves).
    Anything else raises :class:`UnreadableLetterFile` telling the user what is expected;
    we never guess a legacy code page (cp1256 Arabic guessed wrong is silently garbled names).
    """
    if not data:
        raise UnreadableLetterFile("empty_file")
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableLetterFile("damaged_utf16", position=exc.start) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            code = "not_utf8"
            if data.count(b"\x00") > len(data) // 4:
                code = "not_utf8_looks_utf16"
            byte = f"0x{data[exc.start]:02X}"
            raise UnreadableLetterFile(
                code,
                byte=byte,
                position=exc.start,
            ) from None
    if "\x00" in text:
        raise UnreadableLetterFile("nul_characters")
    return text


# --------------------------------------------------------------------------- text as the parser reads it

# Marks that only steer the display direction: LRM, RLM, ALM, and the embeddings and isolates.
# Web pages put them around numbers and names; they carry nothing a list needs.
_DIRECTION_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
# Block tags only: a name may hold an inline tag as text ("Tom & Jerry <b>Relief</b>").
_HTML = re.compile(r"<(?:p|br|li|ol|ul|div|h[1-6]|table|tr|td|body|html)\b[^>]*>", re.IGNORECASE)


def plain_text(text: str) -> str:
    """The text as the parser reads it: line ends unified, no BOM, no direction marks, HTML as lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if len(_HTML.findall(text)) >= 2:
        text = text_of_html(text)
    return _DIRECTION_MARKS.sub("", text)


class _HTMLLines(HTMLParser):
    """Blocks become lines, list items numbered (``<ol>``) or bulleted (``<ul>``), headings ``#``."""

    BLOCKS = frozenset(
        ["p", "div", "br", "tr", "li", "ol", "ul", "table", "section", "article", "blockquote"]
    )
    SKIPPED = frozenset(["script", "style", "nav", "footer", "header", "form", "noscript", "template"])

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.lists: list[list[int]] = []  # per open list: [next number] for <ol>, [] for <ul>
        self.skipping = 0

    def _break(self, blank: bool = False) -> None:
        if self.lines[-1].strip():
            self.lines.append("")
        if blank and self.lines[-2:-1] != [""]:
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in ("ol", "ul"):
            self._break(blank=True)
            self.lists.append([1] if tag == "ol" else [])
        elif tag == "li":
            self._break()
            if self.lists and self.lists[-1]:
                self.lines[-1] = f"{self.lists[-1][0]}. "
                self.lists[-1][0] += 1
            else:
                self.lines[-1] = "- "
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._break(blank=True)
            self.lines[-1] = "#" * int(tag[1]) + " "
        elif tag in self.BLOCKS:
            self._break(blank=tag == "p")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in ("ol", "ul"):
            if self.lists:
                self.lists.pop()
            self._break(blank=True)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6", "p"):
            self._break(blank=True)
        elif tag in self.BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.lines[-1] += " ".join(data.split()) if data.strip() else (" " if self.lines[-1] else "")


def text_of_html(html: str) -> str:
    """Text of HTML copied from a web page: one line per block, lists as ``1.``/``-`` lines.

    Navigation, headers, footers, forms and scripts are left out; entities are decoded.
    """
    parser = _HTMLLines()
    parser.feed(html)
    parser.close()
    return "\n".join(line.strip() for line in parser.lines).strip() + "\n"
