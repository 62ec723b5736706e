"""Accounts, for installation administrators: the list, a new account, deactivating and
activating, and a password reset by an emailed link."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..forms.accounts import ActionForm, NewAccountForm
from ..models import User
from ..services import account_links, accounts

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin():
    """Only administrators; a coordinator is told so (403), in their language."""
    if not current_user.is_admin:
        abort(403, description=_("Only administrators may manage accounts."))


def _user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def _render(form: NewAccountForm | None = None, status: int = 200):
    users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template(
        "admin/accounts.html",
        users=users,
        form=form or NewAccountForm(),
        action_form=ActionForm(),
        has_password=account_links.has_password,
    ), status


@bp.get("/accounts")
def accounts_list():
    return _render()


@bp.post("/accounts")
def create_account():
    """The new account's owner is emailed a link to set their password."""
    form = NewAccountForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user_without_password(
                form.email.data or "",
                form.name.data or "",
                form.locale.data or "en",
                is_admin=bool(form.is_admin.data),
                by=current_user,
            )
        except accounts.AccountError:
            db.session.rollback()
            form.email.errors = [*form.email.errors, _("An account with this email exists already.")]
        else:
            account_links.send(user, "reset", language=user.locale, by=current_user)
            db.session.commit()
            flash(
                _("Account created. %(email)s was sent a link to set a password.", email=user.email),
                "success",
            )
            return redirect(url_for("admin.accounts_list"))
    return _render(form, 422)


@bp.post("/accounts/<id:user_id>/deactivate")
def deactivate(user_id: int):
    """Refuse the account's sign-ins and end every session it has, at once."""
    user = _user(user_id)
    if ActionForm().validate_on_submit():
        if user.id == current_user.id:
            flash(_("You cannot deactivate your own account."), "warning")
        else:
            accounts.deactivate(user)
            db.session.commit()
            flash(_("%(email)s is deactivated and signed out everywhere.", email=user.email), "success")
    return redirect(url_for("admin.accounts_list"))


@bp.post("/accounts/<id:user_id>/activate")
def activate(user_id: int):
    user = _user(user_id)
    if ActionForm().validate_on_submit():
        accounts.reactivate(user)
        db.session.commit()
        flash(_("%(email)s may sign in again.", email=user.email), "success")
    return redirect(url_for("admin.accounts_list"))


@bp.post("/accounts/<id:user_id>/reset")
def reset_password(user_id: int):
    """Email a link to set a new password; the current password works until the link is used."""
    user = _user(user_id)
    if ActionForm().validate_on_submit():
        if not user.active:
            flash(_("Activate the account first."), "warning")
        else:
            account_links.send(user, "reset", language=user.locale, by=current_user)
            db.session.commit()
            flash(_("A link to set a new password was sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.accounts_list"))
