"""The final documents of a closed letter: rendered once by a worker, stored, served, verifiable.

Closing signing queues three documents (both languages in the letter's page order, English
only, Arabic only) and gives the letter a verification code. A worker renders them in the
background (``render_queued_documents``), so a long render never holds up a web request; the
coordinator's page shows their progress. Each PDF's footer carries the verification code and
URL; the public page for the code shows the numbered lists and the SHA-256 of each stored file.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import replace
from datetime import timedelta

from flask import current_app
from sqlalchemy import CursorResult, delete, or_, select, update

from .. import database
from ..extensions import db
from ..models import FinalDocument, Letter, LetterRevision, LetterStatus, RenderErrorKind, RenderStatus, User
from ..models.types import utcnow
from . import audit, finalizing, spreadsheet
from .render_limits import RenderLimitExceeded, render_within_limits
from .rendering import DEFAULT_PDF_VARIANT, LetterDocument, ordered_signatories

log = logging.getLogger(__name__)

# Unambiguous characters only: a code is read off paper and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
RENDER_TIMEOUT = timedelta(minutes=15)  # a render claimed longer ago than this is taken over


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def layouts(letter: Letter) -> tuple[str, ...]:
    """The documents a closed letter has: combined in the letter's page order, then each language."""
    languages = available_languages(letter)
    if len(languages) == 1:
        return languages
    first = letter.first_language if letter.first_language in languages else languages[0]
    combined = ",".join([first] + [language for language in languages if language != first])
    return (combined, *languages)


def available_languages(letter: Letter) -> tuple[str, ...]:
    """The languages the letter has a text in (an imported letter may have one, or only a list)."""
    revision = letter.finalized_revision or letter.current_revision
    return tuple(
        language
        for language in ("en", "ar")
        if any(revision.text(language)[field].strip() for field in ("title", "addressees", "body", "heading"))
    )


def close_signing(letter: Letter, *, by: User | None = None) -> LetterRevision:
    """Freeze the text (the current revision becomes final), stop accepting answers, queue the documents."""
    revision = letter.current_revision
    letter.status = LetterStatus.CLOSED
    letter.closed_at = utcnow()
    letter.finalized_revision_number = revision.number
    queue_final_documents(letter)
    audit.record(
        "letter.closed", letter=letter, user=by, revision=revision.number, sha256=revision.content_sha256
    )
    return revision


def reopen_signing(letter: Letter, *, by: User | None = None) -> None:
    """Accept answers again. The stored final documents and their code are discarded."""
    discard_final_documents(letter)
    letter.status = LetterStatus.OPEN
    letter.closed_at = None
    letter.finalized_revision_number = None
    audit.record("letter.reopened", letter=letter, user=by)


def queue_final_documents(letter: Letter) -> list[FinalDocument]:
    """Give the closed letter its verification code and queue its documents for rendering."""
    letter.verification_code = letter.verification_code or new_verification_code()
    revision = letter.finalized_revision
    if revision is None:
        raise ValueError("only a closed letter has final documents")
    documents = []
    for languages in layouts(letter):
        document = FinalDocument(letter_id=letter.id, revision_id=revision.id, languages=languages)
        db.session.add(document)
        documents.append(document)
    db.session.flush()
    return documents


def discard_final_documents(letter: Letter) -> None:
    """On reopening: the stored files and their code no longer describe the list."""
    db.session.execute(delete(FinalDocument).where(FinalDocument.letter_id == letter.id))
    letter.verification_code = None


def documents_of(letter: Letter) -> list[FinalDocument]:
    return list(
        db.session.scalars(
            select(FinalDocument).where(FinalDocument.letter_id == letter.id).order_by(FinalDocument.id)
        )
    )


def ready_document(letter: Letter, languages: str) -> FinalDocument | None:
    return db.session.scalars(
        select(FinalDocument).where(
            FinalDocument.letter_id == letter.id,
            FinalDocument.languages == languages,
            FinalDocument.status == RenderStatus.READY,
        )
    ).first()


def verification_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{code}"


def document_source(document: FinalDocument) -> LetterDocument:
    """Everything the render of ``document`` needs, read from the database (pure input).

    The file is ``PDF_VARIANT`` (PDF/A-2b by default; empty: plain PDF), rendered in a child
    process held to ``PDF_RENDER_SECONDS`` and ``PDF_RENDER_MEMORY_MB``
    (:mod:`letterhub.services.render_limits`).
    """
    config = current_app.config
    letter = document.letter
    return replace(
        finalizing.letter_document(
            letter,
            languages=tuple(document.languages.split(",")),
            verification_code=letter.verification_code,
            verification_url=verification_url(config["BASE_URL"], letter.verification_code),
        ),
        pdf_variant=config.get("PDF_VARIANT", DEFAULT_PDF_VARIANT) or None,
    )


def store_rendered(document: FinalDocument, pdf: bytes) -> None:
    document.pdf = pdf
    document.sha256 = hashlib.sha256(pdf).hexdigest()
    document.size = len(pdf)
    document.pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    document.status = RenderStatus.READY
    document.rendered_at = utcnow()
    forget_failure(document)


def render_queued_documents(*, limit: int = 10) -> dict[str, int]:
    """Worker step: render what is queued (or stuck). A transaction boundary: commits."""
    with database.writing():
        return _render_queued_documents(limit)


def _render_queued_documents(limit: int) -> dict[str, int]:
    counts = {"rendered": 0, "failed": 0}
    now = utcnow()
    waiting = db.session.scalars(
        select(FinalDocument.id)
        .where(
            or_(
                FinalDocument.status == RenderStatus.QUEUED,
                (FinalDocument.status == RenderStatus.RENDERING)
                & (FinalDocument.started_at < now - RENDER_TIMEOUT),
            )
        )
        .order_by(FinalDocument.id)
        .limit(limit)
    ).all()
    db.session.commit()
    for document_id in waiting:
        claim: CursorResult = db.session.execute(  # type: ignore[assignment]  # an UPDATE gives a CursorResult
            update(FinalDocument)
            .where(FinalDocument.id == document_id)
            .where(
                or_(
                    FinalDocument.status == RenderStatus.QUEUED,
                    (FinalDocument.status == RenderStatus.RENDERING)
                    & (FinalDocument.started_at < now - RENDER_TIMEOUT),
                )
            )
            .values(status=RenderStatus.RENDERING, started_at=utcnow())
        )
        claimed = claim.rowcount == 1
        db.session.commit()
        if not claimed:
            continue
        try:
            source = document_source(db.session.get_one(FinalDocument, document_id))
            db.session.commit()  # no transaction (on SQLite: no lock) is held while rendering
            pdf = render_within_limits(source)
            store_rendered(db.session.get_one(FinalDocument, document_id), pdf)
        except Exception as error:  # a failed render is shown to the coordinator, who can retry
            db.session.rollback()
            document = db.session.get_one(FinalDocument, document_id)
            document.status = RenderStatus.FAILED
            if isinstance(error, RenderLimitExceeded):
                document.error_kind = RenderErrorKind(error.reason)
                document.error_limit = error.limit
                document.error = ""
            else:
                document.error_kind = RenderErrorKind.FAILED
                document.error_limit = None
                document.error = f"{type(error).__name__}: {error}"[:2000]
            counts["failed"] += 1
            log.exception("rendering final document %s failed", document_id)
        else:
            counts["rendered"] += 1
        db.session.commit()
    return counts


def forget_failure(document: FinalDocument) -> None:
    document.error_kind = None
    document.error_limit = None
    document.error = ""


def retry_failed(letter: Letter) -> int:
    failed = [d for d in documents_of(letter) if d.status == RenderStatus.FAILED]
    for document in failed:
        document.status = RenderStatus.QUEUED
        forget_failure(document)
    return len(failed)


def numbered_lists(letter: Letter) -> dict[str, list[tuple[int, str]]]:
    """The final lists as printed: {"en": [(1, name), ...], "ar": [...]}."""
    document = finalizing.letter_document(letter, languages=available_languages(letter))
    return {text.language: ordered_signatories(text, document.options) for text in document.texts}


def signatories_csv(letter: Letter) -> str:
    """One row per name and language: language, number (as printed), name, English and Arabic names.

    Names were typed by focal points: every cell is neutralised against spreadsheet formulas.
    """
    rows = finalizing.signatory_rows(letter)
    table: list[list[object]] = [["language", "number", "name", "name_en", "name_ar"]]
    for language, entries in numbered_lists(letter).items():
        for number, name in entries:
            pair = rows.get((language, name), ("", ""))
            table.append([language, number, name, *pair])
    return spreadsheet.write_csv(table)


def letter_for_code(code: str) -> Letter | None:
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    return db.session.scalars(select(Letter).where(Letter.verification_code == code)).first()
