from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..models import LANGUAGES, REVISION_FIELDS, ChangeKind
from ..services import deadlines, reminding
from ..services.names import has_forbidden_characters
from .base import CONTROL_CHARACTERS_MESSAGE, Form

MAX_LINE = 500
MAX_BLOCK = 5_000
MAX_BODY = 200_000


def printable(form, field):
    if field.data and has_forbidden_characters(
        field.data.replace("\n", "").replace("\r", "").replace("\t", "")
    ):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE)


def required(message):
    return DataRequired(message=message)


def too_long(limit):
    return Length(max=limit, message=_l("This field is too long (at most %(max)d characters).", max=limit))


def email_field(label, *, missing=None, optional: bool = False) -> EmailField:
    """An email address, for every form that asks for one: signing in, an account, a team
    member, a focal point, a nomination, a request to sign, the colleague an invitation is
    handed to; with ``optional``, one that may be left empty (a directory entry's address, the
    contact after the deadline). ``missing``: the message when a required one is empty."""
    presence = Optional() if optional else required(missing or _l("Enter an email address."))
    return EmailField(
        label,
        validators=[
            presence,
            Email(message=_l("This is not a valid email address."), check_deliverability=False),
            too_long(254),
        ],
    )


class LetterForm(Form):
    """Both languages of the letter side by side. ``base_revision`` is the revision the editor opened."""

    base_revision = IntegerField(widget=HiddenInput(), validators=[Optional()])
    coalition = StringField(
        _l("Coalition (author of the letter)"), validators=[Optional(), too_long(200), printable]
    )
    # The deadline: a date alone means the end of that day in the chosen zone.
    deadline = DateField(_l("Signing deadline"), validators=[Optional()])
    deadline_time = TimeField(_l("Time (empty: end of the day)"), validators=[Optional()])
    deadline_timezone = SelectField(
        _l("Time zone"),
        choices=lambda: [SelectChoice(name, name) for name in deadlines.timezone_names()],
        validate_choice=False,  # checked below; absent means the letter's zone or the default
    )
    allow_late_signatures = BooleanField(_l("Accept signatures after the deadline (listed as late)"))
    reminder_days = StringField(
        _l("Reminders, in days before the deadline"), default="7,3,1", validators=[Optional(), too_long(100)]
    )
    contact_email = email_field(
        _l("Contact for focal points after the deadline (empty: your address)"), optional=True
    )
    notify_unanswered = BooleanField(_l("Email the new deadline to the organisations that have not answered"))
    # Shown once invitations have gone out (services.drafting.save_revision); none chosen: substantive.
    change_kind = RadioField(
        _l("What kind of change is this?"),
        choices=[
            SelectChoice(
                ChangeKind.CORRECTION.value,
                _l("A correction (typos, formatting): the confirmations already given keep counting"),
            ),
            SelectChoice(
                ChangeKind.SUBSTANTIVE.value,
                _l("A substantive change: the organisations that confirmed are asked to confirm again"),
            ),
        ],
        validate_choice=False,  # anything but "correction" is substantive
        validators=[Optional()],
    )

    title_en = StringField(
        _l("Title"), validators=[required(_l("The English title is missing.")), too_long(MAX_LINE), printable]
    )
    title_ar = StringField(
        _l("Title"), validators=[required(_l("The Arabic title is missing.")), too_long(MAX_LINE), printable]
    )
    addressees_en = TextAreaField(
        _l("Addressees (one per line)"), validators=[Optional(), too_long(MAX_BLOCK), printable]
    )
    addressees_ar = TextAreaField(
        _l("Addressees (one per line)"), validators=[Optional(), too_long(MAX_BLOCK), printable]
    )
    date_place_en = StringField(_l("Date and place"), validators=[Optional(), too_long(MAX_LINE), printable])
    date_place_ar = StringField(_l("Date and place"), validators=[Optional(), too_long(MAX_LINE), printable])
    body_en = TextAreaField(
        _l("Letter (Markdown)"),
        validators=[
            required(_l("The English text of the letter is missing.")),
            too_long(MAX_BODY),
            printable,
        ],
    )
    body_ar = TextAreaField(
        _l("Letter (Markdown)"),
        validators=[required(_l("The Arabic text of the letter is missing.")), too_long(MAX_BODY), printable],
    )
    heading_en = StringField(
        _l("Heading of the signatory list"),
        validators=[
            required(_l("The English heading of the signatory list is missing.")),
            too_long(200),
            printable,
        ],
    )
    heading_ar = StringField(
        _l("Heading of the signatory list"),
        validators=[
            required(_l("The Arabic heading of the signatory list is missing.")),
            too_long(200),
            printable,
        ],
    )

    def validate_reminder_days(self, field):
        try:
            reminding.parse_reminder_days(field.data or "")
        except ValueError:
            raise ValidationError(
                _l("Give whole numbers of days between 1 and 365, separated by commas, such as 7, 3, 1.")
            ) from None

    def validate_deadline_timezone(self, field):
        if field.data and field.data not in deadlines.timezone_names():
            raise ValidationError(_l("Choose a time zone from the list."))

    def validate_deadline_time(self, field):
        if field.data is not None and self.deadline.data is None:
            raise ValidationError(_l("Give the date of the deadline too."))

    def deadline_settings(self) -> deadlines.DeadlineSettings:
        return deadlines.DeadlineSettings(
            day=self.deadline.data,
            at=self.deadline_time.data,
            zone_name=self.deadline_timezone.data or "",
            allow_late=bool(self.allow_late_signatures.data),
            reminder_days=reminding.format_reminder_days(
                reminding.parse_reminder_days(self.reminder_days.data or "")
            ),
            contact_email=self.contact_email.data or "",
        )

    def chosen_change_kind(self) -> ChangeKind:
        """What the coordinator said the change is; not saying means substantive."""
        return (
            ChangeKind.CORRECTION
            if self.change_kind.data == ChangeKind.CORRECTION.value
            else ChangeKind.SUBSTANTIVE
        )

    def text_fields(self) -> dict[str, str]:
        return {
            f"{f}_{lang}": getattr(self, f"{f}_{lang}").data or ""
            for f in REVISION_FIELDS
            for lang in LANGUAGES
        }


def language_field() -> SelectField:
    """The language an organisation is invited in (and gets its emails in)."""
    return SelectField(
        _l("Language of the invitation"),
        default="ar",
        choices=[SelectChoice("ar", "العربية"), SelectChoice("en", "English")],
    )


class OrganizationNamesForm(Form):
    """An organisation's names: either may be empty, not both (the directory's form shares them)."""

    name_en = StringField(_l("Name in English"), validators=[Optional(), too_long(300), printable])
    name_ar = StringField(_l("Name in Arabic"), validators=[Optional(), too_long(300), printable])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.name_en.data or "").strip() and not (self.name_ar.data or "").strip():
            self.name_en.errors = list(self.name_en.errors) + [
                _l("Give the organisation's name in at least one language.")
            ]
            return False
        return valid


class OrganizationForm(OrganizationNamesForm):
    email = email_field(_l("Focal point's email"), missing=_l("Enter the focal point's email address."))
    language = language_field()


class PreviewOnly(Form):
    revision = HiddenField()


class ListOptionsForm(Form):
    """How the final PDF prints the signatory list (see services.rendering.RenderOptions)."""

    numbering_style = SelectField(
        _l("Numbering"),
        choices=[SelectChoice("dot", "1."), SelectChoice("dash", "1-"), SelectChoice("dashed", "- 1 -")],
    )
    arabic_indic_digits = BooleanField(_l("Arabic-Indic digits in the Arabic list (١، ٢، ٣)"))
    list_order = SelectField(
        _l("Order"),
        choices=[
            SelectChoice("alphabetical", _l("Alphabetical, in each language")),
            SelectChoice("confirmation", _l("By time of confirmation")),
        ],
    )
    late_signatories = SelectField(
        _l("Late signatories"),
        choices=[
            SelectChoice("merge", _l("Merged into the list")),
            SelectChoice("append", _l("Listed after the others")),
        ],
    )
    two_columns = BooleanField(_l("Two columns (for long lists)"))
    first_language = SelectField(
        _l("First language in the combined PDF"),
        choices=[SelectChoice("en", "English"), SelectChoice("ar", "العربية")],
    )
