"""Who may do what to a letter: the one place a letter is loaded for a person.

Every view of a letter loads it through :func:`letter_for` (in views: ``get_letter(letter_id,
needs=...)``), naming the action it performs:

========  ======================================================  ======  ======  ========
needs     what                                                    owner   editor  reviewer
========  ======================================================  ======  ======  ========
view      read the letter, its lists, downloads, exports, trail   yes     yes     yes
comment   comment on the draft, reply, resolve, reopen            yes     yes     yes
edit      the text, settings, list options, import review         yes     yes     no
invite    add organisations, send, resend, revoke, remind         yes     yes     no
close     close and reopen signing, the final documents           yes     no      no
members   the team: invite, change roles, remove                  yes     no      no
========  ======================================================  ======  ======  ========

An installation administrator (``User.is_admin``) may do everything on every letter. Someone
who is not on the letter's team gets 404, exactly as for a letter that does not exist, so a
letter's existence is not revealed; a member whose role lacks the action gets 403 with a
message saying so. The lists (letters, the directory's histories) show only the letters
:func:`visible_letter_ids` allows.
"""

from __future__ import annotations

from typing import Literal

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select, true
from werkzeug.exceptions import Forbidden, NotFound

from ..extensions import db
from ..models import Letter, LetterMember, LetterRole, User

Action = Literal["view", "comment", "edit", "invite", "close", "members"]

ALLOWED: dict[LetterRole, frozenset[str]] = {
    LetterRole.OWNER: frozenset({"view", "comment", "edit", "invite", "close", "members"}),
    LetterRole.EDITOR: frozenset({"view", "comment", "edit", "invite"}),
    LetterRole.REVIEWER: frozenset({"view", "comment"}),
}
ACTIONS: tuple[str, ...] = ("view", "comment", "edit", "invite", "close", "members")

# What a member is told when their role does not allow the action (in their language).
REFUSALS = {
    "view": _l("You may not read this letter."),
    "comment": _l("Your role on this letter does not allow comments."),
    "edit": _l("Only the letter's owners and editors may change it."),
    "invite": _l("Only the letter's owners and editors may invite organisations."),
    "close": _l("Only the letter's owners may close or reopen signing and handle its final documents."),
    "members": _l("Only the letter's owners may manage its team."),
}


class RoleRefused(Forbidden):
    """403 for a member whose role lacks the action; ``description`` says so in their language."""

    def __init__(self, needs: str):
        super().__init__(description=str(REFUSALS[needs]))
        self.needs = needs


def role_of(user: User, letter_id: int) -> LetterRole | None:
    """The user's role on the letter, or None when they are not on its team.

    Read once per request and letter (a page asks for each of its buttons); outside a request,
    read each time.
    """
    cache = g.setdefault("letter_roles", {}) if has_request_context() else {}
    key = (user.id, letter_id)
    if key not in cache:
        cache[key] = db.session.scalar(
            select(LetterMember.role).where(
                LetterMember.letter_id == letter_id, LetterMember.user_id == user.id
            )
        )
    return cache[key]


def can(user: User, letter_id: int, needs: Action) -> bool:
    if needs not in ACTIONS:
        raise ValueError(f"unknown action {needs!r}")
    if user.is_admin:
        return True
    role = role_of(user, letter_id)
    return role is not None and needs in ALLOWED[role]


def letter_for(user, letter_id: int, *, needs: Action) -> Letter:
    """The letter ``letter_id`` for ``user`` doing ``needs``.

    Raises NotFound (404) when the letter does not exist, the user is not signed in or is not
    on its team; RoleRefused (403) when their role does not allow ``needs``.
    """
    if needs not in ACTIONS:
        raise ValueError(f"unknown action {needs!r}")
    letter = db.session.get(Letter, letter_id)
    if letter is None or user is None or not getattr(user, "is_authenticated", False):
        raise NotFound()
    if user.is_admin:
        return letter
    role = role_of(user, letter.id)
    if role is None:
        raise NotFound()
    if needs not in ALLOWED[role]:
        raise RoleRefused(needs)
    return letter


def visible_letters(user: User) -> ColumnElement[bool]:
    """A condition on ``Letter.id`` true for the letters ``user`` may see (all, for an administrator)."""
    if user.is_admin:
        return true()
    return Letter.id.in_(select(LetterMember.letter_id).where(LetterMember.user_id == user.id))


def visible_letter_ids(user: User, letter_ids) -> set[int]:
    """Those of ``letter_ids`` that ``user`` may see, in one query."""
    letter_ids = set(letter_ids)
    if not letter_ids or user.is_admin:
        return letter_ids
    return set(
        db.session.scalars(
            select(LetterMember.letter_id).where(
                LetterMember.user_id == user.id, LetterMember.letter_id.in_(letter_ids)
            )
        )
    )
