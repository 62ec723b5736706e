from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow


class RenderStatus(enum.Enum):
    QUEUED = "queued"  # waiting for a worker
    RENDERING = "rendering"
    READY = "ready"  # pdf and sha256 are set
    FAILED = "failed"  # error_kind says why; the coordinator can queue it again


class RenderErrorKind(enum.Enum):
    """Why a render failed. The coordinator's message is worded from this, in their language."""

    TIME_LIMIT = "time"  # stopped at PDF_RENDER_SECONDS (error_limit: the seconds)
    MEMORY_LIMIT = "memory"  # stopped at PDF_RENDER_MEMORY_MB (error_limit: the megabytes)
    FAILED = "failed"  # the renderer raised; ``error`` keeps its type and message


class FinalDocument(Model):
    """A final PDF of a closed letter, rendered once by a worker and then served as stored.

    One row per (issue, languages): each closing issues a set of documents under a new
    ``verification_code``; ``languages`` is "en,ar", "ar,en", "en" or "ar". The bytes are kept
    in the database so that every web process serves the same file and its SHA-256 can be
    published on the verification page.

    Reopening signing *supersedes* the documents (``superseded_at``); they are never deleted,
    and their code keeps resolving on the verification page, which then points to the newer
    code. ``printed_lists`` is the numbered list per language exactly as the file prints it,
    frozen when the document was queued: the verification page shows it, not the live answers;
    ``printed_unnamed`` likewise keeps the count of the line that ends those lists.
    """

    __tablename__ = "final_documents"
    __table_args__ = (UniqueConstraint("verification_code", "languages"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("letter_revisions.id"))
    languages: Mapped[str] = mapped_column(String(10))
    status: Mapped[RenderStatus] = mapped_column(
        enum_column(RenderStatus), default=RenderStatus.QUEUED, index=True
    )
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    error_kind: Mapped[RenderErrorKind | None] = mapped_column(enum_column(RenderErrorKind))
    error_limit: Mapped[float | None] = mapped_column(Float)  # the ceiling a stopped render hit
    error: Mapped[str] = mapped_column(Text, default="")  # technical detail of a FAILED render
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The code this document was issued under (printed in its footer), and when a reopening
    # superseded it; None while it is the letter's current issue.
    verification_code: Mapped[str | None] = mapped_column(String(16), index=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # {"en": [[1, "name"], ...], "ar": [...]} for the languages of this document (see above).
    printed_lists: Mapped[dict | None] = mapped_column(JSON)
    # How many organisations that asked not to be named the lists end with ("and N
    # organisations that prefer not to be named"), frozen with ``printed_lists``.
    printed_unnamed: Mapped[int | None] = mapped_column(Integer)

    letter = relationship("Letter")
    revision = relationship("LetterRevision")
