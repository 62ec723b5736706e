"""A letter's drafting team: adding members (an existing account, or a new one invited by email),
changing a role, removing a member. A letter always keeps at least one owner.

Access is checked on every request (services.permissions), so a removed member's next request
is refused: there is nothing to expire.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import Letter, LetterMember, LetterRole, User
from . import account_links, accounts, audit


class TeamError(ValueError):
    """Why a change to the team was refused; ``reason`` names it for the view's message."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def members_of(letter: Letter) -> list[LetterMember]:
    """The team, owners first, then editors, then reviewers, each by name."""
    order = {LetterRole.OWNER: 0, LetterRole.EDITOR: 1, LetterRole.REVIEWER: 2}
    members = db.session.scalars(select(LetterMember).where(LetterMember.letter_id == letter.id)).all()
    return sorted(members, key=lambda m: (order[m.role], m.user.name.casefold(), m.id))


def membership(letter: Letter, user: User) -> LetterMember | None:
    return db.session.scalar(
        select(LetterMember).where(LetterMember.letter_id == letter.id, LetterMember.user_id == user.id)
    )


def add_member(letter: Letter, user: User, role: LetterRole, *, by: User | None) -> LetterMember:
    if membership(letter, user) is not None:
        raise TeamError("already_member")
    member = LetterMember(letter_id=letter.id, user_id=user.id, role=role, added_by_id=by.id if by else None)
    db.session.add(member)
    db.session.flush()
    audit.record("member.added", letter=letter, user=by, member=user.id, role=role.value)
    return member


def add_owner(letter: Letter, author: User) -> LetterMember:
    """The coordinator who starts (or imports) a letter owns it."""
    return add_member(letter, author, LetterRole.OWNER, by=author)


def invite(
    letter: Letter, email: str, role: LetterRole, *, language: str, by: User
) -> tuple[LetterMember, bool]:
    """Put the account for ``email`` on the team; returns (member, whether an email was queued).

    An existing account is simply added. For an unknown address an account without a password
    is created and sent a link (in ``language``) to set its name and password, which lands on
    the letter. Re-inviting such an account sends a new link (the older one stops working).
    """
    user = accounts.find_user_by_email(email)
    created = user is None
    if user is None:
        user = User(
            email=email.strip().lower(),
            name=email.strip().lower(),
            password_hash=account_links.no_password(),
            locale=language,
        )
        db.session.add(user)
        db.session.flush()
        audit.record("user.invited", user=by, invited=user.id)
    member = membership(letter, user)
    if member is None:
        member = add_member(letter, user, role, by=by)
    elif account_links.has_password(user):
        raise TeamError("already_member")
    emailed = created or not account_links.has_password(user)
    if emailed:
        account_links.send(user, "join", language=language, letter=letter, by=by)
    return member, emailed


def _owners(letter_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                LetterMember.letter_id == letter_id, LetterMember.role == LetterRole.OWNER
            )
        )
        or 0
    )


def change_role(member: LetterMember, role: LetterRole, *, by: User) -> None:
    if member.role == role:
        return
    if member.role == LetterRole.OWNER and _owners(member.letter_id) <= 1:
        raise TeamError("last_owner")
    previous = member.role
    member.role = role
    audit.record(
        "member.role_changed",
        letter=member.letter,
        user=by,
        member=member.user_id,
        role=role.value,
        previous=previous.value,
    )


def is_pending(member: LetterMember) -> bool:
    """Invited by email and not joined yet: the account has never had a password."""
    return not account_links.has_password(member.user)


def remove(member: LetterMember, *, by: User) -> None:
    """Take ``member`` off the team. For a pending invitation this withdraws it: the link sent
    names this letter, and account_links.read refuses a join link for a letter its account is
    no longer on, so the link stops working at once (other letters' invitations are untouched)."""
    if member.role == LetterRole.OWNER and _owners(member.letter_id) <= 1:
        raise TeamError("last_owner")
    letter, user_id = member.letter, member.user_id
    event = "member.invitation_withdrawn" if is_pending(member) else "member.removed"
    db.session.delete(member)
    db.session.flush()
    audit.record(event, letter=letter, user=by, member=user_id)
