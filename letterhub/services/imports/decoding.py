"""The text of an uploaded letter file: UTF-8 (with or without a BOM) or UTF-16 with a BOM, nothing guessed."""

from __future__ import annotations

from .notes import UnreadableLetterFile

__all__ = ["decode_letter_file"]

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
