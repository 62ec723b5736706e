"""Forms of inviting many organisations at once: a CSV file and its confirmation, picks from the directory."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import DataRequired

from ..services.bulk_inviting import MAX_FILE_BYTES
from .base import Form


class CsvUploadForm(Form):
    """The CSV file of organisations to invite (read and previewed; nothing is saved yet)."""

    file = FileField(
        _l("CSV file of organisations"),
        validators=[
            FileRequired(message=_l("Choose a CSV file to upload.")),
            FileSize(
                max_size=MAX_FILE_BYTES,
                message=_l("This file is too large (at most %(max)d KB).", max=MAX_FILE_BYTES // 1024),
            ),
        ],
    )


class CsvConfirmForm(Form):
    """The previewed file (signed, in ``upload``) and whether to send at once.

    Each possible duplicate's choice is a radio group ``choice-<line>`` read by the view.
    """

    upload = HiddenField(validators=[DataRequired(message=_l("The preview expired: upload the file again."))])
    send_now = BooleanField(_l("Send the invitations now"))


class PickForm(Form):
    """Invite entries picked on the directory page (``organization_ids``) or all that match."""

    letter = SelectField(_l("Letter to invite them to"), coerce=int, validate_choice=True)
    all_matching = BooleanField(_l("Every organisation that matches the search, on every page"))
    q = HiddenField()
    tag = HiddenField()
    send_now = BooleanField(_l("Send the invitations now"))


class ConfirmedPickForm(Form):
    """Invite everyone who confirmed one letter to another."""

    source = SelectField(_l("Everyone who confirmed"), coerce=int, validate_choice=True)
    letter = SelectField(_l("Letter to invite them to"), coerce=int, validate_choice=True)
    send_now = BooleanField(_l("Send the invitations now"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.source.data == self.letter.data:
            self.letter.errors = [_l("Choose another letter than the one they confirmed.")]
            return False
        return valid
