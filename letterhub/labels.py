"""Translated names of states, for templates."""

from flask_babel import lazy_gettext as _l

from .models import InvitationState, LetterStatus, OutboxStatus

LETTER_STATUS = {
    LetterStatus.DRAFT: _l("Draft"),
    LetterStatus.OPEN: _l("Open for signing"),
    LetterStatus.CLOSED: _l("Signing closed"),
}

INVITATION_STATE = {
    InvitationState.PENDING: _l("Pending"),
    InvitationState.OPENED: _l("Opened"),
    InvitationState.CONFIRMED: _l("Confirmed"),
    InvitationState.DECLINED: _l("Declined"),
    InvitationState.REVOKED: _l("Revoked"),
}

MAIL_STATUS = {
    None: _l("Not sent yet"),
    OutboxStatus.QUEUED: _l("Queued"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Sending failed"),
}


def register(app) -> None:
    from flask_babel import format_date, format_datetime

    app.jinja_env.globals.update(
        letter_status_label=LETTER_STATUS.__getitem__,
        invitation_state_label=INVITATION_STATE.__getitem__,
        mail_status_label=lambda status: MAIL_STATUS[status],
    )
    app.jinja_env.filters["format_date"] = lambda value: format_date(value) if value else ""
    app.jinja_env.filters["format_datetime"] = lambda value: format_datetime(value, "short") if value else ""
