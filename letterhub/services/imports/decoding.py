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
        raise UnreadableLetterFile("The file is empty.", "empty_file")
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableLetterFile(
                "The file starts like UTF-16 text but is damaged "
                f"(at byte {exc.start}). Save it again as UTF-8 and retry.",
                "damaged_utf16",
                position=exc.start,
            ) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            hint, code = "", "not_utf8"
            if data.count(b"\x00") > len(data) // 4:
                hint, code = " It looks like UTF-16 without a byte-order mark.", "not_utf8_looks_utf16"
            byte = f"0x{data[exc.start]:02X}"
            raise UnreadableLetterFile(
                "The file is not UTF-8 text "
                f"(byte {byte} at position {exc.start} is not valid UTF-8)."
                f"{hint} Expected encoding: UTF-8 (or UTF-16 with a byte-order mark). Files saved "
                "as Windows Arabic (cp1256) or another legacy code page must be saved again as "
                "UTF-8.",
                code,
                byte=byte,
                position=exc.start,
            ) from None
    if "\x00" in text:
        raise UnreadableLetterFile(
            "The file contains NUL characters: it is not a plain-text letter, or not in "
            "UTF-8 / UTF-16 with a byte-order mark.",
            "nul_characters",
        )
    return text
