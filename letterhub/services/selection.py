"""What a coordinator does to a selection of a letter's invitations at once (the letter page's
bulk actions): send, send a new link, remind, revoke.

Each action takes the invitations it applies to and leaves the others, reporting how many of
each, so a selection mixing answered and unanswered organisations does what it can and says
what it skipped. Nothing here commits.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Invitation, InvitationState, Letter, LetterStatus, User
from . import inviting, reminding

MAX_SELECTION = 1000


class BulkAction(enum.Enum):
    SEND = "send"  # invitations never sent
    RESEND = "resend"  # a new link to unanswered invitations (the old one stops)
    REMIND = "remind"  # a reminder to unanswered invitations
    REVOKE = "revoke"  # the link stops and the organisation leaves the list

    @classmethod
    def parse(cls, value: str | None) -> BulkAction | None:
        try:
            return cls(value or "")
        except ValueError:
            return None


@dataclass(frozen=True)
class BulkResult:
    done: int
    skipped: int


def selected_invitations(letter: Letter, ids: Iterable[int]) -> list[Invitation]:
    """The letter's invitations among ``ids`` (ids of other letters are ignored), one query."""
    wanted = sorted(set(ids))[:MAX_SELECTION]
    if not wanted:
        return []
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.letter_id == letter.id, Invitation.id.in_(wanted))
            .order_by(Invitation.id)
        )
    )


def applies_to(action: BulkAction, invitation: Invitation) -> bool:
    unanswered = invitation.state in (InvitationState.PENDING, InvitationState.OPENED)
    if invitation.letter.status == LetterStatus.CLOSED:
        return False
    if action == BulkAction.SEND:
        return invitation.state == InvitationState.PENDING and invitation.token_hash is None
    if action == BulkAction.RESEND:
        return unanswered and invitation.token_hash is not None
    if action == BulkAction.REMIND:
        return reminding.remindable(invitation)
    return invitation.state != InvitationState.REVOKED


def apply(action: BulkAction, invitations: list[Invitation], *, by: User | None = None) -> BulkResult:
    chosen = [invitation for invitation in invitations if applies_to(action, invitation)]
    if action in (BulkAction.SEND, BulkAction.RESEND):
        for invitation in chosen:
            inviting.send_invitation(invitation, by=by)
    elif action == BulkAction.REMIND:
        reminding.remind_now(chosen, by=by)
    else:
        for invitation in chosen:
            inviting.revoke_invitation(invitation, by=by)
    return BulkResult(done=len(chosen), skipped=len(invitations) - len(chosen))
