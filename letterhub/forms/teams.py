from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from .accounts import LANGUAGE_CHOICES
from .base import Form
from .letters import email_field

ROLE_CHOICES = [
    SelectChoice("editor", _l("Editor: the text, invitations, list options")),
    SelectChoice("reviewer", _l("Reviewer: reads the letter and comments")),
    SelectChoice("owner", _l("Owner: everything, including the team and closing")),
]


class MemberInviteForm(Form):
    email = email_field(_l("Email"), missing=_l("Enter the email address of the person to add."))
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="editor")
    language = SelectField(_l("Language of the invitation email"), choices=LANGUAGE_CHOICES, default="ar")


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
