from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_login import current_user
from urllib.parse import urlsplit

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
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        target = url_for("public.index")
    return redirect(target)


@bp.get("/healthz")
def health():
    return {"status": "ok"}
