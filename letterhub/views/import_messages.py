"""The import's warnings and errors in the reader's language.

:mod:`letterhub.services.imports.parsing` words them in English (what the CLI prints) and gives each a
stable ``code`` and the ``params`` of its wording (:class:`~letterhub.services.imports.notes.ImportNote`,
:class:`~letterhub.services.imports.notes.LetterImportError`). This is the one place that words them
for the web pages. A code missing here, or a warning recorded before codes existed, is shown in
English.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

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
    """``"en"`` → "English", in the reader's language; an unknown code as it is."""
    return str(LANGUAGE_NAMES.get(code, code))


def import_message(code: str | None, params: Mapping, english: str) -> str:
    """The warning or error ``code`` worded in the reader's language, or ``english`` if it has no wording here.

    ``params`` are as the importer recorded them: a language code, a list of numbers, a name
    (isolated with FSI/PDI, since a Latin name in Arabic text, or the reverse, reorders the
    punctuation around it).
    """
    message = IMPORT_MESSAGES.get(code or "")
    if message is None:
        return english
    values = dict(params)
    if "language" in values:
        values["language"] = language_name(values["language"])
    if "numbers" in values:
        values["numbers"] = ", ".join(map(str, values["numbers"]))
    if "name" in values:
        values["name"] = f"\u2068{values['name']}\u2069"
    try:
        return str(message) % values
    except (KeyError, TypeError, ValueError):  # recorded with other params than the wording expects
        return english
