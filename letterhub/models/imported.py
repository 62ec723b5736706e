"""Imported letters' published lists, and the state of their review.

An imported letter was signed and published elsewhere. Its lists are kept as published
(:class:`ImportedSignatory`); what the coordinator decides about them afterwards is state with
constraints of its own (:class:`ImportPossibleDuplicate`, :class:`ImportCreatedOrganization`),
not read back from the audit trail, which only records what happened.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow


class ImportedSignatory(Model):
    """A name from the published list of an imported letter, in one language.

    Imported letters were signed elsewhere, before letterhub: their lists are kept as
    published (with the published number, for the record), linked to a directory entry when
    the coordinator has paired the English and Arabic names.
    """

    __tablename__ = "imported_signatories"
    __table_args__ = (UniqueConstraint("letter_id", "language", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(5))
    position: Mapped[int] = mapped_column(Integer)  # 1.. in the published order
    published_number: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))

    organization = relationship("Organization")


class DuplicateStatus(enum.Enum):
    OPEN = "open"  # reported by the import, not yet looked at
    MERGED = "merged"  # one entry (``removed_row_id``) left the list
    DISMISSED = "dismissed"  # two organisations: both entries stay


class ImportPossibleDuplicate(Model):
    """Two entries of one imported list that may be one organisation, and what became of them.

    The import records one row per possible duplicate it found (``first`` is the one earlier
    in the list). Merging deletes the removed entry from the list, so its id lives on only in
    ``removed_row_id`` (and the row references become NULL); the names stay for the record.
    A merge of two entries the import did not report adds a ``merged`` row.
    """

    __tablename__ = "import_possible_duplicates"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'merged', 'dismissed')", name="status"),
        CheckConstraint("first_row_id <> second_row_id", name="two_entries"),
        CheckConstraint(
            "status <> 'open' OR (first_row_id IS NOT NULL AND second_row_id IS NOT NULL)",
            name="open_has_rows",
        ),
        CheckConstraint("removed_row_id IS NULL OR status = 'merged'", name="removed_only_by_merge"),
        CheckConstraint("(status = 'open') = (resolved_at IS NULL)", name="resolved_when_closed"),
        UniqueConstraint("letter_id", "first_row_id", "second_row_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(5))
    first_row_id: Mapped[int | None] = mapped_column(
        ForeignKey("imported_signatories.id", ondelete="SET NULL"), index=True
    )
    second_row_id: Mapped[int | None] = mapped_column(
        ForeignKey("imported_signatories.id", ondelete="SET NULL"), index=True
    )
    first_name: Mapped[str] = mapped_column(String(300))
    second_name: Mapped[str] = mapped_column(String(300))
    status: Mapped[DuplicateStatus] = mapped_column(
        enum_column(DuplicateStatus), default=DuplicateStatus.OPEN
    )
    removed_row_id: Mapped[int | None] = mapped_column(Integer)  # the entry a merge removed (no longer a row)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    first = relationship("ImportedSignatory", foreign_keys=[first_row_id])
    second = relationship("ImportedSignatory", foreign_keys=[second_row_id])

    def resolve(
        self, status: DuplicateStatus, *, by_id: int | None, removed_row_id: int | None = None
    ) -> None:
        self.status = status
        self.removed_row_id = removed_row_id
        self.resolved_at = utcnow()
        self.resolved_by_id = by_id


class ImportCreatedOrganization(Model):
    """A directory entry created by importing a letter or reviewing its pairs.

    Only such an entry may be deleted again by that letter's review (when a merge removes the
    last name using it); entries the directory already had are never touched.
    """

    __tablename__ = "import_created_organizations"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
