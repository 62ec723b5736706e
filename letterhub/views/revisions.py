"""A letter's revisions: the list, one read-only, two compared, an old one restored; the
warnings that its two languages differ; a new letter started from this one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from ..extensions import db
from ..forms.accounts import ActionForm
from ..forms.revisions import AcknowledgeForm, StartFromForm
from ..models import Letter, LetterRevision, LetterStatus
from ..services import changes, diffing, drafting, inviting, parity, revisions
from .guard import get_letter

bp = Blueprint("revisions", __name__, url_prefix="/letters")


@bp.before_request
@login_required
def require_login():
    """Every page here is for signed-in coordinators."""


def get_revision(letter: Letter, number: int) -> LetterRevision:
    revision = drafting.revision_by_number(letter, number)
    if revision is None:
        abort(404)
    return revision


@bp.get("/<id:letter_id>/revisions")
def index(letter_id: int):
    letter = get_letter(letter_id, needs="view")
    return render_template(
        "revisions/index.html",
        letter=letter,
        revisions=revisions.revisions_of(letter),
        action_form=ActionForm(),
    )


@bp.get("/<id:letter_id>/revisions/<id:number>")
def show(letter_id: int, number: int):
    letter = get_letter(letter_id, needs="view")
    revision = get_revision(letter, number)
    return render_template(
        "revisions/show.html",
        letter=letter,
        revision=revision,
        current=letter.current_revision,
        action_form=ActionForm(),
        invitations_sent=inviting.invitations_sent(letter),
    )


@bp.get("/<id:letter_id>/revisions/compare")
def compare(letter_id: int):
    """Two revisions side by side, per language; ``old`` and ``new`` are their numbers."""
    letter = get_letter(letter_id, needs="view")
    current = letter.current_revision
    new_number = request.args.get("new", current.number, type=int)
    old_number = request.args.get("old", max(new_number - 1, 1), type=int)
    old, new = get_revision(letter, old_number), get_revision(letter, new_number)
    return render_template(
        "revisions/compare.html",
        letter=letter,
        comparison=changes.compare(old, new),
        revisions=revisions.revisions_of(letter),
    )


@bp.post("/<id:letter_id>/revisions/<id:number>/restore")
def restore(letter_id: int, number: int):
    """Save an old revision's text as a new revision: always a substantive change (see
    drafting.restore_revision), so confirmations given since ask to be given again."""
    letter = get_letter(letter_id, needs="edit")
    get_revision(letter, number)
    if not ActionForm().validate_on_submit():
        flash(_("This form expired or was sent from elsewhere. Nothing was saved."), "warning")
        return redirect(url_for("revisions.show", letter_id=letter.id, number=number))
    if letter.status == LetterStatus.CLOSED:
        flash(_("Signing is closed: the text is final. Reopen signing to change it."), "warning")
        return redirect(url_for("revisions.show", letter_id=letter.id, number=number))
    try:
        before = letter.current_revision.number
        saved = drafting.restore_revision(letter, number, current_user)
        db.session.commit()
    except LookupError:
        db.session.rollback()
        abort(404)
    except drafting.RevisionConflict:
        db.session.rollback()
        flash(
            _("Someone saved a new revision at the same moment. Nothing was restored; try again."), "warning"
        )
        return redirect(url_for("revisions.index", letter_id=letter.id))
    if saved.number == before:
        flash(_("The current text is already the text of revision %(number)d.", number=number), "info")
    else:
        flash(
            _("Revision %(old)d restored as revision %(new)d.", old=number, new=saved.number),
            "success",
        )
    return redirect(url_for("revisions.index", letter_id=letter.id))


@bp.get("/<id:letter_id>/parity")
def parity_warnings(letter_id: int):
    letter = get_letter(letter_id, needs="view")
    return render_template(
        "revisions/parity.html",
        letter=letter,
        items=revisions.parity_items(letter),
        form=AcknowledgeForm(),
    )


@bp.post("/<id:letter_id>/parity/acknowledge")
def acknowledge(letter_id: int):
    letter = get_letter(letter_id, needs="edit")
    form = AcknowledgeForm()
    if form.validate_on_submit():
        if revisions.acknowledge(letter, form.key.data or "", current_user) is None:
            db.session.rollback()
            flash(_("This warning no longer applies to the current text."), "info")
        else:
            db.session.commit()
            flash(_("Warning acknowledged. It stays listed, marked as acknowledged."), "success")
    else:
        flash(_("This form expired or was sent from elsewhere. Nothing was saved."), "warning")
    if request.form.get("back") == "edit":
        return redirect(url_for("letters.edit", letter_id=letter.id) + "#parity")
    return redirect(url_for("revisions.parity_warnings", letter_id=letter.id))


@bp.route("/<id:letter_id>/start-from", methods=["GET", "POST"])
def start_from(letter_id: int):
    """A new letter with this one's text, addressees and list options, and optionally its list."""
    source = get_letter(letter_id, needs="view")
    form = StartFromForm()
    if form.validate_on_submit():
        letter = drafting.start_from(source, current_user)
        added = 0
        if form.invitations.data in ("confirmed", "all"):
            added = inviting.invite_from(
                letter, source, confirmed_only=form.invitations.data == "confirmed", by=current_user
            )
        db.session.commit()
        flash(
            _("New letter started from “%(title)s”.", title=source.display_title(current_user.locale)),
            "success",
        )
        if added:
            flash(
                ngettext(
                    "%(num)d organisation put on the list; nothing is sent until you send the invitations.",
                    "%(num)d organisations put on the list; nothing is sent until you send the invitations.",
                    added,
                ),
                "info",
            )
        return redirect(url_for("letters.edit", letter_id=letter.id))
    status = 422 if form.errors else 200
    return render_template("revisions/start_from.html", letter=source, form=form), status


# --- template helpers (the editor and the letter page show the warnings and the collision) ---


@bp.app_template_global()
def letter_parity(letter: Letter) -> list[revisions.ParityItem]:
    """The letter's parity warnings, worked out once per request (the letter page asks twice)."""
    cache = g.setdefault("parity_items", {})
    if letter.id not in cache:
        cache[letter.id] = revisions.parity_items(letter)
    return cache[letter.id]


@bp.app_template_global()
def revision_collision(letter: Letter, base_number: int | None, theirs, yours: dict[str, str]) -> dict:
    base = drafting.revision_by_number(letter, base_number) if base_number else None
    return revisions.collision(base or theirs, theirs, yours)


@bp.app_template_filter()
def diff_text_html(text: str, language: str) -> Markup:
    """A segment's text: escaped, runs in the other direction in <bdi>, line breaks kept."""
    direction = "rtl" if language == "ar" else "ltr"
    if text == diffing.PARAGRAPH_BREAK or text.endswith(diffing.PARAGRAPH_BREAK):
        text = text[: -len(diffing.PARAGRAPH_BREAK)]
        tail = Markup('<span class="pilcrow" title="¶">¶</span>')
    else:
        tail = Markup("")
    pieces = []
    for run in diffing.direction_runs(text, direction):  # type: ignore[arg-type]
        html = escape(run.text).replace("\n", Markup("<br>"))
        pieces.append(Markup("<bdi>%s</bdi>") % html if run.isolate else html)
    return Markup("").join(pieces) + tail


@bp.app_template_filter()
def changed_paragraphs(diff: diffing.TextDiff) -> list[tuple[diffing.Segment, ...]]:
    return diffing.changed_paragraphs(diff)


@bp.app_template_filter()
def diff_plain(paragraph: tuple[diffing.Segment, ...]) -> str:
    """A paragraph of a difference for a plain-text email: ``[-removed-] {+added+}``."""
    return diffing.marked_plain(paragraph)


@bp.app_template_global()
def parity_message(warning: parity.ParityWarning) -> str:
    """A warning worded in the reader's language (one sentence per language, for the grammar)."""
    p = dict(warning.params)
    in_english = p.get("language") == "en"
    if warning.code == "missing_paragraph":
        if in_english:
            return _(
                "Paragraph %(position)d of the English text has no counterpart in the Arabic text: “%(excerpt)s”",
                position=p["position"],
                excerpt=p["excerpt"],
            )
        return _(
            "Paragraph %(position)d of the Arabic text has no counterpart in the English text: “%(excerpt)s”",
            position=p["position"],
            excerpt=p["excerpt"],
        )
    if warning.code == "missing_item":
        if in_english:
            return _(
                "Numbered demand %(number)d of the English text has no counterpart in the Arabic text: “%(excerpt)s”",
                number=p["number"],
                excerpt=p["excerpt"],
            )
        return _(
            "Numbered demand %(number)d of the Arabic text has no counterpart in the English text: “%(excerpt)s”",
            number=p["number"],
            excerpt=p["excerpt"],
        )
    if warning.code == "one_language_changed":
        if in_english:
            return _("English changed since revision %(since)d, Arabic did not.", since=p["since"])
        return _("Arabic changed since revision %(since)d, English did not.", since=p["since"])
    kind = {"numbers": _("Numbers"), "dates": _("Dates"), "acronyms": _("Acronyms")}[warning.code]
    where = {"body": _("the letter"), "title": _("the title"), "date_place": _("the date and place")}
    values = {
        "kind": kind,
        "where": where.get(str(p["field"]), str(p["field"])),
        "en": p["en"] or "—",
        "ar": p["ar"] or "—",
    }
    if p.get("position"):
        return _(
            "%(kind)s differ in %(where)s (paragraph %(position)d): only in English: %(en)s; only in Arabic: %(ar)s",
            position=p["position"],
            **values,
        )
    return _("%(kind)s differ in %(where)s: only in English: %(en)s; only in Arabic: %(ar)s", **values)


@bp.app_template_global()
def acknowledge_form() -> AcknowledgeForm:
    return AcknowledgeForm()
