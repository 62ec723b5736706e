"""The drafting group's discussion of a letter: threads on paragraphs, replies, resolve, reopen."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms.accounts import ActionForm
from ..forms.comments import CommentForm
from ..models import Comment, Letter
from ..services import commenting
from ..services.permissions import Action
from .guard import get_letter

bp = Blueprint("comments", __name__, url_prefix="/letters")

COMMENT_ERRORS = {
    "paragraph_changed": lambda: _(
        "This paragraph changed since you opened the page. Your comment was not saved: it is below, "
        "copy it to the paragraph as it reads now."
    ),
    "empty": lambda: _("Write your comment."),
    "too_long": lambda: _("A comment holds at most %(max)d characters.", max=commenting.MAX_COMMENT_LENGTH),
    "not_a_thread": lambda: _("Reply to the first comment of a thread."),
}


@bp.before_request
@login_required
def require_login():
    """Every page here is for signed-in coordinators."""


def _letter(letter_id: int, needs: Action = "comment") -> Letter:
    return get_letter(letter_id, needs=needs)


def _thread(letter: Letter, comment_id: int) -> Comment:
    thread = db.session.get(Comment, comment_id)
    if thread is None or thread.letter_id != letter.id or not thread.is_thread:
        abort(404)
    return thread


@bp.get("/<id:letter_id>/comments")
def discussion(letter_id: int):
    return _page(_letter(letter_id, needs="view"))


def _page(letter: Letter, *, failed_form: CommentForm | None = None, failed_key: str = "", status: int = 200):
    return render_template(
        "letters/comments.html",
        letter=letter,
        discussion=commenting.discussion(letter),
        new_form=CommentForm(formdata=None),
        action_form=ActionForm(),
        failed_form=failed_form,
        failed_key=failed_key,
    ), status


@bp.post("/<id:letter_id>/comments")
def start_thread(letter_id: int):
    letter = _letter(letter_id)
    form = CommentForm()
    key = form.paragraph.data or ""
    if not form.validate_on_submit():
        return _page(letter, failed_form=form, failed_key=key, status=422)
    try:
        comment = commenting.start_thread(letter, key, form.body.data, current_user)
    except commenting.CommentError as error:
        db.session.rollback()
        form.body.errors = [COMMENT_ERRORS[error.code]()]
        return _page(letter, failed_form=form, failed_key="changed", status=422)
    db.session.commit()
    flash(_("Comment added."), "success")
    return redirect(url_for("comments.discussion", letter_id=letter.id, _anchor=f"thread-{comment.id}"))


@bp.post("/<id:letter_id>/comments/<id:comment_id>/replies")
def reply(letter_id: int, comment_id: int):
    letter = _letter(letter_id)
    thread = _thread(letter, comment_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _page(letter, failed_form=form, failed_key=f"reply-{thread.id}", status=422)
    try:
        commenting.reply(thread, form.body.data, current_user)
    except commenting.CommentError as error:
        db.session.rollback()
        form.body.errors = [COMMENT_ERRORS[error.code]()]
        return _page(letter, failed_form=form, failed_key=f"reply-{thread.id}", status=422)
    db.session.commit()
    flash(_("Reply added."), "success")
    return redirect(url_for("comments.discussion", letter_id=letter.id, _anchor=f"thread-{thread.id}"))


@bp.post("/<id:letter_id>/comments/<id:comment_id>/resolve")
def resolve(letter_id: int, comment_id: int):
    return _set_resolved(letter_id, comment_id, True)


@bp.post("/<id:letter_id>/comments/<id:comment_id>/reopen")
def reopen(letter_id: int, comment_id: int):
    return _set_resolved(letter_id, comment_id, False)


def _set_resolved(letter_id: int, comment_id: int, resolved: bool):
    letter = _letter(letter_id)
    thread = _thread(letter, comment_id)
    if ActionForm().validate_on_submit():
        if resolved:
            commenting.resolve(thread, current_user)
        else:
            commenting.reopen(thread)
        db.session.commit()
        flash(_("Thread resolved.") if resolved else _("Thread reopened."), "success")
    return redirect(url_for("comments.discussion", letter_id=letter.id, _anchor=f"thread-{thread.id}"))
