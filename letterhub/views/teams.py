"""A letter's team (owners): who is on it with which role, inviting, changing roles, removing."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..forms.accounts import ActionForm
from ..forms.teams import MemberInviteForm, RoleForm
from ..models import Letter, LetterMember, LetterRole
from ..services import teams
from .guard import get_letter

bp = Blueprint("teams", __name__, url_prefix="/letters")


@bp.before_request
@login_required
def require_login():
    """Every page here is for signed-in coordinators."""


def _member(letter: Letter, member_id: int) -> LetterMember:
    return db.first_or_404(
        select(LetterMember).where(LetterMember.id == member_id, LetterMember.letter_id == letter.id)
    )


def _refusal(error: teams.TeamError) -> str:
    if error.reason == "last_owner":
        return _("A letter keeps at least one owner: make someone else owner first.")
    return _("This person is on the team already.")


def _render(letter: Letter, form: MemberInviteForm | None = None, status: int = 200):
    members = teams.members_of(letter)
    return render_template(
        "letters/members.html",
        letter=letter,
        members=members,
        role_forms={m.id: RoleForm(formdata=None, data={"role": m.role.value}) for m in members},
        invite_form=form or MemberInviteForm(),
        action_form=ActionForm(),
        is_pending=teams.is_pending,
    ), status


@bp.get("/<id:letter_id>/members")
def members(letter_id: int):
    return _render(get_letter(letter_id, needs="members"))


@bp.post("/<id:letter_id>/members")
def add_member(letter_id: int):
    """Add an existing account, or invite a new person by an emailed link."""
    letter = get_letter(letter_id, needs="members")
    form = MemberInviteForm()
    if form.validate_on_submit():
        try:
            member, emailed = teams.invite(
                letter,
                form.email.data or "",
                LetterRole(form.role.data),
                language=form.language.data or "en",
                by=current_user,
            )
        except teams.TeamError as error:
            db.session.rollback()
            form.email.errors = [*form.email.errors, _refusal(error)]
        else:
            db.session.commit()
            if emailed:
                flash(
                    _(
                        "%(email)s was sent a link to set a password; it leads to this letter.",
                        email=member.user.email,
                    ),
                    "success",
                )
            else:
                flash(_("%(name)s is on the team now.", name=member.user.name), "success")
            return redirect(url_for("teams.members", letter_id=letter.id))
    return _render(letter, form, 422)


@bp.post("/<id:letter_id>/members/<id:member_id>/role")
def change_role(letter_id: int, member_id: int):
    letter = get_letter(letter_id, needs="members")
    member = _member(letter, member_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            teams.change_role(member, LetterRole(form.role.data), by=current_user)
        except teams.TeamError as error:
            db.session.rollback()
            flash(_refusal(error), "warning")
        else:
            db.session.commit()
            flash(_("The role of %(name)s is changed.", name=member.user.name), "success")
    else:
        flash(_("This form expired or was sent from elsewhere. Nothing was changed."), "warning")
    return redirect(url_for("teams.members", letter_id=letter.id))


@bp.post("/<id:letter_id>/members/<id:member_id>/remove")
def remove_member(letter_id: int, member_id: int):
    """The removed member's next request is refused: access is checked on every request. For
    someone invited who has not set a password yet this withdraws the invitation: the link
    emailed to them stops working at once."""
    letter = get_letter(letter_id, needs="members")
    member = _member(letter, member_id)
    if ActionForm().validate_on_submit():
        name, email, pending = member.user.name, member.user.email, teams.is_pending(member)
        try:
            teams.remove(member, by=current_user)
        except teams.TeamError as error:
            db.session.rollback()
            flash(_refusal(error), "warning")
        else:
            db.session.commit()
            if pending:
                flash(
                    _(
                        "The invitation to %(email)s is withdrawn: the link emailed to them no longer works.",
                        email=email,
                    ),
                    "success",
                )
            else:
                flash(_("%(name)s is no longer on the team.", name=name), "success")
            if not current_user.is_admin and teams.membership(letter, current_user) is None:
                return redirect(url_for("letters.index"))
    else:
        flash(_("This form expired or was sent from elsewhere. Nothing was changed."), "warning")
    return redirect(url_for("teams.members", letter_id=letter.id))
