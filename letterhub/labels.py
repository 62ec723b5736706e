"""Translated names of states, for templates."""

from flask_babel import format_date, format_datetime, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .models import DecisionKind, InvitationState, LetterStatus, OutboxStatus, RenderErrorKind, RenderStatus
from .services import deadlines
from .services.campaign import InvitationFilter, InvitationSort

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

# One recorded decision of a focal point, in the receipt and the answer's history.
DECISION_KIND = {
    DecisionKind.CONFIRMED: _l("Confirmed: your organisation signs the letter"),
    DecisionKind.DECLINED: _l("Declined"),
    DecisionKind.WITHDRAWN: _l("Signature withdrawn"),
}

INVITATION_FILTER = {
    InvitationFilter.ALL: _l("All"),
    InvitationFilter.NOT_ANSWERED: _l("Not answered"),
    InvitationFilter.OPENED: _l("Opened, not answered"),
    InvitationFilter.CONFIRMED: _l("Confirmed"),
    InvitationFilter.MUST_RECONFIRM: _l("Must reconfirm"),
    InvitationFilter.DECLINED: _l("Declined"),
    InvitationFilter.FAILED: _l("Email not delivered"),
    InvitationFilter.NOT_SENT: _l("Not sent yet"),
    InvitationFilter.REVOKED: _l("Revoked"),
}

INVITATION_SORT = {
    InvitationSort.ADDED: _l("As added"),
    InvitationSort.NAME: _l("Name"),
    InvitationSort.STATE: _l("Answer"),
    InvitationSort.ANSWERED: _l("Latest answers first"),
    InvitationSort.OPENED: _l("Latest opened first"),
}

# An organisation's answer to a letter, in the directory's history: an invitation's state, or
# "published" for a letter signed elsewhere and imported, whose list names the organisation.
HISTORY_ANSWER = {
    **{state.value: label for state, label in INVITATION_STATE.items()},
    "published": _l("On the published list"),
}

MAIL_STATUS = {
    None: _l("Not sent yet"),
    OutboxStatus.QUEUED: _l("Queued"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Sending failed"),
}

RENDER_STATUS = {
    RenderStatus.QUEUED: _l("Waiting to be rendered"),
    RenderStatus.RENDERING: _l("Rendering…"),
    RenderStatus.READY: _l("Ready"),
    RenderStatus.FAILED: _l("Rendering failed"),
}

DOCUMENT_LABELS = {
    "en,ar": _l("English, then Arabic"),
    "ar,en": _l("Arabic, then English"),
    "en": _l("English only"),
    "ar": _l("Arabic only"),
}


# What each kind of audit event means, worded once. Kinds not listed show their code.
AUDIT_ACTION = {
    "letter.created": _l("Letter created"),
    "letter.revised": _l("Text revised"),
    "letter.settings": _l("Coalition or deadline changed"),
    "letter.restored": _l("Earlier revision restored as a new one"),
    "letter.started_from": _l("Letter started from an earlier letter"),
    "parity.acknowledged": _l("Difference between the languages acknowledged"),
    "letter.opened": _l("Opened for signing"),
    "letter.closed": _l("Signing closed"),
    "letter.reopened": _l("Signing reopened"),
    "documents.superseded": _l("Final documents superseded (their code now points to the newer version)"),
    "letter.imported": _l("Imported from a published letter"),
    "letter.deadline": _l("Deadline changed"),
    "letter.deadline_notified": _l("Organisations that had not answered told of the deadline"),
    "invitation.added": _l("Organisation added to the list"),
    "invitation.sent": _l("Invitation link sent"),
    "invitations.imported": _l("Organisations invited from a CSV file"),
    "invitations.picked": _l("Organisations invited from the directory"),
    "invitation.opened": _l("Invitation opened by the focal point"),
    "invitation.revoked": _l("Invitation revoked"),
    "invitation.reminded": _l("Reminder sent"),
    "invitation.reconfirmation_asked": _l("Asked to confirm again after a substantive change"),
    "invitation.do_not_remind": _l("Reminders for the organisation turned off or on again"),
    "invitation.forwarded": _l("Invitation handed on by the focal point to a colleague"),
    "proposal.nominated": _l("Organisation proposed by a focal point"),
    "proposal.requested": _l("Request to sign from the public sign-on page (email not confirmed yet)"),
    "proposal.email_confirmed": _l("Request to sign: email confirmed"),
    "proposal.approved": _l("Proposed organisation approved and invited"),
    "proposal.rejected": _l("Proposed organisation rejected"),
    "letter.open_signon": _l("Public sign-on page opened or closed"),
    "signature.confirmed": _l("Signature confirmed"),
    "signature.declined": _l("Signature declined"),
    "signature.withdrawn": _l("Signature withdrawn by the focal point"),
    "import.paired": _l("English and Arabic names paired"),
    "import.unpaired": _l("English and Arabic names unpaired"),
    "import.duplicate_merged": _l("Duplicate merged: one spelling kept"),
    "import.duplicate_dismissed": _l("Possible duplicate marked as two organisations"),
    "organization.added": _l("Organisation added to the directory"),
    "organization.merged": _l("Directory entries merged"),
    "organization.edited": _l("Directory entry edited"),
    "user.login": _l("Coordinator signed in"),
    "user.logout": _l("Coordinator signed out"),
    "user.sessions_ended": _l("Sessions ended"),
    "user.password_changed": _l("Password changed"),
    "user.deactivated": _l("Account deactivated"),
    "user.reactivated": _l("Account reactivated"),
    "user.invited": _l("Account created for a new team member"),
    "user.created": _l("Account created by an administrator"),
    "user.password_link_sent": _l("Link to set the password sent"),
    "user.admin_changed": _l("Administrator rights given or taken"),
    "member.added": _l("Team member added"),
    "member.role_changed": _l("Team member's role changed"),
    "member.removed": _l("Team member removed"),
    "member.invitation_withdrawn": _l("Invitation to join the team withdrawn"),
}

LANGUAGE_NAMES = {"en": _l("English"), "ar": _l("Arabic")}

# A letter team member's role, worded once.
LETTER_ROLE = {
    "owner": _l("Owner"),
    "editor": _l("Editor"),
    "reviewer": _l("Reviewer"),
}


def audit_action(action: str) -> str:
    return str(AUDIT_ACTION.get(action, action))


# Events without an account that the focal point's own link caused (the others are letterhub's).
FOCAL_POINT_ACTIONS = frozenset(
    {
        "invitation.opened",
        "invitation.forwarded",
        "proposal.nominated",
        "signature.confirmed",
        "signature.declined",
        "signature.withdrawn",
    }
)


def audit_by_focal_point(action: str) -> bool:
    return action in FOCAL_POINT_ACTIONS or action.startswith("signature.")


def audit_details(details: dict) -> list[str]:
    """The details of an audit event a reader needs, in their language (not the import report)."""
    words = []
    if isinstance(details.get("revision"), int):
        words.append(_("revision %(number)d", number=details["revision"]))
    if isinstance(details.get("sha256"), str):
        words.append("SHA-256 " + details["sha256"][:12])
    if isinstance(details.get("role"), str) and details["role"] in LETTER_ROLE:
        words.append(str(LETTER_ROLE[details["role"]]))
    if details.get("change_kind") == "correction":
        words.append(_("a correction: confirmations keep counting"))
    elif details.get("change_kind") == "substantive":
        words.append(_("a substantive change"))
    if isinstance(details.get("confirmed_revision"), int):
        words.append(_("had confirmed revision %(number)d", number=details["confirmed_revision"]))
    for language, change in (details.get("changes") or {}).items():
        if isinstance(change, dict) and change.get("changed") and language in LANGUAGE_NAMES:
            words.append(
                _(
                    "%(language)s: words inserted: %(inserted)d, deleted: %(deleted)d",
                    language=LANGUAGE_NAMES[language],
                    inserted=change.get("inserted_words", 0),
                    deleted=change.get("deleted_words", 0),
                )
            )
    if details.get("replaced"):
        words.append(_("replaces an earlier answer"))
    if details.get("unnamed"):
        words.append(_("not to be named publicly"))
    if isinstance(details.get("sessions_ended"), int):
        words.append(ngettext("%(num)d session ended", "%(num)d sessions ended", details["sessions_ended"]))
    if isinstance(details.get("kept"), str) and isinstance(details.get("removed"), str):
        words.append(
            _("kept “%(kept)s”, removed “%(removed)s”", kept=details["kept"], removed=details["removed"])
        )
    if isinstance(details.get("from_email"), str) and isinstance(details.get("to_email"), str):
        words.append(f"{details['from_email']} → {details['to_email']}")
    if details.get("other_domain"):
        words.append(_("not one of the organisation's known email domains"))
    if isinstance(details.get("names"), list):
        words.append(" / ".join(str(name) for name in details["names"]))
    return words


def render_error(document) -> str:
    """Why a final document failed, for the coordinator, in their language."""
    if document.error_kind is None:
        return ""
    if document.error_kind is RenderErrorKind.FAILED:
        return _(
            "The PDF could not be rendered (%(detail)s). Try again; if it fails again, tell the administrator.",
            detail=document.error,
        )
    limit = f"{document.error_limit or 0:g}"
    if document.error_kind is RenderErrorKind.TIME_LIMIT:
        return _(
            "Rendering took longer than %(seconds)s seconds and was stopped. Shorten the letter, or ask "
            "the administrator to raise PDF_RENDER_SECONDS.",
            seconds=limit,
        )
    return _(
        "Rendering needed more than %(megabytes)s MB of memory and was stopped. Shorten the letter, or "
        "ask the administrator to raise PDF_RENDER_MEMORY_MB.",
        megabytes=limit,
    )


# A decision's kind (the audit event's after "signature."), for the evidence report.
DECISION = {
    "confirmed": _l("Confirmed"),
    "declined": _l("Declined"),
    "withdrawn": _l("Confirmation withdrawn"),
}


def decision_label(kind: str) -> str:
    return str(DECISION.get(kind, kind))


def invitation_state_label_of(value: str) -> str:
    try:
        return str(INVITATION_STATE[InvitationState(value)])
    except (ValueError, KeyError):
        return value


def render_status(status: RenderStatus) -> str:
    return str(RENDER_STATUS[status])


def documents_summary(documents) -> str:
    """One sentence on the final documents' progress, for the letter page's live region."""
    if not documents:
        return ""
    total = len(documents)
    ready = sum(1 for d in documents if d.status is RenderStatus.READY)
    failed = sum(1 for d in documents if d.status is RenderStatus.FAILED)
    if ready == total:
        return ngettext("%(num)d final document is ready.", "All %(num)d final documents are ready.", total)
    if failed:
        return ngettext(
            "%(num)d final document could not be rendered.",
            "%(num)d final documents could not be rendered.",
            failed,
        )
    return _(
        "%(ready)d of %(total)d final documents ready; the others are being rendered.",
        ready=ready,
        total=total,
    )


def register(app) -> None:
    app.jinja_env.globals.update(
        letter_status_label=LETTER_STATUS.__getitem__,
        invitation_state_label=INVITATION_STATE.__getitem__,
        invitation_state_label_of=invitation_state_label_of,
        decision_label=decision_label,
        decision_kind_label=DECISION_KIND.__getitem__,
        history_answer_label=HISTORY_ANSWER.__getitem__,
        mail_status_label=lambda status: MAIL_STATUS[status],
        invitation_filter_label=INVITATION_FILTER.__getitem__,
        invitation_sort_label=INVITATION_SORT.__getitem__,
        render_status_label=RENDER_STATUS.__getitem__,
        document_label=DOCUMENT_LABELS.__getitem__,
        letter_role_label=lambda role: LETTER_ROLE[str(getattr(role, "value", role))],
        render_error=render_error,
        format_deadline=deadlines.format_deadline,
        format_moment=deadlines.format_moment,
        format_short_moment=deadlines.format_short_moment,
        deadline_contact=deadlines.contact_email,
        signature_is_late=lambda signature: deadlines.is_late(
            signature.invitation.letter, signature.decided_at
        ),
        audit_action=audit_action,
        audit_details=audit_details,
        audit_by_focal_point=audit_by_focal_point,
    )
    app.jinja_env.filters["format_date"] = lambda value: format_date(value) if value else ""
    app.jinja_env.filters["format_datetime"] = lambda value: format_datetime(value, "short") if value else ""
