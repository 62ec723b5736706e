"""The organisation directory (coordinators): the list, adding and editing an entry, merging two.

The directory is the installation's, not a letter's: any signed-in coordinator may add, edit
and merge entries (the histories shown stay limited to the letters they may see).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms.directory import DirectoryOrganizationForm, EditOrganizationForm, MergeForm
from ..input_hygiene import MAX_ID
from ..services import directory, permissions
from .bulk_invite import pick_forms

bp = Blueprint("directory", __name__, url_prefix="/organizations")


@bp.before_request
@login_required
def require_login():
    """Every page here is for signed-in coordinators."""


@bp.get("/")
def index():
    search = request.args.get("q", "")[:200]
    tag = request.args.get("tag", "")[:100]
    page = request.args.get("page", 1, type=int) or 1
    pick_form, confirmed_form = pick_forms(current_user.locale)
    pick_form.q.data, pick_form.tag.data = search, tag
    return render_template(
        "directory/index.html",
        listing=directory.directory_page(
            search=search, tag=tag, page=page, language=current_user.locale, viewer=current_user
        ),
        search=search,
        tag=tag,
        tags=directory.all_tags(),
        pick_form=pick_form,
        confirmed_form=confirmed_form,
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = DirectoryOrganizationForm()
    similar = []
    if form.validate_on_submit():
        name_en, name_ar = form.name_en.data or "", form.name_ar.data or ""
        similar = [] if form.add_anyway.data else directory.similar_organizations(name_en, name_ar)
        if not similar:
            organization = directory.add_organization(
                name_en=name_en,
                name_ar=name_ar,
                email=form.email.data or "",
                country=form.country.data or "",
                tags=directory.parse_tags(form.tags.data or ""),
                by=current_user,
            )
            db.session.commit()
            flash(_("Organisation added to the directory."), "success")
            return redirect(url_for("directory.index", q=organization.display_name(current_user.locale)))
    status = 422 if form.errors else 200
    return render_template("directory/new.html", form=form, similar=similar), status


@bp.route("/<id:organization_id>/edit", methods=["GET", "POST"])
def edit(organization_id: int):
    organization = directory.get_organization(organization_id)
    if organization is None:
        abort(404)
    form = (
        EditOrganizationForm(organization)
        if request.method == "POST"
        else EditOrganizationForm.of(organization)
    )
    similar = []
    if form.validate_on_submit():
        changes = form.changes()
        similar = [] if form.add_anyway.data else directory.renamed_look_alikes(organization, changes)
        if not similar:
            changed = directory.edit_organization(
                organization, changes, by=current_user, ip_address=request.remote_addr or ""
            )
            db.session.commit()
            flash(_("The entry is saved.") if changed else _("Nothing was changed."), "success")
            if changed.get("former_names_kept"):
                flash(
                    _(
                        "The name it replaced stays as another spelling, so searches and imports "
                        "still find the entry; you can remove it on the entry's edit page."
                    ),
                    "info",
                )
            return redirect(
                url_for("directory.index", q=organization.display_name(current_user.locale))
                + f"#organization-{organization.id}"
            )
    status = 422 if form.errors else 200
    return render_template(
        "directory/edit.html", form=form, organization=organization, similar=similar
    ), status


def _entries(keep_id: int | None, other_id: int | None):
    """The two entries named by id; an id no row can have (0, negative, beyond the column) is none."""
    keep = directory.get_organization(keep_id) if keep_id and 0 < keep_id <= MAX_ID else None
    other = directory.get_organization(other_id) if other_id and 0 < other_id <= MAX_ID else None
    return keep, other


@bp.get("/merge")
def merge_confirmation():
    keep, other = _entries(request.args.get("keep", type=int), request.args.get("other", type=int))
    if keep is None:
        abort(404)
    form = MergeForm(data={"keep": keep.id, "other": other.id if other else None})
    return _render_merge(form, keep, other)


@bp.post("/merge")
def merge():
    form = MergeForm()
    if not form.validate_on_submit():
        keep, other = _entries(form.keep.data, form.other.data)
        if keep is None:
            abort(404)
        return _render_merge(form, keep, other, 422)
    keep, other = _entries(form.keep.data, form.other.data)
    if keep is None:
        abort(404)
    if other is None or other.id == keep.id:
        form.other.errors = list(form.other.errors) + [_("Choose another entry of the directory.")]
        return _render_merge(form, keep, other if other and other.id != keep.id else None, 422)
    if not form.confirm.data:
        form.confirm.errors = list(form.confirm.errors) + [_("Tick the box to confirm the merge.")]
        return _render_merge(form, keep, other, 422)
    try:
        directory.merge_organizations(keep, other, by=current_user, ip_address=request.remote_addr or "")
    except (directory.MergeConflict, directory.MergeOnClosedLetter):
        db.session.rollback()
        return _render_merge(form, keep, other, 409)
    db.session.commit()
    flash(_("The two entries are one now."), "success")
    return redirect(url_for("directory.index", q=keep.display_name(current_user.locale)))


def _render_merge(form: MergeForm, keep, other, status: int = 200):
    pair = other is not None and other.id != keep.id
    conflicts = directory.shared_letters(keep, other) if pair else []
    closed = directory.closed_letters(keep, other) if pair else []
    history = directory.history_of(
        [o.id for o in (keep, other) if o is not None], current_user.locale, viewer=current_user
    )
    # A letter outside the person's teams is counted in the refusal but not named.
    visible = sorted(permissions.visible_letter_ids(current_user, conflicts))
    visible_closed = sorted(permissions.visible_letter_ids(current_user, closed))
    return render_template(
        "directory/merge.html",
        form=form,
        keep=keep,
        other=other,
        conflicts=directory.letter_titles(visible, current_user.locale),
        hidden_conflicts=len(conflicts) - len(visible),
        closed=directory.letter_titles(visible_closed, current_user.locale),
        hidden_closed=len(closed) - len(visible_closed),
        history=history,
    ), status
