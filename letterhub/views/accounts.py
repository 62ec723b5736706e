from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db, limiter
from ..forms.accounts import AccountLinkForm, ActionForm, LoginForm, PasswordForm
from ..models import LoginSession, SessionEnd
from ..services import account_links, accounts, audit, login_sessions, permissions
from ..services.urls import safe_redirect_target

bp = Blueprint("accounts", __name__)


@bp.before_app_request
def note_session_activity():
    """Load the signed-in user first thing (so an ended session is refused before any view runs)
    and keep the session's "last seen" roughly current for the account page."""
    if "_user_id" not in session:
        return
    if current_user.is_authenticated:
        login_session = login_sessions.current_session()
        if login_session is not None and login_sessions.note_activity(login_session):
            db.session.commit()


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
            login_sessions.sign_in(
                user,
                remember=bool(form.remember.data),
                ip_address=request.remote_addr or "",
                user_agent=request.user_agent.string or "",
            )
            audit.record("user.login", user=user, ip_address=request.remote_addr or "")
            db.session.commit()
            return redirect(safe_redirect_target(request.args.get("next")) or url_for("letters.index"))
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
@login_required
def logout():
    if ActionForm().validate_on_submit():
        user = current_user._get_current_object()
        login_sessions.sign_out()
        audit.record("user.logout", user=user, ip_address=request.remote_addr or "")
        db.session.commit()
        flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


def _account_page(password_form: PasswordForm, status: int = 200):
    return render_template(
        "accounts/account.html",
        sessions=login_sessions.active_sessions(current_user),
        this_session=login_sessions.current_session(),
        form=ActionForm(),
        password_form=password_form,
    ), status


@bp.get("/account")
@login_required
def account():
    return _account_page(PasswordForm())


@bp.post("/account/password")
@login_required
def change_password():
    """A new password signs out every other device; this one stays signed in."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if accounts.authenticate(user.email, form.current_password.data) is None:
            form.current_password.errors.append(_("Wrong password."))
        else:
            accounts.change_password(user, form.new_password.data, keep=login_sessions.current_session())
            db.session.commit()
            flash(_("Your password is changed. Every other device is signed out."), "success")
            return redirect(url_for("accounts.account"))
    return _account_page(form, 422)


@bp.post("/account/sessions/end-all")
@login_required
def end_all_sessions():
    """Sign out of all devices, this one included."""
    if not ActionForm().validate_on_submit():
        flash(_("This form expired or was sent from elsewhere. Nothing was changed."), "warning")
        return redirect(url_for("accounts.account"))
    user = current_user._get_current_object()
    ended = login_sessions.end_all(user, SessionEnd.ALL_DEVICES)
    login_sessions.sign_out()
    audit.record("user.sessions_ended", user=user, ip_address=request.remote_addr or "", sessions_ended=ended)
    db.session.commit()
    flash(_("You are signed out on all devices."), "info")
    return redirect(url_for("accounts.login"))


@bp.post("/account/sessions/<id:session_id>/end")
@login_required
def end_session(session_id: int):
    """Sign out one other device of this account."""
    login_session = db.session.get(LoginSession, session_id)
    if login_session is None or login_session.user_id != current_user.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        flash(_("This form expired or was sent from elsewhere. Nothing was changed."), "warning")
        return redirect(url_for("accounts.account"))
    login_sessions.end(login_session, SessionEnd.ENDED_ELSEWHERE)
    audit.record(
        "user.sessions_ended", user=current_user, ip_address=request.remote_addr or "", sessions_ended=1
    )
    db.session.commit()
    if login_session is login_sessions.current_session():
        login_sessions.sign_out()
        return redirect(url_for("accounts.login"))
    flash(_("That device is signed out."), "info")
    return redirect(url_for("accounts.account"))


ACCOUNT_LINK_STATUS = {"invalid": 404, "expired": 410, "used": 410, "withdrawn": 410}


@bp.route("/account/link/<purpose>/<link_token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNING"], methods=["POST"])
def account_link(purpose: str, link_token: str):
    """Set a name and password through an emailed link (a new team member, or an account an
    administrator created or reset); then signed in, on the letter the link was for."""
    try:
        target = account_links.read(purpose, link_token)
    except account_links.AccountLinkError as error:
        page = render_template("accounts/link_error.html", reason=error.reason)
        return page, ACCOUNT_LINK_STATUS[error.reason], {"Cache-Control": "no-store"}
    user = target.user
    first_time = not account_links.has_password(user)
    form = AccountLinkForm(data={"name": "" if first_time else user.name})
    if form.validate_on_submit():
        user.name = (form.name.data or "").strip() or user.email
        accounts.change_password(user, form.new_password.data or "")  # ends every session it had
        session.clear()  # a fresh session on sign-in (no fixation)
        login_sessions.sign_in(
            user,
            remember=False,
            ip_address=request.remote_addr or "",
            user_agent=request.user_agent.string or "",
        )
        audit.record("user.login", user=user, ip_address=request.remote_addr or "")
        db.session.commit()
        flash(_("Your password is set and you are signed in."), "success")
        if target.letter_id is not None and permissions.can(user, target.letter_id, "view"):
            return redirect(url_for("letters.show", letter_id=target.letter_id))
        return redirect(url_for("letters.index"))
    page = render_template("accounts/link.html", form=form, user=user, first_time=first_time)
    return page, 422 if form.errors else 200, {"Cache-Control": "no-store"}
