"""The one way a view loads a letter: for the signed-in person, for one action.

    letter = get_letter(letter_id, needs="edit")

404 for someone not on the letter's team (as for a letter that does not exist), 403 with a
message in their language for a member whose role does not allow the action. See
services.permissions for what each role may do. Every route that takes a letter's id must go
through here: tests/security/test_every_route.py walks the URL map as a coordinator outside the
team and fails on any route that answers anything but 404.
"""

from __future__ import annotations

from flask_login import current_user

from ..models import Letter
from ..services import permissions
from ..services.permissions import Action


def get_letter(letter_id: int, *, needs: Action) -> Letter:
    return permissions.letter_for(current_user, letter_id, needs=needs)


def may(letter: Letter, needs: Action) -> bool:
    """Whether the signed-in person may do ``needs`` on ``letter`` (for showing a page's buttons).

    The role is read once per request (services.permissions.role_of), so a page's buttons cost
    no query beyond the one that loaded the letter for it.
    """
    return bool(current_user.is_authenticated) and permissions.can(current_user, letter.id, needs)
