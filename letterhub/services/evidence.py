"""The evidence report of a closed letter: who was invited, who answered what, to which text.

For coordinators, to hand over when an organisation's signature is questioned: every revision
of the text (kind of change, author, who judged a change to be a correction, which earlier
revisions' confirmations it kept), then per organisation the invitation, every email sent, when the link was opened, every decision (signer, role,
revision and SHA-256 answered, time, IP address, user agent, consent wording version), and the
rest of its history (forwarding, nominations...) read from the audit trail by event kind, so
kinds added later appear without changes here; then the final files' hashes (superseded issues
included) and the letter's audit trail with the result of verifying its hash chain.

One function builds the report as plain data (:func:`build`); :func:`as_json` and
:func:`as_pdf` write it. The letter page's route and ``flask --app letterhub letters evidence``
share them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from ..extensions import db
from ..models import (
    AuditEvent,
    FinalDocument,
    Invitation,
    Letter,
    LetterRevision,
    LetterStatus,
    Signature,
    User,
)
from ..models.signature import CONSENT_WORDING_VERSION
from ..models.types import utcnow
from . import audit, finalizing, publishing, revisions
from .rendering import STATIC_DIR, StaticAssetsURLFetcher

FORMAT_VERSION = 1

# Audit kinds that the report shows in their own fields; every other kind concerning an
# organisation goes to its "history" (forwarding, nominations, reminders, ...).
INVITED = "invitation.added"
SENT = "invitation.sent"
OPENED = "invitation.opened"
DECISION_PREFIX = "signature."


class NotClosed(ValueError):
    """Evidence is issued for a closed letter only: before, the list can still change."""


def _time(value: datetime | None) -> str | None:
    return audit.canonical_time(value) if value is not None else None


def build(letter: Letter, *, now: datetime | None = None) -> dict[str, Any]:
    """The report as JSON-ready data. Raises :class:`NotClosed` unless signing is closed."""
    if letter.status != LetterStatus.CLOSED or letter.finalized_revision is None:
        raise NotClosed(f"letter {letter.id} is not closed")
    revision = letter.finalized_revision
    events = list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.chain == letter.id).order_by(AuditEvent.sequence)
        )
    )
    by_organization: dict[int, list[AuditEvent]] = defaultdict(list)
    for event in events:
        if event.organization_id is not None:
            by_organization[event.organization_id].append(event)
    users = {user.id: user for user in db.session.scalars(select(User))}
    listed = {signature.invitation_id for signature in finalizing.confirmed_signatures(letter)}
    invitations = list(
        db.session.scalars(
            select(Invitation).where(Invitation.letter_id == letter.id).order_by(Invitation.id)
        )
    )
    signatures = {
        signature.invitation_id: signature
        for signature in db.session.scalars(select(Signature).where(Signature.letter_id == letter.id))
    }
    verification = audit.verify(chain=letter.id)
    return {
        "format": "letterhub-evidence",
        "format_version": FORMAT_VERSION,
        "generated_at": _time(now or utcnow()),
        "consent_wording_version": CONSENT_WORDING_VERSION,
        "letter": {
            "id": letter.id,
            "title_en": revision.title_en,
            "title_ar": revision.title_ar,
            "coalition": letter.coalition,
            "source": letter.source,
            "closed_at": _time(letter.closed_at),
            "verification_code": letter.verification_code,
            "final_revision": {"number": revision.number, "sha256": revision.content_sha256},
        },
        "revisions": [_revision(r, users) for r in reversed(revisions.revisions_of(letter))],
        "organizations": [
            _organization(
                invitation,
                signatures.get(invitation.id),
                by_organization.get(invitation.organization_id, []),
                listed=invitation.id in listed,
            )
            for invitation in invitations
        ],
        "documents": [_document(document) for document in publishing.all_documents_of(letter)],
        "audit": {
            "verified": verification.first_break is None,
            "first_break": verification.first_break.describe() if verification.first_break else None,
            "events": [_event(event, users) for event in events],
        },
    }


def _revision(revision: LetterRevision, users: dict[int, User]) -> dict[str, Any]:
    """A revision as the evidence shows it: a correction names who judged it one, and the
    substantive revision whose confirmations it kept (``agreement_revision``)."""
    author = users.get(revision.created_by_id) if revision.created_by_id is not None else None
    judge = users.get(revision.judged_by_id) if revision.judged_by_id is not None else None
    return {
        "number": revision.number,
        "sha256": revision.content_sha256,
        "saved_at": _time(revision.created_at),
        "author": author.email if author else None,
        "change_kind": revision.change_kind.value,
        "judged_correction_by": judge.email if judge else None,
        "agreement_revision": revision.agreement_number,
    }


def _organization(
    invitation: Invitation, signature: Signature | None, events: list[AuditEvent], *, listed: bool
) -> dict[str, Any]:
    organization = invitation.organization
    decisions = [_decision(event) for event in events if event.action.startswith(DECISION_PREFIX)]
    if signature is not None:
        _complete_latest(decisions, signature)
    return {
        "organization_id": invitation.organization_id,
        "name_en": organization.name_en if organization else "",
        "name_ar": organization.name_ar if organization else "",
        "email": invitation.email,
        "language": invitation.language,
        "state": invitation.state.value,
        "listed": listed,
        "invited_at": _time(
            next((e.created_at for e in events if e.action == INVITED), None) or invitation.created_at
        ),
        "sent": [
            {
                "queued_at": _time(message.created_at),
                "sent_at": _time(message.sent_at),
                "status": message.status.value,
                "recipient": message.recipient,
            }
            for message in invitation.messages
        ],
        "links_issued": [_time(e.created_at) for e in events if e.action == SENT],
        "opened_at": _time(invitation.opened_at),
        "revoked_at": _time(invitation.revoked_at),
        "decisions": decisions,
        "forwarding_and_nomination": [
            _history(e) for e in events if "forward" in e.action or "nominat" in e.action
        ],
        "history": [
            _history(e)
            for e in events
            if e.action not in (INVITED, SENT, OPENED) and not e.action.startswith(DECISION_PREFIX)
        ],
    }


def _decision(event: AuditEvent) -> dict[str, Any]:
    details = event.details or {}
    return {
        "decision": event.action.removeprefix(DECISION_PREFIX),
        "at": _time(event.created_at),
        "signer_name": details.get("signer_name"),
        "signer_role": details.get("signer_role"),
        "revision": details.get("revision"),
        "sha256": details.get("sha256"),
        "ip_address": event.ip_address,
        "user_agent": details.get("user_agent"),
        "consent_version": details.get("consent_version") or None,  # none for a decline or withdrawal
        "replaced_an_earlier_answer": bool(details.get("replaced")),
        "late": bool(details.get("late")),
        "unnamed": bool(details.get("unnamed")),
        "naming_changed": bool(details.get("naming_changed")),  # only switched named / not named
        "audit_sequence": event.sequence,
    }


def _complete_latest(decisions: list[dict[str, Any]], signature: Signature) -> None:
    """Fill what older events did not record from the stored answer (the latest decision).

    Without any decision event (data from before the audit trail), the stored answer is the one.
    """
    stored = {
        "decision": signature.decision.value,
        "at": _time(signature.decided_at),
        "signer_name": signature.signer_name,
        "signer_role": signature.signer_role,
        "revision": signature.revision.number if signature.revision else None,
        "sha256": signature.revision_sha256,
        "ip_address": signature.ip_address,
        "user_agent": signature.user_agent,
        "consent_version": signature.consent_version or None,
        "replaced_an_earlier_answer": False,
        "late": False,
        "audit_sequence": None,
    }
    if not decisions:
        decisions.append(stored)
        return
    latest = decisions[-1]
    if latest["sha256"] == stored["sha256"] and latest["decision"] == stored["decision"]:
        for key, value in stored.items():
            if latest.get(key) in (None, "") and key != "audit_sequence":
                latest[key] = value


def _history(event: AuditEvent) -> dict[str, Any]:
    return {
        "kind": event.action,
        "at": _time(event.created_at),
        "details": event.details or {},
        "audit_sequence": event.sequence,
    }


def _document(document: FinalDocument) -> dict[str, Any]:
    return {
        "languages": document.languages,
        "verification_code": document.verification_code,
        "status": document.status.value,
        "sha256": document.sha256,
        "size": document.size,
        "pages": document.pages,
        "issued_at": _time(document.created_at),
        "rendered_at": _time(document.rendered_at),
        "superseded_at": _time(document.superseded_at),
    }


def _event(event: AuditEvent, users: dict[int, User]) -> dict[str, Any]:
    user = users.get(event.user_id) if event.user_id is not None else None
    return {
        "sequence": event.sequence,
        "at": _time(event.created_at),
        "kind": event.action,
        "user": user.email if user else None,
        "organization_id": event.organization_id,
        "ip_address": event.ip_address,
        "details": event.details or {},
        "previous_hash": event.previous_hash,
        "hash": event.hash,
    }


def as_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def as_pdf(report: dict[str, Any], language: str) -> bytes:
    """The report as a PDF, worded in ``language`` (the reader's), names in both languages."""
    with force_locale(language):
        html = render_template("pdf/evidence.html", report=report, language=language)
    fonts = FontConfiguration()
    return HTML(
        string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=StaticAssetsURLFetcher()
    ).write_pdf(font_config=fonts)
