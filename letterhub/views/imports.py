"""Importing published letters from the browser, and reviewing their lists: pairs and duplicates."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from ..extensions import db
from ..forms.imports import DuplicateForm, ImportForm, PairForm, UnknownChoice, chosen_arabic_row
from ..models import ImportedSignatory, Letter
from ..services.imports import messages, review, storage
from ..services.imports.decoding import decode_letter_file
from ..services.imports.notes import LetterImportError, NoSignatoryList, UnreadableLetterFile
from ..services.imports.parsing import parse_letter_text
from ..services.permissions import REFUSALS, Action
from .guard import get_letter, may

bp = Blueprint("imports", __name__, url_prefix="/letters/import")


@bp.before_request
@login_required
def require_login():
    """Every page here is for signed-in coordinators."""


def get_imported_letter(letter_id: int, *, needs: Action) -> Letter:
    """The imported letter ``letter_id`` (for the person, see views.guard); a drafted letter is not found here."""
    letter = get_letter(letter_id, needs=needs)
    if letter.source != storage.IMPORTED:
        abort(404)
    return letter


@bp.route("/", methods=["GET", "POST"])
def new():
    form = ImportForm()
    if form.validate_on_submit():
        texts = _texts(form)
        if texts is not None and not form.errors:
            try:
                result = storage.import_letter(texts, author=current_user)
            except LetterImportError as error:
                db.session.rollback()
                form.form_errors.append(_import_error_message(error))
            else:
                db.session.commit()
                flash(_("Letter imported. Check the two lists and pair the organisations."), "success")
                return redirect(url_for("imports.pairs", letter_id=result.letter_id))
    status = 422 if form.errors else 200
    return render_template("imports/new.html", form=form), status


def _texts(form: ImportForm) -> list[str] | None:
    """Each slot's text (an uploaded file wins over pasted text), checked one by one.

    Problems are attached to the field they come from. A file that decoded but could not be
    imported is put into the text box, so that what the coordinator sent is not lost.
    """
    texts = []
    for language in ("en", "ar"):
        text_field, file_field = getattr(form, f"text_{language}"), getattr(form, f"file_{language}")
        upload = file_field.data
        if upload and getattr(upload, "filename", ""):
            try:
                text = decode_letter_file(upload.read())
            except LetterImportError as error:
                file_field.errors = [*file_field.errors, _import_error_message(error)]
                continue
            text_field.data = text
            error_field = file_field
        else:
            text = text_field.data or ""
            error_field = text_field
        if not text.strip():
            continue
        try:
            parse_letter_text(text)
        except LetterImportError as error:
            error_field.errors = [*error_field.errors, _import_error_message(error)]
            continue
        texts.append(text)
    if not texts and not form.errors:
        form.form_errors.append(_("Paste the text of the letter, or upload it, in at least one language."))
        return None
    return texts


def _import_error_message(error: LetterImportError) -> str:
    reason = messages.message(error)
    if isinstance(error, NoSignatoryList):
        return reason
    if isinstance(error, UnreadableLetterFile):
        return _("This file could not be read as text: %(reason)s", reason=reason)
    return _("The letter could not be imported: %(reason)s", reason=reason)


@bp.get("/<id:letter_id>/pairs")
def pairs(letter_id: int):
    return _render_pairs(
        get_imported_letter(letter_id, needs="view"), page=request.args.get("page", 1, type=int)
    )


@bp.post("/<id:letter_id>/pairs")
def pair(letter_id: int):
    letter = get_imported_letter(letter_id, needs="edit")
    form = PairForm()
    if not form.validate_on_submit():
        return _render_pairs(
            letter,
            pair_error=_(
                "The pairing was not saved: the form expired or the choice is not on this letter. Try again."
            ),
            status=422,
        )
    en_row_id = form.en_row.data or 0
    try:
        ar_row = chosen_arabic_row(form.arabic_choice(request.form), review.imported_rows(letter, "ar"))
    except UnknownChoice as unknown:
        return _render_pairs(
            letter,
            pair_error=_(
                "The pairing was not saved: «%(text)s» is not a name of the Arabic list. Choose one "
                "of the names offered, or type its number in the Arabic list.",
                text=str(unknown),
            ),
            status=422,
        )
    try:
        if ar_row is not None:
            review.confirm_pair(letter, en_row_id, ar_row.id, by=current_user)
            message = _("Pairing saved: both names are now one organisation.")
        else:
            partner = review.partner_rows(letter).get(en_row_id)
            if partner is not None:
                review.unpair(letter, en_row_id, partner.id, by=current_user)
            message = _("Pairing removed: the names are separate organisations.")
    except review.PairingError:
        db.session.rollback()
        abort(400)
    db.session.commit()
    flash(message, "success")
    row = db.session.get(ImportedSignatory, en_row_id)
    page = _page_of(row.position) if row is not None else 1
    return redirect(url_for("imports.pairs", letter_id=letter.id, page=page, _anchor=f"en-{en_row_id}"))


# Why a possible duplicate could not be resolved, by DuplicateError.reason.
DUPLICATE_ERRORS = {
    "same_row": _l("The same entry was chosen twice: choose two different entries."),
    "other_letter": _l("These entries are not on this letter's lists."),
    "removed": _l(
        "One of the two entries has already been removed from the list. The page now shows the list as it is."
    ),
    "languages": _l(
        "The two entries are on the lists of different languages: only names of the same list can "
        "be duplicates."
    ),
    "not_open": _l("This pair is no longer among the open possible duplicates."),
    "not_imported": _l("Only imported letters have published lists to correct."),
}


@bp.post("/<id:letter_id>/duplicates")
def resolve_duplicate(letter_id: int):
    """Keep one of two possibly duplicate names (the other leaves the list), or keep both."""
    letter = get_imported_letter(letter_id, needs="edit")
    form = DuplicateForm()
    if not form.validate_on_submit():
        return _render_pairs(
            letter,
            duplicate_error=_("The choice was not saved: the form expired or is incomplete. Try again."),
            status=422,
        )
    first, second = form.first_row.data, form.second_row.data
    try:
        if form.choice.data == DuplicateForm.NOT_DUPLICATE:
            pair = review.dismiss_duplicate(letter, first, second, by=current_user)
            message = _with_names(
                _("«%(first)s» and «%(second)s» stay on the list as two organisations."),
                first=pair.first.name,
                second=pair.second.name,
            )
        else:
            keep, drop = (first, second) if form.choice.data == DuplicateForm.KEEP_FIRST else (second, first)
            merged = review.merge_duplicate(letter, keep, drop, by=current_user)
            message = _with_names(
                _("«%(kept)s» kept and «%(removed)s» removed; the list is numbered again without gaps."),
                kept=merged.kept.name,
                removed=merged.removed_name,
            )
    except review.DuplicateError as error:
        db.session.rollback()
        return _render_pairs(letter, duplicate_error=str(DUPLICATE_ERRORS[error.reason]), status=422)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("imports.pairs", letter_id=letter.id, _anchor="duplicates"))


def _with_names(message: str, **names: str) -> Markup:
    """A translated message with each name isolated (``<bdi>``): Arabic names in English text, or the reverse."""
    return escape(message) % {key: Markup("<bdi>%s</bdi>") % name for key, name in names.items()}


def _pair_reason(reason: str) -> str:
    """Why the importer proposed a pair (``pairing.ProposedPair.reason``), in the reader's language."""
    if reason == "directory":
        return _("known to the directory")
    if reason == "transliteration":
        return _("the same name written in Latin letters")
    if reason.startswith("acronym "):
        return _("the same acronym, %(acronym)s", acronym=reason.removeprefix("acronym "))
    return reason


# Names per language shown on one page of the review; the picker offers every Arabic name.
PAGE_SIZE = 500


def _page_of(position: int) -> int:
    return (position - 1) // PAGE_SIZE + 1


def _render_pairs(
    letter: Letter, status: int = 200, duplicate_error: str = "", pair_error: str = "", page: int = 1
):
    """The review page: the import report, open possible duplicates, and one page of the two lists.

    Its size and queries do not grow with the square of the list: each English row has a
    text field over one shared ``<datalist>`` of the Arabic names (no select holding every
    Arabic name per row), and the lists are cut into pages of :data:`PAGE_SIZE`.
    """
    english = review.imported_rows(letter, "en")
    arabic = review.imported_rows(letter, "ar")
    partners = review.partners_of(english, arabic)
    pages = max(1, _page_of(max(len(english), len(arabic), 1)))
    page = min(max(page, 1), pages)
    shown = slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE)
    details = review.import_details(letter)
    warnings = [
        (
            messages.language_name(note["language"]) if note["language"] else "",
            messages.stored_note_message(note),
        )
        for note in details["notes"]
    ]
    proposed = {name_en: (name_ar, _pair_reason(reason)) for name_en, name_ar, reason in details["pairs"]}
    duplicates = [
        (pair, DuplicateForm(formdata=None, first_row=pair.first.id, second_row=pair.second.id))
        for pair in review.open_duplicates(letter)
    ]
    return render_template(
        "imports/pairs.html",
        letter=letter,
        english=english[shown],
        arabic=arabic[shown],
        arabic_names=arabic,
        partners=partners,
        page=page,
        pages=pages,
        page_size=PAGE_SIZE,
        pair_form=PairForm(formdata=None),
        report=details["report"],
        warnings=warnings,
        proposed=proposed,
        pair_error=pair_error,
        duplicates=duplicates,
        duplicate_error=duplicate_error,
        listed={"en": len(english), "ar": len(arabic)},
        # Pairing and resolving duplicates change the letter: a reviewer reads the page without them.
        editable=may(letter, "edit"),
        edit_refusal=REFUSALS["edit"],
    ), status
