"""Forms of handing an invitation on, proposing an organisation, asking to sign, and vetting."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from .base import Form
from .letters import OrganizationNamesForm, email_field, language_field, printable, required, too_long


class ForwardForm(Form):
    """The colleague the focal point hands the invitation to."""

    email = email_field(_l("Your colleague's email"))
    to_name = StringField(
        _l("Your colleague's name (optional)"), validators=[Optional(), too_long(200), printable]
    )


class NominationForm(OrganizationNamesForm):
    """Another organisation a focal point proposes; a coordinator decides."""

    email = email_field(_l("Its focal point's email"))
    language = language_field()


class SignOnForm(OrganizationNamesForm):
    """An organisation not invited asks to sign. ``website`` is a honeypot: people leave it empty."""

    email = email_field(_l("Your organisation's email"))
    country = StringField(
        _l("Country"),
        validators=[required(_l("Enter the country.")), too_long(100), printable],
    )
    website = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=500)])


class RejectForm(Form):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000), printable])


class OpenSignOnForm(Form):
    open_signon = BooleanField(_l("Let organisations that were not invited ask to sign on a public page"))
