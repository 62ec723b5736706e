"""Forms of the import pages: the published text of a letter, pairing its two lists, resolving duplicates."""

import re
from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileSize
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from ..models import ImportedSignatory
from ..services.imports.folding import name_key
from ..services.names import clean_name
from .base import Form

MAX_TEXT = 400_000  # characters of one pasted language text
MAX_FILE_BYTES = 1024 * 1024  # one uploaded text file; the request limit is MAX_CONTENT_LENGTH


def file_too_large():
    return FileSize(
        max_size=MAX_FILE_BYTES,
        message=_l("This file is too large (at most %(max)d KB).", max=MAX_FILE_BYTES // 1024),
    )


class ImportForm(Form):
    """Up to two texts of one letter, pasted or uploaded. The language is recognised from each text."""

    text_en = TextAreaField(
        _l("English text (paste the whole letter with its signatory list)"),
        validators=[
            Optional(),
            Length(
                max=MAX_TEXT, message=_l("This text is too long (at most %(max)d characters).", max=MAX_TEXT)
            ),
        ],
    )
    file_en = FileField(_l("…or upload it as a text file (UTF-8)"), validators=[Optional(), file_too_large()])
    text_ar = TextAreaField(
        _l("Arabic text (paste the whole letter with its signatory list)"),
        validators=[
            Optional(),
            Length(
                max=MAX_TEXT, message=_l("This text is too long (at most %(max)d characters).", max=MAX_TEXT)
            ),
        ],
    )
    file_ar = FileField(_l("…or upload it as a text file (UTF-8)"), validators=[Optional(), file_too_large()])


class PairForm(Form):
    """Pair one English list entry with an Arabic one.

    The review page is one form: ``en_row`` is the value of the row's button that was pressed,
    and that row's picker (``ar-<en_row>``, an ``<input list>`` over the Arabic list) says which
    Arabic entry: ``"12. name"`` as the list offers it, a number or a name typed by hand, or
    nothing to undo the pairing (see :func:`chosen_arabic_row`).
    """

    en_row = IntegerField(validators=[InputRequired()])

    def arabic_choice(self, formdata) -> str:
        return (formdata.get(f"ar-{self.en_row.data}") or "").strip()


_CHOICE = re.compile(r"^\s*(?P<number>[0-9٠-٩۰-۹]+)\s*[.\-)]?\s*(?P<name>.*?)\s*$")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class UnknownChoice(ValueError):
    """The text typed into a picker names no entry of the list."""


def chosen_arabic_row(text: str, rows: Sequence[ImportedSignatory]) -> ImportedSignatory | None:
    """The Arabic entry a picker's text names: ``None`` for an empty text (unpair).

    ``"12. name"`` (what the list offers) must be entry 12 with that name; a number alone is
    the entry at that position; a name alone is the entry with that name, compared folded
    (:func:`letterhub.services.imports.folding.name_key`) when no entry has it exactly.
    Raises :class:`UnknownChoice` when the text names no entry, or two.
    """
    text = clean_name(text)
    if not text:
        return None
    by_position = {row.position: row for row in rows}
    if (m := _CHOICE.match(text)) is not None:
        row = by_position.get(int(m["number"].translate(_DIGITS)))
        if row is not None and (not m["name"] or clean_name(m["name"]) == row.name):
            return row
    exact = [row for row in rows if row.name == text]
    if len(exact) == 1:
        return exact[0]
    folded = [row for row in rows if name_key(row.name) == name_key(text)]
    if len(folded) == 1:
        return folded[0]
    raise UnknownChoice(text)


class DuplicateForm(Form):
    """Resolve a possible duplicate of one imported list: keep the first or the second name, or both.

    The two rows are hidden fields; ``choice`` is the value of the button pressed.
    """

    KEEP_FIRST, KEEP_SECOND, NOT_DUPLICATE = "keep_first", "keep_second", "not_duplicate"

    first_row = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    second_row = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    choice = SelectField(choices=[KEEP_FIRST, KEEP_SECOND, NOT_DUPLICATE], validate_choice=True)
