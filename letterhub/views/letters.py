"""The coordinator's side: letters, their text, the invitation list, closing and the PDF."""

import hashlib
import io

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import labels
from ..extensions import db
from ..forms.accounts import ActionForm
from ..forms.letters import LetterForm, ListOptionsForm, OrganizationForm
from ..models import ChangeKind, Invitation, Letter, LetterStatus, RenderStatus
from ..services import (
    campaign,
    commenting,
    deadlines,
    directory,
    drafting,
    evidence,
    inviting,
    permissions,
    publishing,
    reconfirming,
    reminding,
    selection,
    urls,
)
from .guard import get_letter

bp = Blueprint("letters", __name__, url_prefix="/letters")


@bp.before_request
@login_required
def require_login():
    """Every page here is for signed-in coordinators."""


@bp.get("/")
def index():
    """The letters whose team the person is on (every letter, for an administrator)."""
    letters = db.session.scalars(
        select(Letter).where(permissions.visible_letters(current_user)).order_by(Letter.created_at.desc())
    ).all()
    summaries = campaign.letter_summaries([letter.id for letter in letters])
    return render_template(
        "letters/index.html", letters=letters, summaries=summaries, no_summary=campaign.LetterSummary()
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = LetterForm(data=_new_letter_defaults() if request.method == "GET" else None)
    if form.validate_on_submit() and request.form.get("action") != "preview":
        letter = drafting.create_letter(
            current_user,
            form.text_fields(),
            coalition=form.coalition.data or "",
            deadline=form.deadline_settings(),
        )
        db.session.commit()
        flash(_("Letter saved (revision %(number)d).", number=1), "success")
        return redirect(url_for("letters.show", letter_id=letter.id))
    status = 422 if form.errors else 200
    return render_template("letters/edit.html", form=form, letter=None, preview=_preview(form)), status


def _new_letter_defaults() -> dict:
    return {
        **drafting.empty_fields(),
        "deadline_timezone": deadlines.default_timezone(),
        "reminder_days": reminding.format_reminder_days(reminding.DEFAULT_REMINDER_DAYS),
    }


@bp.get("/<id:letter_id>")
def show(letter_id: int):
    letter = get_letter(letter_id, needs="view")
    return _render_show(letter, OrganizationForm())


def _render_show(letter: Letter, organization_form: OrganizationForm, status: int = 200, options_form=None):
    """The letter page: its state, the campaign's counts and one page of the invitation list.

    The list is filtered (``state``), searched (``q``) and paged (``page``) by GET parameters.
    """
    revision = letter.current_revision
    documents = publishing.documents_of(letter)
    shown = campaign.InvitationFilter.parse(request.args.get("state"))
    sort = campaign.InvitationSort.parse(request.args.get("sort"))
    search = request.args.get("q", "")[:200]
    language = request.args.get("language", "") if request.args.get("language") in ("ar", "en") else ""
    tag = request.args.get("tag", "")[:100]
    page = request.args.get("page", 1, type=int) or 1
    # the list's GET parameters, for the page links and for coming back after a bulk action
    list_query = {
        key: value
        for key, value in {
            "state": shown.value if shown != campaign.InvitationFilter.ALL else "",
            "q": search,
            "language": language,
            "tag": tag,
            "sort": sort.value if sort != campaign.InvitationSort.ADDED else "",
        }.items()
        if value
    }
    invitations = campaign.invitation_page(
        letter,
        shown=shown,
        search=search,
        language=language,
        tag=tag,
        sort=sort,
        reader_language=str(get_locale() or "en"),
        page=page,
        current=revision,
    )
    counts = campaign.campaign_counts(letter, revision)
    return render_template(
        "letters/show.html",
        documents=documents,
        rendering=any(d.status.value in ("queued", "rendering") for d in documents),
        documents_summary=labels.documents_summary(documents),
        options_form=options_form or ListOptionsForm(obj=letter),
        letter=letter,
        revision=revision,
        organization_form=organization_form,
        action_form=ActionForm(),
        counts=counts,
        closing_counts=closing_counts(letter, counts),
        invitations=invitations,
        filters=campaign.InvitationFilter,
        sorts=campaign.InvitationSort,
        tags=directory.all_tags(),
        shown=shown,
        sort=sort,
        search=search,
        language=language,
        tag=tag,
        list_query=list_query,
        next_reminder=reminding.next_reminder(letter),
        reminder_history=reminding.reminder_history(letter),
        open_threads=commenting.open_thread_count(letter),
    ), status


@bp.route("/<id:letter_id>/edit", methods=["GET", "POST"])
def edit(letter_id: int):
    """The editor. Once an invitation went out it asks what kind of change a save is (none
    chosen: substantive; see services.drafting.save_revision).

    A save collision (someone saved meanwhile) brings the form back with the three texts
    (views.revisions.revision_collision), the coordinator's text and their choice kept: the
    merged text is saved through this same form, so it gets the same question, and a
    correction then corrects the colleague's revision, the one it is saved after.
    """
    letter = get_letter(letter_id, needs="edit")
    revision = letter.current_revision
    if letter.status == LetterStatus.CLOSED:
        flash(_("Signing is closed: the text is final. Reopen signing to change it."), "warning")
        return redirect(url_for("letters.show", letter_id=letter.id))
    if request.method == "GET":
        form = LetterForm(
            data={
                **revision.content(),
                "base_revision": revision.number,
                "coalition": letter.coalition,
                **_deadline_fields(letter),
            }
        )
    else:
        form = LetterForm()
    conflict = None
    # Once invitations went out, the coordinator says whether a change keeps the confirmations.
    ask_change_kind = inviting.invitations_sent(letter)
    if form.validate_on_submit() and request.form.get("action") != "preview":
        base = form.base_revision.data or revision.number
        try:
            saved = drafting.save_revision(
                letter, base, form.text_fields(), current_user, kind=form.chosen_change_kind()
            )
            asked = (
                reconfirming.requests_of(saved)
                if saved.number != base and saved.change_kind == ChangeKind.SUBSTANTIVE
                else 0
            )
            moved = drafting.update_settings(
                letter,
                coalition=form.coalition.data or "",
                deadline=form.deadline_settings(),
                author=current_user,
            )
            notified = 0
            if moved and form.notify_unanswered.data and not deadlines.deadline_passed(letter):
                notified = reminding.notify_new_deadline(letter, by=current_user)
            db.session.commit()
        except drafting.RevisionConflict as error:
            db.session.rollback()
            conflict = error.current
        else:
            if saved.number == base:
                flash(_("Nothing changed in the text; no new revision."), "info")
            else:
                flash(_("Letter saved (revision %(number)d).", number=saved.number), "success")
                if saved.is_correction:
                    flash(_("Saved as a correction: the confirmations already given keep counting."), "info")
                elif asked:
                    flash(
                        ngettext(
                            "Saved as a substantive change: %(num)d organisation that had confirmed was asked to confirm again.",
                            "Saved as a substantive change: %(num)d organisations that had confirmed were asked to confirm again.",
                            asked,
                        ),
                        "warning",
                    )
            if notified:
                flash(
                    _("The new deadline was queued for %(count)d organisations.", count=notified), "success"
                )
            return redirect(url_for("letters.show", letter_id=letter.id))
    status = 409 if conflict else (422 if form.errors else 200)
    return render_template(
        "letters/edit.html",
        form=form,
        letter=letter,
        conflict=conflict,
        preview=_preview(form),
        ask_change_kind=ask_change_kind,
    ), status


def _deadline_fields(letter: Letter) -> dict:
    local = deadlines.local_deadline(letter)
    return {
        "deadline": local.day,
        "deadline_time": local.at,
        "deadline_timezone": local.zone_name,
        "allow_late_signatures": letter.allow_late_signatures,
        "reminder_days": letter.reminder_days,
        "contact_email": letter.contact_email,
    }


def _preview(form: LetterForm) -> dict | None:
    """What the sanitised letter looks like, when the coordinator asked for a preview."""
    if request.method != "POST" or request.form.get("action") != "preview":
        return None
    return form.text_fields()


@bp.post("/<id:letter_id>/organizations")
def add_organization(letter_id: int):
    letter = _list_to_change(letter_id)
    form = OrganizationForm()
    if form.validate_on_submit():
        try:
            inviting.add_organization(
                letter,
                name_en=form.name_en.data or "",
                name_ar=form.name_ar.data or "",
                email=form.email.data,
                language=form.language.data,
                by=current_user,
            )
        except inviting.DuplicateOrganization as error:
            db.session.rollback()
            existing = error.existing.organization.display_name(current_user.locale)
            form.name_en.errors = list(form.name_en.errors) + [
                _("%(name)s is already on this letter's list.", name=existing)
            ]
        except inviting.InvitationNotSendable:
            db.session.rollback()
            form.email.errors = list(form.email.errors) + [_("Signing is closed for this letter.")]
        else:
            db.session.commit()
            flash(_("Organisation added. Send the invitations when the list is ready."), "success")
            return _back_to_list(letter)
    return _render_show(letter, form, 422)


@bp.post("/<id:letter_id>/send")
def send_invitations(letter_id: int):
    letter = _list_to_change(letter_id)
    if ActionForm().validate_on_submit():
        count = inviting.send_unsent_invitations(letter, by=current_user)
        db.session.commit()
        if count:
            flash(_("%(count)d invitations queued for sending.", count=count), "success")
        else:
            flash(_("Every invitation on the list has been sent already."), "info")
    return _back_to_list(letter)


def _get_invitation(letter: Letter, invitation_id: int) -> Invitation:
    return db.first_or_404(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.letter_id == letter.id)
    )


@bp.post("/<id:letter_id>/invitations/<id:invitation_id>/resend")
def resend_invitation(letter_id: int, invitation_id: int):
    letter = _list_to_change(letter_id)
    invitation = _get_invitation(letter, invitation_id)
    if ActionForm().validate_on_submit():
        try:
            inviting.send_invitation(invitation, by=current_user)
        except inviting.InvitationNotSendable:
            db.session.rollback()
            flash(_("This invitation cannot be sent again."), "warning")
        else:
            db.session.commit()
            flash(_("A new link was queued; the previous link no longer works."), "success")
    return _back_to_list(letter)


@bp.post("/<id:letter_id>/invitations/<id:invitation_id>/revoke")
def revoke_invitation(letter_id: int, invitation_id: int):
    letter = _list_to_change(letter_id)
    invitation = _get_invitation(letter, invitation_id)
    if ActionForm().validate_on_submit():
        try:
            inviting.revoke_invitation(invitation, by=current_user)
        except publishing.LetterClosed:
            db.session.rollback()
            return _closed_refusal(letter)
        db.session.commit()
        flash(_("The invitation is revoked; its link no longer works."), "success")
    return _back_to_list(letter)


def _list_to_change(letter_id: int) -> Letter:
    """The letter whose list of organisations the coordinator is changing (404 off their teams).

    A closed letter's list is final: the request ends here with :func:`_closed_refusal`.
    """
    letter = get_letter(letter_id, needs="invite")
    if letter.status == LetterStatus.CLOSED:
        abort(_closed_refusal(letter))
    return letter


def _back_to_list(letter: Letter):
    return redirect(url_for("letters.show", letter_id=letter.id) + "#invitations")


def _closed_refusal(letter: Letter):
    """A change of a closed letter's list: refused before anything is read from the form or written.

    Back to the letter page (303) with a message saying how to proceed; the page offers none of
    these actions on a closed letter, so this is reached from a stale page or a crafted request.
    """
    flash(_("Signing is closed: the list is final. Reopen signing to change it."), "warning")
    return redirect(url_for("letters.show", letter_id=letter.id) + "#invitations", 303)


@bp.post("/<id:letter_id>/invitations/<id:invitation_id>/reminders")
def toggle_reminders(letter_id: int, invitation_id: int):
    """Turn reminders off (or on again) for one organisation."""
    letter = _list_to_change(letter_id)
    invitation = _get_invitation(letter, invitation_id)
    if ActionForm().validate_on_submit():
        reminding.set_do_not_remind(invitation, not invitation.do_not_remind, by=current_user)
        db.session.commit()
        if invitation.do_not_remind:
            flash(_("This organisation will not be reminded."), "success")
        else:
            flash(_("This organisation will be reminded again."), "success")
    return _back_to_list(letter)


@bp.post("/<id:letter_id>/invitations/selection")
def act_on_selection(letter_id: int):
    """Send, send new links, remind or revoke the selected invitations (revoking asks first)."""
    letter = _list_to_change(letter_id)
    # back to the page of the list the coordinator was on (its filters kept), never elsewhere
    letter_page = url_for("letters.show", letter_id=letter.id)
    target = urls.safe_redirect_target(request.form.get("back"))
    if target is None or not target.startswith(letter_page):
        target = letter_page + "#invitations"
    back = redirect(target)
    if not ActionForm().validate_on_submit():
        return back
    action = selection.BulkAction.parse(request.form.get("action"))
    ids = [
        int(value) for value in request.form.getlist("invitation_ids") if value.isdigit() and len(value) < 10
    ]
    invitations = selection.selected_invitations(letter, ids)
    if action is None or not invitations:
        flash(_("Select at least one organisation, then choose what to do."), "info")
        return back
    if action == selection.BulkAction.REVOKE and request.form.get("confirmed") != "1":
        return render_template(
            "letters/confirm_revoke.html",
            letter=letter,
            invitations=invitations,
            action_form=ActionForm(),
            back=target,
        )
    result = selection.apply(action, invitations, by=current_user)
    db.session.commit()
    flash(BULK_DONE[action](result.done), "success" if result.done else "info")
    if result.skipped:
        flash(
            ngettext(
                "%(num)d selected organisation was left alone: the action does not apply to it.",
                "%(num)d selected organisations were left alone: the action does not apply to them.",
                result.skipped,
            ),
            "info",
        )
    return back


BULK_DONE = {
    selection.BulkAction.SEND: lambda n: ngettext(
        "%(num)d invitation queued for sending.", "%(num)d invitations queued for sending.", n
    ),
    selection.BulkAction.RESEND: lambda n: ngettext(
        "%(num)d new link queued; the previous link no longer works.",
        "%(num)d new links queued; the previous links no longer work.",
        n,
    ),
    selection.BulkAction.REMIND: lambda n: ngettext(
        "%(num)d reminder queued for sending.", "%(num)d reminders queued for sending.", n
    ),
    selection.BulkAction.REVOKE: lambda n: ngettext(
        "%(num)d invitation revoked; its link no longer works.",
        "%(num)d invitations revoked; their links no longer work.",
        n,
    ),
}


@bp.post("/<id:letter_id>/close")
def close(letter_id: int):
    """Close signing: one POST, from the letter page's confirmation step (its box must be ticked).

    The step names how many organisations will be listed and how many never answered; the form
    sends those numbers back, and when answers arrived in between (the numbers differ now) the
    letter stays open and the step is shown again with the new numbers: nobody closes a list
    they were not shown.
    """
    letter = get_letter(letter_id, needs="close")
    if ActionForm().validate_on_submit() and letter.status != LetterStatus.CLOSED:
        if request.form.get("confirm") != "yes":
            flash(_("Signing is still open: tick the box to confirm that the list is final."), "warning")
            return redirect(url_for("letters.show", letter_id=letter.id, _anchor="close-signing"), 303)
        if request.form.get("expected_counts") != closing_counts(letter):
            flash(
                _(
                    "Signing is still open: answers arrived while you were deciding. "
                    "Check the new numbers and confirm again."
                ),
                "warning",
            )
            return redirect(url_for("letters.show", letter_id=letter.id, _anchor="close-signing"), 303)
        publishing.close_signing(letter, by=current_user)
        db.session.commit()
        flash(
            _("Signing is closed. The final documents are being rendered; their progress is shown below."),
            "success",
        )
    return redirect(url_for("letters.show", letter_id=letter.id, _anchor="documents"), 303)


def closing_counts(letter: Letter, counts: campaign.CampaignCounts | None = None) -> str:
    """What the closing step names, "listed-never answered", for the form to send back."""
    counts = counts or campaign.campaign_counts(letter)
    return f"{counts.confirmed - counts.must_reconfirm}-{counts.not_answered}"


@bp.get("/<id:letter_id>/documents.json")
def documents_status(letter_id: int):
    """The final documents' progress, for the letter page's script (read only)."""
    letter = get_letter(letter_id, needs="view")
    documents = publishing.documents_of(letter)
    response = jsonify(
        {
            "done": not any(d.status in (RenderStatus.QUEUED, RenderStatus.RENDERING) for d in documents),
            "summary": labels.documents_summary(documents),
            "documents": [
                {
                    "languages": d.languages,
                    "status": d.status.value,
                    "label": labels.render_status(d.status),
                    "error": labels.render_error(d) if d.error_kind else "",
                    "pages": d.pages,
                    "pages_label": ngettext("%(num)d page", "%(num)d pages", d.pages) if d.pages else "",
                    "sha256": d.sha256 or "",
                    "url": url_for("letters.final_pdf", letter_id=letter.id, languages=d.languages)
                    if d.status == RenderStatus.READY
                    else None,
                }
                for d in documents
            ],
        }
    )
    response.cache_control.no_store = True
    return response


@bp.post("/<id:letter_id>/reopen")
def reopen(letter_id: int):
    letter = get_letter(letter_id, needs="close")
    if ActionForm().validate_on_submit() and letter.status == LetterStatus.CLOSED:
        publishing.reopen_signing(letter, by=current_user)
        db.session.commit()
        flash(_("Signing is open again."), "success")
    return redirect(url_for("letters.show", letter_id=letter.id))


@bp.get("/<id:letter_id>/final.pdf")
def final_pdf(letter_id: int):
    """Serve a stored final document; it was rendered once, in the background, at closing."""
    letter = get_letter(letter_id, needs="view")
    if letter.status != LetterStatus.CLOSED:
        flash(_("Close signing first: the final PDF shows the final list."), "warning")
        return redirect(url_for("letters.show", letter_id=letter.id))
    layouts = publishing.layouts(letter)
    languages = request.args.get("languages", layouts[0])
    if languages not in layouts:
        abort(404)
    document = publishing.ready_document(letter, languages)
    if document is None:
        flash(_("The final PDF is still being prepared; the letter page shows its progress."), "info")
        return redirect(url_for("letters.show", letter_id=letter.id))
    return _download(
        document.pdf or b"",
        mimetype="application/pdf",
        filename=f"letter-{letter.id}-{languages.replace(',', '-')}.pdf",
        sha256=document.sha256,
        modified=document.rendered_at,
    )


@bp.get("/<id:letter_id>/evidence.json")
def evidence_json(letter_id: int):
    """The evidence report of a closed letter, for machines."""
    return _evidence(get_letter(letter_id, needs="view"), "json")


@bp.get("/<id:letter_id>/evidence.pdf")
def evidence_pdf(letter_id: int):
    """The evidence report of a closed letter, worded in the reader's language."""
    return _evidence(get_letter(letter_id, needs="view"), "pdf")


def _evidence(letter: Letter, format: str) -> Response:
    try:
        report = evidence.build(letter)
    except evidence.NotClosed:
        flash(_("The evidence report is issued once signing is closed."), "warning")
        return redirect(url_for("letters.show", letter_id=letter.id))  # type: ignore[return-value]
    if format == "json":
        data = evidence.as_json(report).encode("utf-8")
        mimetype = "application/json"
    else:
        data = evidence.as_pdf(report, get_locale_code())
        mimetype = "application/pdf"
    return _download(
        data,
        mimetype=mimetype,
        filename=f"letter-{letter.id}-evidence.{format}",
        sha256=hashlib.sha256(data).hexdigest(),
        modified=None,
    )


def get_locale_code() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


@bp.get("/<id:letter_id>/signatories.csv")
def signatories_csv(letter_id: int):
    letter = get_letter(letter_id, needs="view")
    data = publishing.signatories_csv(letter).encode("utf-8")
    return _download(
        data,
        mimetype="text/csv",
        filename=f"letter-{letter.id}-signatories.csv",
        sha256=hashlib.sha256(data).hexdigest(),
        modified=letter.closed_at,
    )


def _download(data: bytes, *, mimetype: str, filename: str, sha256: str | None, modified) -> Response:
    """An attachment that answers conditional requests (ETag: the SHA-256; Last-Modified) with 304."""
    response = send_file(
        io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=True,
        download_name=filename,
        etag=sha256 or False,
        last_modified=modified,
        max_age=3600,
    )
    response.cache_control.public = False
    response.cache_control.private = True  # a coordinator's file: no shared cache keeps it
    return response


@bp.post("/<id:letter_id>/documents/retry")
def retry_documents(letter_id: int):
    letter = get_letter(letter_id, needs="close")
    if ActionForm().validate_on_submit():
        publishing.retry_failed(letter)
        db.session.commit()
    return redirect(url_for("letters.show", letter_id=letter.id))


@bp.post("/<id:letter_id>/list-options")
def list_options(letter_id: int):
    letter = get_letter(letter_id, needs="edit")
    form = ListOptionsForm()
    if letter.status == LetterStatus.CLOSED:
        flash(_("Signing is closed: reopen it to change how the list is printed."), "warning")
        return redirect(url_for("letters.show", letter_id=letter.id))
    if form.validate_on_submit():
        form.populate_obj(letter)
        db.session.commit()
        flash(_("List options saved."), "success")
        return redirect(url_for("letters.show", letter_id=letter.id))
    return _render_show(letter, OrganizationForm(), 422, options_form=form)
