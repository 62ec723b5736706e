"""Forms of the import pages: the published text of a letter, pairing its two lists, resolving duplicates."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileSize
from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

MAX_TEXT = 400_000  # characters of one pasted language text
MAX_FILE_BYTES = 1024 * 1024  # one uploaded text file; the request limit is MAX_CONTENT_LENGTH


def file_too_large():
    return FileSize(
        max_size=MAX_FILE_BYTES,
        message=_l("This file is too large (at most %(max)d KB).", max=MAX_FILE_BYTES // 1024),
    )


class ImportForm(FlaskForm):
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


class PairForm(FlaskForm):
    """Pair one English list entry with an Arabic one (0: with none, i.e. undo the pairing)."""

    en_row = HiddenField()
    ar_row = SelectField(_l("Arabic name"), coerce=int, validate_choice=True)


class DuplicateForm(FlaskForm):
    """Resolve a possible duplicate of one imported list: keep the first or the second name, or both.

    The two rows are hidden fields; ``choice`` is the value of the button pressed.
    """

    KEEP_FIRST, KEEP_SECOND, NOT_DUPLICATE = "keep_first", "keep_second", "not_duplicate"

    first_row = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    second_row = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    choice = SelectField(choices=[KEEP_FIRST, KEEP_SECOND, NOT_DUPLICATE], validate_choice=True)
