"""Forms of the organisation directory."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import Organization
from ..services import directory
from ..services.names import clean_email
from .base import Form
from .letters import OrganizationNamesForm, email_field, printable, too_long


class DirectoryOrganizationForm(OrganizationNamesForm):
    """A new directory entry. ``add_anyway`` is set by the second submit, after the warning."""

    email = email_field(_l("Focal point's email"), optional=True)
    country = StringField(_l("Country"), validators=[Optional(), too_long(100), printable])
    tags = StringField(_l("Tags, separated by commas"), validators=[Optional(), too_long(500), printable])
    add_anyway = HiddenField()


class CheckboxesField(SelectMultipleField):
    """Several of a list, one checkbox each. Values not offered are checked by the form itself."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ANOTHER_ADDRESS = _l("Choose among the organisation's addresses.")
ANOTHER_SPELLING = _l("Choose among the organisation's other spellings.")


class EditOrganizationForm(DirectoryOrganizationForm):
    """A directory entry's changes: the add form's fields and checks, plus its lists.

    ``email`` is an address to add. ``add_anyway`` is set by the second submit, after the
    warning that a new name looks like another entry. Choices are the entry's addresses (by
    key) and aliases (by id), as the page showed them.
    """

    email = email_field(_l("Add an email"), optional=True)
    new_email_primary = BooleanField(_l("Make it the primary email"))
    primary_email = RadioField(_l("Primary email"), choices=[], validate_choice=False)
    remove_emails = CheckboxesField(_l("Remove these emails"), choices=[], validate_choice=False)
    alias_en = StringField(
        _l("Add another spelling in English"), validators=[Optional(), too_long(300), printable]
    )
    alias_ar = StringField(
        _l("Add another spelling in Arabic"), validators=[Optional(), too_long(300), printable]
    )
    remove_aliases = CheckboxesField(
        _l("Remove these spellings"), choices=[], coerce=int, validate_choice=False
    )

    def __init__(self, organization: Organization, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        addresses = [SelectChoice(entry.key, entry.email) for entry in organization.emails_primary_first()]
        self.primary_email.choices = addresses
        self.remove_emails.choices = addresses
        self.remove_aliases.choices = [
            SelectChoice(alias.id, alias.spelling) for alias in organization.aliases
        ]

    @classmethod
    def of(cls, organization: Organization) -> EditOrganizationForm:
        """The form as the entry stands (the page before any change)."""
        primary = organization.primary_email
        return cls(
            organization,
            formdata=None,
            data={
                "name_en": organization.name_en,
                "name_ar": organization.name_ar,
                "country": organization.country,
                "tags": ", ".join(tag.name for tag in organization.tags),
                "primary_email": primary.key if primary is not None else None,
            },
        )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        keys = {choice.value for choice in self.primary_email.choices}
        removed = set(self.remove_emails.data or ())
        if removed - keys:
            self.remove_emails.errors = [*self.remove_emails.errors, ANOTHER_ADDRESS]
            valid = False
        alias_ids = {choice.value for choice in self.remove_aliases.choices}
        if set(self.remove_aliases.data or ()) - alias_ids:
            self.remove_aliases.errors = [*self.remove_aliases.errors, ANOTHER_SPELLING]
            valid = False
        chosen = self.primary_email.data or ""
        if chosen and chosen not in keys:
            self.primary_email.errors = [*self.primary_email.errors, ANOTHER_ADDRESS]
            return False
        if self.email.errors:
            return False
        new = clean_email(self.email.data or "")
        if self.new_email_primary.data and not new:
            self.new_email_primary.errors = [
                *self.new_email_primary.errors,
                _l("Type the address to add, or untick this box."),
            ]
            return False
        remaining = (keys - removed) | ({new} if new else set())
        if len(remaining) > 1 and self._primary_wanted() not in remaining:
            self.primary_email.errors = [
                *self.primary_email.errors,
                _l("Choose which of the addresses you keep is the primary one."),
            ]
            return False
        return valid

    def _primary_wanted(self) -> str:
        if self.new_email_primary.data:
            return clean_email(self.email.data or "")
        return self.primary_email.data or ""

    def changes(self) -> directory.EntryChanges:
        """The validated form as the service takes it."""
        new = (self.email.data or "").strip()
        removed = list(self.remove_emails.data or ())
        kept = ({choice.value for choice in self.primary_email.choices} - set(removed)) | (
            {clean_email(new)} if new else set()
        )
        primary = self._primary_wanted()
        aliases = [
            (language, text)
            for language, text in (("en", self.alias_en.data or ""), ("ar", self.alias_ar.data or ""))
            if text.strip()
        ]
        return directory.EntryChanges(
            name_en=self.name_en.data or "",
            name_ar=self.name_ar.data or "",
            country=self.country.data or "",
            tags=directory.parse_tags(self.tags.data or ""),
            add_emails=[new] if new else [],
            remove_emails=removed,
            primary_email=primary if primary in kept else "",
            add_aliases=aliases,
            remove_aliases=list(self.remove_aliases.data or ()),
        )


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
