"""The focal point's side: opening a signed link and confirming or declining.

Nothing here runs on a GET: opening the page only *reads* (mail scanners follow links).
A signature is written only by ``record_decision``, called from a POST that carried a valid
link and a CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Decision, Invitation, InvitationState, LetterRevision, LetterStatus, Signature
from ..models.signature import CONSENT_WORDING_VERSION
from ..models.types import utcnow
from . import audit, deadlines, tokens
from .names import clean_name


class AlreadyRecorded(Exception):
    """This organisation's answer to this text is already recorded."""

    def __init__(self, signature: Signature):
        super().__init__("already recorded")
        self.signature = signature


class TextChanged(Exception):
    """The letter was revised after the page was shown; the focal point must read it again."""


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
    invitation: Invitation, answer: DecisionInput, *, now: datetime | None = None
) -> Signature:
    """Record a confirmation or a refusal, bound to the revision that was shown.

    Raises SigningClosed, DeadlinePassed (a confirmation after the deadline, unless the letter
    allows late signatures), TextChanged (the text was revised since the page was shown) or
    AlreadyRecorded (this answer to this text exists; the unique constraint on letter and
    organisation also catches two submissions racing each other). An earlier answer to an
    older text is replaced: that is reconfirming after a change. A different answer to the
    same text replaces it too: declining withdraws a signature, at any time until signing
    closes, deadline or not.
    """
    letter = invitation.letter
    if letter.status != LetterStatus.OPEN:
        raise SigningClosed()
    if answer.decision == Decision.CONFIRMED and not deadlines.may_confirm(letter, now):
        raise DeadlinePassed()
    current = letter.current_revision
    if answer.revision_id != current.id:
        raise TextChanged()
    if answer.decision == Decision.CONFIRMED and not answer.consent:
        raise ValueError("consent is required to confirm")

    signature = existing_answer(invitation)
    if (
        signature is not None
        and signature.revision_id == current.id
        and signature.decision == answer.decision
    ):
        raise AlreadyRecorded(signature)
    replacing = signature is not None
    try:
        with db.session.begin_nested():
            if signature is None:
                signature = Signature(
                    letter_id=letter.id,
                    organization_id=invitation.organization_id,
                    invitation_id=invitation.id,
                )
                db.session.add(signature)
            _fill(signature, current, answer, now or utcnow())
            db.session.flush()
    except IntegrityError:
        db.session.expire_all()
        recorded = existing_answer(invitation)
        if recorded is None:  # the conflict was not another answer: let it surface
            raise
        raise AlreadyRecorded(recorded) from None

    invitation.state = (
        InvitationState.CONFIRMED if answer.decision == Decision.CONFIRMED else InvitationState.DECLINED
    )
    audit.record(
        f"signature.{answer.decision.value}",
        letter=letter,
        ip_address=answer.ip_address,
        invitation=invitation.id,
        revision=current.number,
        sha256=current.content_sha256,
        replaced=replacing,
        late=deadlines.is_late(letter, signature.decided_at),
        # What the evidence report shows for every decision, also for those later replaced.
        signer_name=signature.signer_name,
        signer_role=signature.signer_role,
        user_agent=signature.user_agent,
        consent_version=signature.consent_version,
    )
    return signature


def _fill(signature: Signature, revision: LetterRevision, answer: DecisionInput, now: datetime) -> None:
    signature.revision_id = revision.id
    signature.revision_sha256 = revision.content_sha256
    signature.decision = answer.decision
    signature.name_en = clean_name(answer.name_en)
    signature.name_ar = clean_name(answer.name_ar)
    signature.signer_name = clean_name(answer.signer_name)
    signature.signer_role = clean_name(answer.signer_role)
    signature.consent = bool(answer.consent)
    signature.consent_version = CONSENT_WORDING_VERSION if answer.consent else ""
    signature.decline_reason = (answer.decline_reason or "").strip()[:2000]
    signature.ip_address = (answer.ip_address or "")[:64]
    signature.user_agent = (answer.user_agent or "")[:400]
    signature.decided_at = now
