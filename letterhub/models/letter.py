from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .types import UTCDateTime, enum_column, utcnow


class LetterStatus(enum.Enum):
    DRAFT = "draft"  # being written; no invitations sent yet
    OPEN = "open"  # invitations out, focal points can sign
    CLOSED = "closed"  # signing closed; the list is final and the PDF can be downloaded


class ChangeKind(enum.Enum):
    """What a revision did to the text organisations agreed to (see LetterRevision)."""

    SUBSTANTIVE = "substantive"  # a new text: earlier confirmations must be given again
    CORRECTION = "correction"  # typos, formatting: earlier confirmations keep counting


# The fields a revision holds per language, in the order the editor shows them.
REVISION_FIELDS = ("title", "addressees", "date_place", "body", "heading")
LANGUAGES = ("en", "ar")


class Letter(Model):
    """A joint letter. Its text lives in revisions; the newest revision is the current text."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[LetterStatus] = mapped_column(enum_column(LetterStatus), default=LetterStatus.DRAFT)
    coalition: Mapped[str] = mapped_column(String(200), default="")
    # The moment signing is due, in UTC; ``deadline_timezone`` is the coalition's zone (an IANA
    # name such as Asia/Damascus) in which it was entered and is shown. See services.deadlines.
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # After the deadline a confirmation is refused, unless this lets it in (then it is late).
    allow_late_signatures: Mapped[bool] = mapped_column(default=False)
    # Reminders to unanswered organisations, in days before the deadline ("7,3,1").
    reminder_days: Mapped[str] = mapped_column(String(100), default="7,3,1")
    # Whom a focal point asks after the deadline; empty: the letter's creator.
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Verification code printed in the final PDF's footer; set when signing closes.
    verification_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    # "drafted" here, or "imported" from a published letter (its list is in imported_signatories).
    source: Mapped[str] = mapped_column(String(10), default="drafted")
    # A public page where an organisation not invited may ask to sign (vetted by a coordinator).
    open_signon: Mapped[bool] = mapped_column(default=False)

    # How the final PDF presents the list (see services.rendering.RenderOptions).
    numbering_style: Mapped[str] = mapped_column(
        String(10), default="dot"
    )  # dot "1." | dash "1-" | dashed "- 1 -"
    arabic_indic_digits: Mapped[bool] = mapped_column(default=False)
    list_order: Mapped[str] = mapped_column(String(15), default="alphabetical")  # or "confirmation"
    late_signatories: Mapped[str] = mapped_column(String(10), default="merge")  # or "append"
    late_after: Mapped[datetime | None] = mapped_column(UTCDateTime)  # confirmations after this are late
    two_columns: Mapped[bool] = mapped_column(default=False)
    first_language: Mapped[str] = mapped_column(String(5), default="en")

    # The revision whose text the final PDF shows; set when signing closes. A number, not a
    # foreign key, so letters and revisions do not reference each other in a cycle.
    finalized_revision_number: Mapped[int | None]

    created_by = relationship("User")
    revisions: Mapped[list[LetterRevision]] = relationship(
        back_populates="letter",
        order_by="LetterRevision.number",
        foreign_keys="LetterRevision.letter_id",
        cascade="all, delete-orphan",
    )
    invitations = relationship("Invitation", back_populates="letter", cascade="all, delete-orphan")

    @property
    def current_revision(self) -> LetterRevision:
        """The newest revision. Every letter is created with its first one (drafted or imported)."""
        revision = self._newest_revision()
        if revision is None:
            raise LookupError(f"letter {self.id} has no revision")
        return revision

    def _newest_revision(self) -> LetterRevision | None:
        return db.session.scalars(
            select(LetterRevision)
            .where(LetterRevision.letter_id == self.id)
            .order_by(LetterRevision.number.desc())
            .limit(1)
        ).first()

    @property
    def finalized_revision(self) -> LetterRevision | None:
        if self.finalized_revision_number is None:
            return None
        return db.session.scalars(
            select(LetterRevision).where(
                LetterRevision.letter_id == self.id,
                LetterRevision.number == self.finalized_revision_number,
            )
        ).one()

    def display_title(self, language: str = "en") -> str:
        revision = self._newest_revision()
        if revision is None:  # between creating the letter and adding its first revision
            return ""
        return revision.display_title(language) or f"#{self.id}"


class LetterRevision(Model):
    """One saved state of a letter's text in both languages. Never changed once written.

    ``number`` counts 1, 2, 3... per letter; the unique constraint on (letter, number) is what
    stops two coordinators who started from the same revision from both saving: the second
    insert fails and that coordinator is told (see services.drafting).

    ``change_kind`` says whether the revision is a new text (substantive: revision 1, imports,
    any save before invitations went out, and every save not declared otherwise) or a
    correction of its predecessor, declared by ``judged_by`` (the author who saved it).
    ``agreement_number`` is the number of the substantive revision it belongs to: its own for a
    substantive revision, its predecessor's for a correction. Confirmations of any revision of
    the same agreement count for this one (services.changes.answers_count_for). A number, like
    ``Letter.finalized_revision_number``, so it is known before the row is inserted.
    """

    __tablename__ = "letter_revisions"
    __table_args__ = (
        UniqueConstraint("letter_id", "number"),
        ForeignKeyConstraint(
            ["letter_id", "agreement_number"],
            ["letter_revisions.letter_id", "letter_revisions.number"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    change_kind: Mapped[ChangeKind] = mapped_column(enum_column(ChangeKind), default=ChangeKind.SUBSTANTIVE)
    agreement_number: Mapped[int]
    judged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    title_en: Mapped[str] = mapped_column(Text, default="")
    title_ar: Mapped[str] = mapped_column(Text, default="")
    addressees_en: Mapped[str] = mapped_column(Text, default="")
    addressees_ar: Mapped[str] = mapped_column(Text, default="")
    date_place_en: Mapped[str] = mapped_column(Text, default="")
    date_place_ar: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    body_ar: Mapped[str] = mapped_column(Text, default="")
    heading_en: Mapped[str] = mapped_column(Text, default="")
    heading_ar: Mapped[str] = mapped_column(Text, default="")

    letter = relationship("Letter", back_populates="revisions", foreign_keys=[letter_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    judged_by = relationship("User", foreign_keys=[judged_by_id])

    @property
    def is_correction(self) -> bool:
        return self.change_kind == ChangeKind.CORRECTION

    def display_title(self, language: str = "en") -> str:
        """The title in ``language``, else in the other language, else the first addressee."""
        other = "ar" if language == "en" else "en"
        first_addressee = (self.text(language)["addressees"] or self.text(other)["addressees"]).split("\n")[0]
        return self.text(language)["title"] or self.text(other)["title"] or first_addressee

    def text(self, language: str) -> dict[str, str]:
        """The fields of one language, keyed by their short names (title, body, ...)."""
        return {field: getattr(self, f"{field}_{language}") for field in REVISION_FIELDS}

    def content(self) -> dict[str, str]:
        """All text fields, keyed ``title_en``, ``title_ar``...: what the hash covers."""
        return {
            f"{field}_{language}": getattr(self, f"{field}_{language}")
            for field in REVISION_FIELDS
            for language in LANGUAGES
        }

    @property
    def short_hash(self) -> str:
        return self.content_sha256[:12]
