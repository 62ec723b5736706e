"""Forms of the organisation directory."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Email, NumberRange, Optional

from .base import Form
from .letters import OrganizationNamesForm, printable, too_long


class DirectoryOrganizationForm(OrganizationNamesForm):
    """A new directory entry. ``add_anyway`` is set by the second submit, after the warning."""

    email = EmailField(
        _l("Focal point's email"),
        validators=[
            Optional(),
            Email(message=_l("This is not a valid email address."), check_deliverability=False),
            too_long(254),
        ],
    )
    country = StringField(_l("Country"), validators=[Optional(), too_long(100), printable])
    tags = StringField(_l("Tags, separated by commas"), validators=[Optional(), too_long(500), printable])
    add_anyway = HiddenField()


class MergeForm(Form):
    """Merge entry ``other`` into entry ``keep``; ``confirm`` is the second step's tick."""

    keep = IntegerField(
        _l("Entry to keep (number)"),
        validators=[DataRequired(message=_l("Give the entry's number.")), NumberRange(min=1)],
    )
    other = IntegerField(
        _l("Entry to merge into it (number)"),
        validators=[DataRequired(message=_l("Give the entry's number.")), NumberRange(min=1)],
    )
    confirm = BooleanField(_l("Yes, merge these two entries"))
