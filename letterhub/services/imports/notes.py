"""What an import can report: warnings about a text (:class:`ImportNote`) and the errors that refuse it.

Each carries a stable ``code`` and the ``params`` of its wording, so that an interface can say
it in the reader's language.
"""

from __future__ import annotations

__all__ = ["ImportNote", "LetterImportError", "NoSignatoryList", "UnreadableLetterFile"]


class ImportNote(str):
    """A warning about an import: its English text, plus a stable ``code`` and the ``params``
    of its wording (JSON values), so that an interface can say it in the reader's language.

    It is the English text (a ``str``), so the CLI's JSON and ``"heading" in warning`` keep working.
    """

    code: str
    params: dict

    def __new__(cls, text: str, code: str, **params: object) -> ImportNote:
        note = super().__new__(cls, text)
        note.code, note.params = code, params
        return note

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]  # copy and pickle; params come back with __dict__
        return str(self), self.code


class LetterImportError(Exception):
    """A letter could not be imported. ``message`` is meant for the user, in English (the CLI
    prints it); ``code`` and ``params`` say the same for an interface that words it in another
    language, as for :class:`ImportNote`."""

    code = "import_failed"

    def __init__(self, message: str, code: str | None = None, **params: object):
        super().__init__(message)
        self.message = message
        self.code = code or type(self).code
        self.params = params


class NoSignatoryList(LetterImportError):
    """The text has no signatory list (no heading followed by a list, no final numbered list)."""

    code = "no_signatory_list"


class UnreadableLetterFile(LetterImportError):
    """The file's bytes are not text in an encoding we accept (UTF-8, or UTF-16 with a BOM)."""
