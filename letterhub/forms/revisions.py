from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .base import Form


class AcknowledgeForm(Form):
    """Let one warning that the languages differ stand; ``key`` names it (services.parity)."""

    key = HiddenField(validators=[DataRequired(), Length(max=200)])


class StartFromForm(Form):
    """A new letter from an existing one, and which of its organisations to put on the new list."""

    invitations = RadioField(
        _l("Organisations to put on the new letter's list (they are not sent anything yet)"),
        choices=[
            SelectChoice("none", _l("None")),
            SelectChoice("confirmed", _l("Those that confirmed this letter")),
            SelectChoice("all", _l("Every organisation invited to this letter (not revoked)")),
        ],
        default="none",
        validators=[DataRequired(message=_l("Choose which organisations to put on the list."))],
    )
