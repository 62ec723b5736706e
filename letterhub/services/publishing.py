"""The final documents of a closed letter: rendered once by a worker, stored, served, verifiable.

Closing signing queues three documents (both languages in the letter's page order, English
only, Arabic only) and gives the letter a verification code. A worker renders them in the
background (``render_queued_documents``), so a long render never holds up a web request; the
coordinator's page shows their progress. Each PDF's footer carries the verification code and
URL; the public page for the code shows the numbered lists and the SHA-256 of each stored file.

A closed letter is frozen: its list cannot change (:func:`ensure_open` is what every change
of the list asks first). Changing anything needs reopening, which *supersedes* the issued
documents: they are kept, marked superseded, and their code keeps resolving on the
verification page with a notice pointing to the newer code; the next closing issues new
documents under a new code. Each document stores the lists it prints (``printed_lists``),
so a verification page always shows exactly what its PDF prints.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import CursorResult, or_, select, update

from .. import database
from ..extensions import db
from ..models import FinalDocument, Letter, LetterRevision, LetterStatus, RenderErrorKind, RenderStatus, User
from ..models.types import utcnow
from . import audit, finalizing, pdf_pages, spreadsheet
from .render_limits import RenderLimitExceeded, render_batch_within_limits
from .rendering import DEFAULT_PDF_VARIANT, LetterDocument, ordered_signatories

log = logging.getLogger(__name__)

# Unambiguous characters only: a code is read off paper and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
RENDER_TIMEOUT = timedelta(minutes=15)  # a render claimed longer ago than this is taken over


class LetterClosed(Exception):
    """Signing is closed: the letter's list is frozen until a coordinator reopens signing."""

    def __init__(self, letter: Letter):
        super().__init__(f"letter {letter.id} is closed: reopen signing to change its list")
        self.letter = letter


def ensure_open(letter: Letter) -> None:
    """Raise :class:`LetterClosed` if the letter's list is frozen (signing is closed)."""
    if letter.status == LetterStatus.CLOSED:
        raise LetterClosed(letter)


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
    """Accept answers again. The issued documents are superseded (kept; their code still resolves)."""
    code = letter.verification_code
    supersede_final_documents(letter)
    letter.status = LetterStatus.OPEN
    letter.closed_at = None
    letter.finalized_revision_number = None
    audit.record("letter.reopened", letter=letter, user=by, superseded_code=code)


def queue_final_documents(letter: Letter) -> list[FinalDocument]:
    """Issue the closed letter's documents under a new verification code, queued for rendering.

    Each document keeps the lists it prints (frozen now: the letter is closed). A code is never
    reused: the previous issue, if any, must have been superseded first.
    """
    revision = letter.finalized_revision
    if revision is None:
        raise ValueError("only a closed letter has final documents")
    if letter.verification_code is not None:
        raise ValueError("the current documents must be superseded before new ones are issued")
    letter.verification_code = _unused_code()
    lists = numbered_lists(letter)
    unnamed = finalizing.unnamed_count(letter)
    documents = []
    for languages in layouts(letter):
        document = FinalDocument(
            letter_id=letter.id,
            revision_id=revision.id,
            languages=languages,
            verification_code=letter.verification_code,
            printed_lists={language: lists.get(language, []) for language in languages.split(",")},
            printed_unnamed=unnamed,
        )
        db.session.add(document)
        documents.append(document)
    db.session.flush()
    return documents


def _unused_code() -> str:
    """A code that neither a letter nor any issued (even superseded) document has had."""
    while True:
        code = new_verification_code()
        taken = db.session.scalar(
            select(FinalDocument.id).where(FinalDocument.verification_code == code).limit(1)
        ) or db.session.scalar(select(Letter.id).where(Letter.verification_code == code).limit(1))
        if not taken:
            return code


def supersede_final_documents(letter: Letter) -> int:
    """The issued documents no longer describe the list: mark them superseded (never deleted).

    The letter loses its current code; the old code keeps resolving on the verification page.
    A document still waiting to be rendered is superseded too, and the worker leaves it alone.
    Call it before the list changes. Returns how many documents were superseded.
    """
    now = utcnow()
    documents = documents_of(letter)
    if any(document.printed_lists is None for document in documents):
        # Issued before documents stored their lists: the frozen state is still what they print.
        lists = numbered_lists(letter)
        for document in documents:
            if document.printed_lists is None:
                document.printed_lists = {
                    language: lists.get(language, []) for language in document.languages.split(",")
                }
    if any(document.printed_unnamed is None for document in documents):
        unnamed = finalizing.unnamed_count(letter)
        for document in documents:
            if document.printed_unnamed is None:
                document.printed_unnamed = unnamed
    for document in documents:
        document.superseded_at = now
    if letter.verification_code is not None:
        audit.record("documents.superseded", letter=letter, code=letter.verification_code)
    letter.verification_code = None
    db.session.flush()
    return len(documents)


def documents_of(letter: Letter) -> list[FinalDocument]:
    """The letter's current documents (those of its current code), not superseded ones."""
    return list(
        db.session.scalars(
            select(FinalDocument)
            .where(FinalDocument.letter_id == letter.id, FinalDocument.superseded_at.is_(None))
            .order_by(FinalDocument.id)
        )
    )


def all_documents_of(letter: Letter) -> list[FinalDocument]:
    """Every document ever issued for the letter, superseded ones included, oldest first."""
    return list(
        db.session.scalars(
            select(FinalDocument).where(FinalDocument.letter_id == letter.id).order_by(FinalDocument.id)
        )
    )


def documents_for_code(code: str) -> list[FinalDocument]:
    """The documents issued under ``code`` (current or superseded)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return []
    return list(
        db.session.scalars(
            select(FinalDocument).where(FinalDocument.verification_code == code).order_by(FinalDocument.id)
        )
    )


def issued_lists(documents: list[FinalDocument]) -> dict[str, list[tuple[int, str]]]:
    """The lists the documents print, per language, in the letter's language order."""
    lists: dict[str, list[tuple[int, str]]] = {}
    for document in documents:
        for language, entries in (document.printed_lists or {}).items():
            lists.setdefault(language, [(int(number), str(name)) for number, name in entries])
    return {language: lists[language] for language in ("en", "ar") if language in lists}


def ready_document(letter: Letter, languages: str) -> FinalDocument | None:
    return db.session.scalars(
        select(FinalDocument).where(
            FinalDocument.letter_id == letter.id,
            FinalDocument.superseded_at.is_(None),
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
    code = document.verification_code or letter.verification_code
    return replace(
        finalizing.letter_document(
            letter,
            languages=tuple(document.languages.split(",")),
            verification_code=code,
            verification_url=verification_url(config["BASE_URL"], code),
        ),
        pdf_variant=config.get("PDF_VARIANT", DEFAULT_PDF_VARIANT) or None,
    )


def store_rendered(document: FinalDocument, pdf: bytes) -> None:
    document.pdf = pdf
    document.sha256 = hashlib.sha256(pdf).hexdigest()
    document.size = len(pdf)
    document.pages = pdf_pages.count_pages(pdf)
    document.status = RenderStatus.READY
    document.rendered_at = utcnow()
    forget_failure(document)


def render_queued_documents(*, limit: int = 10) -> dict[str, int]:
    """Worker step: render what is queued (or stuck). A transaction boundary: commits."""
    with database.writing():
        return _render_queued_documents(limit)


def _stuck_or_queued(now):
    """Waiting documents of the current list (a superseded one is never rendered)."""
    return FinalDocument.superseded_at.is_(None) & or_(
        FinalDocument.status == RenderStatus.QUEUED,
        (FinalDocument.status == RenderStatus.RENDERING) & (FinalDocument.started_at < now - RENDER_TIMEOUT),
    )


def _render_queued_documents(limit: int) -> dict[str, int]:
    """Claim what is waiting letter by letter and render each letter's documents in one child:
    its languages are laid out once for all of them (see ``render_limits``)."""
    counts = {"rendered": 0, "failed": 0}
    now = utcnow()
    waiting = db.session.execute(
        select(FinalDocument.id, FinalDocument.letter_id)
        .where(_stuck_or_queued(now))
        .order_by(FinalDocument.id)
        .limit(limit)
    ).all()
    db.session.commit()
    by_letter: dict[int, list[int]] = {}
    for document_id, letter_id in waiting:
        by_letter.setdefault(letter_id, []).append(document_id)
    for document_ids in by_letter.values():
        claimed = []
        for document_id in document_ids:
            claim: CursorResult = db.session.execute(  # type: ignore[assignment]  # an UPDATE gives a CursorResult
                update(FinalDocument)
                .where(FinalDocument.id == document_id, _stuck_or_queued(now))
                .values(status=RenderStatus.RENDERING, started_at=utcnow())
            )
            if claim.rowcount == 1:
                claimed.append(document_id)
            db.session.commit()
        if not claimed:
            continue
        try:
            sources = [
                document_source(db.session.get_one(FinalDocument, document_id)) for document_id in claimed
            ]
            db.session.commit()  # no transaction (on SQLite: no lock) is held while rendering
            pdfs = render_batch_within_limits(sources)
            for document_id, pdf in zip(claimed, pdfs, strict=True):
                store_rendered(db.session.get_one(FinalDocument, document_id), pdf)
        except Exception as error:  # a failed render is shown to the coordinator, who can retry
            db.session.rollback()
            for document_id in claimed:
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
            counts["failed"] += len(claimed)
            log.exception("rendering final documents %s failed", claimed)
        else:
            counts["rendered"] += len(claimed)
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
    """One row per name and language: language, number (as printed), name, English and Arabic
    names, and whether the name is public. For coordinators: the organisations that asked not to
    be named follow each language's list, without a number, marked ``named`` = ``no``.

    Names were typed by focal points: every cell is neutralised against spreadsheet formulas.
    """
    rows = finalizing.signatory_rows(letter)
    unnamed = finalizing.unnamed_signatures(letter)
    table: list[list[object]] = [["language", "number", "name", "name_en", "name_ar", "named"]]
    for language, entries in numbered_lists(letter).items():
        for number, name in entries:
            pair = rows.get((language, name), ("", ""))
            table.append([language, number, name, *pair, "yes"])
        for name_en, name_ar in unnamed:
            table.append(
                [
                    language,
                    "",
                    (name_ar or name_en) if language == "ar" else (name_en or name_ar),
                    name_en,
                    name_ar,
                    "no",
                ]
            )
    return spreadsheet.write_csv(table)


def letter_for_code(code: str) -> Letter | None:
    """The letter whose *current* code this is (a superseded code gives None)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    return db.session.scalars(select(Letter).where(Letter.verification_code == code)).first()


@dataclass
class Issue:
    """What one verification code vouches for: its documents, their lists, and whether it is current."""

    code: str
    letter: Letter
    revision: LetterRevision
    documents: list[FinalDocument]
    lists: dict[str, list[tuple[int, str]]]
    unnamed: int  # how many organisations the lists count without naming them
    issued_at: datetime | None
    superseded_at: datetime | None
    newer_code: str | None  # the letter's current code, when this one is superseded and a newer exists


def verification_for_code(code: str) -> Issue | None:
    """The issue a verification code names, current or superseded; None for an unknown code."""
    documents = documents_for_code(code)
    if documents:
        letter = documents[0].letter
        superseded = documents[0].superseded_at
        lists = issued_lists(documents)
        if not lists and superseded is None:  # issued before the lists were stored: the frozen state
            lists = numbered_lists(letter)
        unnamed = documents[0].printed_unnamed
        if unnamed is None:  # issued before the count was stored: current, so the frozen state
            unnamed = finalizing.unnamed_count(letter)
        return Issue(
            code=documents[0].verification_code or "",
            letter=letter,
            revision=documents[0].revision,
            documents=documents,
            lists=lists,
            unnamed=unnamed,
            issued_at=min(document.created_at for document in documents),
            superseded_at=superseded,
            newer_code=letter.verification_code if superseded is not None else None,
        )
    letter = letter_for_code(code)
    if letter is None or letter.finalized_revision is None or letter.verification_code is None:
        return None
    return Issue(
        code=letter.verification_code,
        letter=letter,
        revision=letter.finalized_revision,
        documents=[],
        lists=numbered_lists(letter),
        unnamed=finalizing.unnamed_count(letter),
        issued_at=letter.closed_at,
        superseded_at=None,
        newer_code=None,
    )
