from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..services.names import has_forbidden_characters

MAX_LINE = 500
MAX_BLOCK = 5_000
MAX_BODY = 200_000


def printable(form, field):
    if field.data and has_forbidden_characters(
        field.data.replace("\n", "").replace("\r", "").replace("\t", "")
    ):
        raise ValidationError(_l("Remove the invisible control characters from this field."))


def required(message):
    return DataRequired(message=message)


def too_long(limit):
    return Length(max=limit, message=_l("This field is too long (at most %(max)d characters).", max=limit))


class LetterForm(FlaskForm):
    """Both languages of the letter side by side. ``base_revision`` is the revision the editor opened."""

    base_revision = IntegerField(validators=[Optional()])
    coalition = StringField(
        _l("Coalition (author of the letter)"), validators=[Optional(), too_long(200), printable]
    )
    deadline = DateField(_l("Signing deadline"), validators=[Optional()])

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

    def text_fields(self) -> dict[str, str]:
        from ..models import LANGUAGES, REVISION_FIELDS

        return {
            f"{f}_{lang}": getattr(self, f"{f}_{lang}").data or ""
            for f in REVISION_FIELDS
            for lang in LANGUAGES
        }


class OrganizationForm(FlaskForm):
    name_en = StringField(_l("Name in English"), validators=[Optional(), too_long(300), printable])
    name_ar = StringField(_l("Name in Arabic"), validators=[Optional(), too_long(300), printable])
    email = EmailField(
        _l("Focal point's email"),
        validators=[
            required(_l("Enter the focal point's email address.")),
            Email(message=_l("This is not a valid email address."), check_deliverability=False),
            too_long(254),
        ],
    )
    language = SelectField(
        _l("Language of the invitation"),
        default="ar",
        choices=[SelectChoice("ar", "العربية"), SelectChoice("en", "English")],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.name_en.data or "").strip() and not (self.name_ar.data or "").strip():
            self.name_en.errors = list(self.name_en.errors) + [
                _l("Give the organisation's name in at least one language.")
            ]
            return False
        return valid


class PreviewOnly(FlaskForm):
    revision = HiddenField()


class ListOptionsForm(FlaskForm):
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
