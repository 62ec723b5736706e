"""Handing an invitation to a colleague: the link moves to another address.

The focal point, from their own link, gives a colleague's email (and, if they like, a name).
The colleague gets a fresh link of their own, by email in the invitation's language; the link
that was handed on stops at once (a new nonce, as a resend), and its page then says that the
invitation was handed to someone else, naming the new address only masked. Nothing else about
the invitation changes: its organisation, language, answer, reminders (they go to the new
address, counted from the handover) and the deadline rules that end its link.

The coordinator sees each handover (``invitation_forwards``, and the audit event
``invitation.forwarded``), flagged when the new address's domain is none of the organisation's
known ones: the domains of every directory email of it (primary or not) and of every address
an invitation of it was sent or handed to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Invitation, InvitationForward, InvitationState, Letter, LetterStatus, Organization
from ..models.types import utcnow
from . import audit, inviting, tokens
from .names import clean_email, clean_name


class NotForwardable(ValueError):
    """Signing is not open, the invitation is revoked, or the address is the current one."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "closed", "revoked" or "same_address"


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""


def mask_email(email: str) -> str:
    """``hadi@archive.example`` -> ``h•••@a•••.example``: enough to recognise, not to write to."""
    local, _, domain = email.partition("@")
    if not domain:
        return "•••"
    name, dot, rest = domain.partition(".")
    return f"{local[:1]}•••@{name[:1]}•••{dot}{rest}"


def known_domains(organization: Organization) -> set[str]:
    """The domains of every address the organisation is known by: its directory emails, every
    invitation of it (any letter), and every address its invitations were handed on from."""
    addresses = {entry.email for entry in organization.emails}
    addresses.update(
        db.session.scalars(select(Invitation.email).where(Invitation.organization_id == organization.id))
    )
    addresses.update(
        db.session.scalars(
            select(InvitationForward.from_email)
            .join(Invitation, InvitationForward.invitation_id == Invitation.id)
            .where(Invitation.organization_id == organization.id)
        )
    )
    return {domain for domain in map(domain_of, addresses) if domain}


def forward_invitation(
    invitation: Invitation,
    *,
    to_email: str,
    to_name: str = "",
    from_token_hash: str | None = None,
    ip_address: str = "",
    now: datetime | None = None,
) -> InvitationForward:
    """Hand the invitation to ``to_email``: new link, email queued, old link stopped. Does not commit."""
    letter = invitation.letter
    if letter.status != LetterStatus.OPEN:
        raise NotForwardable("closed")
    if invitation.state == InvitationState.REVOKED:
        raise NotForwardable("revoked")
    to_email = clean_email(to_email)
    if to_email == clean_email(invitation.email):
        raise NotForwardable("same_address")
    now = now or utcnow()
    other_domain = domain_of(to_email) not in known_domains(invitation.organization)
    forward = InvitationForward(
        invitation=invitation,
        from_email=invitation.email,
        to_email=to_email,
        to_name=clean_name(to_name)[:200],
        from_token_hash=from_token_hash,
        other_domain=other_domain,
        ip_address=(ip_address or "")[:64],
        created_at=now,
    )
    db.session.add(forward)
    from_email = invitation.email
    invitation.email = to_email
    link = inviting.issue_link(invitation, now=now)
    inviting.queue_email("forwarded", invitation, link=link, from_email=from_email, to_name=forward.to_name)
    db.session.flush()
    audit.record(
        "invitation.forwarded",
        letter=letter,
        ip_address=ip_address,
        invitation=invitation.id,
        forward=forward.id,
        from_email=from_email,
        to_email=to_email,
        to_name=forward.to_name,
        other_domain=other_domain,
    )
    return forward


def forward_of_stale_link(invitation: Invitation | None, token: str) -> InvitationForward | None:
    """The handover that stopped this (superseded) link, if a handover did.

    The link handed on is known by its nonce's hash; an older link of the same holder (from
    before a reminder) by being signed before the first handover that followed it.
    """
    if invitation is None or not token:
        return None
    forwards = list(
        db.session.scalars(
            select(InvitationForward)
            .where(InvitationForward.invitation_id == invitation.id)
            .order_by(InvitationForward.id)
        )
    )
    if not forwards:
        return None
    try:
        _id, nonce_hash, signed_at = tokens.read_invitation_token(token, tokens.signing_keys())
    except tokens.LinkError:
        return None
    for forward in forwards:
        if forward.from_token_hash and tokens.nonce_matches(forward.from_token_hash, nonce_hash):
            return forward
    for forward in forwards:
        if signed_at < forward.created_at.replace(microsecond=0):
            return forward
    return None


def forwards_of_letter(letter: Letter) -> list[tuple[InvitationForward, Invitation]]:
    """Every handover of the letter's invitations, newest first, with its invitation: one query."""
    return [
        (forward, invitation)
        for forward, invitation in db.session.execute(
            select(InvitationForward, Invitation)
            .join(Invitation, InvitationForward.invitation_id == Invitation.id)
            .where(Invitation.letter_id == letter.id)
            .order_by(InvitationForward.id.desc())
        ).all()
    ]
