from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class Organization(Model):
    """An organisation in the directory; it outlives any one letter."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_en: Mapped[str] = mapped_column(String(300), default="")
    name_ar: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(254), default="")  # the usual focal point
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def display_name(self, language: str = "en") -> str:
        first, second = (self.name_ar, self.name_en) if language == "ar" else (self.name_en, self.name_ar)
        return first or second
