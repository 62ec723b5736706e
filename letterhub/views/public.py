from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_login import current_user

from ..extensions import talisman
from ..services.urls import safe_redirect_target

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("letters.index"))
    return redirect(url_for("accounts.login"))


@bp.get("/language/<code>")
def switch_language(code: str):
    """Remember the chosen interface language and go back where the user was (same site only)."""
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated and current_user.locale != code:
            from ..extensions import db

            current_user.locale = code
            db.session.commit()
    return redirect(safe_redirect_target(request.args.get("next")) or url_for("public.index"))


@bp.get("/verify/")
@bp.get("/verify/<code>")
def verify(code: str | None = None):
    """Public: check that an organisation signed and that a PDF is the one that was issued."""
    from flask import render_template

    from ..services import publishing

    code = code or request.args.get("code", "")
    letter = publishing.letter_for_code(code) if code else None
    if letter is None:
        return render_template("public/verify.html", letter=None, code=code), 404 if code else 200
    documents = [d for d in publishing.documents_of(letter) if d.sha256]
    return render_template(
        "public/verify.html",
        letter=letter,
        code=letter.verification_code,
        revision=letter.finalized_revision,
        lists=publishing.numbered_lists(letter),
        documents=documents,
    )


@bp.get("/healthz")
@talisman(force_https=False)  # the proxy's or load balancer's own check may come over plain http
def health():
    return {"status": "ok"}
