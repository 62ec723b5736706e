"""Asking organisations to confirm again after a substantive change of the text.

A substantive revision starts a new agreement (services.changes): confirmations of the
earlier text no longer count for the final list. Each organisation whose confirmation is of an
earlier agreement, with its invitation still live (confirmed, not revoked, sent), gets an email
in its invitation's language saying the letter changed, with the difference word by word since
the revision it confirmed (its language first, then the other) and a fresh link, which
replaces the older one as a reminder's does. Its signing page shows the same difference; a new
confirmation there counts again.
"""

from __future__ import annotations

from sqlalchemy import not_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Decision, Invitation, InvitationState, Letter, LetterRevision, Signature, User
from . import audit, changes, inviting


def outdated_confirmations(letter: Letter, revision: LetterRevision) -> list[Signature]:
    """Confirmations of an earlier agreement than ``revision``'s whose invitation is still live:
    the organisations that must confirm again to be listed."""
    return list(
        db.session.scalars(
            select(Signature)
            .join(Invitation, Signature.invitation_id == Invitation.id)
            .where(
                Signature.letter_id == letter.id,
                Signature.decision == Decision.CONFIRMED,
                Invitation.state == InvitationState.CONFIRMED,
                Invitation.token_hash.is_not(None),
                not_(changes.answer_counts_for(revision)),
            )
            .options(joinedload(Signature.invitation), joinedload(Signature.revision))
            .order_by(Invitation.id)
        )
    )


def languages_first(language: str) -> tuple[str, str]:
    """Both languages, ``language`` first: the order a reader's email and page show them in."""
    return ("ar", "en") if language == "ar" else ("en", "ar")


def ask_to_reconfirm(letter: Letter, revision: LetterRevision, *, by: User | None = None) -> int:
    """Email every organisation of :func:`outdated_confirmations` the difference since the
    revision it confirmed, with a fresh link. Returns how many. Does not commit."""
    outdated = outdated_confirmations(letter, revision)
    comparisons: dict[int, changes.Comparison] = {}
    for signature in outdated:
        confirmed = signature.revision
        if confirmed.id not in comparisons:
            comparisons[confirmed.id] = changes.compare(confirmed, revision)
        invitation = signature.invitation
        link = inviting.issue_link(invitation)
        inviting.queue_email(
            "reconfirm",
            invitation,
            link=link,
            revision=revision,
            confirmed=confirmed,
            comparison=comparisons[confirmed.id],
            languages=languages_first(invitation.language),
        )
        audit.record(
            "invitation.reconfirmation_asked",
            letter=letter,
            user=by,
            invitation=invitation.id,
            revision=revision.number,
            confirmed_revision=confirmed.number,
        )
    return len(outdated)
