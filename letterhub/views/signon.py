"""A letter's public sign-on page: an organisation not invited asks to sign.

It exists only where the coordinators turned it on for the letter (and while signing is open);
elsewhere it is a 404. A request is recorded as *unconfirmed* and an email with a signed link
goes to the address given (double opt-in); the link's page confirms it with a POST (mail
scanners follow links), and only then does the request join the coordinators' queue. Nothing
from here is on any list before a coordinator approves it.

Submissions are rate-limited per client address (``RATELIMIT_OPEN_SIGNON``). The form has a
honeypot field hidden from people: a submission that fills it is answered exactly like a real
one and dropped, so a robot learns nothing.
"""

import logging

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import get_locale

from ..extensions import db, limiter
from ..forms.accounts import ActionForm
from ..forms.proposals import SignOnForm
from ..models import Letter
from ..services import proposals

log = logging.getLogger(__name__)

bp = Blueprint("signon", __name__, url_prefix="/join")


@bp.after_request
def _kept_by_no_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _page_limit() -> str:
    return current_app.config["RATELIMIT_SIGNING"]


def _submit_limit() -> str:
    return current_app.config["RATELIMIT_OPEN_SIGNON"]


def _open_letter(letter_id: int) -> Letter:
    letter = db.session.get(Letter, letter_id)
    if letter is None or not proposals.accepts_open_signon(letter):
        abort(404)
    return letter


@bp.route("/<id:letter_id>", methods=["GET", "POST"])
@limiter.limit(_page_limit, methods=["GET"])
@limiter.limit(_submit_limit, methods=["POST"])
def ask(letter_id: int):
    letter = _open_letter(letter_id)
    form = SignOnForm()
    if request.method == "POST" and form.validate_on_submit():
        if (form.website.data or "").strip():
            log.info("open sign-on: honeypot filled for letter %s; dropped", letter.id)
            return render_template("signon/sent.html", letter=letter)
        locale = get_locale()
        proposals.request_signon(
            letter,
            name_en=form.name_en.data or "",
            name_ar=form.name_ar.data or "",
            email=form.email.data,
            country=form.country.data or "",
            language=locale.language if locale else "ar",
            ip_address=request.remote_addr or "",
        )
        db.session.commit()
        return render_template("signon/sent.html", letter=letter)
    status = 422 if form.errors else 200
    return render_template("signon/ask.html", letter=letter, form=form), status


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_page_limit)
def confirm(token: str):
    """GET shows a button (reads only); its POST confirms the address."""
    try:
        proposal = proposals.proposal_for_confirmation(token)
    except proposals.ConfirmationLinkError as error:
        if error.language is not None:
            g.page_locale = error.language
        return render_template(
            "signon/link_error.html", reason=error.reason
        ), 410 if error.reason == "expired" else 404
    # The page speaks the language the request was made in (its email's), as a signing page
    # speaks its invitation's, unless the reader chose another.
    g.page_locale = proposal.language
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        proposal, _changed = proposals.confirm_signon(token)
        db.session.commit()
        return render_template("signon/confirmed.html", proposal=proposal, letter=proposal.letter)
    status = 422 if form.errors else 200
    return render_template(
        "signon/confirm.html", proposal=proposal, letter=proposal.letter, form=form
    ), status
