"""Organisations proposed for a letter's list, vetted by a coordinator before they reach it.

Two ways in, one queue (``proposals``):

* **Nomination**: a focal point, from their own link, proposes another organisation (names in
  both languages, email, language of the invitation). It waits as ``pending``.
* **Open sign-on**: where the letter allows it (``Letter.open_signon``, off by default), an
  organisation not invited asks on a public page (names, email, country). It stays
  ``unconfirmed`` until its email is confirmed through a signed link (double opt-in: a salt of
  its own, an age limit, the nonce's hash kept); then it waits as ``pending``.

A coordinator approves (the organisation is matched to a directory entry through the
directory's folding, or added to it, and an invitation is created and its link sent; the
organisation then answers through the normal signing page) or rejects (with an optional
reason). Nothing from either way is on the list, or on any public page, before approval.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from itsdangerous import BadData, BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from ..extensions import db
from ..input_hygiene import MAX_ID
from ..models import (
    Invitation,
    InvitationState,
    Letter,
    LetterStatus,
    Proposal,
    ProposalSource,
    ProposalStatus,
    User,
)
from ..models.types import utcnow
from . import audit, directory, inviting, mailing, tokens
from .names import clean_email, clean_name, clean_organization_names

SIGNON_SALT = "letterhub.open-signon-confirmation.v1"
WAITING = (ProposalStatus.PENDING,)


class ProposalNotAllowed(ValueError):
    """The letter is not open, or does not take open sign-on requests."""


class AlreadyDecided(ValueError):
    """The proposal was approved or rejected already (another coordinator, another tab)."""


class AlreadyOnList(ValueError):
    """The organisation is already on this letter's list."""

    def __init__(self, existing: Invitation):
        super().__init__("already on the list")
        self.existing = existing


class ConfirmationLinkError(ValueError):
    """An email confirmation link that is tampered, expired or unknown: nothing changes."""

    def __init__(self, reason: str, language: str | None = None):
        super().__init__(reason)
        self.reason = reason  # "invalid" or "expired"
        self.language = language  # an expired link's request's language, to say so in it


# --------------------------------------------------------------------------- nominating


def nominate(
    invitation: Invitation,
    *,
    name_en: str,
    name_ar: str,
    email: str,
    language: str,
    ip_address: str = "",
) -> Proposal:
    """A focal point proposes another organisation; it waits for a coordinator. Does not commit."""
    letter = invitation.letter
    if letter.status != LetterStatus.OPEN or invitation.state == InvitationState.REVOKED:
        raise ProposalNotAllowed("signing is not open")
    name_en, name_ar = clean_organization_names(name_en, name_ar)
    email = clean_email(email)
    proposal = Proposal(
        letter=letter,
        source=ProposalSource.NOMINATION,
        status=ProposalStatus.PENDING,
        name_en=name_en,
        name_ar=name_ar,
        email=email,
        language=language if language in ("ar", "en") else "ar",
        nominated_by_invitation_id=invitation.id,
        ip_address=(ip_address or "")[:64],
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record(
        "proposal.nominated",
        letter=letter,
        ip_address=ip_address,
        invitation=invitation.id,
        proposal=proposal.id,
        name_en=name_en,
        name_ar=name_ar,
        email=email,
    )
    return proposal


# --------------------------------------------------------------------------- open sign-on


def accepts_open_signon(letter: Letter | None) -> bool:
    return letter is not None and letter.open_signon and letter.status == LetterStatus.OPEN


def set_open_signon(letter: Letter, value: bool, *, by: User | None = None) -> None:
    if letter.open_signon == value:
        return
    letter.open_signon = value
    audit.record("letter.open_signon", letter=letter, user=by, value=value)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        tokens.signing_keys(), salt=SIGNON_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )


def request_signon(
    letter: Letter,
    *,
    name_en: str,
    name_ar: str,
    email: str,
    country: str,
    language: str,
    ip_address: str = "",
) -> tuple[Proposal, str]:
    """Record an unconfirmed request and queue the email that confirms its address.

    Returns (the request, the confirmation link). Does not commit.
    """
    if not accepts_open_signon(letter):
        raise ProposalNotAllowed("open sign-on is off")
    name_en, name_ar = clean_organization_names(name_en, name_ar)
    email = clean_email(email)
    nonce = secrets.token_urlsafe(24)
    proposal = Proposal(
        letter=letter,
        source=ProposalSource.OPEN_SIGNON,
        status=ProposalStatus.UNCONFIRMED,
        name_en=name_en,
        name_ar=name_ar,
        email=email,
        country=clean_name(country or "")[:100],
        language=language if language in ("ar", "en") else "ar",
        confirm_token_hash=tokens.hash_nonce(nonce),
        ip_address=(ip_address or "")[:64],
    )
    db.session.add(proposal)
    db.session.flush()
    token = _serializer().dumps({"p": proposal.id, "n": nonce})
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/join/confirm/{token}"
    subject, body_text, body_html = render_signon_email(proposal, link)
    mailing.enqueue(email, subject, body_text, body_html, language=proposal.language)
    audit.record(
        "proposal.requested",
        letter=letter,
        ip_address=ip_address,
        proposal=proposal.id,
        name_en=name_en,
        name_ar=name_ar,
        email=email,
        country=proposal.country,
    )
    return proposal, link


def confirmation_max_age() -> timedelta:
    return timedelta(hours=int(current_app.config["SIGNON_CONFIRM_HOURS"]))


def render_signon_email(proposal: Proposal, link: str) -> tuple[str, str, str]:
    letter = proposal.letter
    with force_locale(proposal.language):
        context = {
            "proposal": proposal,
            "letter": letter,
            "revision": letter.current_revision,
            "link": link,
            "hours": int(current_app.config["SIGNON_CONFIRM_HOURS"]),
        }
        return mailing.render_email_parts("signon_confirm", **context)


def proposal_for_confirmation(token: str) -> Proposal:
    """The request a confirmation link names, or ConfirmationLinkError. Reads only."""
    try:
        payload = _serializer().loads(token, max_age=int(confirmation_max_age().total_seconds()))
    except SignatureExpired as error:
        raise ConfirmationLinkError("expired", _language_of_expired(error)) from error
    except BadSignature as error:
        raise ConfirmationLinkError("invalid") from error
    if not (
        isinstance(payload, dict) and isinstance(payload.get("p"), int) and isinstance(payload.get("n"), str)
    ):
        raise ConfirmationLinkError("invalid")
    proposal = db.session.get(Proposal, payload["p"])
    if proposal is None or not tokens.nonce_matches(
        proposal.confirm_token_hash, tokens.hash_nonce(payload["n"])
    ):
        raise ConfirmationLinkError("invalid")
    return proposal


def _language_of_expired(error: SignatureExpired) -> str | None:
    """The language of the request an expired (but genuine) link names, if it still exists."""
    if not isinstance(error.payload, bytes):
        return None
    try:
        payload = _serializer().load_payload(error.payload)
    except BadData:
        return None
    if not (isinstance(payload, dict) and isinstance(payload.get("p"), int)):
        return None
    proposal = db.session.get(Proposal, payload["p"]) if 0 < payload["p"] <= MAX_ID else None
    if proposal is None or not tokens.nonce_matches(
        proposal.confirm_token_hash, tokens.hash_nonce(str(payload.get("n", "")))
    ):
        return None
    return proposal.language


def confirm_signon(token: str, *, now: datetime | None = None) -> tuple[Proposal, bool]:
    """Confirm the request's email: it joins the coordinators' queue. Returns (request, changed).

    Confirming twice changes nothing the second time. Does not commit.
    """
    proposal = proposal_for_confirmation(token)
    if proposal.status != ProposalStatus.UNCONFIRMED:
        return proposal, False
    proposal.status = ProposalStatus.PENDING
    proposal.email_confirmed_at = now or utcnow()
    audit.record("proposal.email_confirmed", letter=proposal.letter, proposal=proposal.id)
    return proposal, True


# --------------------------------------------------------------------------- deciding


def approve(proposal: Proposal, *, by: User) -> Invitation:
    """Put the proposed organisation on the list and send its invitation. Does not commit.

    The organisation is the directory entry its names (or an alias) fold to, if there is one,
    else a new entry. Raises AlreadyDecided, AlreadyOnList or inviting.InvitationNotSendable
    (the letter is closed).
    """
    if proposal.status != ProposalStatus.PENDING:
        raise AlreadyDecided(proposal.status.value)
    letter = proposal.letter
    if letter.status == LetterStatus.CLOSED:
        raise inviting.InvitationNotSendable("the letter is closed")
    if (existing := inviting.find_duplicate(letter, proposal.name_en, proposal.name_ar)) is not None:
        raise AlreadyOnList(existing)
    matches = directory.similar_organizations(proposal.name_en, proposal.name_ar)
    if matches:
        organization = matches[0]
        if proposal.email:
            organization.add_email(proposal.email)  # the primary only if the entry had none
        organization.country = organization.country or proposal.country
        on_list = db.session.scalars(
            select(Invitation).where(
                Invitation.letter_id == letter.id, Invitation.organization_id == organization.id
            )
        ).first()
        if on_list is not None:
            raise AlreadyOnList(on_list)
    else:
        organization = directory.add_organization(
            name_en=proposal.name_en,
            name_ar=proposal.name_ar,
            email=proposal.email,
            country=proposal.country,
            by=by,
        )
    invitation = Invitation(
        letter=letter, organization=organization, email=proposal.email, language=proposal.language
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "invitation.added",
        letter=letter,
        user=by,
        invitation=invitation.id,
        organization=organization.id,
        proposal=proposal.id,
    )
    inviting.send_invitation(invitation, by=by)
    proposal.status = ProposalStatus.APPROVED
    proposal.decided_by_id = by.id
    proposal.decided_at = utcnow()
    proposal.organization_id = organization.id
    proposal.invitation_id = invitation.id
    audit.record(
        "proposal.approved",
        letter=letter,
        user=by,
        proposal=proposal.id,
        source=proposal.source.value,
        organization=organization.id,
        invitation=invitation.id,
        matched=bool(matches),
    )
    return invitation


def reject(proposal: Proposal, *, by: User, reason: str = "") -> None:
    """Refuse the proposal; it never reaches the list. Raises AlreadyDecided. Does not commit."""
    if proposal.status not in (ProposalStatus.PENDING, ProposalStatus.UNCONFIRMED):
        raise AlreadyDecided(proposal.status.value)
    proposal.status = ProposalStatus.REJECTED
    proposal.decided_by_id = by.id
    proposal.decided_at = utcnow()
    proposal.reject_reason = (reason or "").strip()[:2000]
    audit.record(
        "proposal.rejected",
        letter=proposal.letter,
        user=by,
        proposal=proposal.id,
        source=proposal.source.value,
        reason=proposal.reject_reason,
    )


# --------------------------------------------------------------------------- reading


def queue(letter: Letter, statuses: tuple[ProposalStatus, ...] | None = None) -> list[Proposal]:
    """The letter's proposals (of these statuses), oldest first."""
    query = select(Proposal).where(Proposal.letter_id == letter.id).order_by(Proposal.id)
    if statuses is not None:
        query = query.where(Proposal.status.in_(statuses))
    return list(db.session.scalars(query))


def counts(letter: Letter) -> dict[ProposalStatus, int]:
    rows = db.session.execute(
        select(Proposal.status, func.count()).where(Proposal.letter_id == letter.id).group_by(Proposal.status)
    ).all()
    found = dict(rows)
    return {status: found.get(status, 0) for status in ProposalStatus}


def get(letter: Letter, proposal_id: int) -> Proposal:
    return db.first_or_404(
        select(Proposal).where(Proposal.id == proposal_id, Proposal.letter_id == letter.id)
    )
