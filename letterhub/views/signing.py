"""The focal point's pages, reached only through a signed link; no account needed.

GET and HEAD only read, and no response is cached (``Cache-Control: no-store``). The
Referrer-Policy (``same-origin``, set for the whole app) keeps the token from other sites
but lets the page's own POSTs carry the Referer that the HTTPS CSRF check asks for. The page's own script reports that a person opened it (POST
``/opened``); the answer is recorded only by a POST with the CSRF token.
"""

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import gettext as _

from ..extensions import csrf, db, limiter
from ..forms.signing import NamingForm, SigningForm
from ..models import Decision, InvitationState, LetterStatus
from ..services import changes, deadlines, forwarding, reconfirming, signing
from ..services.tokens import LinkError

bp = Blueprint("signing", __name__, url_prefix="/sign")

LINK_ERROR_STATUS = {"invalid": 404, "unknown": 404, "expired": 410, "revoked": 410, "superseded": 410}


@bp.after_request
def _kept_by_no_cache(response):
    """Every page under a signing link carries its token: no browser or proxy cache may keep it."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _signing_limit() -> str:
    return current_app.config["RATELIMIT_SIGNING"]


@bp.errorhandler(LinkError)
def _link_error(error: LinkError):
    """Every refused link gets a page saying why, a 4xx status, and nothing written."""
    invitation = error.invitation
    if invitation is not None:
        g.page_locale = invitation.language
    # A link handed on to a colleague says so, with the new address masked.
    handed = forwarding.forward_of_stale_link(invitation, (request.view_args or {}).get("token", ""))
    reason = "forwarded" if handed is not None and error.reason == "superseded" else error.reason
    masked = forwarding.mask_email(handed.to_email) if handed is not None else ""
    # Replaced by a substantive change's request to confirm again, whose email the worker writes.
    on_its_way = reason == "superseded" and reconfirming.email_on_its_way(invitation)
    return render_template(
        "signing/link_error.html", reason=reason, invitation=invitation, masked=masked, on_its_way=on_its_way
    ), LINK_ERROR_STATUS[error.reason]


def _invitation(token: str):
    """The invitation behind the link (LinkError otherwise); its language becomes the page's."""
    invitation = signing.invitation_for_link(token)
    g.page_locale = invitation.language
    return invitation


def _form_for(invitation, revision) -> SigningForm:
    organization = invitation.organization
    answer = signing.existing_answer(invitation)
    data = {
        "revision_id": revision.id,
        "name_en": answer.name_en if answer else organization.name_en,
        "name_ar": answer.name_ar if answer else organization.name_ar,
        "signer_name": answer.signer_name if answer else "",
        "signer_role": answer.signer_role if answer else "",
        "unnamed": answer.unnamed if answer else False,
    }
    return SigningForm(data=data)


def _render(invitation, form, *, status=200, notice=None):
    letter = invitation.letter
    revision = letter.current_revision
    answer = signing.existing_answer(invitation)
    answer_is_current = answer is not None and changes.answers_count_for(answer.revision, revision)
    # A confirmation of an earlier agreement: show what changed since the text confirmed.
    changed = (
        changes.compare(answer.revision, revision)
        if answer is not None and not answer_is_current and answer.decision == Decision.CONFIRMED
        else None
    )
    return render_template(
        "signing/sign.html",
        invitation=invitation,
        letter=letter,
        revision=revision,
        form=form,
        answer=answer,
        answer_is_current=answer_is_current,
        changes=changed,
        notice=notice,
        open=letter.status == LetterStatus.OPEN,
        deadline_passed=deadlines.deadline_passed(letter),
        may_confirm=deadlines.may_confirm(letter),
        token=(request.view_args or {})["token"],
    ), status


@bp.route("/<token>", methods=["GET"])  # HEAD is served by the same view and writes nothing either
@limiter.limit(_signing_limit)
def show(token: str):
    invitation = _invitation(token)
    return _render(invitation, _form_for(invitation, invitation.letter.current_revision))


@bp.post("/<token>")
@limiter.limit(_signing_limit)
def answer(token: str):
    invitation = _invitation(token)
    if "naming" in request.form:
        return _change_naming(invitation, token)
    form = SigningForm()
    if not form.validate_on_submit():
        return _render(invitation, form, status=422)
    decision = Decision.CONFIRMED if form.confirm.data else Decision.DECLINED
    answer_input = signing.DecisionInput(
        decision=decision,
        revision_id=form.revision_id.data,
        name_en=form.name_en.data or "",
        name_ar=form.name_ar.data or "",
        signer_name=form.signer_name.data or "",
        signer_role=form.signer_role.data or "",
        consent=bool(form.consent.data),
        unnamed=bool(form.unnamed.data),
        decline_reason=form.decline_reason.data or "",
        ip_address=request.remote_addr or "",
        user_agent=request.user_agent.string or "",
    )
    try:
        signature = signing.record_decision(invitation, answer_input, link=signing.link_for(token))
    except signing.AlreadyRecorded as already:
        db.session.rollback()
        return _receipt(invitation, already.signature, token, already=True), 409
    except signing.TextChanged:
        db.session.rollback()
        form.revision_id.data = invitation.letter.current_revision.id
        notice = _(
            "The letter was revised while you were reading it. Please read the new text; your answers are kept."
        )
        return _render(invitation, form, status=409, notice=notice)
    except signing.DeadlinePassed:
        db.session.rollback()
        return _render(invitation, form, status=409)
    except signing.SigningClosed:
        db.session.rollback()
        return _render(invitation, form, status=409, notice=_("Signing is closed for this letter."))
    withdrawn = signing.history(invitation)[-1].kind.value == "withdrawn"
    db.session.commit()
    return _receipt(invitation, signature, token, withdrawn=withdrawn)


def _change_naming(invitation, token: str):
    """The focal point switches their confirmation between named and not named publicly."""
    form = NamingForm()
    if not form.validate_on_submit():
        return _render(invitation, _form_for(invitation, invitation.letter.current_revision), status=422)
    choice = signing.DecisionInput(
        decision=Decision.CONFIRMED,
        revision_id=form.revision_id.data,
        name_en="",
        name_ar="",
        signer_name="",
        signer_role="",
        consent=False,
        unnamed=bool(form.unnamed.data),
        ip_address=request.remote_addr or "",
        user_agent=request.user_agent.string or "",
    )
    try:
        signature = signing.change_naming(invitation, choice, link=signing.link_for(token))
    except signing.AlreadyRecorded as already:
        db.session.rollback()
        return _receipt(invitation, already.signature, token, already=True), 409
    except signing.SigningClosed:
        db.session.rollback()
        form = _form_for(invitation, invitation.letter.current_revision)
        return _render(invitation, form, status=409, notice=_("Signing is closed for this letter."))
    except ValueError:  # no confirmation of the current text any more (withdrawn, text changed)
        db.session.rollback()
        form = _form_for(invitation, invitation.letter.current_revision)
        notice = _(
            "Your organisation has no confirmation of the current text to change. Please read the letter and answer."
        )
        return _render(invitation, form, status=409, notice=notice)
    db.session.commit()
    return _receipt(invitation, signature, token, naming_changed=True)


def _receipt(
    invitation,
    signature,
    token: str,
    *,
    already: bool = False,
    withdrawn: bool = False,
    naming_changed: bool = False,
) -> str:
    """The on-screen receipt: the letter, the answer, when, and the text answered about."""
    letter = invitation.letter
    return render_template(
        "signing/done.html",
        invitation=invitation,
        letter=letter,
        signature=signature,
        answered_revision=signature.revision,
        already=already,
        withdrawn=withdrawn,
        naming_changed=naming_changed,
        open=letter.status == LetterStatus.OPEN,
        token=token,
    )


@bp.post("/<token>/opened")
@limiter.limit(_signing_limit)
def opened(token: str):
    """Called by the page's script once a person has the page in front of them."""
    csrf.protect()
    try:
        invitation = signing.invitation_for_link(token)
    except LinkError as error:
        return {"status": error.reason}, LINK_ERROR_STATUS[error.reason]
    if invitation.state == InvitationState.PENDING:
        signing.mark_opened(invitation)
        db.session.commit()
    return {"status": invitation.state.value}
