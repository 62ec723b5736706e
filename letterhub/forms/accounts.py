from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from .base import Form
from .letters import email_field


class LoginForm(Form):
    email = email_field(_l("Email"), missing=_l("Enter your email address."))
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_l("Enter your password.")), Length(max=1000)]
    )
    remember = BooleanField(_l("Keep me signed in on this device"))


class ActionForm(Form):
    """A button that changes something: no fields, only the CSRF token."""


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    """A new password and its repetition, for each form that sets one; bind them as
    ``new_password, repeat_password`` (the repetition is compared with ``new_password``).

    A function, not a base class: WTForms orders a form's fields by when they were created, and
    the error summary lists them in that order. A base class's fields would be created first and
    so listed before the form's own (the current password, the name), which the page shows first.
    """
    return (
        PasswordField(
            _l("New password"),
            validators=[
                DataRequired(message=_l("Enter the new password.")),
                Length(min=10, max=1000, message=_l("The new password must have at least 10 characters.")),
            ],
        ),
        PasswordField(
            _l("New password again"),
            validators=[
                DataRequired(message=_l("Enter the new password again.")),
                EqualTo("new_password", message=_l("The two new passwords differ.")),
            ],
        ),
    )


class PasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=1000)],
    )
    new_password, repeat_password = new_password_fields()


class AccountLinkForm(Form):
    """A new member's (or a reset account's) name and password, set through an emailed link."""

    name = StringField(
        _l("Your name"),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=200)],
    )
    new_password, repeat_password = new_password_fields()


LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("ar", "العربية")]


class NewAccountForm(Form):
    """An administrator creates an account; its owner sets the password through an emailed link."""

    email = email_field(_l("Email"))
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    locale = SelectField(
        _l("Language of the email and the interface"), choices=LANGUAGE_CHOICES, default="en"
    )
    is_admin = BooleanField(_l("Administrator (sees and manages every letter and account)"))
