"""The one base class of every form: submitted text is checked for characters no field may hold.

A NUL byte, another control character (tab, line feed and carriage return are text), a lone
surrogate or a noncharacter such as U+FFFF in any field brings the form back (the views answer
422 for a form with errors) with a message on that field and everything else the user typed
still in the form. Numbers beyond what the database stores are refused the same way. Views
never see such input, so no database is asked to store it.
"""

from __future__ import annotations

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField

from ..input_hygiene import MAX_ID, disallowed_in_text

CONTROL_CHARACTERS_MESSAGE = _l("Remove the invisible control characters from this field.")
NUMBER_TOO_LARGE_MESSAGE = _l("This number is too large.")


class Form(FlaskForm):
    """Every form of letterhub derives from this one (a test checks it)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            problem = field_problem(field)
            if problem is not None:
                field.errors = [problem]  # this one message replaces what other validators said
                valid = False
        if not valid and has_request_context():
            g.form_has_errors = True  # base.html says so in the page's title
        return valid


def field_problem(field) -> str | None:
    """The message for a field whose submitted value no validator should even see, or None."""
    submitted = [value for value in (field.raw_data or ()) if isinstance(value, str)]
    if any(disallowed_in_text(value) for value in submitted):
        return str(CONTROL_CHARACTERS_MESSAGE)
    if isinstance(field, IntegerField) and isinstance(field.data, int) and abs(field.data) > MAX_ID:
        return str(NUMBER_TOO_LARGE_MESSAGE)
    return None
