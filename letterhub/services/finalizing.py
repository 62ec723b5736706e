"""What a letter's final documents hold: the final text and its confirmed signatories.

Read-only: this module builds the :class:`~letterhub.services.rendering.LetterDocument` and the
lists; :mod:`letterhub.services.publishing` closes and reopens signing and stores the documents
it renders from them. Dependencies run one way, publishing → finalizing → rendering.
"""

from __future__ import annotations

from flask_babel import force_locale, ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    ImportedSignatory,
    Letter,
    LetterRevision,
    Signature,
)
from . import changes, deadlines
from .rendering import LanguageText, LetterDocument, RenderOptions, Signatory

_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def confirmed_signatures(letter: Letter, revision: LetterRevision | None = None) -> list[Signature]:
    """Confirmations that count for ``revision`` (default: the final one, else the current one),
    nobody else.

    Declined, pending and revoked organisations are never included, and neither are
    confirmations of an earlier agreement (before a substantive change): those organisations
    must reconfirm. A confirmation of a revision that was then corrected counts (see
    services.changes.answers_count_for). This includes the
    organisations that asked not to be named (``unnamed``): coordinators see them; every
    public output goes through :func:`public_signatures` instead.
    """
    revision = revision or letter.finalized_revision or letter.current_revision
    return list(
        db.session.scalars(
            changes.confirmations(letter)
            .where(changes.answer_counts_for(revision))
            .order_by(Signature.decided_at, Signature.id)
        )
    )


def listed_organization_ids(letter: Letter) -> list[int]:
    """The organisations that confirmed ``letter``, as "everyone who confirmed letter X" means it
    (the directory's "invite many", a letter started from another with its confirmed list).

    The organisations of :func:`confirmed_signatures`: on a closed letter its final list, on an
    open one those whose confirmation counts for the current text. Not those that confirmed
    before a substantive change and have not confirmed again, nor revoked or declined ones.
    Organisations that asked not to be named are included: they confirmed, the pick is seen by
    coordinators only, and on the new letter they answer (and choose to be named or not) anew.
    """
    revision = letter.finalized_revision or letter.current_revision
    return sorted(
        set(
            db.session.scalars(
                changes.confirmations(letter)
                .where(changes.answer_counts_for(revision))
                .with_only_columns(Signature.organization_id)
            )
        )
    )


def public_signatures(letter: Letter, revision: LetterRevision | None = None) -> tuple[list[Signature], int]:
    """The confirmations a public output may name, and how many it may only count.

    The one place where organisations that asked not to be named leave the lists: the PDF,
    the verification page and the public exports are all built from here (through
    :func:`letter_document`), so none of them can name one.
    """
    named, unnamed = [], 0
    for signature in confirmed_signatures(letter, revision):
        if signature.unnamed:
            unnamed += 1
        else:
            named.append(signature)
    return named, unnamed


def unnamed_signatures(letter: Letter) -> list[tuple[str, str]]:
    """(English name, Arabic name) of the final list's organisations that asked not to be
    named: for coordinators only (the letter page, their CSV), never for a public output."""
    if letter.source == "imported":
        return []
    return [
        (signature.name_en, signature.name_ar)
        for signature in confirmed_signatures(letter)
        if signature.unnamed
    ]


def unnamed_line(count: int, language: str, *, arabic_indic_digits: bool = False) -> str:
    """The line that ends a list: "and 3 organisations that prefer not to be named"; "" for none.

    Worded by the catalogue's plural forms in ``language`` (Arabic has six), with the list's
    digits.
    """
    if count <= 0:
        return ""
    with force_locale(language):
        line = ngettext(
            "and %(num)d organisation that prefers not to be named",
            "and %(num)d organisations that prefer not to be named",
            count,
        )
    if language == "ar" and arabic_indic_digits:
        line = line.translate(_ARABIC_INDIC)
    return line


def unnamed_count(letter: Letter) -> int:
    """How many organisations the letter's public list counts without naming them."""
    return public_signatures(letter)[1] if letter.source != "imported" else 0


def unnamed_lines(
    letter: Letter, languages: tuple[str, ...] = ("en", "ar"), *, count: int | None = None
) -> dict[str, str]:
    """Each language's closing line of the public list (see :func:`unnamed_line`), "" for none.

    ``count`` is the number to word, when it is known already (an issued document's); by
    default the letter's current one.
    """
    if count is None:
        count = unnamed_count(letter)
    digits = letter.arabic_indic_digits
    return {language: unnamed_line(count, language, arabic_indic_digits=digits) for language in languages}


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


def signatories_in(
    letter: Letter, revision: LetterRevision, language: str, signatures: list[Signature] | None = None
) -> tuple[Signatory, ...]:
    """The names of one language's public list, unsorted: confirmed signatures that may be
    named (``signatures`` when already read), or an imported list."""
    if letter.source == "imported":
        return tuple(Signatory(name=row.name) for row in imported_rows(letter, language))
    if signatures is None:
        signatures = public_signatures(letter, revision)[0]
    return tuple(
        Signatory(
            name=_name_in(signature, language),
            confirmed_at=signature.decided_at,
            late=deadlines.is_late(letter, signature.decided_at),
        )
        for signature in signatures
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
    for signature in public_signatures(letter, revision)[0]:
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
    """The letter as the renderer takes it: the final (or current) text and its public list
    (the organisations that asked not to be named are counted in ``unnamed_line``, not named)."""
    revision = letter.finalized_revision or letter.current_revision
    options = options or render_options(letter)
    named, unnamed = public_signatures(letter, revision) if letter.source != "imported" else ([], 0)
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
                signatories=signatories_in(letter, revision, language, named),
                unnamed_line=unnamed_line(unnamed, language, arabic_indic_digits=options.arabic_indic_digits),
            )
        )
    return LetterDocument(
        texts=tuple(texts),
        options=options,
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
