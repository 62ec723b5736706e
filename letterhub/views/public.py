import logging

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, limiter, talisman
from ..forms.accounts import ActionForm
from ..services import finalizing, publishing
from ..services.urls import safe_redirect_target

log = logging.getLogger(__name__)

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("letters.index"))
    return redirect(url_for("accounts.login"))


@bp.route("/language/<code>", methods=["GET", "POST"])
def switch_language(code: str):
    """Switch the interface language and go back where the user was (same site only).

    Any request switches this browser's session. Only the page's form (a POST with its CSRF
    token) also stores the choice on the coordinator's account: a GET never changes stored
    data, and a link from another site cannot change the account.
    """
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if (
            request.method == "POST"
            and ActionForm().validate_on_submit()
            and current_user.is_authenticated
            and current_user.locale != code
        ):
            current_user.locale = code
            db.session.commit()
    return redirect(safe_redirect_target(request.values.get("next")) or url_for("public.index"))


@bp.get("/verify/")
@bp.get("/verify/<code>")
def verify(code: str | None = None):
    """Public: check that an organisation signed and that a PDF is the one that was issued.

    A code keeps resolving after a reopening superseded its documents: the page then says so
    and points to the newer code (or says that no new version is issued yet). The lists shown
    are those the code's documents print, stored when they were issued.
    """
    code = code or request.args.get("code", "")
    issue = publishing.verification_for_code(code) if code else None
    if issue is None:
        return render_template("public/verify.html", letter=None, code=code), 404 if code else 200
    return render_template(
        "public/verify.html",
        letter=issue.letter,
        code=issue.code,
        issue=issue,
        revision=issue.revision,
        lists=issue.lists,
        documents=[d for d in issue.documents if d.sha256],
        unnamed=finalizing.unnamed_lines(issue.letter, count=issue.unnamed),
    )


@bp.get("/healthz")
@talisman(force_https=False)  # the proxy's or load balancer's own check may come over plain http
@limiter.exempt
def health():
    """For the load balancer and the supervisor: 200 when the database answers, 503 when it does not.

    Not rate limited, and it sets no cookie.
    """
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("health check: the database does not answer", exc_info=True)
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
