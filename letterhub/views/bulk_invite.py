"""Inviting many organisations at once (coordinators): a CSV file previewed then confirmed, and
picks from the directory (a selection, every match of a search or tag, everyone who confirmed
another letter). The work is in :mod:`letterhub.services.bulk_inviting`, shared with the CLI.

Between the preview and the confirmation nothing is stored on the server: the preview page
carries the file's text in a signed, compressed hidden field bound to the letter and the user
(see :func:`~letterhub.services.bulk_inviting.sign_upload`), and the confirmation reads it
again against the directory as it is then.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..forms.bulk_invite import ConfirmedPickForm, CsvConfirmForm, CsvUploadForm, PickForm
from ..input_hygiene import MAX_ID
from ..models import Letter, LetterStatus, Organization
from ..services import bulk_inviting, directory, inviting, permissions
from .guard import get_letter

bp = Blueprint("bulk_invite", __name__)


@bp.before_request
@login_required
def require_login():
    """Every page here is for signed-in coordinators."""


def _open_letter(letter_id: int) -> Letter:
    """A letter the signed-in coordinator may invite organisations to (404 off their teams)."""
    return get_letter(letter_id, needs="invite")


def _closed(letter: Letter):
    flash(_("Signing is closed for this letter."), "warning")
    return redirect(url_for("letters.show", letter_id=letter.id))


def _back_to_invitations(letter: Letter, *, sent: int):
    """Say how many invitations were queued, if any, and go back to the letter's list."""
    if sent:
        flash(
            ngettext(
                "%(num)d invitation queued for sending.",
                "%(num)d invitations queued for sending.",
                sent,
            ),
            "success",
        )
    return redirect(url_for("letters.show", letter_id=letter.id) + "#invitations")


# --------------------------------------------------------------------------- a CSV file


@bp.get("/letters/<id:letter_id>/invitations/csv")
def upload(letter_id: int):
    letter = _open_letter(letter_id)
    if letter.status == LetterStatus.CLOSED:
        return _closed(letter)
    return _render_upload(letter, CsvUploadForm())


def _render_upload(letter: Letter, form: CsvUploadForm, status: int = 200, file_error: str | None = None):
    return render_template("letters/invite_csv.html", letter=letter, form=form, file_error=file_error), status


@bp.post("/letters/<id:letter_id>/invitations/csv")
def preview(letter_id: int):
    letter = _open_letter(letter_id)
    if letter.status == LetterStatus.CLOSED:
        return _closed(letter)
    form = CsvUploadForm()
    if not form.validate_on_submit():
        return _render_upload(letter, form, 422)
    data = form.file.data.read(bulk_inviting.MAX_FILE_BYTES + 1)
    try:
        result = bulk_inviting.preview(letter, data)
        signed = bulk_inviting.sign_upload(result.text, letter_id=letter.id, user_id=current_user.id)
    except bulk_inviting.CsvFileError as error:
        return _render_upload(letter, form, 422, file_error=error.message())
    return _render_preview(letter, result, CsvConfirmForm(data={"upload": signed}))


def _render_preview(letter: Letter, result: bulk_inviting.Preview, form: CsvConfirmForm, status: int = 200):
    similar_ids = {i for line in result.lines for i in line.similar_organizations}
    similar_ids |= {line.organization_id for line in result.lines if line.organization_id}
    entries = {}
    for start in range(0, len(similar_ids), 500):
        chunk = sorted(similar_ids)[start : start + 500]
        entries.update(
            {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(chunk)))}
        )
    return render_template(
        "letters/invite_csv_preview.html",
        letter=letter,
        result=result,
        form=form,
        entries=entries,
        statuses=bulk_inviting.LineStatus,
        default_choice=bulk_inviting.default_choice,
    ), status


@bp.post("/letters/<id:letter_id>/invitations/csv/confirm")
def confirm(letter_id: int):
    letter = _open_letter(letter_id)
    if letter.status == LetterStatus.CLOSED:
        return _closed(letter)
    form = CsvConfirmForm()
    expired = _("The preview expired: upload the file again.")
    if not form.validate_on_submit():
        return _render_upload(letter, CsvUploadForm(formdata=None), 422, file_error=expired)
    try:
        data = bulk_inviting.read_upload(form.upload.data or "", letter_id=letter.id, user_id=current_user.id)
    except bulk_inviting.UploadExpired:
        return _render_upload(letter, CsvUploadForm(formdata=None), 422, file_error=expired)
    choices = {}
    for key, value in request.form.items():
        if key.startswith("choice-") and key[7:].isdigit() and len(key) < 20:
            choices[int(key[7:])] = value[:40]
    try:
        outcome = bulk_inviting.invite_csv(
            letter, data, choices=choices, send=bool(form.send_now.data), by=current_user
        )
    except bulk_inviting.CsvFileError as error:
        db.session.rollback()
        return _render_upload(letter, CsvUploadForm(formdata=None), 422, file_error=error.message())
    except inviting.InvitationNotSendable:
        db.session.rollback()
        return _closed(letter)
    db.session.commit()
    invited = outcome.added + outcome.existing
    flash(
        ngettext("%(num)d organisation invited.", "%(num)d organisations invited.", invited)
        + " "
        + _(
            "New to the directory: %(added)d; already in it: %(existing)d; lines not invited: %(errors)d; skipped: %(skipped)d.",
            added=outcome.added,
            existing=outcome.existing,
            errors=len({number for number, _error in outcome.errors}),
            skipped=outcome.skipped,
        ),
        "success" if invited else "warning",
    )
    return _back_to_invitations(letter, sent=outcome.sent)


# --------------------------------------------------------------------------- picks from the directory


def letter_choices(language: str, *, open_only: bool) -> list[tuple[int, str]]:
    """Letters to offer: drafted ones (not closed, for inviting into), titled in one query."""
    query = (
        select(Letter.id)
        .where(Letter.source == "drafted", permissions.visible_letters(current_user))
        .order_by(Letter.created_at.desc(), Letter.id.desc())
    )
    if open_only:
        query = query.where(Letter.status != LetterStatus.CLOSED)
    ids = list(db.session.scalars(query))
    titles = directory.letter_titles(ids, language)
    return [(i, titles.get(i, f"#{i}")) for i in ids]


def pick_forms(language: str) -> tuple[PickForm, ConfirmedPickForm]:
    targets = letter_choices(language, open_only=True)
    pick, confirmed = PickForm(prefix="pick"), ConfirmedPickForm(prefix="confirmed")
    pick.letter.choices = targets
    confirmed.letter.choices = targets
    confirmed.source.choices = letter_choices(language, open_only=False)
    return pick, confirmed


def _invite_and_report(letter: Letter, organization_ids: list[int], *, send: bool):
    """Invite these directory entries to the letter, commit, and say what came of it."""
    try:
        outcome = bulk_inviting.invite_organizations(letter, organization_ids, send=send, by=current_user)
    except inviting.InvitationNotSendable:
        db.session.rollback()
        return _closed(letter)
    db.session.commit()
    flash(
        ngettext("%(num)d organisation invited.", "%(num)d organisations invited.", outcome.invited)
        + " "
        + _(
            "Already on the list: %(already)d; without an email: %(without)d.",
            already=outcome.already_invited,
            without=outcome.without_email,
        ),
        "success" if outcome.invited else "info",
    )
    return _back_to_invitations(letter, sent=outcome.sent)


@bp.post("/organizations/invite")
def invite_picked():
    form, _confirmed = pick_forms(current_user.locale)
    back = url_for("directory.index", q=form.q.data or None, tag=form.tag.data or None)
    if not form.validate_on_submit():
        flash(_("Choose a letter that is open for signing."), "warning")
        return redirect(back)
    if form.all_matching.data:
        ids = bulk_inviting.matching_organization_ids(form.q.data or "", form.tag.data or "")
    else:
        ids = [
            int(v) for v in request.form.getlist("organization_ids") if v.isdigit() and 0 < int(v) <= MAX_ID
        ]
    if not ids:
        flash(_("Select organisations first, or every organisation that matches."), "warning")
        return redirect(back)
    letter = _open_letter(form.letter.data)
    return _invite_and_report(letter, ids, send=bool(form.send_now.data))


@bp.post("/organizations/invite-confirmed")
def invite_confirmed():
    _pick, form = pick_forms(current_user.locale)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "warning")
        return redirect(url_for("directory.index"))
    letter = _open_letter(form.letter.data)
    ids = bulk_inviting.confirmed_organization_ids(form.source.data)
    return _invite_and_report(letter, ids, send=bool(form.send_now.data))
