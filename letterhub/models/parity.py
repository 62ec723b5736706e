from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow


class ParityAcknowledgement(Model):
    """A coordinator saw a warning that the two languages differ, on a revision, and let it stand.

    ``warning_key`` is the warning's stable key (services.parity): it names what the warning is
    about (the paragraph, the numbers that differ), so the acknowledgement holds in later
    revisions as long as that same difference is there; a different difference is a new key.
    ``revision_number`` is the revision it was acknowledged on. Each one also leaves a
    ``parity.acknowledged`` audit event.
    """

    __tablename__ = "parity_acknowledgements"
    __table_args__ = (UniqueConstraint("letter_id", "revision_number", "warning_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    revision_number: Mapped[int]
    warning_key: Mapped[str] = mapped_column(String(200))
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    acknowledged_by = relationship("User")
