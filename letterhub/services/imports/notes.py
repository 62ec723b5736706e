"""What an import can report: warnings about a text (:class:`ImportNote`) and the errors that refuse it.

Both are a stable ``code`` and the ``params`` of its wording (JSON values), nothing more: the
words are in one place, :mod:`.messages`, through the Babel catalogue, for the web (in the
reader's language) and the CLI (in English) alike. Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ImportNote", "LetterImportError", "NoSignatoryList", "UnreadableLetterFile"]


@dataclass(frozen=True)
class ImportNote:
    """A warning about an imported text, e.g. ``ImportNote("trailing_lines_ignored", {"count": 2})``."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


class LetterImportError(Exception):
    """A letter could not be imported; ``code`` and ``params`` say why, as for :class:`ImportNote`."""

    code = "import_failed"

    def __init__(self, code: str | None = None, **params: Any):
        self.code = code or type(self).code
        self.params = params
        super().__init__(self.code, params)


class NoSignatoryList(LetterImportError):
    """The text has no signatory list (no heading followed by a list, no final numbered list)."""

    code = "no_signatory_list"


class UnreadableLetterFile(LetterImportError):
    """The file's bytes are not text in an encoding we accept (UTF-8, or UTF-16 with a BOM)."""
