from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model


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
