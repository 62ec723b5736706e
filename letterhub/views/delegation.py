"""From a focal point's link: hand the invitation to a colleague, or propose another organisation.

Public in the way the signing pages are: the link is the key (signing.invitation_for_link),
the page is in the invitation's language, nothing is cached, and only a POST with the CSRF
token writes. A link that no longer works gets the signing pages' explanation.
"""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from ..extensions import db, limiter
from ..forms.proposals import ForwardForm, NominationForm
from ..services import forwarding, proposals, tokens
from ..services.tokens import LinkError
from . import signing as signing_views

bp = Blueprint("delegation", __name__, url_prefix="/sign")
# These pages are under the signing link: its refusals, no-store, rate limit and language.
bp.register_error_handler(LinkError, signing_views._link_error)
bp.after_request(signing_views._kept_by_no_cache)


@bp.route("/<token>/forward", methods=["GET", "POST"])
@limiter.limit(signing_views._signing_limit)
def forward(token: str):
    invitation = signing_views._invitation(token)
    form = ForwardForm()
    if request.method == "POST" and form.validate_on_submit():
        _id, nonce_hash, _signed = tokens.read_invitation_token(token, tokens.signing_keys())
        try:
            handed = forwarding.forward_invitation(
                invitation,
                to_email=form.email.data,
                to_name=form.to_name.data or "",
                from_token_hash=nonce_hash,
                ip_address=request.remote_addr or "",
            )
        except forwarding.NotForwardable as error:
            db.session.rollback()
            if error.reason == "same_address":
                form.email.errors = list(form.email.errors) + [
                    _("This is the address the invitation was sent to. Give your colleague's address.")
                ]
            else:
                form.email.errors = list(form.email.errors) + [_("Signing is closed for this letter.")]
        else:
            db.session.commit()
            return render_template(
                "signing/forwarded.html",
                invitation=invitation,
                masked=forwarding.mask_email(handed.to_email),
            )
    status = 422 if form.errors else 200
    return render_template("signing/forward.html", invitation=invitation, form=form, token=token), status


@bp.route("/<token>/nominate", methods=["GET", "POST"])
@limiter.limit(signing_views._signing_limit)
def nominate(token: str):
    invitation = signing_views._invitation(token)
    form = NominationForm(data={"language": invitation.language} if request.method == "GET" else None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            proposals.nominate(
                invitation,
                name_en=form.name_en.data or "",
                name_ar=form.name_ar.data or "",
                email=form.email.data,
                language=form.language.data,
                ip_address=request.remote_addr or "",
            )
        except proposals.ProposalNotAllowed:
            db.session.rollback()
            form.email.errors = list(form.email.errors) + [_("Signing is closed for this letter.")]
        else:
            db.session.commit()
            return render_template("signing/nominated.html", invitation=invitation, token=token)
    status = 422 if form.errors else 200
    return render_template("signing/nominate.html", invitation=invitation, form=form, token=token), status
