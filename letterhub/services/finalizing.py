"""Closing signing and turning a letter into its final documents."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Decision, Invitation, InvitationState, Letter, LetterRevision, LetterStatus, Signature, User
from ..models.types import utcnow
from . import audit
from .rendering import LanguageText, LetterDocument, RenderOptions, Signatory, render_letter_pdf


class NotClosed(Exception):
    """The final PDF exists only once signing is closed."""


def close_signing(letter: Letter, *, by: User | None = None) -> LetterRevision:
    """Freeze the text (the current revision becomes final) and stop accepting answers."""
    revision = letter.current_revision
    letter.status = LetterStatus.CLOSED
    letter.closed_at = utcnow()
    letter.finalized_revision_number = revision.number
    audit.record("letter.closed", letter=letter, user=by, revision=revision.number, sha256=revision.content_sha256)
    return revision


def reopen_signing(letter: Letter, *, by: User | None = None) -> None:
    letter.status = LetterStatus.OPEN
    letter.closed_at = None
    letter.finalized_revision_number = None
    audit.record("letter.reopened", letter=letter, user=by)


def confirmed_signatures(letter: Letter, revision: LetterRevision | None = None) -> list[Signature]:
    """Confirmations of ``revision`` (default: the final one, else the current one), nobody else.

    Declined, pending and revoked organisations are never included, and neither are
    confirmations of an earlier text: those organisations must reconfirm.
    """
    revision = revision or letter.finalized_revision or letter.current_revision
    return list(
        db.session.scalars(
            select(Signature)
            .join(Invitation, Signature.invitation_id == Invitation.id)
            .where(
                Signature.letter_id == letter.id,
                Signature.decision == Decision.CONFIRMED,
                Signature.revision_id == revision.id,
                Invitation.state == InvitationState.CONFIRMED,
            )
            .order_by(Signature.decided_at, Signature.id)
        )
    )


def letter_document(letter: Letter, *, languages: tuple[str, ...] = ("en", "ar"),
                    options: RenderOptions | None = None) -> LetterDocument:
    """The final letter as the renderer takes it: text of the final revision, its confirmed signatories."""
    revision = letter.finalized_revision or letter.current_revision
    signatures = confirmed_signatures(letter, revision)
    texts = []
    for language in languages:
        fields = revision.text(language)
        signatories = tuple(
            Signatory(name=_name_in(signature, language), confirmed_at=signature.decided_at)
            for signature in signatures
        )
        texts.append(LanguageText(
            language=language, title=fields["title"], addressees=fields["addressees"],
            date_place=fields["date_place"], body_markdown=fields["body"],
            signatories_heading=fields["heading"], signatories=signatories,
        ))
    return LetterDocument(
        texts=tuple(texts), options=options or RenderOptions(), author=letter.coalition,
        created=letter.closed_at or utcnow(),
    )


def final_pdf(letter: Letter, *, languages: tuple[str, ...] = ("en", "ar")) -> bytes:
    if letter.status != LetterStatus.CLOSED:
        raise NotClosed()
    return render_letter_pdf(letter_document(letter, languages=languages))


def _name_in(signature: Signature, language: str) -> str:
    """The organisation's name in ``language``, falling back to the other language's name."""
    first, second = (signature.name_ar, signature.name_en) if language == "ar" else (signature.name_en, signature.name_ar)
    return first or second
