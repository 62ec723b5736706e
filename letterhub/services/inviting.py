"""Inviting organisations to sign: the list of invitees, signed links, sending and revoking."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import or_, select

from ..extensions import db
from ..models import Invitation, InvitationState, Letter, LetterStatus, Organization, OutboxMessage, User
from ..models.organization import name_key
from ..models.types import utcnow
from . import audit, deadlines, finalizing, mailing, publishing, tokens
from .names import clean_email, clean_organization_names


class DuplicateOrganization(ValueError):
    """The organisation is already on this letter's list."""

    def __init__(self, existing: Invitation):
        super().__init__("duplicate organisation")
        self.existing = existing


class InvitationNotSendable(ValueError):
    """The invitation is revoked, answered, or the letter is closed."""


def find_duplicate(letter: Letter, name_en: str, name_ar: str) -> Invitation | None:
    """The invitation on this letter of an organisation with either name, if any.

    One indexed query (the organisations' name keys, then the letter's invitation of each),
    so adding an organisation costs the same with 2,000 on the list as with 50.
    """
    keys = {key for key in (name_key(name_en), name_key(name_ar)) if key}
    if not keys:
        return None
    return db.session.scalars(
        select(Invitation)
        .join(Organization, Invitation.organization_id == Organization.id)
        .where(Invitation.letter_id == letter.id)
        .where(or_(Organization.name_en_key.in_(keys), Organization.name_ar_key.in_(keys)))
        .order_by(Invitation.id)
        .limit(1)
    ).first()


def find_or_create_organization(name_en: str, name_ar: str, email: str) -> Organization:
    """The directory entry with this English or Arabic name, created if new; fills in missing parts.

    ``email`` becomes one of the entry's addresses (its primary only if it had none): the
    coordinator chose it for this invitation, which does not change the entry's primary.
    """
    conditions = []
    if name_en:
        conditions.append(Organization.name_en_key == name_key(name_en))
    if name_ar:
        conditions.append(Organization.name_ar_key == name_key(name_ar))
    organization = db.session.scalars(
        select(Organization).where(or_(*conditions)).order_by(Organization.id)
    ).first()
    if organization is None:
        organization = Organization(name_en=name_en, name_ar=name_ar, email=email)
        db.session.add(organization)
    else:
        organization.name_en = organization.name_en or name_en
        organization.name_ar = organization.name_ar or name_ar
        if email:
            organization.add_email(email)
    db.session.flush()
    return organization


def add_organization(
    letter: Letter, *, name_en: str, name_ar: str, email: str, language: str, by: User | None = None
) -> Invitation:
    """Put an organisation on the letter's list (not yet sent). Raises DuplicateOrganization."""
    if letter.status == LetterStatus.CLOSED:
        raise InvitationNotSendable("the letter is closed")
    name_en, name_ar = clean_organization_names(name_en, name_ar)
    email = clean_email(email)
    if (existing := find_duplicate(letter, name_en, name_ar)) is not None:
        raise DuplicateOrganization(existing)
    organization = find_or_create_organization(name_en, name_ar, email)
    invitation = Invitation(letter=letter, organization=organization, email=email, language=language)
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "invitation.added", letter=letter, user=by, invitation=invitation.id, organization=organization.id
    )
    return invitation


def send_invitation(invitation: Invitation, *, by: User | None = None, now: datetime | None = None) -> str:
    """Issue a fresh link (older links stop working) and queue the email. Returns the link."""
    if invitation.state in (InvitationState.REVOKED, InvitationState.CONFIRMED, InvitationState.DECLINED):
        raise InvitationNotSendable(invitation.state.value)
    letter = invitation.letter
    if letter.status == LetterStatus.CLOSED:
        raise InvitationNotSendable("the letter is closed")
    link = issue_link(invitation, now=now)
    queue_email("invitation", invitation, link=link)
    if letter.status == LetterStatus.DRAFT:
        letter.status = LetterStatus.OPEN
        audit.record("letter.opened", letter=letter, user=by)
    audit.record("invitation.sent", letter=letter, user=by, invitation=invitation.id)
    return link


def issue_link(invitation: Invitation, *, now: datetime | None = None) -> str:
    """Draw a new nonce for the invitation (every older link stops working); return the link."""
    now = now or utcnow()
    config = current_app.config
    issued = tokens.issue_invitation_token(invitation.id, tokens.signing_keys())
    invitation.token_hash = issued.nonce_hash
    invitation.token_issued_at = now
    invitation.expires_at = now + timedelta(days=int(config["INVITATION_MAX_AGE_DAYS"]))
    return f"{config['BASE_URL'].rstrip('/')}/sign/{issued.token}"


def render_email(name: str, invitation: Invitation, **extra) -> tuple[str, str, str]:
    """Subject, text and HTML of ``templates/emails/<name>/`` in the invitation's language.

    ``revision`` defaults to the current one (a caller writing many emails passes it once).
    """
    letter = invitation.letter
    with force_locale(invitation.language):
        context = {
            "invitation": invitation,
            "letter": letter,
            "revision": extra.pop("revision", None) or letter.current_revision,
            "organization": invitation.organization,
            "deadline": deadlines.format_deadline(letter, invitation.language),
            "link_expires": deadlines.format_moment(
                deadlines.link_expires_at(invitation), letter.deadline_timezone, invitation.language
            ),
            "contact": deadlines.contact_email(letter),
            **extra,
        }
        return mailing.render_email_parts(name, **context)


def invitations_sent(letter: Letter) -> bool:
    """Whether any invitation of the letter has gone out (revoked ones too): from then on an
    organisation may have confirmed, and a saved change must say whether it keeps that."""
    return (
        db.session.scalar(
            select(Invitation.id)
            .where(Invitation.letter_id == letter.id, Invitation.token_hash.is_not(None))
            .limit(1)
        )
        is not None
    )


def queue_email(name: str, invitation: Invitation, **extra) -> OutboxMessage:
    """Queue the email ``templates/emails/<name>/`` (see :func:`render_email`) to the invitation's
    focal point, in the invitation's language, tied to the invitation in the outbox."""
    subject, body_text, body_html = render_email(name, invitation, **extra)
    return mailing.enqueue(
        invitation.email, subject, body_text, body_html, language=invitation.language, invitation=invitation
    )


def send_unsent_invitations(letter: Letter, *, by: User | None = None) -> int:
    """Send every invitation on the list that has never been sent. Returns how many."""
    unsent = [i for i in letter.invitations if i.token_hash is None and i.state == InvitationState.PENDING]
    for invitation in unsent:
        send_invitation(invitation, by=by)
    return len(unsent)


def revoke_invitation(invitation: Invitation, *, by: User | None = None) -> None:
    """The link stops working at once, and the organisation leaves the final list.

    A signature already given is kept in the database as evidence, but a revoked
    organisation never appears in the PDF. Raises :class:`publishing.LetterClosed` when signing
    is closed: the list is frozen until it is reopened.
    """
    publishing.ensure_open(invitation.letter)
    if invitation.state == InvitationState.REVOKED:
        return
    invitation.state = InvitationState.REVOKED
    invitation.revoked_at = utcnow()
    audit.record("invitation.revoked", letter=invitation.letter, user=by, invitation=invitation.id)


def invite_from(letter: Letter, source: Letter, *, confirmed_only: bool, by: User | None = None) -> int:
    """Put the organisations of ``source``'s list on ``letter``'s (not sent). Returns how many.

    ``confirmed_only``: those that confirmed ``source`` (its final list once closed, else those
    whose confirmation counts for its current text: finalizing.listed_organization_ids);
    otherwise every organisation invited to it and not revoked. Each keeps its focal point's
    address and language; one already on the list is skipped.
    """
    states = (
        {InvitationState.CONFIRMED}
        if confirmed_only
        else {
            InvitationState.PENDING,
            InvitationState.OPENED,
            InvitationState.CONFIRMED,
            InvitationState.DECLINED,
        }
    )
    listed = set(finalizing.listed_organization_ids(source)) if confirmed_only else set()
    added = 0
    for invitation in sorted(source.invitations, key=lambda i: i.id):
        if invitation.state not in states or (confirmed_only and invitation.organization_id not in listed):
            continue
        organization = invitation.organization
        try:
            add_organization(
                letter,
                name_en=organization.name_en,
                name_ar=organization.name_ar,
                email=invitation.email,
                language=invitation.language,
                by=by,
            )
        except DuplicateOrganization:
            continue
        added += 1
    return added
