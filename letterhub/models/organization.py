from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, validates

from ..extensions import Model
from ..services.names import clean_name
from .types import UTCDateTime, utcnow


def name_key(name: str) -> str:
    """Names that differ only in case, spacing or direction marks are the same organisation."""
    return clean_name(name).casefold()


class Organization(Model):
    """An organisation in the directory; it outlives any one letter."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_en: Mapped[str] = mapped_column(String(300), default="")
    name_ar: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(254), default="")  # the usual focal point
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # name_key() of each name, kept in step by the validator below, so that finding an
    # organisation already on a letter's list is an indexed query, not a scan of the list.
    name_en_key: Mapped[str] = mapped_column(String(300), default="", index=True)
    name_ar_key: Mapped[str] = mapped_column(String(300), default="", index=True)

    @validates("name_en", "name_ar")
    def _keep_name_key(self, attribute: str, value: str) -> str:
        setattr(self, f"{attribute}_key", name_key(value or ""))
        return value

    def display_name(self, language: str = "en") -> str:
        first, second = (self.name_ar, self.name_en) if language == "ar" else (self.name_en, self.name_ar)
        return first or second
