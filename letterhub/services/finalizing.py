"""What a letter's final documents hold: the final text and its confirmed signatories.

Read-only: this module builds the :class:`~letterhub.services.rendering.LetterDocument` and the
lists; :mod:`letterhub.services.publishing` closes and reopens signing and stores the documents
it renders from them. Dependencies run one way, publishing → finalizing → rendering.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    Decision,
    ImportedSignatory,
    Invitation,
    InvitationState,
    Letter,
    LetterRevision,
    Signature,
)
from . import deadlines
from .rendering import LanguageText, LetterDocument, RenderOptions, Signatory


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


def render_options(letter: Letter) -> RenderOptions:
    return RenderOptions(
        numbering=letter.numbering_style,
        arabic_indic_digits=letter.arabic_indic_digits,
        order=letter.list_order,
        late_signatories=letter.late_signatories,
        two_columns=letter.two_columns,
    )


def imported_rows(letter: Letter, language: str | None = None) -> list[ImportedSignatory]:
    """An imported letter's published list entries, by language then published order, with their
    directory entries loaded in the same query (the CSV export reads them for every entry)."""
    query = (
        select(ImportedSignatory)
        .where(ImportedSignatory.letter_id == letter.id)
        .options(joinedload(ImportedSignatory.organization))
    )
    if language is not None:
        query = query.where(ImportedSignatory.language == language)
    return list(db.session.scalars(query.order_by(ImportedSignatory.language, ImportedSignatory.position)))


def signatories_in(letter: Letter, revision: LetterRevision, language: str) -> tuple[Signatory, ...]:
    """The names of one language's list, unsorted: confirmed signatures, or an imported list."""
    if letter.source == "imported":
        return tuple(Signatory(name=row.name) for row in imported_rows(letter, language))
    return tuple(
        Signatory(
            name=_name_in(signature, language),
            confirmed_at=signature.decided_at,
            late=deadlines.is_late(letter, signature.decided_at),
        )
        for signature in confirmed_signatures(letter, revision)
    )


def signatory_rows(letter: Letter) -> dict[tuple[str, str], tuple[str, str]]:
    """(language, printed name) -> (English name, Arabic name), for the CSV export."""
    revision = letter.finalized_revision or letter.current_revision
    if letter.source == "imported":
        rows = {}
        for row in imported_rows(letter):
            organization = row.organization
            pair = (
                (organization.name_en, organization.name_ar)
                if organization
                else ((row.name, "") if row.language == "en" else ("", row.name))
            )
            rows[(row.language, row.name)] = pair
        return rows
    rows = {}
    for signature in confirmed_signatures(letter, revision):
        for language in ("en", "ar"):
            rows[(language, _name_in(signature, language))] = (signature.name_en, signature.name_ar)
    return rows


def letter_document(
    letter: Letter,
    *,
    languages: tuple[str, ...] = ("en", "ar"),
    options: RenderOptions | None = None,
    verification_code: str | None = None,
    verification_url: str | None = None,
) -> LetterDocument:
    """The letter as the renderer takes it: the final (or current) text and its signatories."""
    revision = letter.finalized_revision or letter.current_revision
    texts = []
    for language in languages:
        fields = revision.text(language)
        texts.append(
            LanguageText(
                language=language,
                title=fields["title"],
                addressees=fields["addressees"],
                date_place=fields["date_place"],
                body_markdown=fields["body"],
                signatories_heading=fields["heading"],
                signatories=signatories_in(letter, revision, language),
            )
        )
    return LetterDocument(
        texts=tuple(texts),
        options=options or render_options(letter),
        author=letter.coalition,
        created=letter.closed_at or revision.created_at,
        verification_code=verification_code,
        verification_url=verification_url,
    )


def _name_in(signature: Signature, language: str) -> str:
    """The organisation's name in ``language``, falling back to the other language's name."""
    first, second = (
        (signature.name_ar, signature.name_en) if language == "ar" else (signature.name_en, signature.name_ar)
    )
    return first or second
