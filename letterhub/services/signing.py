"""The focal point's side: opening a signed link and confirming or declining.

Nothing here runs on a GET: opening the page only *reads* (mail scanners follow links).
A signature is written only by ``record_decision``, called from a POST that carried a valid
link and a CSRF token.

The answer stays the focal point's until signing closes: a confirmation can become a decline
(a withdrawal, possible after the deadline too), a decline a confirmation (under the deadline's
rules). ``signatures`` holds the current answer; every decision also leaves a row of
``signature_decisions`` (the history) and an audit event, and queues a receipt email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    Decision,
    DecisionKind,
    Invitation,
    InvitationState,
    LetterRevision,
    LetterStatus,
    Signature,
    SignatureDecision,
)
from ..models.signature import CONSENT_WORDING_VERSION
from ..models.types import utcnow
from . import audit, changes, deadlines, inviting, tokens
from .names import clean_name


class AlreadyRecorded(Exception):
    """This organisation's answer to this text is already recorded."""

    def __init__(self, signature: Signature):
        super().__init__("already recorded")
        self.signature = signature


class TextChanged(Exception):
    """The letter was changed substantively after the page was shown; the focal point must
    read it again. (A correction saved meanwhile does not stop the answer: see record_decision.)"""


class SigningClosed(Exception):
    """The coordinator closed signing for this letter."""


class DeadlinePassed(Exception):
    """A confirmation after the deadline, on a letter that does not accept late signatures."""


@dataclass
class DecisionInput:
    decision: Decision
    revision_id: int  # the revision the page showed
    name_en: str
    name_ar: str
    signer_name: str
    signer_role: str
    consent: bool
    decline_reason: str = ""
    unnamed: bool = False  # confirming, but not to be named publicly
    ip_address: str = ""
    user_agent: str = ""


def invitation_for_link(token: str, *, now: datetime | None = None) -> Invitation:
    """The invitation a link opens, or LinkError. Reads only.

    A link works until ``deadlines.link_expires_at``: its own maximum age, or a grace after
    the letter's deadline if that is later, so moving the deadline moves every link's end.
    """
    invitation_id, nonce_hash, signed_at = tokens.read_invitation_token(token, tokens.signing_keys())
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise tokens.LinkError("unknown")
    if invitation.state == InvitationState.REVOKED:
        raise tokens.LinkError("revoked", invitation)
    if not tokens.nonce_matches(invitation.token_hash, nonce_hash):
        raise tokens.LinkError("superseded", invitation)
    expires_at = deadlines.link_expires_at(invitation, signed_at)
    if expires_at is not None and (now or utcnow()) > expires_at:
        raise tokens.LinkError("expired", invitation)
    return invitation


def mark_opened(invitation: Invitation) -> bool:
    """Record that a person viewed the page (sent by the page's script, never by a GET)."""
    if invitation.state != InvitationState.PENDING:
        return False
    invitation.state = InvitationState.OPENED
    invitation.opened_at = utcnow()
    audit.record("invitation.opened", letter=invitation.letter, invitation=invitation.id)
    return True


def existing_answer(invitation: Invitation) -> Signature | None:
    return db.session.scalars(
        select(Signature).where(
            Signature.letter_id == invitation.letter_id,
            Signature.organization_id == invitation.organization_id,
        )
    ).first()


def record_decision(
    invitation: Invitation, answer: DecisionInput, *, now: datetime | None = None, link: str = ""
) -> Signature:
    """Record a confirmation or a refusal, bound to the revision that was shown.

    A page shown before a correction was saved still answers: the answer is bound to the
    revision the focal point read, which counts for the corrected one (services.changes).

    Raises SigningClosed, DeadlinePassed (a confirmation after the deadline, unless the letter
    allows late signatures), TextChanged (the text was changed substantively since the page was
    shown) or AlreadyRecorded (an answer to this text or a correction of it exists, the same
    one: a second tab, a stale page; nothing is
    written; the unique constraint on letter and organisation also catches two submissions
    racing each other). Otherwise the answer becomes the current one, replacing an earlier
    answer (reconfirming after a change, a decline becoming a confirmation, a confirmation
    withdrawn, at any time until signing closes, deadline or not), and is appended to the
    history with an audit event and a receipt email (``link``: the focal point's own link,
    named in the receipt as the way to change the answer).
    """
    letter = invitation.letter
    if letter.status != LetterStatus.OPEN:
        raise SigningClosed()
    current = letter.current_revision
    signature = existing_answer(invitation)
    if (
        signature is not None
        and changes.answers_count_for(signature.revision, current)
        and signature.decision == answer.decision
    ):
        if answer.decision == Decision.CONFIRMED and bool(answer.unnamed) != signature.unnamed:
            return change_naming(invitation, answer, now=now, link=link)
        raise AlreadyRecorded(signature)
    if answer.decision == Decision.CONFIRMED and not deadlines.may_confirm(letter, now):
        raise DeadlinePassed()
    shown = (
        current if answer.revision_id == current.id else db.session.get(LetterRevision, answer.revision_id)
    )
    if shown is None or not changes.answers_count_for(shown, current):
        raise TextChanged()
    if answer.decision == Decision.CONFIRMED and not answer.consent:
        raise ValueError("consent is required to confirm")

    replacing = signature is not None
    withdrawing = (
        signature is not None
        and signature.decision == Decision.CONFIRMED
        and answer.decision == Decision.DECLINED
    )
    moment = now or utcnow()
    try:
        with db.session.begin_nested():
            if signature is None:
                signature = Signature(
                    letter_id=letter.id,
                    organization_id=invitation.organization_id,
                    invitation_id=invitation.id,
                )
                db.session.add(signature)
            _fill(signature, shown, answer, moment)
            db.session.flush()
    except IntegrityError:
        db.session.expire_all()
        recorded = existing_answer(invitation)
        if recorded is None:  # the conflict was not another answer: let it surface
            raise
        raise AlreadyRecorded(recorded) from None

    kind = DecisionKind.WITHDRAWN if withdrawing else DecisionKind(answer.decision.value)
    late = answer.decision == Decision.CONFIRMED and deadlines.is_late(letter, moment)
    record = _history_entry(signature, invitation, shown, kind, late)
    invitation.state = (
        InvitationState.CONFIRMED if answer.decision == Decision.CONFIRMED else InvitationState.DECLINED
    )
    audit.record(
        f"signature.{kind.value}",
        letter=letter,
        ip_address=answer.ip_address,
        invitation=invitation.id,
        revision=shown.number,
        sha256=shown.content_sha256,
        replaced=replacing,
        late=late,
        unnamed=signature.unnamed,
        # What the evidence report shows for every decision, also for those later replaced.
        signer_name=signature.signer_name,
        signer_role=signature.signer_role,
        user_agent=signature.user_agent,
        consent_version=signature.consent_version,
    )
    # Writers of one letter take turns on its audit chain (services.audit): read the text again
    # now that this one holds it. A substantive change committed meanwhile asked the confirmed
    # organisations to confirm again without seeing this answer: turn it away rather than let
    # it stand unasked and uncounted.
    if not changes.answers_count_for(shown, letter.current_revision):
        raise TextChanged()
    queue_receipt(invitation, record, link=link)
    return signature


def change_naming(
    invitation: Invitation, answer: DecisionInput, *, now: datetime | None = None, link: str = ""
) -> Signature:
    """Switch a confirmation that counts between "name us publicly" and "do not name us"
    (``answer.unnamed``), while signing is open, the deadline passed or not.

    A decision of its own: a history row (the earlier one stays), an audit event
    (``signature.confirmed`` with ``naming_changed``) and a receipt. The confirmation itself
    is unchanged: the text it answered, its time (its place in the list, whether it is late),
    names and signer. Raises SigningClosed; AlreadyRecorded when the confirmation is already
    named (or not) as asked, a stale page repeating itself; ValueError when there is no
    confirmation that counts for the current text to switch.
    """
    letter = invitation.letter
    if letter.status != LetterStatus.OPEN:
        raise SigningClosed()
    signature = existing_answer(invitation)
    if (
        signature is None
        or signature.decision != Decision.CONFIRMED
        or invitation.state != InvitationState.CONFIRMED
        or not changes.answers_count_for(signature.revision, letter.current_revision)
    ):
        raise ValueError("no confirmation of the current text to name or not")
    if signature.unnamed == bool(answer.unnamed):
        raise AlreadyRecorded(signature)
    moment = now or utcnow()
    signature.unnamed = bool(answer.unnamed)
    late = deadlines.is_late(letter, signature.decided_at)
    record = _history_entry(
        signature,
        invitation,
        signature.revision,
        DecisionKind.CONFIRMED,
        late,
        decided_at=moment,
        ip_address=(answer.ip_address or "")[:64],
        user_agent=(answer.user_agent or "")[:400],
    )
    audit.record(
        "signature.confirmed",
        letter=letter,
        ip_address=answer.ip_address,
        invitation=invitation.id,
        revision=signature.revision.number,
        sha256=signature.revision_sha256,
        replaced=True,
        late=late,
        unnamed=signature.unnamed,
        naming_changed=True,
        signer_name=signature.signer_name,
        signer_role=signature.signer_role,
        user_agent=record.user_agent,
        consent_version=signature.consent_version,
    )
    queue_receipt(invitation, record, link=link, naming_changed=True)
    return signature


def history(invitation: Invitation) -> list[SignatureDecision]:
    """Every decision of this invitation's organisation, oldest first."""
    return list(
        db.session.scalars(
            select(SignatureDecision)
            .where(SignatureDecision.invitation_id == invitation.id)
            .order_by(SignatureDecision.decided_at, SignatureDecision.id)
        )
    )


def _history_entry(
    signature: Signature,
    invitation: Invitation,
    revision: LetterRevision,
    kind: DecisionKind,
    late: bool,
    *,
    decided_at: datetime | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> SignatureDecision:
    """The history row of a decision: the answer as ``signature`` now holds it; ``decided_at``,
    ``ip_address`` and ``user_agent`` default to the signature's (a decision that changes only
    part of the answer, see :func:`change_naming`, gives its own)."""
    record = SignatureDecision(
        signature_id=signature.id,
        letter_id=signature.letter_id,
        invitation_id=invitation.id,
        kind=kind,
        revision_id=revision.id,
        revision_number=revision.number,
        revision_sha256=revision.content_sha256,
        name_en=signature.name_en,
        name_ar=signature.name_ar,
        signer_name=signature.signer_name,
        signer_role=signature.signer_role,
        consent=signature.consent,
        unnamed=signature.unnamed,
        decline_reason=signature.decline_reason,
        late=late,
        ip_address=signature.ip_address if ip_address is None else ip_address,
        user_agent=signature.user_agent if user_agent is None else user_agent,
        decided_at=decided_at or signature.decided_at,
    )
    db.session.add(record)
    db.session.flush()
    return record


def link_for(token: str) -> str:
    """The focal point's signing link for ``token``, as the invitation email gave it."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/sign/{token}"


def queue_receipt(
    invitation: Invitation, record: SignatureDecision, *, link: str = "", naming_changed: bool = False
) -> None:
    """The receipt of one decision, in the invitation's language, through the outbox.

    It names the letter, the answer, the time in the letter's zone, the revision and the
    SHA-256 of the text answered about, and how to change the answer while signing is open
    (``naming_changed``: the decision only switched whether the organisation is named).
    The body holds the link; the outbox forgets it once sent.
    """
    with force_locale(invitation.language):  # the zone's name, worded in the reader's language
        decided_at = deadlines.format_moment(
            record.decided_at, invitation.letter.deadline_timezone, invitation.language
        )
    inviting.queue_email(
        "receipt",
        invitation,
        record=record,
        answered_revision=record.revision,
        decided_at=decided_at,
        naming_changed=naming_changed,
        link=link,
    )


def _fill(signature: Signature, revision: LetterRevision, answer: DecisionInput, now: datetime) -> None:
    signature.revision_id = revision.id
    signature.revision_sha256 = revision.content_sha256
    signature.decision = answer.decision
    confirming = answer.decision == Decision.CONFIRMED
    # A decline (the short form: a reason only) keeps the names and signer already given.
    signature.name_en = clean_name(answer.name_en) or ("" if confirming else signature.name_en or "")
    signature.name_ar = clean_name(answer.name_ar) or ("" if confirming else signature.name_ar or "")
    signature.signer_name = clean_name(answer.signer_name) or (
        "" if confirming else signature.signer_name or ""
    )
    signature.signer_role = clean_name(answer.signer_role) or (
        "" if confirming else signature.signer_role or ""
    )
    signature.consent = bool(answer.consent) if confirming else False
    signature.unnamed = bool(answer.unnamed) if confirming else False
    signature.consent_version = CONSENT_WORDING_VERSION if confirming and answer.consent else ""
    signature.decline_reason = (answer.decline_reason or "").strip()[:2000]
    signature.ip_address = (answer.ip_address or "")[:64]
    signature.user_agent = (answer.user_agent or "")[:400]
    signature.decided_at = now
