from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from ..extensions import db, limiter
from ..forms.accounts import ActionForm, LoginForm
from ..services import accounts, audit
from ..services.urls import safe_redirect_target

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong email or password."))
        else:
            locale = session.get("locale")
            session.clear()  # a fresh session on sign-in (no fixation)
            if locale:
                session["locale"] = locale
            login_user(user, remember=form.remember.data)
            audit.record("user.login", user=user, ip_address=request.remote_addr or "")
            db.session.commit()
            return redirect(safe_redirect_target(request.args.get("next")) or url_for("letters.index"))
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
@login_required
def logout():
    if ActionForm().validate_on_submit():
        logout_user()
        flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))
