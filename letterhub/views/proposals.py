"""The coordinators' side of proposals: the queue of nominations and open sign-on requests,
approving and rejecting them, and the letter's open sign-on setting."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..extensions import db
from ..forms.accounts import ActionForm
from ..forms.proposals import OpenSignOnForm, RejectForm
from ..models import Letter, ProposalStatus
from ..services import forwarding, inviting, proposals
from .guard import get_letter

bp = Blueprint("proposals", __name__, url_prefix="/letters")


@bp.before_request
@login_required
def require_login():
    """Every page here is for signed-in coordinators."""


@bp.app_template_global()
def proposals_panel(letter: Letter) -> dict:
    """What the letter page's proposals section shows: the waiting queue, counts, handovers."""
    waiting = proposals.queue(letter, (ProposalStatus.PENDING, ProposalStatus.UNCONFIRMED))
    return {
        "pending": [p for p in waiting if p.status == ProposalStatus.PENDING],
        "unconfirmed": sum(1 for p in waiting if p.status == ProposalStatus.UNCONFIRMED),
        "forwards": forwarding.forwards_of_letter(letter),
        "open_signon_form": OpenSignOnForm(data={"open_signon": letter.open_signon}),
        "reject_form": RejectForm(),
        "mask": forwarding.mask_email,
    }


PROPOSAL_STATUS = {
    ProposalStatus.UNCONFIRMED: _l("Email not confirmed yet"),
    ProposalStatus.PENDING: _l("Waiting for a decision"),
    ProposalStatus.APPROVED: _l("Approved and invited"),
    ProposalStatus.REJECTED: _l("Rejected"),
}


@bp.app_template_global()
def proposal_status_label(status: ProposalStatus) -> str:
    return str(PROPOSAL_STATUS[status])


def _back(letter: Letter):
    return redirect(url_for("letters.show", letter_id=letter.id) + "#proposals")


@bp.get("/<id:letter_id>/proposals")
def queue(letter_id: int):
    letter = get_letter(letter_id, needs="view")
    return render_template(
        "proposals/queue.html",
        letter=letter,
        proposals=proposals.queue(letter),
        forwards=forwarding.forwards_of_letter(letter),
        action_form=ActionForm(),
        reject_form=RejectForm(),
    )


@bp.post("/<id:letter_id>/proposals/<id:proposal_id>/approve")
def approve(letter_id: int, proposal_id: int):
    letter = get_letter(letter_id, needs="invite")
    proposal = proposals.get(letter, proposal_id)
    if ActionForm().validate_on_submit():
        try:
            proposals.approve(proposal, by=current_user)
        except proposals.AlreadyDecided:
            db.session.rollback()
            flash(_("This proposal was decided already."), "info")
        except proposals.AlreadyOnList as error:
            db.session.rollback()
            name = error.existing.organization.display_name(current_user.locale)
            flash(_("%(name)s is already on this letter's list.", name=name), "warning")
        except inviting.InvitationNotSendable:
            db.session.rollback()
            flash(_("Signing is closed for this letter."), "warning")
        else:
            db.session.commit()
            flash(_("Approved: the organisation is on the list and its invitation was queued."), "success")
    return _back(letter)


@bp.post("/<id:letter_id>/proposals/<id:proposal_id>/reject")
def reject(letter_id: int, proposal_id: int):
    letter = get_letter(letter_id, needs="invite")
    proposal = proposals.get(letter, proposal_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            proposals.reject(proposal, by=current_user, reason=form.reason.data or "")
        except proposals.AlreadyDecided:
            db.session.rollback()
            flash(_("This proposal was decided already."), "info")
        else:
            db.session.commit()
            flash(_("Rejected: the organisation was not added."), "success")
    elif form.errors:
        flash(
            _("The reason could not be saved: %(problem)s", problem=" ".join(form.reason.errors)), "warning"
        )
    return _back(letter)


@bp.post("/<id:letter_id>/open-signon")
def open_signon(letter_id: int):
    letter = get_letter(letter_id, needs="edit")
    form = OpenSignOnForm()
    if form.validate_on_submit():
        proposals.set_open_signon(letter, bool(form.open_signon.data), by=current_user)
        db.session.commit()
        if letter.open_signon:
            flash(_("The public sign-on page is open."), "success")
        else:
            flash(_("The public sign-on page is closed."), "success")
    return _back(letter)
