"""The audit trail of a letter, for signed-in coordinators only."""

from flask import Blueprint, abort, render_template, request
from flask_login import login_required

from ..extensions import db
from ..models import Letter
from ..services import audit

bp = Blueprint("audit", __name__, url_prefix="/letters")

PER_PAGE = 100


@bp.before_request
@login_required
def require_login():
    """Every page here is for signed-in coordinators."""


@bp.get("/<int:letter_id>/audit")
def letter_trail(letter_id: int):
    letter = db.session.get(Letter, letter_id) or abort(404)
    organization_id = request.args.get("organization", type=int)
    page = audit.letter_trail(
        letter.id,
        organization_id=organization_id,
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
    )
    return render_template(
        "letters/audit.html",
        letter=letter,
        trail=page,
        organizations=audit.organizations_in_trail(letter.id),
        organization_id=organization_id,
    )
