from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from .accounts import LANGUAGE_CHOICES
from .base import Form

ROLE_CHOICES = [
    SelectChoice("editor", _l("Editor: the text, invitations, list options")),
    SelectChoice("reviewer", _l("Reviewer: reads the letter and comments")),
    SelectChoice("owner", _l("Owner: everything, including the team and closing")),
]


class MemberInviteForm(Form):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter the email address of the person to add.")),
            Email(message=_l("This is not a valid email address.")),
            Length(max=254),
        ],
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="editor")
    language = SelectField(_l("Language of the invitation email"), choices=LANGUAGE_CHOICES, default="ar")


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
