from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import HiddenInput

from .base import Form
from .letters import printable, too_long


class SigningForm(Form):
    """What the focal point confirms. ``revision_id`` is the text the page showed."""

    revision_id = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    name_en = StringField(
        _l("Organisation's name in English"), validators=[Optional(), too_long(300), printable]
    )
    name_ar = StringField(
        _l("Organisation's name in Arabic"), validators=[Optional(), too_long(300), printable]
    )
    signer_name = StringField(_l("Your name"), validators=[Optional(), too_long(200), printable])
    signer_role = StringField(
        _l("Your role in the organisation"), validators=[Optional(), too_long(200), printable]
    )
    consent = BooleanField(_l("Consent"))
    unnamed = BooleanField(_l("Do not name our organisation publicly: count it without its name"))
    decline_reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)])
    confirm = SubmitField(_l("Confirm our signature"))
    decline = SubmitField(_l("Decline"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.confirm.data:
            if not self.consent.data:
                self.consent.errors = list(self.consent.errors) + [
                    _l("Tick the box to confirm that your organisation signs this letter.")
                ]
                valid = False
            if not (self.signer_name.data or "").strip():
                self.signer_name.errors = list(self.signer_name.errors) + [_l("Enter your name.")]
                valid = False
            if not (self.signer_role.data or "").strip():
                self.signer_role.errors = list(self.signer_role.errors) + [_l("Enter your role.")]
                valid = False
            if not (self.name_en.data or "").strip() and not (self.name_ar.data or "").strip():
                self.name_en.errors = list(self.name_en.errors) + [
                    _l("Give the organisation's name in at least one language.")
                ]
                valid = False
        elif not self.decline.data:
            valid = False
        if not valid and has_request_context():
            g.form_has_errors = True  # base.html says so in the page's title
        return valid


class NamingForm(Form):
    """Switch a confirmation between named and not named publicly (one button; ``unnamed`` is
    the choice the button makes, sent as a hidden field)."""

    revision_id = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    unnamed = BooleanField(widget=HiddenInput())
    naming = SubmitField(_l("Save this choice"))
