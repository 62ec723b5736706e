"""The import's warnings and errors worded, once, by code, through the Babel catalogue.

The parser and the storage give only a ``code`` and ``params``
(:class:`~.notes.ImportNote`, :class:`~.notes.LetterImportError`). This is the one place that
words them: :func:`message` in the current locale (the web pages: the reader's language) and
:func:`english` in English (the CLI, its JSON report and the audit trail). A note recorded
before codes existed, or with a code that has no wording here, is shown as the English text
that was recorded with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .notes import ImportNote, LetterImportError

__all__ = ["IMPORT_MESSAGES", "english", "language_name", "message", "stored_note_message", "word"]

LANGUAGE_NAMES = {"en": _l("English"), "ar": _l("Arabic")}

IMPORT_MESSAGES = {
    # Warnings: ImportNote.code
    "no_heading": _l("No signatory heading was found; the last numbered list was taken as the signatories."),
    "navigation_ignored": _l("%(count)d line(s) of web-page navigation before the letter were ignored."),
    "trailing_lines_ignored": _l("%(count)d line(s) after the signatory list were ignored."),
    "mixed_numbering": _l("The list mixes numbered and unnumbered entries."),
    "repeated_numbers": _l("Numbers used more than once: %(numbers)s."),
    "numbers_not_ascending": _l("The published numbers are not in ascending order."),
    "only_language": _l("Only the %(language)s text was imported; the letter renders in that language only."),
    # Errors: LetterImportError.code
    "empty_file": _l("The file is empty."),
    "damaged_utf16": _l(
        "The file starts like UTF-16 text but is damaged (at byte %(position)d). Save it again as "
        "UTF-8 and retry."
    ),
    "not_utf8": _l(
        "The file is not UTF-8 text (byte %(byte)s at position %(position)d is not valid UTF-8). "
        "Expected encoding: UTF-8 (or UTF-16 with a byte-order mark). Files saved as Windows Arabic "
        "(cp1256) or another legacy code page must be saved again as UTF-8."
    ),
    "not_utf8_looks_utf16": _l(
        "The file is not UTF-8 text (byte %(byte)s at position %(position)d is not valid "
        "UTF-8). It looks like UTF-16 without a byte-order mark. Expected encoding: UTF-8 "
        "(or UTF-16 with a byte-order mark). Files saved as Windows Arabic (cp1256) or "
        "another legacy code page must be saved again as UTF-8."
    ),
    "nul_characters": _l(
        "The file contains NUL characters: it is not a plain-text letter, or not in UTF-8 / UTF-16 "
        "with a byte-order mark."
    ),
    "no_text": _l("The file contains no text."),
    "no_signatory_list": _l(
        "No signatory list was found: the text needs a heading such as “Signatories:” or "
        "“الموقعون:” followed by a numbered or bulleted list of organisations."
    ),
    "nothing_to_import": _l("There is no text to import."),
    "too_many_texts": _l("Import at most one text per language (English and Arabic)."),
    "same_language": _l(
        "Two texts are in the same language (%(language)s): import one English and one Arabic "
        "text of the same letter."
    ),
    "name_too_long": _l(
        "A signatory name is longer than %(max_length)d characters: “%(name)s…”. Is the list "
        "really a list of organisations?"
    ),
}


def language_name(code: str) -> str:
    """``"en"`` → "English", in the current locale; an unknown code as it is."""
    return str(LANGUAGE_NAMES.get(code, code))


TEXT_NUMBER = _l("Text %(number)d: %(message)s")


def word(code: str, params: Mapping[str, Any]) -> str | None:
    """The wording of ``code`` with ``params`` in the current locale; None if there is none.

    ``params`` are as the importer recorded them: a language code, a list of numbers, a name
    (isolated with FSI/PDI, since a Latin name in Arabic text, or the reverse, reorders the
    punctuation around it), and for an error in one of several texts, that text's number.
    """
    wording = IMPORT_MESSAGES.get(code)
    if wording is None:
        return None
    values = dict(params)
    if "language" in values:
        values["language"] = language_name(values["language"])
    if "numbers" in values:
        values["numbers"] = ", ".join(map(str, values["numbers"]))
    if "name" in values:
        values["name"] = f"\u2068{values['name']}\u2069"
    text_number = values.pop("text_number", None)
    try:
        text = str(wording) % values
    except (KeyError, TypeError, ValueError):  # recorded with other params than the wording expects
        return None
    return str(TEXT_NUMBER) % {"number": text_number, "message": text} if text_number else text


def message(item: ImportNote | LetterImportError) -> str:
    """A note or an error in the current locale."""
    return word(item.code, item.params) or item.code


def english(item: ImportNote | LetterImportError) -> str:
    """A note or an error in English, whatever the current locale (the CLI's report, the audit trail)."""
    with force_locale("en"):
        return message(item)


def stored_note_message(note: Mapping[str, Any]) -> str:
    """A note as the import's audit event recorded it (``code``, ``params``, English ``text``), in the current locale."""
    return word(note.get("code") or "", note.get("params") or {}) or note.get("text", "")
