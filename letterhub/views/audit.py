"""The audit trail of a letter, for signed-in coordinators only."""

from flask import Blueprint, render_template, request
from flask_login import login_required

from ..input_hygiene import MAX_ID
from ..services import audit
from .guard import get_letter

bp = Blueprint("audit", __name__, url_prefix="/letters")

PER_PAGE = 100


@bp.before_request
@login_required
def require_login():
    """Every page here is for signed-in coordinators."""


@bp.get("/<id:letter_id>/audit")
def letter_trail(letter_id: int):
    letter = get_letter(letter_id, needs="view")
    organization_id = _id_argument("organization")
    page = audit.letter_trail(
        letter.id, organization_id=organization_id, page=_id_argument("page") or 1, per_page=PER_PAGE
    )
    return render_template(
        "letters/audit.html",
        letter=letter,
        trail=page,
        organizations=audit.organizations_in_trail(letter.id),
        organization_id=organization_id,
    )


def _id_argument(name: str) -> int | None:
    """A positive integer query argument the database can hold; anything else counts as absent."""
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None
